package stack

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/ossupload/ossupload/local/fcruntime"
	"github.com/ossupload/ossupload/local/iam"
	"github.com/ossupload/ossupload/shared/logging"
)

// destinations models the failure destination of asynchronous invocations
// (s.yaml asyncInvokeConfig.destinationConfig.onFailure): when an invocation
// fails after its last retry, or fails and is too old to be retried again
// (maxAsyncEventAgeInSeconds), the record FC would send is appended, one JSON
// line, to <data>/destinations/<queue>.jsonl. FC sends no destination record
// for timer-triggered invocations ("Destinations for asynchronous
// invocations": https://www.alibabacloud.com/help/en/fc/user-guide/result-callback;
// record fields as in FC's async invocation documentation, of which this
// keeps the ones a reader acts on).
type destinations struct {
	dataDir   string
	log       *slog.Logger
	mu        sync.Mutex
	onFailure map[string]string // function name -> destination ARN
}

// FailureRecord is one line of a destination file.
type FailureRecord struct {
	Timestamp      int64 `json:"timestamp"` // ms
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	RequestPayload  string `json:"requestPayload"`
	ResponseContext struct {
		FunctionError string `json:"functionError"`
	} `json:"responseContext"`
}

func (d *destinations) set(fn, arn string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.onFailure[fn] = arn
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// DestinationFile is where the local stack keeps the records sent to arn.
func DestinationFile(dataDir, arn string) string {
	return filepath.Join(dataDir, "destinations", unsafeName.ReplaceAllString(arn, "_")+".jsonl")
}

func (d *destinations) done(r fcruntime.AsyncResult) {
	// A stop of the stack cancels invocations: not a failure of the event.
	if r.Err == nil || isTimerEvent(r.Event) || errors.Is(r.Err, fcruntime.ErrClosed) || errors.Is(r.Err, context.Canceled) {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	arn := d.onFailure[r.Function]
	if arn == "" {
		return
	}
	var rec FailureRecord
	rec.Timestamp = time.Now().UnixMilli()
	rec.RequestContext.RequestID = r.RequestID
	rec.RequestContext.FunctionArn = "acs:fc:" + Region + ":" + iam.AccountID + ":functions/" + r.Function
	rec.RequestContext.Condition = "UnhandledInvocationError"
	rec.RequestContext.ApproximateInvokeCount = r.Attempts
	rec.RequestPayload = string(r.Event)
	rec.ResponseContext.FunctionError = r.Err.Error()
	b, err := json.Marshal(rec)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(DestinationFile(d.dataDir, arn)), 0o700)
	}
	if err == nil {
		var f *os.File
		f, err = os.OpenFile(DestinationFile(d.dataDir, arn), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err == nil {
			_, err = f.Write(append(b, '\n'))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	}
	if err != nil {
		d.log.Error("failure destination not written", "destination", arn, logging.RequestIDKey, r.RequestID, "error", err.Error())
		return
	}
	d.log.Warn("async invocation failed for good; sent to its failure destination", "function", r.Function, "destination", arn, logging.RequestIDKey, r.RequestID, "attempts", r.Attempts, "expired", r.Expired)
}

// isTimerEvent: {"triggerTime", "triggerName", ...} without "events".
func isTimerEvent(b []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return false
	}
	_, ev := m["events"]
	_, tt := m["triggerTime"]
	_, tn := m["triggerName"]
	return !ev && tt && tn
}
