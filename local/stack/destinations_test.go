package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ossupload/ossupload/local/fcruntime"
	"github.com/ossupload/ossupload/local/sdevs"
)

// An OSS event whose invocation failed for good lands, once, in the file of
// the function's onFailure destination; successes, timer ticks and functions
// without a destination leave nothing.
func TestFailureDestinationReceivesExhaustedEvents(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	d := &destinations{dataDir: dir, log: slog.New(slog.NewTextHandler(&logs, nil)), onFailure: map[string]string{}}
	arn := "acs:mns:cn-hangzhou:1234567890123456:/queues/ossupload-verify-failed/messages"
	d.set("ossupload-verify", arn)
	d.set("ossupload-sign", "")
	event := []byte(`{"events":[{"eventName":"ObjectCreated:PostObject"}]}`)
	d.done(fcruntime.AsyncResult{Function: "ossupload-verify", RequestID: "1-a", Attempts: 4, Err: errors.New("boom"), Event: event})
	d.done(fcruntime.AsyncResult{Function: "ossupload-verify", RequestID: "1-b", Attempts: 1, Event: event})
	d.done(fcruntime.AsyncResult{Function: "ossupload-verify", RequestID: "1-g", Attempts: 2, Err: errors.New("still failing"), Expired: true, Event: event})
	d.done(fcruntime.AsyncResult{Function: "ossupload-verify", RequestID: "1-c", Attempts: 4, Err: errors.New("boom"),
		Event: fcruntime.TimerEvent("sweep", "", time.Now())})
	d.done(fcruntime.AsyncResult{Function: "ossupload-sign", RequestID: "1-d", Attempts: 4, Err: errors.New("boom"), Event: event})
	d.done(fcruntime.AsyncResult{Function: "ossupload-verify", RequestID: "1-e", Attempts: 1, Err: fmt.Errorf("invoke: %w", context.Canceled), Event: event})
	d.done(fcruntime.AsyncResult{Function: "ossupload-verify", RequestID: "1-f", Attempts: 1, Err: fcruntime.ErrClosed, Event: event})

	b, err := os.ReadFile(DestinationFile(dir, arn))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d records, want 2 (exhausted, expired):\n%s", len(lines), b)
	}
	var rec FailureRecord
	if err := json.Unmarshal(lines[0], &rec); err != nil {
		t.Fatal(err)
	}
	if rec.RequestContext.RequestID != "1-a" || rec.RequestContext.ApproximateInvokeCount != 4 || rec.RequestPayload != string(event) ||
		rec.RequestContext.FunctionArn != "acs:fc:cn-hangzhou:1234567890123456:functions/ossupload-verify" || rec.ResponseContext.FunctionError != "boom" {
		t.Errorf("record %s", lines[0])
	}
	var expired FailureRecord
	if err := json.Unmarshal(lines[1], &expired); err != nil || expired.RequestContext.RequestID != "1-g" || expired.RequestContext.ApproximateInvokeCount != 2 {
		t.Errorf("record of the expired event %s (%v)", lines[1], err)
	}
	entries, _ := os.ReadDir(dir + "/destinations")
	if len(entries) != 1 {
		t.Errorf("%d destination files, want 1", len(entries))
	}
}

// s.yaml's asyncInvokeConfig reaches the runtime: the retry count (unset is
// FC's default, 0 is none) and the maximum event age.
func TestRuntimeFunctionTakesAsyncSettings(t *testing.T) {
	three, zero := 3, 0
	for _, c := range []struct {
		in      sdevs.Async
		retries int
		age     time.Duration
	}{
		{sdevs.Async{}, 0, 0},
		{sdevs.Async{MaxRetries: &zero}, -1, 0},
		{sdevs.Async{MaxRetries: &three, MaxEventAge: 600}, 3, 10 * time.Minute},
	} {
		f := runtimeFunction(sdevs.Function{Name: "f", Async: c.in}, "/bin/f")
		if f.MaxAsyncRetries != c.retries || f.MaxAsyncEventAge != c.age {
			t.Errorf("%+v: retries %d, age %v; want %d, %v", c.in, f.MaxAsyncRetries, f.MaxAsyncEventAge, c.retries, c.age)
		}
	}
	fns, err := sdevs.Load(filepath.Join("..", "..", "s.yaml"), sdevs.Resolver{
		Getenv: func(k string) string {
			return map[string]string{"AUTH_JWT_SECRET": "s.yaml-has-no-default-for-this-0123456789"}[k]
		},
		Config: map[string]string{"AccountID": "1234567890123456"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range fns {
		if fn.ID != "verify" {
			continue
		}
		if f := runtimeFunction(fn, "/bin/verify"); f.MaxAsyncRetries != 3 || f.MaxAsyncEventAge != time.Hour || f.Timeout != 120*time.Second {
			t.Errorf("verify from s.yaml: retries %d, age %v, timeout %v; want 3, 1h, 2m", f.MaxAsyncRetries, f.MaxAsyncEventAge, f.Timeout)
		}
		return
	}
	t.Fatal("s.yaml has no verify function")
}
