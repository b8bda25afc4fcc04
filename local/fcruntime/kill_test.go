package fcruntime

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossupload/ossupload/local/stacktest/base"
)

// A process killed mid-invocation (as FC kills one out of memory) fails
// that attempt; the asynchronous event is delivered again, to a new
// process, with the same request id and the next retry count.
func TestKillMidInvocationRetriesAsync(t *testing.T) {
	done := make(chan AsyncResult, 1)
	fn := testFunction("victim")
	fn.Timeout = 30 * time.Second // only the kill ends the first attempt
	rt, out := newRuntime(t, Config{AsyncDone: func(r AsyncResult) { done <- r }}, fn)
	if err := rt.Kill("victim"); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Kill with nothing running: %v, want ErrNotRunning", err)
	}
	record := filepath.Join(t.TempDir(), "seen")
	id, err := rt.InvokeAsync("victim", []byte(`{"action":"hangUntil","n":1,"record":"`+record+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	// The function writes the record before it hangs.
	base.Eventually(t, 10*time.Second, "the first attempt starting", func() bool {
		b, _ := os.ReadFile(record)
		return string(b) == "0\n"
	})
	if err := rt.Kill("victim"); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	r := waitAsync(t, done)
	if r.Err != nil || r.Attempts != 2 || r.RequestID != id {
		t.Errorf("got %+v, want success on the second attempt of %s", r, id)
	}
	if b, _ := os.ReadFile(record); string(b) != "0\n1\n" {
		t.Errorf("retry counts seen by the function: %q, want 0 then 1", b)
	}
	if !strings.Contains(out.String(), "Process exited unexpectedly before completing request") {
		t.Errorf("the killed attempt's error is not FC's:\n%s", out)
	}
}
