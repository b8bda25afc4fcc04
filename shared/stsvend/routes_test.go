package stsvend

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/ossupload/ossupload/shared/auth"
	"github.com/ossupload/ossupload/shared/uploadhook"
	"github.com/ossupload/ossupload/shared/uploadpin"
)

// testRoutes: two routes STS may use and one it may not.
const testRoutes = `{
 "avatar": {"dir": "avatars", "allowedTypes": ["image/png", "image/jpeg"], "maxBytes": 2000000},
 "document": {"dir": "documents", "allowedTypes": ["application/pdf"], "maxBytes": 50000000},
 "formonly": {"dir": "forms", "allowedTypes": ["image/png"], "paths": ["form", "presign"]}
}`

var routesEnv = map[string]string{"UPLOAD_ROUTES": testRoutes, "UPLOAD_ALLOWED_TYPES": "image/png,image/jpeg,application/pdf"}

// postJSON is a POST / with body as application/json.
func postJSON(tok, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Origin", testOrigin)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// get is a GET / with the query string q.
func get(tok, q string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/?"+q, nil)
	r.Header.Set("Origin", testOrigin)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

func vendOK(t *testing.T, h http.Handler, r *http.Request) Response {
	t.Helper()
	w := serve(h, r)
	if w.Code != http.StatusOK {
		t.Fatalf("%s %s: %d %s", r.Method, r.URL, w.Code, w.Body)
	}
	return decodeStrict[Response](t, w.Body.Bytes())
}

// Each route's credentials are scoped to the route's directory for the
// caller, and the answer names the route, the directory and the header
// that pins the route.
func TestRouteScopesTheSession(t *testing.T) {
	f := newFixture(t, routesEnv)
	tok := token(t, testUser)
	for i, tc := range []struct {
		req       *http.Request
		route     string
		dir       string
		wantCalls int64
	}{
		{postJSON(tok, `{"route":"avatar"}`), "avatar", "uploads/alice/avatars/", 1},
		{get(tok, "route=document"), "document", "uploads/alice/documents/", 2},
		{get(tok, "route=avatar&filename=a.png"), "avatar", "uploads/alice/avatars/", 2}, // cached
	} {
		r := vendOK(t, f.handler, tc.req)
		want := map[string]string{"x-oss-meta-route": tc.route}
		if r.Route != tc.route || r.Dir != tc.dir || !reflect.DeepEqual(r.Headers, want) {
			t.Fatalf("request %d: route %q dir %q headers %v", i, r.Route, r.Dir, r.Headers)
		}
		if n := f.sts.calls.Load(); n != tc.wantCalls {
			t.Fatalf("request %d: %d AssumeRole calls, want %d", i, n, tc.wantCalls)
		}
	}
	in := f.sts.inputs()
	for i, dir := range []string{"uploads/alice/avatars/", "uploads/alice/documents/"} {
		var doc policyDocument
		if err := json.Unmarshal([]byte(in[i].Policy), &doc); err != nil {
			t.Fatal(err)
		}
		if res := doc.Statement[0].Resource; len(res) != 1 || res[0] != "acs:oss:*:*:"+testBucket+"/"+dir+"*" {
			t.Fatalf("call %d: policy resource %v, want %s*", i, res, dir)
		}
	}
}

// The cache never hands one route's credentials to another route's
// request, even for the same user at the same moment.
func TestCacheKeepsRoutesApart(t *testing.T) {
	f := newFixture(t, routesEnv)
	tok := token(t, testUser)
	a := vendOK(t, f.handler, postJSON(tok, `{"route":"avatar"}`))
	d := vendOK(t, f.handler, postJSON(tok, `{"route":"document"}`))
	if a.AccessKeyID == d.AccessKeyID || f.sts.calls.Load() != 2 {
		t.Fatalf("avatar %s and document %s after %d AssumeRole calls", a.AccessKeyID, d.AccessKeyID, f.sts.calls.Load())
	}
	if again := vendOK(t, f.handler, postJSON(tok, `{"route":"avatar"}`)); again.AccessKeyID != a.AccessKeyID {
		t.Fatalf("avatar again got %s, want the cached %s", again.AccessKeyID, a.AccessKeyID)
	}
}

func TestCacheKey(t *testing.T) {
	keys := map[string]string{}
	for name, k := range map[string]string{
		"alice avatar":         CacheKey("alice", "avatar", nil),
		"alice document":       CacheKey("alice", "document", nil),
		"bob avatar":           CacheKey("bob", "avatar", nil),
		"alice avatar, pinned": CacheKey("alice", "avatar", map[string]string{"x-oss-meta-route": "avatar"}),
		"another pin":          CacheKey("alice", "avatar", map[string]string{"x-oss-meta-route": "avatar", "x-oss-meta-upload-pin": "v1.a"}),
		"value moved to name":  CacheKey("alice", "avatar", map[string]string{"x-oss-meta-route": "avatarx-oss-meta-upload-pin", "": "v1.a"}),
	} {
		if other, dup := keys[k]; dup {
			t.Errorf("%q and %q share a key", name, other)
		}
		keys[k] = name
	}
	if CacheKey("alice", "avatar", map[string]string{"a": "1", "b": "2"}) != CacheKey("alice", "avatar", map[string]string{"b": "2", "a": "1"}) {
		t.Error("the key depends on map order")
	}
}

// Route errors are the caller's: 400 for a missing or unknown route
// (naming the known ones), 403 for a route that does not allow STS, and
// STS is never called.
func TestRouteErrors(t *testing.T) {
	routed := newFixture(t, routesEnv)
	plain := newFixture(t, nil)
	tok := token(t, testUser)
	text := func() *http.Request {
		r := postJSON(tok, `{"route":"avatar"}`)
		r.Header.Set("Content-Type", "text/plain")
		return r
	}
	for _, tc := range []struct {
		name   string
		f      *fixture
		req    *http.Request
		status int
		code   string
		msg    string
	}{
		{"no route", routed, request(http.MethodPost, tok), 400, "invalid_request", "route is required: one of avatar, document, formonly"},
		{"empty object", routed, postJSON(tok, `{}`), 400, "invalid_request", "route is required: one of avatar, document, formonly"},
		{"GET without route", routed, get(tok, ""), 400, "invalid_request", "route is required"},
		{"unknown route", routed, postJSON(tok, `{"route":"video"}`), 400, "invalid_request", `unknown route "video": one of avatar, document, formonly`},
		{"default when routes are configured", routed, postJSON(tok, `{"route":"default"}`), 400, "invalid_request", "one of avatar"},
		{"huge route name is not echoed", routed, postJSON(tok, `{"route":"`+strings.Repeat("v", 4000)+`"}`), 400, "invalid_request", `"` + strings.Repeat("v", 32) + `"...`},
		{"route without sts", routed, postJSON(tok, `{"route":"formonly"}`), 403, "forbidden", `route "formonly" does not allow sts uploads`},
		{"GET route without sts", routed, get(tok, "route=formonly"), 403, "forbidden", "does not allow sts"},
		{"route twice in the query", routed, get(tok, "route=avatar&route=document"), 400, "invalid_request", `"route" is given more than once`},
		{"route twice in the body", routed, postJSON(tok, `{"route":"avatar","Route":"document"}`), 400, "invalid_request", "more than once"},
		{"unknown field", routed, postJSON(tok, `{"route":"avatar","dir":"x"}`), 400, "invalid_request", "dir"},
		{"not JSON", routed, text(), 415, "unsupported_media_type", "application/json"},
		{"negative size", routed, postJSON(tok, `{"route":"avatar","size":-1}`), 400, "invalid_request", "size"},
		{"size not a number in the query", routed, get(tok, "route=avatar&size=big"), 400, "invalid_request", "size"},
		{"clientPayload too big", routed, postJSON(tok, `{"route":"avatar","clientPayload":"`+strings.Repeat("p", MaxClientPayloadBytes)+`"}`), 400, "invalid_request", "clientPayload"},
		{"a route without UPLOAD_ROUTES", plain, postJSON(tok, `{"route":"avatar"}`), 400, "invalid_request", `the only route is "default"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.f.sts.calls.Load()
			w := serve(tc.f.handler, tc.req)
			e := decodeStrict[errorBody](t, w.Body.Bytes())
			if w.Code != tc.status || e.Error.Code != tc.code || !strings.Contains(e.Error.Message, tc.msg) {
				t.Fatalf("%d %+v, want %d %s containing %q", w.Code, e.Error, tc.status, tc.code, tc.msg)
			}
			if tc.f.sts.calls.Load() != before {
				t.Fatal("AssumeRole was called")
			}
		})
	}
}

// Without UPLOAD_ROUTES, clients of before routes keep working: no body,
// an empty object, or route "default", all scoped to the user's prefix.
func TestDefaultRouteKeepsOldClients(t *testing.T) {
	f := newFixture(t, nil)
	tok := token(t, testUser)
	for _, r := range []*http.Request{request(http.MethodPost, tok), postJSON(tok, `{}`), postJSON(tok, `{"route":"default"}`),
		get(tok, ""), get(tok, "route=default")} {
		resp := vendOK(t, f.handler, r)
		if resp.Route != "default" || resp.Dir != "uploads/alice/" || resp.Headers["x-oss-meta-route"] != "default" || len(resp.Headers) != 1 {
			t.Fatalf("%s %s: %+v", r.Method, r.URL, resp)
		}
	}
	if n := f.sts.calls.Load(); n != 1 {
		t.Fatalf("%d AssumeRole calls, want 1", n)
	}
}

// fakeHook is an Asker answering with answer and recording the requests.
type fakeHook struct {
	mu     sync.Mutex
	calls  []uploadhook.Request
	answer uploadhook.Decision
	err    error
}

func (h *fakeHook) Ask(_ context.Context, r uploadhook.Request) (uploadhook.Decision, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, r)
	return h.answer, h.err
}

func (h *fakeHook) set(d uploadhook.Decision, err error) {
	h.mu.Lock()
	h.answer, h.err = d, err
	h.mu.Unlock()
}

var testPinKey = uploadpin.Key([]byte("hook-key-for-pins-0123456789abcd"))

func hookFixture(t *testing.T, hook *fakeHook) *fixture {
	env := map[string]string{"UPLOAD_HOOK_URL": "http://127.0.0.1:9/hook", "UPLOAD_HOOK_SECRET": "whsec_aG9vay1rZXktZm9yLXBpbnMtMDEyMzQ1Njc4OWFiY2Q="}
	for k, v := range routesEnv {
		env[k] = v
	}
	return newFixtureDeps(t, env, func(d *Deps) { d.Hook, d.PinKey = hook, testPinKey })
}

// With a hook, it is asked on every request with what the caller sent;
// its metadata and a pin for the session's directory come back in
// "headers"; a different answer is never paired with credentials cached
// for another.
func TestHookAllowPinsMetadata(t *testing.T) {
	hook := &fakeHook{answer: uploadhook.Decision{Allow: true, Metadata: map[string]string{"project": "p-1"}}}
	f := hookFixture(t, hook)
	tok := token(t, testUser)
	body := `{"route":"avatar","filename":"me.png","contentType":"image/png","size":1234,"clientPayload":{"project": "p-1"}}`
	r := vendOK(t, f.handler, postJSON(tok, body))
	want := uploadhook.Request{User: testUser, Via: "sts", Route: "avatar", Filename: "me.png", ContentType: "image/png", Size: 1234,
		ClientPayload: json.RawMessage(`{"project": "p-1"}`)}
	if len(hook.calls) != 1 || !reflect.DeepEqual(hook.calls[0], want) {
		t.Fatalf("hook calls %+v, want %+v", hook.calls, want)
	}
	pin := r.Headers["x-oss-meta-upload-pin"]
	if len(r.Headers) != 3 || r.Headers["x-oss-meta-route"] != "avatar" || r.Headers["x-oss-meta-project"] != "p-1" ||
		!uploadpin.Valid(testPinKey, uploadpin.Pin{Route: "avatar", Owner: testUser, Scope: "uploads/alice/avatars/",
			Metadata: map[string]string{"project": "p-1"}}, pin) {
		t.Fatalf("headers %v", r.Headers)
	}
	// The same answer again: the hook is asked, the credentials are cached.
	again := vendOK(t, f.handler, get(tok, "route=avatar"))
	if len(hook.calls) != 2 || again.AccessKeyID != r.AccessKeyID || again.Headers["x-oss-meta-upload-pin"] != pin {
		t.Fatalf("second request: %d hook calls, %s vs %s", len(hook.calls), again.AccessKeyID, r.AccessKeyID)
	}
	// Another answer: other headers, and credentials of their own.
	hook.set(uploadhook.Decision{Allow: true, Metadata: map[string]string{"project": "p-2"}}, nil)
	other := vendOK(t, f.handler, get(tok, "route=avatar"))
	if other.Headers["x-oss-meta-project"] != "p-2" || other.AccessKeyID == r.AccessKeyID || f.sts.calls.Load() != 2 ||
		!uploadpin.Valid(testPinKey, uploadpin.Pin{Route: "avatar", Owner: testUser, Scope: "uploads/alice/avatars/",
			Metadata: map[string]string{"project": "p-2"}}, other.Headers["x-oss-meta-upload-pin"]) {
		t.Fatalf("after a new answer: %+v (%d AssumeRole calls)", other, f.sts.calls.Load())
	}
	// No metadata: the pin still binds route, owner and directory.
	hook.set(uploadhook.Decision{Allow: true}, nil)
	doc := vendOK(t, f.handler, postJSON(tok, `{"route":"document"}`))
	if len(doc.Headers) != 2 || !uploadpin.Valid(testPinKey, uploadpin.Pin{Route: "document", Owner: testUser,
		Scope: "uploads/alice/documents/"}, doc.Headers["x-oss-meta-upload-pin"]) {
		t.Fatalf("document headers %v", doc.Headers)
	}
}

// A deny is 403 upload_denied with the app's message; a hook that cannot
// answer is 503 hook_unavailable with the reason in the log only. Neither
// reaches STS, and a route error is answered before the hook is asked.
func TestHookDenyAndUnavailable(t *testing.T) {
	hook := &fakeHook{}
	f := hookFixture(t, hook)
	tok := token(t, testUser)
	for _, tc := range []struct {
		name     string
		answer   uploadhook.Decision
		err      error
		req      *http.Request
		status   int
		code     string
		msg      string
		hookCall bool
	}{
		{"deny", uploadhook.Decision{Message: "avatars are closed today"}, nil, postJSON(tok, `{"route":"avatar"}`), 403, "upload_denied", "avatars are closed today", true},
		{"deny without message", uploadhook.Decision{}, nil, postJSON(tok, `{"route":"avatar"}`), 403, "upload_denied", "refused", true},
		{"unavailable", uploadhook.Decision{}, errors.New("upload hook unavailable: post: dial refused-by-test"), postJSON(tok, `{"route":"avatar"}`), 503, "hook_unavailable", "try again later", true},
		{"unknown route", uploadhook.Decision{Allow: true}, nil, postJSON(tok, `{"route":"video"}`), 400, "invalid_request", "unknown route", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hook.set(tc.answer, tc.err)
			calls := len(hook.calls)
			w := serve(f.handler, tc.req)
			e := decodeStrict[errorBody](t, w.Body.Bytes())
			if w.Code != tc.status || e.Error.Code != tc.code || !strings.Contains(e.Error.Message, tc.msg) {
				t.Fatalf("%d %+v, want %d %s containing %q", w.Code, e.Error, tc.status, tc.code, tc.msg)
			}
			if asked := len(hook.calls) > calls; asked != tc.hookCall {
				t.Fatalf("hook asked: %v, want %v", asked, tc.hookCall)
			}
			if f.sts.calls.Load() != 0 {
				t.Fatal("AssumeRole was called")
			}
		})
	}
	if !strings.Contains(f.logs.String(), "refused-by-test") || strings.Contains(f.logs.String(), "whsec_") {
		t.Fatalf("the log should say why the hook was unavailable, and hold no secret:\n%s", f.logs)
	}
}

// The hook and the pin key come together with UPLOAD_HOOK_URL: a handler
// that would skip a configured hook, or pin without a key, is not built.
func TestHookDepsMustMatchConfig(t *testing.T) {
	cfg := FromEnv(testEnv(map[string]string{"UPLOAD_HOOK_URL": "http://127.0.0.1:9/hook", "UPLOAD_HOOK_SECRET": "whsec_aG9vay1rZXktZm9yLXBpbnMtMDEyMzQ1Njc4OWFiY2Q="}))
	base := Deps{Auth: nopAuth{}, STS: &fakeSTS{now: newClock().Now}}
	for name, d := range map[string]Deps{
		"no hook":    base,
		"no pin key": {Auth: base.Auth, STS: base.STS, Hook: &fakeHook{}},
	} {
		if _, err := NewHandler(cfg, d); err == nil {
			t.Errorf("%s: built", name)
		}
	}
	if _, err := NewHandler(FromEnv(testEnv(nil)), Deps{Auth: base.Auth, STS: base.STS, Hook: &fakeHook{}, PinKey: testPinKey}); err == nil {
		t.Error("a hook without UPLOAD_HOOK_URL: built")
	}
	if _, err := NewHandler(cfg, Deps{Auth: base.Auth, STS: base.STS, Hook: &fakeHook{}, PinKey: testPinKey}); err != nil {
		t.Errorf("hook and key: %v", err)
	}
}

// nopAuth authenticates nobody; for construction tests.
type nopAuth struct{}

func (nopAuth) Authenticate(*http.Request) (auth.Identity, error) {
	return auth.Identity{}, errors.New("no")
}
