package fchttp

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
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
