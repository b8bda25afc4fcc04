package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/ossupload/ossupload/shared/verifier"
)

const sweepHookSecret = "whsec_c3dlZXAtZTJlLXdlYmhvb2stc2VjcmV0LTAxMjM0NTY3" // Standard Webhooks format

// hookReceiver records the webhook notifications the Standard Webhooks
// library verifies.
type hookReceiver struct {
	mu  sync.Mutex
	got map[string][]verifier.Notification
	bad int
}

func newHookReceiver(t *testing.T) (*hookReceiver, string) {
	h := &hookReceiver{got: map[string][]verifier.Notification{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if wh, err := standardwebhooks.NewWebhook(sweepHookSecret); err != nil || wh.Verify(body, r.Header) != nil {
			h.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var n verifier.Notification
		if json.Unmarshal(body, &n) != nil {
			h.bad++
		}
		h.got[n.Key] = append(h.got[n.Key], n)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return h, srv.URL
}

func (h *hookReceiver) forKey(k string) []verifier.Notification {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]verifier.Notification(nil), h.got[k]...)
}

// sYAMLWithWebhook is s.yaml with the webhook lines its header describes
// added to verify's environment.
func sYAMLWithWebhook(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join(repoRoot, "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "        WEBHOOK_TIMEOUT_SECONDS: ${vars.webhookTimeout}\n"
	if strings.Count(string(b), anchor) != 1 {
		t.Fatalf("s.yaml: verify's WEBHOOK_TIMEOUT_SECONDS line not found once")
	}
	doc := strings.Replace(string(b), anchor, anchor+
		"        WEBHOOK_URL: ${env('WEBHOOK_URL')}\n        WEBHOOK_SECRET: ${env('WEBHOOK_SECRET')}\n", 1)
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// An upload whose OSS event is lost stays pending until it is older than
// SWEEP_MIN_AGE_SECONDS; then the sweep (verify on its timer trigger, with
// the role of template.yaml, which may list only the upload prefix) judges
// it like an event would: same verdict, same tags, one webhook.
func TestSweepJudgesUploadWhoseEventWasLost(t *testing.T) {
	hook, hookURL := newHookReceiver(t)
	s := startStackArgs(t, "", []string{"-s", sYAMLWithWebhook(t), "-timer-interval", "300ms", "-drop-oss-events", "uploads/"},
		"SWEEP_MIN_AGE_SECONDS=2", "WEBHOOK_URL="+hookURL, "WEBHOOK_SECRET="+sweepHookSecret)
	good := postForm(t, s, "lost.png", "image/png", realPNG(t))
	bad := postForm(t, s, "lost-fake.png", "image/png", []byte("#!/bin/sh\necho this is not a picture\n"))

	// Younger than the sweep age: nobody has judged it yet.
	var st struct{ Status string }
	if code := callJSON(t, "GET", strings.TrimSuffix(s.Functions["sign"], "/")+"/status?key="+good, s.JWT, nil, &st); code != http.StatusOK || st.Status != "pending" {
		t.Fatalf("status right after upload: HTTP %d %q, want pending", code, st.Status)
	}
	if status, reason := waitVerdict(t, s, good); status != "verified" {
		t.Fatalf("verdict %s (%s), want verified", status, reason)
	}
	if status, reason := waitVerdict(t, s, bad); status != "rejected" || reason != "type-mismatch" {
		t.Fatalf("verdict %s (%s), want rejected (type-mismatch)", status, reason)
	}
	// Let a few more sweeps run over the judged objects, then count.
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(s.logs.String(), "verify: sweep run") < 6 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	for _, k := range []string{good, bad} {
		if n := hook.forKey(k); len(n) != 1 {
			t.Errorf("%d webhooks for %s, want 1: %+v", len(n), k, n)
		}
	}
	if n := hook.forKey(bad); len(n) == 1 && (n[0].Verdict != "rejected" || n[0].Reason != "type-mismatch") {
		t.Errorf("webhook for the rejected upload: %+v", n[0])
	}
	logs := s.logs.String()
	for _, want := range []string{"OSS event dropped on purpose", `"msg":"verify: sweep run"`, `"verified":1`, `"rejected":1`} {
		if !strings.Contains(logs, want) {
			t.Errorf("stack output lacks %s", want)
		}
	}
	if strings.Contains(logs, "AccessDenied") {
		t.Errorf("the sweep was refused by the role:\n%s", logs)
	}
}
