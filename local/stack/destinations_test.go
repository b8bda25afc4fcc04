package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/ossupload/ossupload/local/fcruntime"
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
	if len(lines) != 1 {
		t.Fatalf("%d records, want 1:\n%s", len(lines), b)
	}
	var rec FailureRecord
	if err := json.Unmarshal(lines[0], &rec); err != nil {
		t.Fatal(err)
	}
	if rec.RequestContext.RequestID != "1-a" || rec.RequestContext.ApproximateInvokeCount != 4 || rec.RequestPayload != string(event) ||
		rec.RequestContext.FunctionArn != "acs:fc:cn-hangzhou:1234567890123456:functions/ossupload-verify" || rec.ResponseContext.FunctionError != "boom" {
		t.Errorf("record %s", lines[0])
	}
	entries, _ := os.ReadDir(dir + "/destinations")
	if len(entries) != 1 {
		t.Errorf("%d destination files, want 1", len(entries))
	}
}
