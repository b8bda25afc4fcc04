package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	localstack "github.com/ossupload/ossupload/local/stack"
	"github.com/ossupload/ossupload/local/stacktest"
	"github.com/ossupload/ossupload/shared/stdwebhook"
	"github.com/ossupload/ossupload/shared/uploadpin"
)

// routeDelivery is what the app reads from a completion webhook.
type routeDelivery struct {
	Key      string            `json:"key"`
	Verdict  string            `json:"verdict"`
	Reason   string            `json:"reason"`
	Route    string            `json:"route"`
	Metadata map[string]string `json:"metadata"`
}

// routeReceiver is the app's completion webhook on loopback: it accepts
// only deliveries the official Standard Webhooks library verifies.
type routeReceiver struct {
	URL      string
	mu       sync.Mutex
	got      map[string]routeDelivery
	rejected int
}

func startRouteReceiver(t *testing.T, secret string) *routeReceiver {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	r := &routeReceiver{got: map[string]routeDelivery{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var d routeDelivery
		err := wh.Verify(body, req.Header)
		if err == nil {
			err = json.Unmarshal(body, &d)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if err != nil {
			r.rejected++
			http.Error(w, "refused", http.StatusUnauthorized)
			return
		}
		r.got[d.Key] = d
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// wait returns the delivery for key, failing the test if none comes.
func (r *routeReceiver) wait(t *testing.T, key string) routeDelivery {
	t.Helper()
	var d routeDelivery
	stacktest.Eventually(t, 30*time.Second, "the webhook for "+key, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		var ok bool
		d, ok = r.got[key]
		return ok
	})
	return d
}

// TestVerifyJudgesByRoute (#18 item 5): with UPLOAD_ROUTES and
// UPLOAD_HOOK_SECRET, verify judges each upload by the route of its key's
// directory, refuses route metadata the server did not pin and app
// metadata no upload pin vouches for, and passes pinned metadata to the
// app. The uploads go straight to OSS with the official Go SDK on the
// developer's AccessKey, which may write anything: what the holder of an
// STS session for the avatar route could send.
func TestVerifyJudgesByRoute(t *testing.T) {
	const hookSecret = "whsec_cm91dGVzLWUyZS1ob29rLXNlY3JldC0wMTIzNDU2Nzg5YWI="
	const webhookSecret = "whsec_cm91dGVzLWUyZS13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg="
	recv := startRouteReceiver(t, webhookSecret)
	hook := stacktest.StartHookApp(t, hookSecret)
	s, _ := stacktest.Start(t, func(c *localstack.Config) {
		c.FunctionEnv = map[string]string{
			"UPLOAD_ROUTES": `{"avatar": {"dir": "avatars", "allowedTypes": ["image/png", "image/jpeg"], "maxBytes": 2000000},
			                   "document": {"dir": "documents", "allowedTypes": ["application/pdf"], "maxBytes": 50000000}}`,
			"UPLOAD_HOOK_URL":    hook.URL,
			"UPLOAD_HOOK_SECRET": hookSecret,
			"WEBHOOK_URL":        recv.URL,
			"WEBHOOK_SECRET":     webhookSecret,
		}
	})
	p := &stack{Ready: s.Ready}
	dev := devBucket(t, p)
	user := s.Ready.User
	hookKey, err := stdwebhook.ParseSecret(hookSecret)
	if err != nil {
		t.Fatal(err)
	}
	pinKey := uploadpin.Key(hookKey)
	app := map[string]string{"project": "p-7"}
	avatarDir := "uploads/" + user + "/avatars/"
	// stsPin is the pin the sts function gives a session of the avatar
	// route whose hook answered meta.
	stsPin := func(meta map[string]string) string {
		return uploadpin.Sign(pinKey, uploadpin.Pin{Route: "avatar", Owner: user, Scope: avatarDir, Metadata: meta})
	}
	// A form or presigned upload's pin names its exact key.
	docKey := "uploads/" + user + "/documents/2026/12/01/0f0f-cv.pdf"
	pdf := []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")

	cases := []struct {
		name     string
		key      string
		body     []byte
		opts     []oss.Option
		verdict  string
		reason   string
		metadata map[string]string
	}{
		{"forged route metadata", avatarDir + "2026/12/01/0a0a-cv.pdf", pdf,
			[]oss.Option{oss.ContentType("application/pdf"), oss.Meta("route", "document")}, "rejected", "route-mismatch", nil},
		{"route and the app's metadata under a valid pin", avatarDir + "2026/12/01/0b0b-me.png", realPNG(t),
			[]oss.Option{oss.ContentType("image/png"), oss.Meta("route", "avatar"), oss.Meta("project", "p-7"), oss.Meta("upload-pin", stsPin(app))},
			"verified", "", app},
		{"the same metadata under a pin for other metadata", avatarDir + "2026/12/01/0c0c-me.png", realPNG(t),
			[]oss.Option{oss.ContentType("image/png"), oss.Meta("route", "avatar"), oss.Meta("project", "p-7"),
				oss.Meta("upload-pin", stsPin(map[string]string{"project": "p-8"}))},
			"rejected", "unpinned-metadata", nil},
		{"the app's metadata without a pin", avatarDir + "2026/12/01/0d0d-me.png", realPNG(t),
			[]oss.Option{oss.ContentType("image/png"), oss.Meta("route", "avatar"), oss.Meta("project", "p-7")},
			"rejected", "unpinned-metadata", nil},
		{"a PDF under avatars with the avatar route", avatarDir + "2026/12/01/0e0e-cv.pdf", pdf,
			[]oss.Option{oss.ContentType("application/pdf"), oss.Meta("route", "avatar")}, "rejected", "type-not-allowed", nil},
		{"a PDF under documents pinned to its key", docKey, pdf,
			[]oss.Option{oss.ContentType("application/pdf"), oss.Meta("route", "document"), oss.Meta("project", "p-7"),
				oss.Meta("upload-pin", uploadpin.Sign(pinKey, uploadpin.Pin{Route: "document", Owner: user, Scope: docKey, Metadata: app}))},
			"verified", "", app},
		{"the avatar directory's sts pin on a document", "uploads/" + user + "/documents/2026/12/01/1a1a-cv.pdf", pdf,
			[]oss.Option{oss.ContentType("application/pdf"), oss.Meta("route", "document"), oss.Meta("project", "p-7"), oss.Meta("upload-pin", stsPin(app))},
			"rejected", "unpinned-metadata", nil},
	}
	for _, tc := range cases {
		if err := dev.PutObject(tc.key, bytes.NewReader(tc.body), tc.opts...); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := recv.wait(t, tc.key)
			route := "avatar"
			if strings.Contains(tc.key, "/documents/") {
				route = "document"
			}
			if d.Verdict != tc.verdict || d.Reason != tc.reason || d.Route != route || !maps.Equal(d.Metadata, tc.metadata) {
				t.Errorf("webhook %+v, want %s %q, route %s, metadata %v", d, tc.verdict, tc.reason, route, tc.metadata)
			}
			if st, reason := waitVerdict(t, p, tc.key); st != tc.verdict || reason != tc.reason {
				t.Errorf("GET /status: %s %q, want %s %q", st, reason, tc.verdict, tc.reason)
			}
		})
	}
	recv.mu.Lock()
	defer recv.mu.Unlock()
	if recv.rejected != 0 {
		t.Errorf("%d deliveries the Standard Webhooks library refused", recv.rejected)
	}
}
