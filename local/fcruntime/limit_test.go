package fcruntime

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestHTTPTriggerRefusesBodyOverFCLimit: a body over 32 MB never reaches
// the function; FC answers 400 EntityTooLarge. Announced by Content-Length
// it is refused unread; sent chunked, once the limit is crossed.
func TestHTTPTriggerRefusesBodyOverFCLimit(t *testing.T) {
	fn := testFunction("web")
	fn.Timeout = 30 * time.Second // the 1 MiB case below must not race a busy machine's cold start
	rt, _ := newRuntime(t, Config{}, fn)
	srv := httptest.NewServer(rt.HTTPTrigger("web"))
	defer srv.Close()
	for _, chunked := range []bool{false, true} {
		var body io.Reader = io.LimitReader(zeros{}, maxRequestBytes+1)
		if chunked {
			body = struct{ io.Reader }{body} // no length known: sent chunked
		}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", body)
		if !chunked {
			req.ContentLength = maxRequestBytes + 1
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("chunked=%v: %v", chunked, err)
		}
		var e apiError
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || e.Code != "EntityTooLarge" ||
			!strings.Contains(e.Message, "payload size exceeds maximum allowed size (33554432 bytes)") {
			t.Errorf("chunked=%v: status %d %+v", chunked, resp.StatusCode, e)
		}
	}
	// A body under the limit reaches the function.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", io.LimitReader(zeros{}, 1<<20))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("1 MiB body: status %d", resp.StatusCode)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
