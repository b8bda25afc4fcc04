package uploadpolicy

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/ossupload/ossupload/shared/presign"
	"github.com/ossupload/ossupload/shared/uploadhook"
	"github.com/ossupload/ossupload/shared/uploadpin"
)

// testRoutes: an avatar route for images up to 2 MB, a document route for
// PDFs of 100 bytes to 50 MB with its own expiry, forms only.
const testRoutes = `{
  "avatar": {"dir": "avatars", "allowedTypes": ["image/png", "image/jpeg"], "maxBytes": 2000000},
  "document": {"dir": "documents", "allowedTypes": ["application/pdf"], "minBytes": 100, "maxBytes": 50000000,
               "policyExpirySeconds": 120, "paths": ["form", "sts"]}
}`

// routesEnv is the environment with testRoutes (UPLOAD_MAX_BYTES bounds
// every route, so it holds the largest).
func routesEnv(extra map[string]string) map[string]string {
	env := map[string]string{"UPLOAD_ROUTES": testRoutes, "UPLOAD_MAX_BYTES": "60000000"}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// testHookSecret is the hook's Standard Webhooks secret (whsec_ + base64).
var testHookSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("uploadpolicy-hook-test-secret-32b"))

// newHookedFixture is the fixture with UPLOAD_HOOK_* set and the real hook
// client calling hookURL (timeout: the client's default unless given).
// The client stamps calls with the real clock, which the receiver's
// library checks; the handler keeps the fixed one.
func newHookedFixture(t testing.TB, env map[string]string, hookURL string, timeout time.Duration, parts PartLister) *fixture {
	t.Helper()
	all := map[string]string{"UPLOAD_HOOK_URL": hookURL, "UPLOAD_HOOK_SECRET": testHookSecret}
	for k, v := range env {
		all[k] = v
	}
	f := newFixture(t, nil, nil)
	cfg := FromEnv(testEnv(all))
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	client := cfg.HookClient(time.Now)
	if timeout > 0 {
		client.Timeout = timeout
	}
	h, err := New(cfg, Deps{Auth: mustAuth(t, cfg), Credentials: f.creds, Parts: parts, Now: fixedNow, Random: fixedRandom{},
		Logger: slog.New(slog.NewJSONHandler(f.logs, nil)), Hook: client, PinKey: cfg.PinKey()})
	if err != nil {
		t.Fatal(err)
	}
	f.handler, f.cfg = h, cfg
	return f
}

// hookApp is the app's hook on loopback: it verifies every call with the
// official Standard Webhooks library under its own secret (401 when that
// fails) and answers with answer.
type hookApp struct {
	url    string
	mu     sync.Mutex
	calls  []uploadhook.Request
	answer func(w http.ResponseWriter, r *http.Request)
}

func startHookApp(t *testing.T, secret string, answer func(w http.ResponseWriter, r *http.Request)) *hookApp {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	a := &hookApp{answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := wh.Verify(body, r.Header); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var call uploadhook.Request
		if err := json.Unmarshal(body, &call); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		a.calls = append(a.calls, call)
		a.mu.Unlock()
		a.answer(w, r)
	}))
	t.Cleanup(srv.Close)
	a.url = srv.URL + "/hook?token=HOOK-URL-TOKEN-MUST-NOT-LEAK"
	return a
}

func (a *hookApp) Calls() []uploadhook.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]uploadhook.Request(nil), a.calls...)
}

func answerWith(body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}
}

// formAnswer is a sign answer as a browser reads it (fields as a map, so
// the hook's fields show).
type formAnswer struct {
	Key, Dir, Route, ExpiresAt string
	MaxSize                    int64
	Fields                     map[string]string
}

func signOK(t *testing.T, h http.Handler, body string) (formAnswer, []byte) {
	t.Helper()
	w := serve(h, postSign(t, token(t, testUser), body))
	if w.Code != http.StatusOK {
		t.Fatalf("sign %s: status %d: %s", body, w.Code, w.Body)
	}
	raw := w.Body.Bytes()
	var a formAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	return a, raw
}

// wantError checks the status and code of a refusal and returns its
// message.
func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, code string) string {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	e := decode[errorBody](t, bytes.NewReader(w.Body.Bytes()))
	if e.Error.Code != code {
		t.Errorf("error code %q, want %q (%s)", e.Error.Code, code, e.Error.Message)
	}
	return e.Error.Message
}

// lengthRange is the policy's content-length-range.
func lengthRange(t *testing.T, policyB64 string) [2]int64 {
	t.Helper()
	raw, _ := base64.StdEncoding.DecodeString(policyB64)
	var doc struct{ Conditions []json.RawMessage }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range doc.Conditions {
		var arr []any
		if json.Unmarshal(c, &arr) == nil && len(arr) == 3 && arr[0] == "content-length-range" {
			return [2]int64{int64(arr[1].(float64)), int64(arr[2].(float64))}
		}
	}
	t.Fatal("no content-length-range")
	return [2]int64{}
}

func TestRouteLimitsAtSign(t *testing.T) {
	f := newFixture(t, routesEnv(nil), nil)
	refused := []struct {
		name, body, code string
		status           int
	}{
		{"PNG to document", `{"route":"document","filename":"a.png","contentType":"image/png","size":1000}`, "type_not_allowed", 400},
		{"PDF to avatar", `{"route":"avatar","filename":"a.pdf","contentType":"application/pdf","size":1000}`, "type_not_allowed", 400},
		{"3 MB avatar", `{"route":"avatar","filename":"a.png","contentType":"image/png","size":3000000}`, "too_large", 413},
		{"document under its minimum", `{"route":"document","filename":"a.pdf","contentType":"application/pdf","size":99}`, "too_small", 400},
		{"image/gif, allowed by UPLOAD_ALLOWED_TYPES, not by avatar", `{"route":"avatar","filename":"a.gif","contentType":"image/gif","size":10}`, "type_not_allowed", 400},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			w := serve(f.handler, postSign(t, token(t, testUser), c.body))
			wantStatus(t, w, c.status, c.code)
		})
	}
	if n := f.creds.calls.Load(); n != 0 {
		t.Errorf("credentials resolved %d times for refused requests", n)
	}

	t.Run("avatar", func(t *testing.T) {
		a, _ := signOK(t, f.handler, `{"route":"avatar","filename":"me.png","contentType":"image/png","size":1000}`)
		if want := "uploads/alice/avatars/2026/11/23/abababababababab-me.png"; a.Key != want || a.Fields["key"] != want {
			t.Errorf("key %q, want %q", a.Key, want)
		}
		if a.Dir != "uploads/alice/avatars/" || a.Route != "avatar" || a.Fields["x-oss-meta-route"] != "avatar" || a.MaxSize != 1000 {
			t.Errorf("dir %q route %q field %q maxSize %d", a.Dir, a.Route, a.Fields["x-oss-meta-route"], a.MaxSize)
		}
		if r := lengthRange(t, a.Fields["policy"]); r != [2]int64{1, 1000} {
			t.Errorf("content-length-range %v, want [1 1000]", r)
		}
		if a.ExpiresAt != "2026-11-24T00:14:30Z" {
			t.Errorf("expiresAt %s, want the function's 900 s", a.ExpiresAt)
		}
	})
	t.Run("document without a size: the route's range and expiry", func(t *testing.T) {
		a, _ := signOK(t, f.handler, `{"route":"document","filename":"cv.pdf","contentType":"application/pdf"}`)
		if !strings.HasPrefix(a.Key, "uploads/alice/documents/") || a.MaxSize != 50000000 {
			t.Errorf("key %q maxSize %d", a.Key, a.MaxSize)
		}
		if r := lengthRange(t, a.Fields["policy"]); r != [2]int64{100, 50000000} {
			t.Errorf("content-length-range %v, want [100 50000000]", r)
		}
		if a.ExpiresAt != "2026-11-24T00:01:30Z" {
			t.Errorf("expiresAt %s, want the route's 120 s", a.ExpiresAt)
		}
	})
	t.Run("GET names the route in the query", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/?route=avatar&filename=me.png&contentType=image/png&size=10", nil)
		r.Header.Set("Authorization", "Bearer "+token(t, testUser))
		w := serve(f.handler, r)
		wantStatus(t, w, 200, "")
		if !strings.Contains(w.Body.String(), `"uploads/alice/avatars/`) {
			t.Errorf("GET: %s", w.Body)
		}
	})
}

func TestRouteSelection(t *testing.T) {
	routed := newFixture(t, routesEnv(nil), nil)
	plain := newFixture(t, nil, nil)
	const file = `"filename":"a.png","contentType":"image/png","size":10`
	for _, c := range []struct {
		name   string
		h      http.Handler
		body   string
		status int
		code   string
		msg    string
	}{
		{"route required with UPLOAD_ROUTES", routed.handler, `{` + file + `}`, 400, "invalid_request", "route is required: one of avatar, document"},
		{"unknown route", routed.handler, `{"route":"video",` + file + `}`, 400, "invalid_request", `unknown route "video": one of avatar, document`},
		{"default is not a configured route", routed.handler, `{"route":"default",` + file + `}`, 400, "invalid_request", "one of avatar, document"},
		{"without routes: another name", plain.handler, `{"route":"avatar",` + file + `}`, 400, "invalid_request", `the only route is "default"`},
		{"without routes: default", plain.handler, `{"route":"default",` + file + `}`, 200, "", ""},
		{"without routes: none", plain.handler, `{` + file + `}`, 200, "", ""},
		{"route not a string", routed.handler, `{"route":1,` + file + `}`, 400, "invalid_request", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := serve(c.h, postSign(t, token(t, testUser), c.body))
			if c.code == "" {
				wantStatus(t, w, c.status, "")
				return
			}
			if m := wantError(t, w, c.status, c.code); !strings.Contains(m, c.msg) {
				t.Errorf("message %q, want it to hold %q", m, c.msg)
			}
		})
	}
	// Keys of the default route are exactly today's, and carry its name.
	a, _ := signOK(t, plain.handler, `{`+file+`}`)
	if a.Key != "uploads/alice/2026/11/23/abababababababab-a.png" || a.Dir != "uploads/alice/" || a.Route != "default" || a.Fields["x-oss-meta-route"] != "default" {
		t.Errorf("default route: key %q dir %q route %q field %q", a.Key, a.Dir, a.Route, a.Fields["x-oss-meta-route"])
	}
}

func TestRoutePathNotAllowed(t *testing.T) {
	f := newPresignFixture(t, routesEnv(nil), nil)
	for _, body := range []string{
		`{"route":"document","method":"POST","key":"cv.pdf","contentType":"application/pdf","size":200000}`,
		`{"route":"document","method":"PUT","key":"cv.pdf","contentType":"application/pdf","size":2000}`,
	} {
		w := postPresign(t, f.handler, testUser, body)
		if m := wantError(t, w, http.StatusForbidden, "forbidden"); m != `route "document" does not allow presign uploads` {
			t.Errorf("message %q", m)
		}
	}
	// A part of an upload in the document directory: the route comes from
	// the key, and it does not allow presign.
	w := postPresign(t, f.handler, testUser, `{"method":"PUT","key":"uploads/alice/documents/2026/11/23/abababababababab.307200-cv.pdf","uploadId":"U1","partNumber":1}`)
	wantStatus(t, w, http.StatusForbidden, "forbidden")
}

func TestRouteOfAnUploadInProgress(t *testing.T) {
	parts := &fakeParts{parts: map[string][]UploadedPart{"BIG": {{1, 2000000}, {2, 1000000}}}}
	f := newPresignFixture(t, routesEnv(nil), parts)
	// A 3 MB avatar upload (started under a larger limit): its complete
	// is refused by the route's maximum.
	key := "uploads/alice/avatars/2026/11/23/abababababababab.3000000-me.png"
	w := postPresign(t, f.handler, testUser, `{"method":"POST","key":"`+key+`","uploadId":"BIG"}`)
	if m := wantError(t, w, http.StatusRequestEntityTooLarge, "too_large"); !strings.Contains(m, `route "avatar"`) {
		t.Errorf("message %q, want it to name the route", m)
	}
	// A part request names the key's route, or another.
	w = postPresign(t, f.handler, testUser, `{"route":"avatar","method":"PUT","key":"`+key+`","uploadId":"BIG","partNumber":1}`)
	wantStatus(t, w, http.StatusOK, "")
	if p := decode[PresignResponse](t, w.Body); p.Route != "avatar" {
		t.Errorf("route %q", p.Route)
	}
	w = postPresign(t, f.handler, testUser, `{"route":"document","method":"PUT","key":"`+key+`","uploadId":"BIG","partNumber":1}`)
	wantStatus(t, w, http.StatusBadRequest, "invalid_request")
	// A key directly in the user's prefix has no route.
	w = postPresign(t, f.handler, testUser, `{"method":"PUT","key":"uploads/alice/2026/11/23/abababababababab.300-me.png","uploadId":"BIG","partNumber":1}`)
	wantStatus(t, w, http.StatusForbidden, "forbidden")
}

func TestClientPayloadCap(t *testing.T) {
	f := newFixture(t, routesEnv(nil), nil)
	payload := func(n int) string { // a JSON string of n bytes encoded
		return `"` + strings.Repeat("x", n-2) + `"`
	}
	const file = `"route":"avatar","filename":"a.png","contentType":"image/png","size":10`
	wantStatus(t, serve(f.handler, postSign(t, token(t, testUser), `{`+file+`,"clientPayload":`+payload(MaxClientPayloadBytes)+`}`)), 200, "")
	w := serve(f.handler, postSign(t, token(t, testUser), `{`+file+`,"clientPayload":`+payload(MaxClientPayloadBytes+1)+`}`))
	wantStatus(t, w, 400, "invalid_request")
	pf := newPresignFixture(t, routesEnv(nil), nil)
	wantStatus(t, postPresign(t, pf.handler, testUser, `{"route":"avatar","method":"POST","key":"a.png","contentType":"image/png","size":200000,"clientPayload":`+payload(MaxClientPayloadBytes+1)+`}`), 400, "invalid_request")
	for _, q := range []string{"clientPayload=" + url.QueryEscape("{not json"), "clientPayload=" + url.QueryEscape(payload(MaxClientPayloadBytes+1))} {
		r := httptest.NewRequest(http.MethodGet, "/?route=avatar&filename=a.png&contentType=image/png&"+q, nil)
		r.Header.Set("Authorization", "Bearer "+token(t, testUser))
		wantStatus(t, serve(f.handler, r), 400, "invalid_request")
	}
}

// The hook allows with metadata: it was asked with everything the caller
// declared (clientPayload untouched), and the form pins the route, the
// metadata and a pin that uploadpin.Valid accepts for exactly that route,
// owner, key and metadata.
func TestHookAllowPinsMetadata(t *testing.T) {
	app := startHookApp(t, testHookSecret, answerWith(`{"allow":true,"metadata":{"project":"p-42","tier":"gold"}}`))
	f := newHookedFixture(t, routesEnv(nil), app.url, 0, nil)
	a, raw := signOK(t, f.handler, `{"route":"avatar","filename":"me.png","contentType":"image/png","size":1000,"clientPayload":{"projectId":"p-42","n":[1,2.50]}}`)

	calls := app.Calls()
	if len(calls) != 1 {
		t.Fatalf("hook called %d times, want 1", len(calls))
	}
	want := uploadhook.Request{Type: "upload.requested", User: testUser, Via: "form", Route: "avatar", Key: a.Key,
		Filename: "me.png", ContentType: "image/png", Size: 1000, ClientPayload: json.RawMessage(`{"projectId":"p-42","n":[1,2.50]}`)}
	if got := calls[0]; got.Type != want.Type || got.User != want.User || got.Via != want.Via || got.Route != want.Route ||
		got.Key != want.Key || got.Filename != want.Filename || got.ContentType != want.ContentType || got.Size != want.Size ||
		!bytes.Equal(got.ClientPayload, want.ClientPayload) {
		t.Errorf("hook asked %+v\nwant %+v", got, want)
	}

	pins := policyPins(t, a.Fields["policy"])
	for name, v := range map[string]string{"x-oss-meta-route": "avatar", "x-oss-meta-project": "p-42", "x-oss-meta-tier": "gold"} {
		if a.Fields[name] != v || pins[name] != v {
			t.Errorf("%s: field %q, policy %q, want %q", name, a.Fields[name], pins[name], v)
		}
	}
	pin := a.Fields["x-oss-meta-upload-pin"]
	if pin == "" || pins["x-oss-meta-upload-pin"] != pin {
		t.Fatalf("pin: field %q, policy %q", pin, pins["x-oss-meta-upload-pin"])
	}
	key := f.cfg.PinKey()
	meta := map[string]string{"project": "p-42", "tier": "gold"}
	// The pin also names the declared type and size, as the form pins them.
	signed := uploadpin.Pin{Route: "avatar", Owner: testUser, Scope: a.Key, Metadata: meta, DeclaredType: "image/png", DeclaredSize: "1000"}
	if a.Fields["x-oss-meta-declared-type"] != signed.DeclaredType || a.Fields["x-oss-meta-declared-size"] != signed.DeclaredSize {
		t.Fatalf("declared fields %q %q", a.Fields["x-oss-meta-declared-type"], a.Fields["x-oss-meta-declared-size"])
	}
	if !uploadpin.Valid(key, signed, pin) {
		t.Error("the pin does not verify for the route, owner, key, declared file and metadata signed")
	}
	with := func(f func(p *uploadpin.Pin)) uploadpin.Pin { p := signed; f(&p); return p }
	for name, p := range map[string]uploadpin.Pin{
		"other route":         with(func(p *uploadpin.Pin) { p.Route = "document" }),
		"other owner":         with(func(p *uploadpin.Pin) { p.Owner = "bob" }),
		"other key":           with(func(p *uploadpin.Pin) { p.Scope = a.Key + "x" }),
		"other metadata":      with(func(p *uploadpin.Pin) { p.Metadata = map[string]string{"project": "p-43", "tier": "gold"} }),
		"other declared size": with(func(p *uploadpin.Pin) { p.DeclaredSize = "2000" }),
		"nothing declared":    with(func(p *uploadpin.Pin) { p.DeclaredType, p.DeclaredSize = "", "" }),
	} {
		if uploadpin.Valid(key, p, pin) {
			t.Errorf("the pin verifies for %s", name)
		}
	}
	// Every field is pinned (the metadata too), and the metadata come
	// after the fixed fields, in name order.
	for name, v := range a.Fields {
		if name != "policy" && name != "x-oss-signature" && pins[strings.ToLower(name)] != v {
			t.Errorf("field %s=%q not pinned", name, v)
		}
	}
	if order := fieldOrder(t, raw); strings.Join(order[len(order)-4:], " ") != "x-oss-meta-route x-oss-meta-upload-pin x-oss-meta-project x-oss-meta-tier" {
		t.Errorf("field order %v", order)
	}
}

// fieldOrder lists the names of the answer's "fields" in the order sent.
func fieldOrder(t *testing.T, raw []byte) []string {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(top["fields"]))
	var names []string
	dec.Token() // {
	for dec.More() {
		k, _ := dec.Token()
		names = append(names, k.(string))
		var v string
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

// Without metadata there is no metadata field, but still a pin (of no
// metadata) and the route.
func TestHookAllowWithoutMetadata(t *testing.T) {
	app := startHookApp(t, testHookSecret, answerWith(`{"allow":true}`))
	f := newHookedFixture(t, nil, app.url, 0, nil)
	a, _ := signOK(t, f.handler, `{"filename":"me.png","contentType":"image/png","size":1000}`)
	if !uploadpin.Valid(f.cfg.PinKey(), uploadpin.Pin{Route: "default", Owner: testUser, Scope: a.Key, DeclaredType: "image/png", DeclaredSize: "1000"}, a.Fields["x-oss-meta-upload-pin"]) {
		t.Errorf("pin %q does not verify", a.Fields["x-oss-meta-upload-pin"])
	}
	for name := range a.Fields {
		if strings.HasPrefix(name, "x-oss-meta-") && name != "x-oss-meta-owner" && name != "x-oss-meta-route" &&
			name != "x-oss-meta-upload-pin" && !strings.HasPrefix(name, "x-oss-meta-declared-") {
			t.Errorf("unexpected field %s", name)
		}
	}
}

// A refusal or an unavailable hook signs nothing: no credentials are
// resolved and no policy is answered.
func TestHookRefusals(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	for _, c := range []struct {
		name    string
		secret  string // the app's; testHookSecret unless set
		answer  func(http.ResponseWriter, *http.Request)
		timeout time.Duration
		status  int
		code    string
		msg     string
	}{
		{"deny with a message", "", answerWith(`{"allow":false,"message":"Projekt p-42 ist voll"}`), 0, 403, "upload_denied", "Projekt p-42 ist voll"},
		{"deny without a message", "", answerWith(`{"allow":false}`), 0, 403, "upload_denied", "the app refused this upload"},
		{"hook fails", "", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", 500) }, 0, 503, "hook_unavailable", ""},
		{"hook answers no decision", "", answerWith(`{"ok":true}`), 0, 503, "hook_unavailable", ""},
		{"reserved metadata", "", answerWith(`{"allow":true,"metadata":{"route":"document"}}`), 0, 503, "hook_unavailable", ""},
		{"timeout", "", slow, 200 * time.Millisecond, 503, "hook_unavailable", ""},
		{"the app holds another secret", "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-secret-of-the-app-32byte")), answerWith(`{"allow":true}`), 0, 503, "hook_unavailable", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			secret := testHookSecret
			if c.secret != "" {
				secret = c.secret
			}
			app := startHookApp(t, secret, c.answer)
			for _, path := range []string{"/", "/presign"} {
				f := newHookedFixture(t, nil, app.url, c.timeout, nil)
				var w *httptest.ResponseRecorder
				if path == "/" {
					w = serve(f.handler, postSign(t, token(t, testUser), `{"filename":"me.png","contentType":"image/png","size":1000}`))
				} else {
					w = postPresign(t, f.handler, testUser, `{"method":"POST","key":"me.png","contentType":"image/png","size":200000}`)
				}
				body := w.Body.String()
				if m := wantError(t, w, c.status, c.code); c.msg != "" && m != c.msg {
					t.Errorf("%s: message %q, want %q", path, m, c.msg)
				}
				for _, leak := range []string{"policy", "signature", "url", "HOOK-URL-TOKEN", testHookSecret} {
					if strings.Contains(body, leak) {
						t.Errorf("%s: answer holds %q: %s", path, leak, body)
					}
				}
				if n := f.creds.calls.Load(); n > 0 && path == "/" {
					t.Errorf("credentials resolved %d times: something was about to be signed", n)
				}
				logs := f.logs.String()
				if c.status == 503 && !strings.Contains(logs, "upload hook unavailable") {
					t.Errorf("%s: the log does not say why: %s", path, logs)
				}
				if strings.Contains(logs, "HOOK-URL-TOKEN") || strings.Contains(logs, testHookSecret) {
					t.Errorf("%s: the hook URL's query or the secret reached the log: %s", path, logs)
				}
			}
		})
	}
}

// Presign asks the hook when it starts an upload (single-file form or
// multipart initiate), pins its answer in the signed initiate headers, and
// does not ask again for the parts and the complete.
func TestHookPresign(t *testing.T) {
	app := startHookApp(t, testHookSecret, answerWith(`{"allow":true,"metadata":{"project":"p-42"}}`))
	parts := &fakeParts{parts: map[string][]UploadedPart{"U1": {{1, 200000}}}}
	f := newHookedFixture(t, routesEnv(nil), app.url, 0, parts)

	w := postPresign(t, f.handler, testUser, `{"route":"avatar","method":"POST","key":"u-me.png","filename":"me.png","contentType":"image/png","size":200000,"clientPayload":[1]}`)
	wantStatus(t, w, 200, "")
	ini := decode[PresignResponse](t, w.Body)
	if want := "uploads/alice/avatars/2026/11/23/abababababababab.200000-me.png"; ini.Key != want || ini.Route != "avatar" {
		t.Fatalf("key %q route %q", ini.Key, ini.Route)
	}
	calls := app.Calls()
	if len(calls) != 1 || calls[0].Via != "presign" || calls[0].Key != ini.Key || calls[0].Size != 200000 || string(calls[0].ClientPayload) != "[1]" {
		t.Fatalf("hook calls %+v", calls)
	}
	pin := ini.Headers["x-oss-meta-upload-pin"]
	if ini.Headers["x-oss-meta-route"] != "avatar" || ini.Headers["x-oss-meta-project"] != "p-42" ||
		!uploadpin.Valid(f.cfg.PinKey(), uploadpin.Pin{Route: "avatar", Owner: testUser, Scope: ini.Key, Metadata: map[string]string{"project": "p-42"},
			DeclaredType: "image/png", DeclaredSize: "200000"}, pin) {
		t.Errorf("initiate headers %v", ini.Headers)
	}
	// The headers are signed (presign signs every x-oss-* header): the
	// URL is the one presign makes for exactly these headers.
	var hs []presign.Header
	for k, v := range ini.Headers {
		hs = append(hs, presign.Header{Name: k, Value: v})
	}
	want, err := presign.V4("http://127.0.0.1:9000/"+testBucket, testRegion,
		presign.Credentials{AccessKeyID: testAK, AccessKeySecret: testAKSec, SecurityToken: testToken},
		presign.Request{Method: "POST", Bucket: testBucket, Key: ini.Key, Uploads: true, Headers: hs}, testNow, DefaultPolicyExpiry)
	if err != nil || ini.URL != want {
		t.Errorf("initiate url\n got %s\nwant %s (%v)", ini.URL, want, err)
	}

	for _, body := range []string{
		`{"method":"PUT","key":"` + ini.Key + `","uploadId":"U1","partNumber":1}`,
		`{"method":"POST","key":"` + ini.Key + `","uploadId":"U1"}`,
		`{"method":"GET","key":"` + ini.Key + `","uploadId":"U1"}`,
	} {
		wantStatus(t, postPresign(t, f.handler, testUser, body), 200, "")
	}
	if n := len(app.Calls()); n != 1 {
		t.Errorf("hook called %d times, want once (for the initiate only)", n)
	}

	// Uppy's single-file form carries the metadata and the pin as fields.
	w = postPresign(t, f.handler, testUser, `{"route":"avatar","method":"PUT","key":"u-me.png","filename":"me.png","contentType":"image/png","size":2000}`)
	wantStatus(t, w, 200, "")
	put := decode[PresignResponse](t, w.Body)
	pins := policyPins(t, put.Fields["policy"])
	for _, name := range []string{"x-oss-meta-route", "x-oss-meta-project", "x-oss-meta-upload-pin"} {
		if put.Fields[name] == "" || pins[name] != put.Fields[name] {
			t.Errorf("%s: field %q, policy %q", name, put.Fields[name], pins[name])
		}
	}
	if _, ok := put.Fields["success_action_redirect"]; ok {
		t.Error("the Uppy form holds success_action_redirect")
	}
	if n := len(app.Calls()); n != 2 || app.Calls()[1].Via != "presign" {
		t.Errorf("hook calls %+v", app.Calls())
	}
}

// fakeHook answers every call with one decision.
type fakeHook struct{ d uploadhook.Decision }

func (f fakeHook) Ask(context.Context, uploadhook.Request) (uploadhook.Decision, error) {
	return f.d, nil
}

// A Hook other than uploadhook.Client that answers one of the service's
// own metadata names (which would replace the owner or the route in the
// initiate's signed headers) is treated as unavailable.
func TestHookReservedMetadataFromAnyHook(t *testing.T) {
	for _, name := range []string{"owner", "route", "declared-size", "upload-pin"} {
		f := newFixture(t, nil, nil)
		cfg := FromEnv(testEnv(map[string]string{"UPLOAD_HOOK_URL": "http://127.0.0.1:1/hook", "UPLOAD_HOOK_SECRET": testHookSecret}))
		h, err := New(cfg, Deps{Auth: mustAuth(t, cfg), Credentials: f.creds, Now: fixedNow, Random: fixedRandom{},
			Hook: fakeHook{uploadhook.Decision{Allow: true, Metadata: map[string]string{name: "mallory"}}}, PinKey: cfg.PinKey()})
		if err != nil {
			t.Fatal(err)
		}
		wantError(t, postPresign(t, h, testUser, `{"method":"POST","key":"me.png","contentType":"image/png","size":200000}`), 503, "hook_unavailable")
	}
}
