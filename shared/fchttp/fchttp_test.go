package fchttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/ossupload/ossupload/local/fcruntime"
	"github.com/ossupload/ossupload/shared/httpapi"
)

// Fixtures in testdata follow the FC3 HTTP trigger event documented at
// https://www.alibabacloud.com/help/en/functioncompute/fc/http-trigger-invoking-function
// (field set and nesting as documented; values illustrative).
func loadEvent(t *testing.T, name string) events.HTTPTriggerEvent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return strictDecode[events.HTTPTriggerEvent](t, name, b)
}

// strictDecode decodes the JSON b (named what) into a T, refusing fields T
// does not have.
func strictDecode[T any](t *testing.T, what string, b []byte) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s does not decode into %T: %v", what, v, err)
	}
	return v
}

// seen is what the wrapped handler observed.
type seen struct {
	Method, Path, RawPath, EscapedPath, RequestURI, Host, RemoteAddr, Proto, RequestID string
	Query                                                                              map[string][]string
	Header                                                                             http.Header
	Body                                                                               string
	ContentLength                                                                      int64
}

func recorder(out *seen) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			panic(err)
		}
		*out = seen{r.Method, r.URL.Path, r.URL.RawPath, r.URL.EscapedPath(), r.RequestURI, r.Host, r.RemoteAddr, r.Proto,
			httpapi.RequestID(r.Context()), r.URL.Query(), r.Header, string(b), r.ContentLength}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "ok")
	})
}

func TestWrapFixtures(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, s seen)
	}{
		{"post_base64_json.json", func(t *testing.T, s seen) {
			eq(t, "method", s.Method, "POST")
			eq(t, "path", s.Path, "/sign")
			eq(t, "body", s.Body, `{"filename":"photo.jpg","size":12345}`)
			eq(t, "content length", s.ContentLength, int64(len(`{"filename":"photo.jpg","size":12345}`)))
			eq(t, "host", s.Host, "sign-abcdefghij.cn-hangzhou.fcapp.run")
			eq(t, "remote", s.RemoteAddr, "203.0.113.7:0")
			eq(t, "proto", s.Proto, "HTTP/1.1")
			eq(t, "auth header", s.Header.Get("Authorization"), "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig")
			eq(t, "content type", s.Header.Get("Content-Type"), "application/json")
			eq(t, "request id from event", s.RequestID, "1-6700aaaa-0123456789abcdef")
		}},
		{"get_query_repeated.json", func(t *testing.T, s seen) {
			eq(t, "method", s.Method, "GET")
			eq(t, "key", strings.Join(s.Query["key"], "|"), "uploads/dev-user/2024/10/01/0123456789abcdef-photo.jpg")
			// FC comma-joins repeated keys; the adapter cannot know where to split, so one value arrives.
			eq(t, "tag", strings.Join(s.Query["tag"], "|"), "x,y")
			eq(t, "repeated header", strings.Join(s.Header.Values("X-Multi"), "|"), "a,b")
			eq(t, "body", s.Body, "")
			eq(t, "remote", s.RemoteAddr, "198.51.100.23:0")
		}},
		{"options_preflight.json", func(t *testing.T, s seen) {
			eq(t, "method", s.Method, "OPTIONS")
			eq(t, "path", s.Path, "/")
			eq(t, "origin", s.Header.Get("Origin"), "https://app.example.com")
			eq(t, "acrm", s.Header.Get("Access-Control-Request-Method"), "POST")
			eq(t, "acrh", s.Header.Get("Access-Control-Request-Headers"), "authorization,content-type")
		}},
		{"encoded_rawpath.json", func(t *testing.T, s seen) {
			eq(t, "decoded path", s.Path, "/files/my photo/v2.jpg")
			eq(t, "escaped path keeps %2F", s.EscapedPath, "/files/my%20photo%2Fv2.jpg")
			eq(t, "query decoded", strings.Join(s.Query["name"], "|"), "a b&c=d")
			eq(t, "ipv6 remote", s.RemoteAddr, "[2001:db8::1]:0")
			if !strings.HasPrefix(s.RequestURI, "/files/my%20photo%2Fv2.jpg?") {
				t.Errorf("RequestURI %q", s.RequestURI)
			}
		}},
		{"plain_text_body.json", func(t *testing.T, s seen) {
			eq(t, "method", s.Method, "PUT")
			eq(t, "body", s.Body, `{"filename":"notes.txt"}`)
		}},
	}
	for _, tc := range tests {
		t.Run(strings.TrimSuffix(tc.file, ".json"), func(t *testing.T) {
			ev := loadEvent(t, tc.file)
			var s seen
			resp, err := Wrap(recorder(&s))(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, s)
			eq(t, "status", resp.StatusCode, http.StatusAccepted)
			eq(t, "resp body", resp.Body, "ok")
			eq(t, "base64", resp.IsBase64Encoded, false)
			eq(t, "cookies joined", resp.Headers["Set-Cookie"], "a=1, b=2")
			eq(t, "content type", resp.Headers["Content-Type"], "text/plain; charset=utf-8")
		})
	}
}

func TestWrapBadEvents(t *testing.T) {
	noMethod := loadEvent(t, "plain_text_body.json")
	noMethod.TriggerContext.Http.Method = nil
	badPath := loadEvent(t, "plain_text_body.json")
	badPath.RawPath = ptr("/a%zz")
	relPath := loadEvent(t, "plain_text_body.json")
	relPath.RawPath = ptr("sign")
	for name, ev := range map[string]events.HTTPTriggerEvent{
		"bad base64 body": loadEvent(t, "bad_base64_body.json"),
		"no method":       noMethod,
		"bad rawPath":     badPath,
		"relative path":   relPath,
	} {
		t.Run(name, func(t *testing.T) {
			called := false
			resp, err := Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))(context.Background(), ev)
			if err != nil || called {
				t.Fatalf("err %v called %v", err, called)
			}
			eq(t, "status", resp.StatusCode, 400)
			var b struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal([]byte(resp.Body), &b); err != nil || b.Error.Code != "invalid_request" || b.Error.Message == "" {
				t.Fatalf("body %q: %v", resp.Body, err)
			}
		})
	}
}

func TestWrapFCRequestIDWins(t *testing.T) {
	ctx := fccontext.NewContext(context.Background(), &fccontext.FcContext{RequestID: "fc-req-7"})
	var s seen
	if _, err := Wrap(recorder(&s))(ctx, loadEvent(t, "post_base64_json.json")); err != nil {
		t.Fatal(err)
	}
	eq(t, "request id", s.RequestID, "fc-req-7")
}

func TestWrapResponseShapes(t *testing.T) {
	binary := []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0xff, 0x00, 0xfe}
	tests := []struct {
		name       string
		h          http.HandlerFunc
		wantStatus int
		wantB64    bool
		wantBody   string
		wantCT     string
	}{
		{"nothing written", func(http.ResponseWriter, *http.Request) {}, 200, false, "", ""},
		{"binary body", func(w http.ResponseWriter, _ *http.Request) { w.Write(binary) }, 200, true,
			base64.StdEncoding.EncodeToString(binary), "image/png"},
		{"json error", func(w http.ResponseWriter, r *http.Request) {
			httpapi.WriteError(w, r, httpapi.Errorf(httpapi.CodeForbidden, "no"))
		}, 403, false, `{"error":{"code":"forbidden","message":"no"}}` + "\n", "application/json; charset=utf-8"},
		{"second WriteHeader ignored", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(204)
			w.WriteHeader(500)
		}, 204, false, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := Wrap(tc.h)(context.Background(), loadEvent(t, "get_query_repeated.json"))
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "status", resp.StatusCode, tc.wantStatus)
			eq(t, "b64", resp.IsBase64Encoded, tc.wantB64)
			eq(t, "body", resp.Body, tc.wantBody)
			eq(t, "ct", resp.Headers["Content-Type"], tc.wantCT)
			// The response must marshal to the documented wire shape.
			b, err := json.Marshal(resp)
			if err != nil {
				t.Fatal(err)
			}
			var wire map[string]any
			json.Unmarshal(b, &wire)
			for _, k := range []string{"statusCode", "headers", "isBase64Encoded", "body"} {
				if _, ok := wire[k]; !ok {
					t.Errorf("wire response lacks %q: %s", k, b)
				}
			}
		})
	}
}

// TestPlatformEventRoundTrip: a real HTTP request -> the local FC runtime's
// event builder (the platform side) -> JSON -> events.HTTPTriggerEvent ->
// Wrap -> the handler sees the same request.
func TestPlatformEventRoundTrip(t *testing.T) {
	now := time.Date(2024, 10, 1, 8, 0, 0, 0, time.UTC)
	binary := []byte{0x00, 0xff, 'h', 'i', 0x80}
	tests := []struct {
		name, method, url, remote string
		body                      []byte
		header                    http.Header
		want                      seen // the fields compared below
	}{
		{"binary body, encoded path, repeated values", "POST",
			"http://sign-abc.cn-hangzhou.fcapp.run/files/a%20b%2Fc?tag=x&tag=y&q=%26", "203.0.113.7:51234", binary,
			http.Header{"X-Multi": {"a", "b"}, "Authorization": {"Bearer t"}},
			seen{Method: "POST", EscapedPath: "/files/a%20b%2Fc", Host: "sign-abc.cn-hangzhou.fcapp.run", RemoteAddr: "203.0.113.7:0",
				Body: string(binary), ContentLength: int64(len(binary)), RequestID: "req-1"}},
		{"no body", "GET", "http://sts-abc.cn-hangzhou.fcapp.run/", "[2001:db8::1]:443", nil, http.Header{},
			seen{Method: "GET", EscapedPath: "/", Host: "sts-abc.cn-hangzhou.fcapp.run", RemoteAddr: "[2001:db8::1]:0",
				Body: "", ContentLength: 0, RequestID: "req-1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.url, bytes.NewReader(tc.body))
			r.RemoteAddr = tc.remote
			for k, vs := range tc.header {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			wire, err := json.Marshal(fcruntime.NewHTTPEvent(r, tc.body, "req-1", "1234567890123456", now))
			if err != nil {
				t.Fatal(err)
			}
			ev := strictDecode[events.HTTPTriggerEvent](t, "the runtime's event", wire)
			var s seen
			if _, err := Wrap(recorder(&s))(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			eq(t, "method", s.Method, tc.want.Method)
			eq(t, "escaped path", s.EscapedPath, tc.want.EscapedPath)
			eq(t, "host", s.Host, tc.want.Host)
			eq(t, "remote", s.RemoteAddr, tc.want.RemoteAddr)
			eq(t, "body", s.Body, tc.want.Body)
			eq(t, "content length", s.ContentLength, tc.want.ContentLength)
			eq(t, "request id", s.RequestID, tc.want.RequestID)
			eq(t, "no Host header", s.Header.Get("Host"), "")
			for k, vs := range tc.header {
				eq(t, k+" header", s.Header.Get(k), strings.Join(vs, ","))
			}
			for k, vs := range r.URL.Query() {
				eq(t, k+" query", strings.Join(s.Query[k], "|"), strings.Join(vs, ","))
			}
		})
	}
}

// TestWrapResponseDecodesAsPlatformResponse: handler -> Wrap -> JSON ->
// the local FC runtime's response type reads the handler's status,
// headers and body (base64 decoded).
func TestWrapResponseDecodesAsPlatformResponse(t *testing.T) {
	binary := []byte{0x89, 'P', 'N', 'G', 0xff}
	tests := []struct {
		name   string
		status int
		ct     string
		body   []byte
	}{
		{"binary", http.StatusCreated, "image/png", binary},
		{"text", http.StatusOK, "text/plain; charset=utf-8", []byte("hello")},
		{"empty", http.StatusNoContent, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "no-store")
				if tc.ct != "" {
					w.Header().Set("Content-Type", tc.ct)
				}
				w.WriteHeader(tc.status)
				w.Write(tc.body)
			})
			resp, err := Wrap(h)(context.Background(), loadEvent(t, "get_query_repeated.json"))
			if err != nil {
				t.Fatal(err)
			}
			wire, err := json.Marshal(resp)
			if err != nil {
				t.Fatal(err)
			}
			back := strictDecode[fcruntime.HTTPResponse](t, "Wrap's response", wire)
			body := []byte(back.Body)
			if back.IsBase64Encoded {
				if body, err = base64.StdEncoding.DecodeString(back.Body); err != nil {
					t.Fatal(err)
				}
			}
			eq(t, "status", back.StatusCode, tc.status)
			eq(t, "body", string(body), string(tc.body))
			eq(t, "cache", back.Headers["Cache-Control"], "no-store")
			eq(t, "ct", back.Headers["Content-Type"], tc.ct)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}
