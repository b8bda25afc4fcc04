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
	var ev events.HTTPTriggerEvent
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		t.Fatalf("%s does not decode into events.HTTPTriggerEvent: %v", name, err)
	}
	return ev
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

// TestNewEventRoundTrip: a real HTTP request -> NewEvent -> JSON -> Wrap ->
// the handler sees the same request.
func TestNewEventRoundTrip(t *testing.T) {
	now := time.Date(2024, 10, 1, 8, 0, 0, 0, time.UTC)
	body := []byte{0x00, 0xff, 'h', 'i', 0x80}
	r := httptest.NewRequest("POST", "http://sign-abc.cn-hangzhou.fcapp.run/files/a%20b%2Fc?tag=x&tag=y&q=%26", bytes.NewReader(body))
	r.RemoteAddr = "203.0.113.7:51234"
	r.Header.Add("X-Multi", "a")
	r.Header.Add("X-Multi", "b")
	r.Header.Set("Authorization", "Bearer t")
	r.Header.Set("User-Agent", "curl/8.5.0")
	ev, err := NewEvent(r, "req-1", now)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var decoded events.HTTPTriggerEvent
	if err := json.Unmarshal(wire, &decoded); err != nil {
		t.Fatal(err)
	}
	eq(t, "rawPath", *decoded.RawPath, "/files/a%20b%2Fc")
	eq(t, "http.path", *decoded.TriggerContext.Http.Path, "/files/a b/c")
	eq(t, "joined header", (*decoded.Headers)["X-Multi"], "a,b")
	eq(t, "joined query", (*decoded.QueryParameters)["tag"], "x,y")
	eq(t, "b64", *decoded.IsBase64Encoded, true)
	eq(t, "sourceIp", *decoded.TriggerContext.Http.SourceIp, "203.0.113.7")
	eq(t, "domain", *decoded.TriggerContext.DomainName, "sign-abc.cn-hangzhou.fcapp.run")
	eq(t, "prefix", *decoded.TriggerContext.DomainPrefix, "sign-abc")
	eq(t, "time", *decoded.TriggerContext.Time, "2024-10-01T08:00:00Z")
	eq(t, "epoch", *decoded.TriggerContext.TimeEpoch, "1727769600000")
	eq(t, "ua", *decoded.TriggerContext.Http.UserAgent, "curl/8.5.0")

	var s seen
	if _, err := Wrap(recorder(&s))(context.Background(), decoded); err != nil {
		t.Fatal(err)
	}
	eq(t, "method", s.Method, "POST")
	eq(t, "escaped", s.EscapedPath, "/files/a%20b%2Fc")
	eq(t, "body", s.Body, string(body))
	eq(t, "q", strings.Join(s.Query["q"], "|"), "&")
	eq(t, "host", s.Host, "sign-abc.cn-hangzhou.fcapp.run")
	eq(t, "remote", s.RemoteAddr, "203.0.113.7:0")
	eq(t, "auth", s.Header.Get("Authorization"), "Bearer t")
	eq(t, "no Host header", s.Header.Get("Host"), "")
	eq(t, "request id", s.RequestID, "req-1")
}

func TestNewEventEmptyBody(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	ev, err := NewEvent(r, "id", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "body", *ev.Body, "")
	eq(t, "b64", *ev.IsBase64Encoded, false)
}

// TestWriteResponseRoundTrip: handler -> Wrap -> FC response -> JSON ->
// WriteResponse -> a real HTTP client sees the handler's response.
func TestWriteResponseRoundTrip(t *testing.T) {
	binary := []byte{0x89, 'P', 'N', 'G', 0xff}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "image/png")
		w.WriteHeader(http.StatusCreated)
		w.Write(binary)
	})
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, err := NewEvent(r, "req-rt", time.Now())
		if err != nil {
			t.Error(err)
			return
		}
		resp, err := Wrap(h)(context.Background(), ev)
		if err != nil {
			t.Error(err)
			return
		}
		wire, _ := json.Marshal(resp)
		var back events.HTTPTriggerResponse
		if err := json.Unmarshal(wire, &back); err != nil {
			t.Error(err)
			return
		}
		if err := WriteResponse(w, &back); err != nil {
			t.Error(err)
		}
	}))
	defer front.Close()
	res, err := http.Get(front.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	eq(t, "status", res.StatusCode, 201)
	eq(t, "body", string(got), string(binary))
	eq(t, "cache", res.Header.Get("Cache-Control"), "no-store")
	eq(t, "ct", res.Header.Get("Content-Type"), "image/png")
}

func TestWriteResponseErrors(t *testing.T) {
	for name, resp := range map[string]*events.HTTPTriggerResponse{
		"nil":         nil,
		"bad base64":  {StatusCode: 200, IsBase64Encoded: true, Body: "%%%"},
		"status 42":   {StatusCode: 42},
		"status 1000": {StatusCode: 1000},
	} {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			if err := WriteResponse(rec, resp); err == nil {
				t.Fatal("want error")
			}
			if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
				t.Fatal("wrote something before refusing")
			}
		})
	}
	rec := httptest.NewRecorder()
	if err := WriteResponse(rec, &events.HTTPTriggerResponse{Headers: map[string]string{"Content-Length": "999"}, Body: "hi"}); err != nil {
		t.Fatal(err)
	}
	eq(t, "default status", rec.Code, 200)
	eq(t, "content length from body", rec.Header().Get("Content-Length"), "2")
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}
