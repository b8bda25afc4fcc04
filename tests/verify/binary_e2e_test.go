package verify_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/local/fcruntime"
	"github.com/ossupload/ossupload/local/stacktest"
)

// TestVerifyBinaryThroughFCRuntime builds functions/verify for this machine
// and runs it behind the local FC runtime API (as fc.Start speaks it), with
// the verify role's STS credentials handed over per invocation; the
// emulator's events are the invocation payloads.
func TestVerifyBinaryThroughFCRuntime(t *testing.T) {
	bin := stacktest.Build(t, "functions/verify", stacktest.Host)
	s := newStack(t)
	role := s.sts(t, fcAK, "verify", "verify-fn", "")
	rt, output := stacktest.Function(t, fcruntime.Config{}, fcruntime.Function{
		Name:   "verify",
		Binary: bin,
		Env: map[string]string{
			"OSS_BUCKET": bucket, "OSS_REGION": region, "OSS_ENDPOINT": s.url,
			"UPLOAD_PREFIX": "uploads/", "UPLOAD_MAX_BYTES": "1048576", "UPLOAD_ALLOWED_TYPES": "image/*,text/plain",
			"QUARANTINE_PREFIX": "quarantine/", "REJECT_ACTION": "quarantine",
			"WEBHOOK_URL": s.hook.url, "WEBHOOK_SECRET": hookSecret, "WEBHOOK_TIMEOUT_SECONDS": "5", "LOG_LEVEL": "debug",
		},
		Timeout: 20 * time.Second,
		Region:  region,
		Credentials: func(context.Context) (fcruntime.Credentials, error) {
			return fcruntime.Credentials{AccessKeyID: role.AccessKeyID, AccessKeySecret: role.AccessKeySecret, SecurityToken: role.SecurityToken}, nil
		},
	})

	invoke := func(p []byte) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := rt.Invoke(ctx, "verify", p)
		return err
	}
	root := s.root(t)
	good, bad := "uploads/u1/2026/11/23/aabbccddeeff0011-cat.png", "uploads/u1/2026/11/23/aabbccddeeff0011-setup.png"
	must(t, root.PutObject(good, bytes.NewReader(pngBytes(t)), aoss.ContentType("image/png"), aoss.Meta("owner", "u1"), aoss.Meta("declared-type", "image/png")))
	must(t, root.PutObject(bad, bytes.NewReader(exeBytes()), aoss.ContentType("image/png"), aoss.Meta("owner", "u1"), aoss.Meta("declared-type", "image/png")))
	uploads := s.drain()
	if len(uploads) != 2 {
		t.Fatalf("%d events", len(uploads))
	}
	odd := [][]byte{[]byte("not json"), []byte(`{"events":[{"eventName":"ObjectCreated:PutObject"}]}`), []byte(`{}`)}
	for round := range 2 { // the second round is a duplicate delivery
		for _, p := range append(uploads, odd...) {
			if err := invoke(p); err != nil {
				t.Fatalf("round %d: invoke %.80s: %v", round, p, err)
			}
		}
		for evs := s.drain(); len(evs) > 0; evs = s.drain() { // the function's own writes
			for _, p := range evs {
				if err := invoke(p); err != nil {
					t.Fatalf("own-write event: %v", err)
				}
			}
		}
	}
	if tg := tags(t, root, good); tg["upload-status"] != "verified" {
		t.Errorf("good tags = %v", tg)
	}
	if tg := tags(t, root, "quarantine/"+bad); tg["upload-status"] != "rejected" || tg["upload-reason"] != "type-mismatch" {
		t.Errorf("quarantine tags = %v", tg)
	}
	if n := s.hook.forKey(good); len(n) != 1 || n[0].Verdict != "verified" {
		t.Errorf("good webhooks = %+v", n)
	}
	if n := s.hook.forKey(bad); len(n) != 1 || n[0].Reason != "type-mismatch" {
		t.Errorf("bad webhooks = %+v", n)
	}
	if len(s.hook.notifications()) != 2 || s.hook.bad != 0 {
		t.Errorf("%d webhooks (%d refused), want 2", len(s.hook.notifications()), s.hook.bad)
	}

	// A transient failure (webhook receiver down) fails the invocation so FC retries it.
	third := "uploads/u1/third.png"
	must(t, root.PutObject(third, bytes.NewReader(pngBytes(t)), aoss.ContentType("image/png")))
	evs := s.drain()
	before := len(s.hook.requestIDs())
	s.hook.setRefuse(true)
	err := invoke(evs[0])
	var ie *fcruntime.InvocationError
	if err == nil || !errors.As(err, &ie) {
		t.Errorf("invocation with the webhook refusing: err = %v, want an InvocationError", err)
	}
	s.hook.setRefuse(false) // FC's retry then succeeds
	if err := invoke(evs[0]); err != nil {
		t.Errorf("retry: %v", err)
	}
	if n := s.hook.forKey(third); len(n) != 1 {
		t.Errorf("third webhooks = %+v", n)
	}
	// Every attempt of both invocations carries the same webhook-id, so the
	// app de-duplicates them.
	if ids := s.hook.requestIDs()[before:]; len(ids) < 2 || ids[0] == "" || slices.ContainsFunc(ids, func(id string) bool { return id != ids[0] }) {
		t.Errorf("webhook-id of the refused attempts and the retry: %q, want one id", ids)
	}

	rt.Close() // waits for the process, so everything it printed is in output
	out := output.String()
	for _, secret := range []string{role.AccessKeySecret, role.SecurityToken, hookSecret, rootSecret} {
		if strings.Contains(out, secret) {
			t.Errorf("a secret reached the function's output")
		}
	}
	if !strings.Contains(out, "verify: verdict recorded") {
		t.Errorf("function output lacks the verdict log line:\n%s", out)
	}
}

// TestVerifyBinaryRefusesBadConfig: an invalid configuration stops the
// function before fc.Start with one log line naming every problem, and no
// secret value.
func TestVerifyBinaryRefusesBadConfig(t *testing.T) {
	bin := stacktest.Build(t, "functions/verify", stacktest.Host)
	cmd := exec.Command(bin)
	cmd.Env = []string{"OSS_REGION=cn-hangzhou", "QUARANTINE_PREFIX=uploads/q/", "REJECT_ACTION=shred",
		"WEBHOOK_URL=https://app.example/hook", "WEBHOOK_SECRET=tooshort-SECRET", "FC_RUNTIME_API=127.0.0.1:1"}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("exit: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 {
		t.Errorf("want one log line, got %d:\n%s", len(lines), out)
	}
	for _, want := range []string{"OSS_BUCKET", "QUARANTINE_PREFIX", "REJECT_ACTION", "WEBHOOK_SECRET"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("%s not named:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "tooshort-SECRET") {
		t.Errorf("secret value printed:\n%s", out)
	}
}
