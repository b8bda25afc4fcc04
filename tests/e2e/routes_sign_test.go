package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"maps"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	localstack "github.com/ossupload/ossupload/local/stack"
	"github.com/ossupload/ossupload/local/stacktest"
	"github.com/ossupload/ossupload/shared/uploadhook"
)

// Issue #18 through the local stack, at the sign function: routes (an
// avatar route for PNG and JPEG up to 2 MB, a document route for PDFs up to
// 50 MB) and the app's pre-sign hook, a HookApp on loopback that verifies
// every call with the official Standard Webhooks library. Uploads go to the
// OSS emulator; what it stored is read back with the official Go SDK.

const routesJSON = `{"avatar": {"dir": "avatars", "allowedTypes": ["image/png", "image/jpeg"], "maxBytes": 2000000},
 "document": {"dir": "documents", "allowedTypes": ["application/pdf"], "maxBytes": 50000000}}`

// hookSecret and otherSecret are Standard Webhooks secrets (whsec_ + base64).
var (
	hookSecret  = "whsec_" + base64.StdEncoding.EncodeToString([]byte("e2e-routes-sign-hook-secret-32by"))
	otherSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("a-secret-sign-was-never-given-32"))
)

// hookFront is the URL the stack's UPLOAD_HOOK_URL names: it passes each
// call on to the current target (a HookApp, or a closed port for a hook
// that is down), so one stack can meet several apps.
type hookFront struct {
	URL    string
	mu     sync.Mutex
	target *url.URL
}

func startHookFront(t *testing.T) *hookFront {
	t.Helper()
	f := &hookFront{}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		f.mu.Lock()
		r.SetURL(f.target)
		f.mu.Unlock()
	}}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	f.URL = srv.URL + "/hook"
	return f
}

func (f *hookFront) to(t *testing.T, target string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.target = u
	f.mu.Unlock()
}

// closedURL is an http URL on a loopback port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// routedStack starts the local stack in-process with the routes and the
// hook (1 s timeout) in every function's environment.
func routedStack(t *testing.T, hookURL string) *localstack.Stack {
	t.Helper()
	s, _ := stacktest.Start(t, func(c *localstack.Config) {
		c.FunctionEnv = map[string]string{
			"UPLOAD_ROUTES":               routesJSON,
			"UPLOAD_HOOK_URL":             hookURL,
			"UPLOAD_HOOK_SECRET":          hookSecret,
			"UPLOAD_HOOK_TIMEOUT_SECONDS": "1",
		}
	})
	return s
}

// routedAnswer is a sign or presign answer, or its error.
type routedAnswer struct {
	URL     string            `json:"url"`
	Key     string            `json:"key"`
	Dir     string            `json:"dir"`
	Route   string            `json:"route"`
	Fields  map[string]string `json:"fields"`
	Headers map[string]string `json:"headers"`
	Error   struct{ Code, Message string }
}

// call posts body to the sign function's path ("" or "/presign") and
// returns the status, the decoded answer and the raw body.
func call(t *testing.T, s *localstack.Stack, path string, body map[string]any) (int, routedAnswer, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, strings.TrimSuffix(s.Ready.Functions["sign"], "/")+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Ready.JWT)
	req.Header.Set("Content-Type", "application/json")
	return send(t, req)
}

func send(t *testing.T, req *http.Request) (int, routedAnswer, string) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var a routedAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("%s %s: HTTP %d, not JSON: %s", req.Method, req.URL, res.StatusCode, raw)
	}
	return res.StatusCode, a, string(raw)
}

// postFields posts fields (in order), then the file, as a browser posts a
// form, and returns the status and body.
func postFields(t *testing.T, u string, fields [][2]string, content []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "me.png")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	res, err := http.Post(u, mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func asList(m map[string]string) [][2]string {
	var l [][2]string
	for k, v := range m {
		l = append(l, [2]string{k, v})
	}
	return l
}

func TestRoutesAndHookAtSign(t *testing.T) {
	front := startHookFront(t)
	app := stacktest.StartHookApp(t, hookSecret)
	front.to(t, app.URL)
	s := routedStack(t, front.URL)
	bucket := ossBucket(t, s.Ready.OSS, s.Ready.Region, s.Ready.Bucket, s.Ready.AccessKeyID, s.Ready.AccessKeySecret)
	png := realPNG(t)
	avatars := "uploads/" + s.Ready.User + "/avatars/"

	t.Run("a route's limits at sign and presign", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			body   map[string]any
			status int
			code   string
		}{
			{"PNG to document", map[string]any{"route": "document", "filename": "me.png", "contentType": "image/png", "size": len(png)}, 400, "type_not_allowed"},
			{"3 MB avatar", map[string]any{"route": "avatar", "filename": "me.png", "contentType": "image/png", "size": 3000000}, 413, "too_large"},
			{"no route", map[string]any{"filename": "me.png", "contentType": "image/png", "size": len(png)}, 400, "invalid_request"},
			{"unknown route", map[string]any{"route": "video", "filename": "me.mp4", "contentType": "video/mp4", "size": 1000}, 400, "invalid_request"},
		} {
			for _, path := range []string{"", "/presign"} {
				body := maps.Clone(c.body)
				if path == "/presign" {
					body["method"], body["key"] = "POST", "uuid-"+body["filename"].(string)
				}
				code, a, raw := call(t, s, path, body)
				if code != c.status || a.Error.Code != c.code {
					t.Errorf("%s at sign%s: HTTP %d %s, want %d %s", c.name, path, code, raw, c.status, c.code)
				}
			}
		}
	})

	t.Run("a PNG through the avatar route lands in avatars with its route", func(t *testing.T) {
		code, a, raw := call(t, s, "", map[string]any{"route": "avatar", "filename": "me.png", "contentType": "image/png", "size": len(png)})
		if code != 200 || a.Route != "avatar" || a.Dir != avatars || !strings.HasPrefix(a.Key, avatars) {
			t.Fatalf("sign: HTTP %d %s", code, raw)
		}
		if st, body := postFields(t, a.URL, asList(a.Fields), png); st/100 != 2 {
			t.Fatalf("the form as signed: HTTP %d %s", st, body)
		}
		meta, err := bucket.GetObjectDetailedMeta(a.Key)
		if err != nil {
			t.Fatal(err)
		}
		if meta.Get("X-Oss-Meta-Route") != "avatar" || meta.Get("X-Oss-Meta-Upload-Pin") == "" {
			t.Errorf("stored route %q pin %q", meta.Get("X-Oss-Meta-Route"), meta.Get("X-Oss-Meta-Upload-Pin"))
		}
	})

	t.Run("a form that changes its route is refused by OSS", func(t *testing.T) {
		for name, fields := range map[string]func(map[string]string) [][2]string{
			"route replaced": func(f map[string]string) [][2]string {
				f = maps.Clone(f)
				f["x-oss-meta-route"] = "document"
				return asList(f)
			},
			"second route field": func(f map[string]string) [][2]string {
				return append(asList(f), [2]string{"x-oss-meta-route", "document"})
			},
			"second route field in other case": func(f map[string]string) [][2]string {
				return append(asList(f), [2]string{"X-Oss-Meta-Route", "document"})
			},
		} {
			code, a, raw := call(t, s, "", map[string]any{"route": "avatar", "filename": "me.png", "contentType": "image/png", "size": len(png)})
			if code != 200 {
				t.Fatalf("sign: HTTP %d %s", code, raw)
			}
			st, body := postFields(t, a.URL, fields(a.Fields), png)
			if st/100 == 2 {
				t.Errorf("%s: OSS accepted the form (HTTP %d)", name, st)
			}
			if !strings.Contains(body, "AccessDenied") && !strings.Contains(body, "InvalidPolicyDocument") {
				t.Errorf("%s: HTTP %d %s, want the policy check's refusal", name, st, body)
			}
			if ok, err := bucket.IsObjectExist(a.Key); err != nil || ok {
				t.Errorf("%s: object exists=%v (%v)", name, ok, err)
			}
		}
	})

	t.Run("the hook allows with metadata, which the object keeps", func(t *testing.T) {
		app.SetAnswer(stacktest.AnswerJSON(map[string]any{"allow": true, "metadata": map[string]string{"project": "p-42"}}))
		before := len(app.Calls())
		code, a, raw := call(t, s, "", map[string]any{"route": "avatar", "filename": "me.png", "contentType": "image/png", "size": len(png),
			"clientPayload": map[string]any{"projectId": "p-42"}})
		if code != 200 || a.Fields["x-oss-meta-project"] != "p-42" {
			t.Fatalf("sign: HTTP %d %s", code, raw)
		}
		calls := app.Calls()[before:]
		if len(calls) != 1 || calls[0].Via != "form" || calls[0].Route != "avatar" || calls[0].Key != a.Key || calls[0].User != s.Ready.User ||
			string(calls[0].ClientPayload) != `{"projectId":"p-42"}` {
			t.Fatalf("hook calls %+v", calls)
		}
		if st, body := postFields(t, a.URL, asList(a.Fields), png); st/100 != 2 {
			t.Fatalf("upload: HTTP %d %s", st, body)
		}
		meta, err := bucket.GetObjectDetailedMeta(a.Key)
		if err != nil {
			t.Fatal(err)
		}
		if meta.Get("X-Oss-Meta-Project") != "p-42" || meta.Get("X-Oss-Meta-Route") != "avatar" || meta.Get("X-Oss-Meta-Upload-Pin") != a.Fields["x-oss-meta-upload-pin"] {
			t.Errorf("stored metadata %v", meta)
		}

		// The same through presign: the initiate's signed headers carry
		// the metadata, and OSS accepts them as signed.
		code, p, raw := call(t, s, "/presign", map[string]any{"route": "avatar", "method": "POST", "key": "uuid-big.png", "filename": "big.png", "contentType": "image/png", "size": 300000})
		if code != 200 || p.Headers["x-oss-meta-project"] != "p-42" || p.Headers["x-oss-meta-route"] != "avatar" || !strings.HasPrefix(p.Key, avatars) {
			t.Fatalf("presign: HTTP %d %s", code, raw)
		}
		res, body := sendTo(t, "POST", presigned{URL: p.URL, Headers: p.Headers}, nil)
		var ini struct{ UploadId string }
		if err := xml.Unmarshal(body, &ini); res.StatusCode != 200 || err != nil || ini.UploadId == "" {
			t.Fatalf("initiate: HTTP %d %s", res.StatusCode, body)
		}
		// A changed signed header is refused.
		h := maps.Clone(p.Headers)
		h["x-oss-meta-project"] = "p-43"
		if res, body := sendTo(t, "POST", presigned{URL: p.URL, Headers: h}, nil); res.StatusCode/100 == 2 {
			t.Errorf("initiate with changed metadata: HTTP %d %s", res.StatusCode, body)
		}
	})

	t.Run("the hook denies", func(t *testing.T) {
		app.SetAnswer(stacktest.AnswerJSON(map[string]any{"allow": false, "message": "this project is full"}))
		for _, path := range []string{"", "/presign"} {
			body := map[string]any{"route": "avatar", "filename": "me.png", "contentType": "image/png", "size": 300000}
			if path == "/presign" {
				body["method"], body["key"] = "POST", "uuid-me.png"
			}
			code, a, raw := call(t, s, path, body)
			if code != 403 || a.Error.Code != "upload_denied" || a.Error.Message != "this project is full" {
				t.Errorf("sign%s: HTTP %d %s, want 403 upload_denied with the app's message", path, code, raw)
			}
			wantNoSignature(t, raw)
		}
	})

	// A hook that does not answer well in time never gives a signature:
	// it times out, the app refuses our signature (another secret), or it
	// is down. Each way of asking is tried: POST and GET /, the presigned
	// single-file form and a multipart initiate.
	other := stacktest.StartHookApp(t, otherSecret)
	for _, c := range []struct {
		name   string
		target string
		answer func(http.ResponseWriter, *http.Request, uploadhook.Request)
	}{
		{"timeout", app.URL, func(w http.ResponseWriter, r *http.Request, _ uploadhook.Request) { <-r.Context().Done() }},
		{"the app holds another secret", other.URL, nil},
		{"hook down", closedURL(t), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			front.to(t, c.target)
			app.SetAnswer(c.answer)
			t.Cleanup(func() { front.to(t, app.URL); app.SetAnswer(nil) })
			rejectedBefore := other.Rejected()
			q := url.Values{"route": {"avatar"}, "filename": {"me.png"}, "contentType": {"image/png"}, "size": {"1000"}}
			get, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(s.Ready.Functions["sign"], "/")+"/?"+q.Encode(), nil)
			get.Header.Set("Authorization", "Bearer "+s.Ready.JWT)
			answers := map[string]func() (int, routedAnswer, string){
				"POST /": func() (int, routedAnswer, string) {
					return call(t, s, "", map[string]any{"route": "avatar", "filename": "me.png", "contentType": "image/png", "size": 1000})
				},
				"GET /": func() (int, routedAnswer, string) { return send(t, get) },
				"presign form": func() (int, routedAnswer, string) {
					return call(t, s, "/presign", map[string]any{"route": "avatar", "method": "PUT", "key": "uuid-me.png", "contentType": "image/png", "size": 1000})
				},
				"presign initiate": func() (int, routedAnswer, string) {
					return call(t, s, "/presign", map[string]any{"route": "avatar", "method": "POST", "key": "uuid-me.png", "contentType": "image/png", "size": 300000})
				},
			}
			for name, ask := range answers {
				code, a, raw := ask()
				if code != 503 || a.Error.Code != "hook_unavailable" {
					t.Errorf("%s: HTTP %d %s, want 503 hook_unavailable", name, code, raw)
				}
				wantNoSignature(t, raw)
			}
			if c.target == other.URL && other.Rejected() == rejectedBefore {
				t.Error("the app with another secret saw no call to refuse")
			}
		})
	}
}

// wantNoSignature fails when an answer holds anything signed.
func wantNoSignature(t *testing.T, raw string) {
	t.Helper()
	for _, s := range []string{"policy", "signature", "x-oss-credential", "fields", "url"} {
		if strings.Contains(strings.ToLower(raw), s) {
			t.Errorf("the refusal holds %q: %s", s, raw)
		}
	}
}
