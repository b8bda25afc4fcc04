package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	localstack "github.com/ossupload/ossupload/local/stack"
	"github.com/ossupload/ossupload/shared/verifier"

	"github.com/ossupload/ossupload/local/stacktest"
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
// added to verify's environment, and then each replacement pair applied
// (each old text must occur exactly once).
func sYAMLWithWebhook(t *testing.T, replace ...string) string {
	b, err := os.ReadFile(filepath.Join(stacktest.RepoRoot(t), "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "        WEBHOOK_TIMEOUT_SECONDS: ${vars.webhookTimeout}\n"
	replace = append([]string{anchor, anchor +
		"        WEBHOOK_URL: ${env('WEBHOOK_URL')}\n        WEBHOOK_SECRET: ${env('WEBHOOK_SECRET')}\n"}, replace...)
	doc := string(b)
	for i := 0; i+1 < len(replace); i += 2 {
		if strings.Count(doc, replace[i]) != 1 {
			t.Fatalf("s.yaml: %q not found exactly once", replace[i])
		}
		doc = strings.Replace(doc, replace[i], replace[i+1], 1)
	}
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sweepAge is SWEEP_MIN_AGE_SECONDS in these tests. Last-Modified counts
// whole seconds, so an upload reads as up to a second older than it is: it
// is surely still pending when asked about within sweepAge-1 seconds.
const sweepAge = 3 * time.Second

// statusOf is the status GET /status answers for key (HTTP 200 required).
func statusOf(t *testing.T, s *stack, key string) string {
	t.Helper()
	code, status, errCode, _ := getStatus(t, s, key)
	if code != http.StatusOK {
		t.Fatalf("GET /status of %s: HTTP %d %s", key, code, errCode)
	}
	return status
}

// waitOverdue polls /status until key is overdue; until then it must be
// pending.
func waitOverdue(t *testing.T, s *stack, key string) {
	t.Helper()
	stacktest.Eventually(t, 30*time.Second, key+" overdue", func() bool {
		switch st := statusOf(t, s, key); st {
		case "overdue":
			return true
		case "pending":
			return false
		default:
			t.Fatalf("status of %s is %q before it was overdue", key, st)
			return false
		}
	})
}

// sweepRuns counts the sweep's summary lines in the stack's output.
func sweepRuns(s *stack) int { return strings.Count(s.Logs.String(), `"msg":"verify: sweep run"`) }

// waitSweepRuns waits until n more sweeps have run, so that any second
// judgement or webhook would have happened.
func waitSweepRuns(t *testing.T, s *stack, n int) {
	t.Helper()
	want := sweepRuns(s) + n
	stacktest.Poll(30*time.Second, func() bool { return sweepRuns(s) >= want })
}

// An upload whose OSS event is lost is pending while younger than
// SWEEP_MIN_AGE_SECONDS, then overdue; the sweep (verify on its timer
// trigger, with the role of template.yaml, which may list only the upload
// prefix) judges it like an event would: same verdict, same tags, one
// webhook. The sweep is held off (its ListObjects fails, which sign never
// calls) until /status has shown overdue.
func TestSweepJudgesUploadWhoseEventWasLost(t *testing.T) {
	hook, hookURL := newHookReceiver(t)
	s := startStackArgs(t, "", []string{"-s", sYAMLWithWebhook(t), "-timer-interval", "300ms", "-drop-oss-events", "uploads/"},
		fmt.Sprintf("SWEEP_MIN_AGE_SECONDS=%d", int(sweepAge/time.Second)), "WEBHOOK_URL="+hookURL, "WEBHOOK_SECRET="+sweepHookSecret)
	armFault(t, s.OSS, `{"op":"ListObjects","action":"error","status":503}`)

	before := time.Now()
	good := postForm(t, s, "lost.png", "image/png", realPNG(t))
	st := statusOf(t, s, good)
	if time.Since(before) < sweepAge-time.Second && st != "pending" {
		t.Fatalf("status right after upload: %q, want pending", st)
	}
	bad := postForm(t, s, "lost-fake.png", "image/png", []byte("#!/bin/sh\necho this is not a picture\n"))
	waitOverdue(t, s, good)
	waitOverdue(t, s, bad)
	if sweepRuns(s) == 0 || !strings.Contains(s.Logs.String(), "ServiceUnavailable") {
		t.Fatalf("the sweep did not run against the failing listing")
	}

	clearFaults(t, s.OSS)
	if status, reason := waitVerdict(t, s, good); status != "verified" {
		t.Fatalf("verdict %s (%s), want verified", status, reason)
	}
	if status, reason := waitVerdict(t, s, bad); status != "rejected" || reason != "type-mismatch" {
		t.Fatalf("verdict %s (%s), want rejected (type-mismatch)", status, reason)
	}
	waitSweepRuns(t, s, 4)
	for _, k := range []string{good, bad} {
		if n := hook.forKey(k); len(n) != 1 {
			t.Errorf("%d webhooks for %s, want 1: %+v", len(n), k, n)
		}
	}
	if n := hook.forKey(bad); len(n) == 1 && (n[0].Verdict != "rejected" || n[0].Reason != "type-mismatch") {
		t.Errorf("webhook for the rejected upload: %+v", n[0])
	}
	logs := s.Logs.String()
	for _, want := range []string{"OSS event dropped on purpose", `"msg":"verify: sweep run"`, `"verified":1`, `"rejected":1`} {
		if !strings.Contains(logs, want) {
			t.Errorf("stack output lacks %s", want)
		}
	}
	if strings.Contains(logs, "AccessDenied") {
		t.Errorf("the sweep was refused by the role:\n%s", logs)
	}
}

// An OSS event whose every attempt fails (verify's HEAD of the object
// answers 503) is retried as often as s.yaml's maxAsyncRetryAttempts says,
// here 1 rather than FC's default 3, and then lands, once, in the onFailure
// destination of s.yaml; once OSS recovers, the sweep judges the upload and
// the webhook goes out once.
func TestEventThatExhaustsItsRetriesReachesTheFailureDestination(t *testing.T) {
	hook, hookURL := newHookReceiver(t)
	syaml := sYAMLWithWebhook(t, "        maxAsyncRetryAttempts: 3\n", "        maxAsyncRetryAttempts: 1\n")
	s := startStackArgs(t, "", []string{"-s", syaml, "-timer-interval", "300ms"},
		fmt.Sprintf("SWEEP_MIN_AGE_SECONDS=%d", int(sweepAge/time.Second)), "WEBHOOK_URL="+hookURL, "WEBHOOK_SECRET="+sweepHookSecret)
	armFault(t, s.OSS, `{"op":"HeadObject","key":"uploads/*/*/*/*/*-doomed.png","action":"error","status":503}`)
	key := postForm(t, s, "doomed.png", "image/png", realPNG(t))

	arn := "acs:mns:" + s.Region + ":" + s.AccountID + ":/queues/ossupload-verify-failed/messages"
	file := localstack.DestinationFile(s.Data, arn)
	var recs []localstack.FailureRecord
	stacktest.Poll(30*time.Second, func() bool {
		recs = readFailureRecords(t, file)
		return len(recs) > 0
	})
	if len(recs) != 1 {
		t.Fatalf("%d records in the failure destination %s, want 1", len(recs), file)
	}
	r := recs[0]
	if r.RequestContext.ApproximateInvokeCount != 2 || !strings.Contains(r.RequestPayload, key) ||
		!strings.HasSuffix(r.RequestContext.FunctionArn, ":functions/ossupload-verify") || !strings.Contains(r.ResponseContext.FunctionError, "ServiceUnavailable") {
		t.Errorf("failure record %+v: want 2 attempts of verify for %s failing with ServiceUnavailable", r, key)
	}
	// sign's HEAD fails too: /status says so rather than guessing.
	if code, _, errCode, _ := getStatus(t, s, key); code != http.StatusServiceUnavailable || errCode != "unavailable" {
		t.Errorf("/status while OSS fails: HTTP %d %s, want 503 unavailable", code, errCode)
	}

	clearFaults(t, s.OSS)
	if status, reason := waitVerdict(t, s, key); status != "verified" {
		t.Fatalf("verdict %s (%s), want verified", status, reason)
	}
	waitSweepRuns(t, s, 4)
	if n := hook.forKey(key); len(n) != 1 || n[0].Verdict != "verified" {
		t.Errorf("webhooks for %s: %+v, want one, verified", key, n)
	}
	// The sweep's failed runs (timer invocations) are not sent there.
	if recs := readFailureRecords(t, file); len(recs) != 1 {
		t.Errorf("%d records in the failure destination after the sweep, want 1", len(recs))
	}
}

// readFailureRecords reads a failure destination file of the local stack
// (none yet: no records).
func readFailureRecords(t *testing.T, file string) []localstack.FailureRecord {
	t.Helper()
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var recs []localstack.FailureRecord
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var r localstack.FailureRecord
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("%s: %v: %s", file, err, line)
		}
		recs = append(recs, r)
	}
	return recs
}
