package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	localstack "github.com/ossupload/ossupload/local/stack"
	"github.com/ossupload/ossupload/local/stacktest"
	"github.com/ossupload/ossupload/shared/stdwebhook"
	"github.com/ossupload/ossupload/shared/uploadhook"
	"github.com/ossupload/ossupload/shared/uploadpin"
)

// stsRoutes: an avatar and a document route STS may use, and one it may not.
const stsRoutes = `{
 "avatar": {"dir": "avatars", "allowedTypes": ["image/png", "image/jpeg"], "maxBytes": 2000000},
 "document": {"dir": "documents", "allowedTypes": ["application/pdf"], "maxBytes": 50000000},
 "formonly": {"dir": "forms", "allowedTypes": ["image/png"], "paths": ["form", "presign"]}
}`

// stsHookSecret is the hook's Standard Webhooks secret in these tests.
const stsHookSecret = "whsec_c3RzLXJvdXRlLWhvb2stc2VjcmV0LWZvci10ZXN0cw=="

// stsAnswer is the sts function's 200 body as a client reads it.
type stsAnswer struct {
	AccessKeyID     string            `json:"accessKeyId"`
	AccessKeySecret string            `json:"accessKeySecret"`
	StsToken        string            `json:"stsToken"`
	Bucket          string            `json:"bucket"`
	RegionID        string            `json:"regionId"`
	Route           string            `json:"route"`
	Dir             string            `json:"dir"`
	Headers         map[string]string `json:"headers"`
}

type apiError struct {
	Error struct{ Code, Message string } `json:"error"`
}

// startRoutesStack runs the local stack in-process with stsRoutes and the
// extra function environment env.
func startRoutesStack(t *testing.T, env map[string]string) *localstack.Stack {
	t.Helper()
	s, _ := stacktest.Start(t, func(c *localstack.Config) {
		c.FunctionEnv = map[string]string{"UPLOAD_ROUTES": stsRoutes}
		for k, v := range env {
			c.FunctionEnv[k] = v
		}
	})
	return s
}

// vendRoute asks the sts function for credentials for route with body
// fields beside it; it returns the status and the decoded answer or error.
func vendRoute(t *testing.T, s *localstack.Stack, body map[string]any) (int, stsAnswer, apiError, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.Ready.Functions["sts"], bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Ready.JWT)
	req.Header.Set("Content-Type", "application/json")
	res, raw := stacktest.Do(t, req)
	var ok stsAnswer
	var bad apiError
	if res.StatusCode == http.StatusOK {
		err = json.Unmarshal(raw, &ok)
	} else {
		err = json.Unmarshal(raw, &bad)
	}
	if err != nil {
		t.Fatalf("sts: %d, not JSON: %s", res.StatusCode, raw)
	}
	return res.StatusCode, ok, bad, raw
}

// mustVend is vendRoute for a request that must succeed.
func mustVend(t *testing.T, s *localstack.Stack, body map[string]any) stsAnswer {
	t.Helper()
	code, a, e, _ := vendRoute(t, s, body)
	if code != http.StatusOK {
		t.Fatalf("sts %v: %d %+v", body, code, e.Error)
	}
	return a
}

// sdkBucket is the official Go SDK's client built from an sts answer alone.
func sdkBucket(t *testing.T, s *localstack.Stack, a stsAnswer) *oss.Bucket {
	t.Helper()
	client, err := oss.New(s.Ready.OSS, a.AccessKeyID, a.AccessKeySecret, oss.SecurityToken(a.StsToken),
		oss.AuthVersion(oss.AuthV4), oss.Region(a.RegionID))
	if err != nil {
		t.Fatal(err)
	}
	b, err := client.Bucket(a.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// putWithHeaders uploads as the answer says: with every header of
// "headers" (the SDK adds x-oss-meta- to the names Meta is given).
func putWithHeaders(b *oss.Bucket, a stsAnswer, key, contentType string, body []byte) error {
	opts := []oss.Option{oss.ContentType(contentType)}
	for name, value := range a.Headers {
		opts = append(opts, oss.Meta(strings.TrimPrefix(name, "x-oss-meta-"), value))
	}
	return b.PutObject(key, bytes.NewReader(body), opts...)
}

// accessDenied reports whether err is OSS's 403 AccessDenied.
func accessDenied(err error) bool {
	var se oss.ServiceError
	return errors.As(err, &se) && se.StatusCode == http.StatusForbidden && se.Code == "AccessDenied"
}

// Credentials vended for one route write only in that route's directory of
// the caller: an avatar session cannot write documents or at the user's
// root, a document session the reverse. The cache is keyed by route: a
// document request right after an avatar request gets credentials of its
// own, so a cache that ignored the route would hand out avatar credentials
// and the document upload would be refused.
func TestSTSRouteScopesCredentials(t *testing.T) {
	s := startRoutesStack(t, nil)
	prefix := "uploads/" + s.Ready.User + "/"
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	png := realPNG(t)

	avatar := mustVend(t, s, map[string]any{"route": "avatar"})
	document := mustVend(t, s, map[string]any{"route": "document"})
	if avatar.Dir != prefix+"avatars/" || document.Dir != prefix+"documents/" || avatar.Route != "avatar" || document.Route != "document" {
		t.Fatalf("avatar %s %s, document %s %s", avatar.Route, avatar.Dir, document.Route, document.Dir)
	}
	if avatar.AccessKeyID == document.AccessKeyID {
		t.Fatalf("the document request got the avatar's cached credentials %s", avatar.AccessKeyID)
	}
	for _, tc := range []struct {
		name    string
		answer  stsAnswer
		key     string
		typ     string
		body    []byte
		allowed bool
	}{
		{"avatar in avatars", avatar, prefix + "avatars/me.png", "image/png", png, true},
		{"avatar in documents", avatar, prefix + "documents/me.png", "image/png", png, false},
		{"avatar at the user root", avatar, prefix + "me.png", "image/png", png, false},
		{"document in documents", document, prefix + "documents/cv.pdf", "application/pdf", pdf, true},
		{"document in avatars", document, prefix + "avatars/cv.pdf", "application/pdf", pdf, false},
		{"document at the user root", document, prefix + "cv.pdf", "application/pdf", pdf, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.answer.Headers["x-oss-meta-route"] != tc.answer.Route || len(tc.answer.Headers) != 1 {
				t.Fatalf("headers %v, want only x-oss-meta-route: %s (no hook)", tc.answer.Headers, tc.answer.Route)
			}
			err := putWithHeaders(sdkBucket(t, s, tc.answer), tc.answer, tc.key, tc.typ, tc.body)
			switch {
			case tc.allowed && err != nil:
				t.Fatalf("PutObject %s: %v", tc.key, err)
			case !tc.allowed && !accessDenied(err):
				t.Fatalf("PutObject %s: %v, want 403 AccessDenied", tc.key, err)
			}
		})
	}
	// The admin's view: the allowed upload carries the route header.
	admin, err := oss.New(s.Ready.OSS, s.Ready.AccessKeyID, s.Ready.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	ab, err := admin.Bucket(s.Ready.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	h, err := ab.GetObjectDetailedMeta(prefix + "avatars/me.png")
	if err != nil || h.Get("x-oss-meta-route") != "avatar" {
		t.Fatalf("avatars/me.png: %v, x-oss-meta-route %q", err, h.Get("x-oss-meta-route"))
	}
}

// Route errors come from the sts function before any credentials: an
// unknown or missing route is 400, a route whose paths exclude sts is 403.
func TestSTSRouteErrors(t *testing.T) {
	s := startRoutesStack(t, nil)
	for _, tc := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
		msg    string
	}{
		{"unknown route", map[string]any{"route": "video"}, 400, "invalid_request", "avatar, document, formonly"},
		{"no route", map[string]any{}, 400, "invalid_request", "route is required"},
		{"route without sts", map[string]any{"route": "formonly"}, 403, "forbidden", `route "formonly" does not allow sts uploads`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, e, raw := vendRoute(t, s, tc.body)
			if code != tc.status || e.Error.Code != tc.code || !strings.Contains(e.Error.Message, tc.msg) {
				t.Fatalf("%d %s, want %d %s containing %q", code, raw, tc.status, tc.code, tc.msg)
			}
			if bytes.Contains(raw, []byte("accessKeyId")) {
				t.Fatalf("credentials in a refusal: %s", raw)
			}
		})
	}
	// GET names the route in the query.
	req, _ := http.NewRequest(http.MethodGet, s.Ready.Functions["sts"]+"?route="+url.QueryEscape("formonly"), nil)
	req.Header.Set("Authorization", "Bearer "+s.Ready.JWT)
	if res, raw := stacktest.Do(t, req); res.StatusCode != http.StatusForbidden || !bytes.Contains(raw, []byte(`"forbidden"`)) {
		t.Fatalf("GET ?route=formonly: %d %s", res.StatusCode, raw)
	}
}

// With UPLOAD_HOOK_URL the app's hook (verified with the official Standard
// Webhooks library) is asked before credentials are vended: its metadata
// and a pin for the session's directory come back in "headers" and land on
// the object uploaded with them; a deny is 403 upload_denied with the
// app's message; a hook that does not answer in time is 503
// hook_unavailable, and no credentials.
func TestSTSRouteHook(t *testing.T) {
	app := stacktest.StartHookApp(t, stsHookSecret)
	s := startRoutesStack(t, map[string]string{"UPLOAD_HOOK_URL": app.URL + "/hook", "UPLOAD_HOOK_SECRET": stsHookSecret,
		"UPLOAD_HOOK_TIMEOUT_SECONDS": "1"})
	prefix := "uploads/" + s.Ready.User + "/"
	hookKey, err := stdwebhook.ParseSecret(stsHookSecret)
	if err != nil {
		t.Fatal(err)
	}
	pinKey := uploadpin.Key(hookKey)

	t.Run("allow with metadata", func(t *testing.T) {
		app.SetAnswer(stacktest.AnswerJSON(map[string]any{"allow": true, "metadata": map[string]string{"project": "p-42"}}))
		a := mustVend(t, s, map[string]any{"route": "avatar", "filename": "me.png", "contentType": "image/png", "size": 1234,
			"clientPayload": map[string]any{"project": "p-42"}})
		calls := app.Calls()
		if len(calls) != 1 {
			t.Fatalf("%d hook calls, want 1", len(calls))
		}
		last := calls[0]
		if last.User != s.Ready.User || last.Via != "sts" || last.Route != "avatar" || last.Filename != "me.png" ||
			last.ContentType != "image/png" || last.Size != 1234 || string(last.ClientPayload) != `{"project":"p-42"}` || last.Key != "" {
			t.Fatalf("hook call %+v", last)
		}
		if a.Dir != prefix+"avatars/" || len(a.Headers) != 3 || a.Headers["x-oss-meta-route"] != "avatar" || a.Headers["x-oss-meta-project"] != "p-42" {
			t.Fatalf("answer dir %q headers %v", a.Dir, a.Headers)
		}
		pin := a.Headers["x-oss-meta-upload-pin"]
		if !uploadpin.Valid(pinKey, uploadpin.Pin{Route: "avatar", Owner: s.Ready.User, Scope: a.Dir,
			Metadata: map[string]string{"project": "p-42"}}, pin) {
			t.Fatalf("pin %q is not valid for route avatar, scope %s and the hook's metadata", pin, a.Dir)
		}
		key := a.Dir + "hooked.png"
		if err := putWithHeaders(sdkBucket(t, s, a), a, key, "image/png", realPNG(t)); err != nil {
			t.Fatal(err)
		}
		admin, err := oss.New(s.Ready.OSS, s.Ready.AccessKeyID, s.Ready.AccessKeySecret)
		if err != nil {
			t.Fatal(err)
		}
		ab, err := admin.Bucket(s.Ready.Bucket)
		if err != nil {
			t.Fatal(err)
		}
		h, err := ab.GetObjectDetailedMeta(key)
		if err != nil || h.Get("x-oss-meta-route") != "avatar" || h.Get("x-oss-meta-project") != "p-42" || h.Get("x-oss-meta-upload-pin") != pin {
			t.Fatalf("%s: %v, metadata %v", key, err, h)
		}
	})

	t.Run("deny", func(t *testing.T) {
		app.SetAnswer(stacktest.AnswerJSON(map[string]any{"allow": false, "message": "documents are closed for project p-42"}))
		before := len(app.Calls())
		code, _, e, raw := vendRoute(t, s, map[string]any{"route": "document"})
		if code != http.StatusForbidden || e.Error.Code != "upload_denied" || e.Error.Message != "documents are closed for project p-42" {
			t.Fatalf("%d %s, want 403 upload_denied with the app's message", code, raw)
		}
		if len(app.Calls()) != before+1 || bytes.Contains(raw, []byte("accessKeyId")) {
			t.Fatalf("hook calls %d -> %d; body %s", before, len(app.Calls()), raw)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		app.SetAnswer(func(w http.ResponseWriter, r *http.Request, _ uploadhook.Request) {
			<-r.Context().Done() // an app that never answers
		})
		code, _, e, raw := vendRoute(t, s, map[string]any{"route": "avatar"})
		if code != http.StatusServiceUnavailable || e.Error.Code != "hook_unavailable" || bytes.Contains(raw, []byte("accessKeyId")) {
			t.Fatalf("%d %s, want 503 hook_unavailable and no credentials", code, raw)
		}
	})

	t.Run("unknown route is not asked about", func(t *testing.T) {
		app.SetAnswer(nil)
		before := len(app.Calls())
		if code, _, _, raw := vendRoute(t, s, map[string]any{"route": "video"}); code != http.StatusBadRequest {
			t.Fatalf("%d %s", code, raw)
		}
		if len(app.Calls()) != before {
			t.Fatal("the hook was asked about an unknown route")
		}
	})
	if n := app.Rejected(); n != 0 {
		t.Fatalf("%d hook calls failed the Standard Webhooks check", n)
	}
}
