package fchttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

// fakeAPI hands out the given events one by one, then holds the poll until
// the test ends; each posted result arrives on results.
type fakeAPI struct {
	events  chan []byte
	results chan posted
}

type posted struct {
	id, kind string
	body     []byte
}

func (a *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == runtimeAPIPrefix+"next":
		select {
		case ev := <-a.events:
			h := w.Header()
			h.Set("x-fc-request-id", "req-"+strconv.Itoa(len(ev)))
			h.Set("x-fc-function-deadline", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
			h.Set("x-fc-function-timeout", "60")
			h.Set("x-fc-access-key-id", "STS.InvokeKey")
			h.Set("Content-Length", strconv.Itoa(len(ev)))
			w.Write(ev)
		case <-r.Context().Done():
		}
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, runtimeAPIPrefix):
		rest := strings.TrimPrefix(r.URL.Path, runtimeAPIPrefix)
		id, kind, _ := strings.Cut(rest, "/")
		b, _ := io.ReadAll(r.Body)
		a.results <- posted{id, kind, b}
	default:
		http.NotFound(w, r)
	}
}

func triggerEvent(t *testing.T, body []byte) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"version": "v1", "rawPath": "/", "body": base64.StdEncoding.EncodeToString(body), "isBase64Encoded": true,
		"headers": map[string]string{"Content-Type": "application/json"},
		"requestContext": map[string]any{
			"http": map[string]string{"method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestServeRefusesOversizedEventUnread: an event whose body is over
// MaxBodyBytes is answered 413 request_too_large without reaching the
// handler; a small one reaches it with the invocation's fccontext.
func TestServeRefusesOversizedEventUnread(t *testing.T) {
	api := &fakeAPI{events: make(chan []byte, 3), results: make(chan posted, 3)}
	srv := httptest.NewServer(api)
	defer srv.Close()
	var calls atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		fc, _ := fccontext.FromContext(r.Context())
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Key", fc.Credentials.AccessKeyId)
		w.Write(b)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Serve(ctx, strings.TrimPrefix(srv.URL, "http://"), Wrap(h))

	cases := []struct {
		name   string
		body   []byte
		status int
	}{
		{"5 MiB body", bytes.Repeat([]byte("x"), 5<<20), 413},
		{"just over the cap", bytes.Repeat([]byte("y"), MaxBodyBytes+1), 413},
		{"at the cap", bytes.Repeat([]byte("z"), MaxBodyBytes), 200},
	}
	for _, c := range cases {
		api.events <- triggerEvent(t, c.body)
		var p posted
		select {
		case p = <-api.results:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no result posted", c.name)
		}
		var resp events.HTTPTriggerResponse
		if err := json.Unmarshal(p.body, &resp); err != nil || p.kind != "response" {
			t.Fatalf("%s: posted %s %s", c.name, p.kind, p.body)
		}
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d (%.200s)", c.name, resp.StatusCode, c.status, resp.Body)
		}
		if c.status == 413 && !strings.Contains(resp.Body, `"request_too_large"`) {
			t.Errorf("%s: body %.200s", c.name, resp.Body)
		}
		if c.status == 200 && (resp.Headers["X-Key"] != "STS.InvokeKey" || len(resp.Body) != MaxBodyBytes) {
			t.Errorf("%s: headers %v, body of %d bytes", c.name, resp.Headers, len(resp.Body))
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("handler called %d times, want 1 (only the body at the cap)", n)
	}
}

// TestWrapRefusesOversizedBody: the adapter alone (as fc.Start would use it)
// refuses a body over MaxBodyBytes, base64 or not, before decoding it.
func TestWrapRefusesOversizedBody(t *testing.T) {
	var called bool
	h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))
	big := strings.Repeat("a", MaxBodyBytes+1)
	for _, ev := range []events.HTTPTriggerEvent{
		{Body: ptr(base64.StdEncoding.EncodeToString([]byte(big))), IsBase64Encoded: ptr(true)},
		{Body: ptr(big), IsBase64Encoded: ptr(false)},
	} {
		ev.TriggerContext.Http.Method = ptr("POST")
		resp, err := h(context.Background(), ev)
		if err != nil || resp.StatusCode != 413 || !strings.Contains(resp.Body, "request_too_large") {
			t.Errorf("resp %+v err %v", resp, err)
		}
	}
	if called {
		t.Error("handler reached with an oversized body")
	}
}
