package uploadhook_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ossupload/ossupload/shared/uploadhook"
)

// FuzzAnswer gives the client arbitrary hook answers. Whatever the app
// says, Ask must not panic, must fail only with ErrUnavailable, and a
// decision it returns must keep what sign and sts rely on: an allow's
// metadata has valid, non-reserved names and visible-ASCII values within
// the budget; a deny carries no metadata.
func FuzzAnswer(f *testing.F) {
	for _, s := range []string{
		`{"allow":true}`, `{"allow":false,"message":"no"}`, `{"allow":true,"metadata":{"project-id":"p-7"}}`,
		`{"allow":false,"Allow":true}`, `{"allow":true,"metadata":{"owner":"bob"}}`, `{"allow":true,"metadata":{"Upload-Pin":"x"}}`,
		`{"allow":true,"metadata":{"a":" b"}}`, `{"allow":true,"metadata":{"a":"\u00e9"}}`, `{"allow":"yes"}`, `[]`, `null`, ``,
		`{"allow":true,"metadata":{"a":"b"},"METADATA":{"a":"c"}}`,
	} {
		f.Add(s)
	}
	var answer atomic.Value // the fake app's current answer
	answer.Store("")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, answer.Load().(string)) }))
	f.Cleanup(srv.Close)
	c := &uploadhook.Client{URL: srv.URL, Secret: appSecret, Timeout: 5 * time.Second, Now: time.Now}
	f.Fuzz(func(t *testing.T, body string) {
		answer.Store(body)
		d, err := c.Ask(context.Background(), uploadhook.Request{User: "u", Via: "form", Route: "default"})
		if err != nil {
			if !errors.Is(err, uploadhook.ErrUnavailable) {
				t.Fatalf("error outside ErrUnavailable: %v", err)
			}
			return
		}
		if !d.Allow && len(d.Metadata) > 0 {
			t.Fatalf("a deny with metadata: %+v", d)
		}
		total := 0
		for k, v := range d.Metadata {
			total += len("x-oss-meta-") + len(k) + len(v)
			if k == "" || strings.Trim(k, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" || uploadhook.ReservedMetadata(k) {
				t.Fatalf("metadata name %q passed", k)
			}
			if v == "" || strings.TrimSpace(v) != v {
				t.Fatalf("metadata value %q passed", v)
			}
			for i := 0; i < len(v); i++ {
				if v[i] < 0x21 && v[i] != ' ' || v[i] > 0x7e {
					t.Fatalf("metadata value %q passed", v)
				}
			}
		}
		if total > uploadhook.MaxMetadataBytes {
			t.Fatalf("metadata of %d bytes passed", total)
		}
	})
}
