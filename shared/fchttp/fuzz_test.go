package fchttp

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aliyun/fc-runtime-go-sdk/events"
)

// FuzzWrap: whatever event arrives, Wrap answers with a response (never an
// error, never a panic) and the handler sees a request with an absolute path.
func FuzzWrap(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || r.URL.Path[0] != '/' {
			panic("relative path reached the handler: " + r.URL.Path)
		}
		io.Copy(w, r.Body)
	})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ev events.HTTPTriggerEvent
		if json.Unmarshal(raw, &ev) != nil {
			return
		}
		resp, err := Wrap(h)(context.Background(), ev)
		if err != nil || resp == nil || resp.StatusCode < 100 {
			t.Fatalf("resp %+v err %v", resp, err)
		}
	})
}

// FuzzInvoke: whatever payload the runtime API hands over (not JSON, not
// an HTTP trigger event, a body over the cap), the loop's invoke answers
// with a response or an error, never a panic, and a body over MaxBodyBytes
// never reaches the handler.
func FuzzInvoke(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"body":"` + strings.Repeat("QUFB", MaxBodyBytes/3+1) + `","isBase64Encoded":true,"requestContext":{"http":{"method":"POST"}}}`))
	f.Add([]byte(`null`))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil || len(b) > MaxBodyBytes {
			panic("a body over the cap reached the handler")
		}
		w.Write(b)
	})
	c := &runtimeClient{}
	f.Fuzz(func(t *testing.T, raw []byte) {
		inv := &invocation{id: "req-fuzz", header: http.Header{}, event: raw}
		resp, err := c.invoke(context.Background(), inv, Wrap(h))
		if err != nil && strings.HasPrefix(err.Error(), "panic") { // invoke recovers panics into errors
			t.Fatal(err)
		}
		if err == nil && (resp == nil || resp.StatusCode < 100) {
			t.Fatalf("resp %+v", resp)
		}
	})
}
