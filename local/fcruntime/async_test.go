package fcruntime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

func waitAsync(t *testing.T, done <-chan AsyncResult) AsyncResult {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("async invocation did not finish")
		return AsyncResult{}
	}
}

func TestAsyncRetriesUntilSuccess(t *testing.T) {
	done := make(chan AsyncResult, 1)
	var waits []int
	rt, _ := newRuntime(t, Config{
		AsyncDone: func(r AsyncResult) { done <- r },
		AsyncBackoff: func(n int) time.Duration {
			waits = append(waits, n) // called from one goroutine per invocation
			return 10 * time.Millisecond
		},
	}, testFunction("retry"))
	record := filepath.Join(t.TempDir(), "seen")
	id, err := rt.InvokeAsync("retry", []byte(`{"action":"failUntil","n":2,"record":"`+record+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	r := waitAsync(t, done)
	if r.Err != nil || r.Attempts != 3 || r.RequestID != id || r.Function != "retry" {
		t.Errorf("got %+v, want success after 3 attempts of %s", r, id)
	}
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "0\n1\n2\n" {
		t.Errorf("x-fc-retry-count seen by the function: %q, want 0 1 2", b)
	}
	if len(waits) != 2 || waits[0] != 1 || waits[1] != 2 {
		t.Errorf("back-off asked for retries %v, want [1 2]", waits)
	}
}

func TestAsyncGivesUpAfterMaxRetries(t *testing.T) {
	done := make(chan AsyncResult, 1)
	fn := testFunction("hopeless")
	fn.MaxAsyncRetries = 2
	rt, out := newRuntime(t, Config{AsyncDone: func(r AsyncResult) { done <- r }}, fn)
	record := filepath.Join(t.TempDir(), "seen")
	if _, err := rt.InvokeAsync("hopeless", []byte(`{"action":"error","record":"`+record+`"}`)); err != nil {
		t.Fatal(err)
	}
	r := waitAsync(t, done)
	var ie *InvocationError
	if r.Attempts != 3 || !errors.As(r.Err, &ie) || ie.Message != "failed on demand" {
		t.Errorf("got %+v", r)
	}
	if b, _ := os.ReadFile(record); string(b) != "0\n1\n2\n" {
		t.Errorf("retry counts %q", b)
	}
	if !out.WaitFor("async invocation failed for good", 5*time.Second) {
		t.Errorf("final failure not logged:\n%s", out)
	}
}

func TestAsyncNoRetries(t *testing.T) {
	done := make(chan AsyncResult, 1)
	fn := testFunction("once")
	fn.MaxAsyncRetries = -1
	rt, _ := newRuntime(t, Config{AsyncDone: func(r AsyncResult) { done <- r }}, fn)
	if _, err := rt.InvokeAsync("once", []byte(`{"action":"error"}`)); err != nil {
		t.Fatal(err)
	}
	if r := waitAsync(t, done); r.Attempts != 1 || r.Err == nil {
		t.Errorf("got %+v", r)
	}
	if _, err := rt.InvokeAsync("nope", nil); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("unknown function: %v", err)
	}
}

func TestSinkDeliver(t *testing.T) {
	done := make(chan AsyncResult, 1)
	rt, _ := newRuntime(t, Config{AsyncDone: func(r AsyncResult) { done <- r }}, testFunction("verify"))
	record := filepath.Join(t.TempDir(), "seen")
	payload := []byte(`{"action":"failUntil","n":1,"record":"` + record + `"}`)
	// The sink accepts at once, like FC's async queue; the retry happens inside.
	if err := rt.Sink("verify").Deliver(context.Background(), payload); err != nil {
		t.Fatal(err)
	}
	copy(payload, "XXXXXXXX") // the caller may reuse its buffer
	if r := waitAsync(t, done); r.Err != nil || r.Attempts != 2 {
		t.Errorf("got %+v", r)
	}
	if err := rt.Sink("missing").Deliver(context.Background(), payload); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("missing function: %v", err)
	}
}

func TestCloseCancelsAsyncRetries(t *testing.T) {
	done := make(chan AsyncResult, 1)
	waiting := make(chan struct{}, 1) // the first attempt failed; the back-off begins
	rt, _ := newRuntime(t, Config{
		AsyncDone: func(r AsyncResult) { done <- r },
		AsyncBackoff: func(int) time.Duration {
			waiting <- struct{}{}
			return time.Hour
		},
	}, testFunction("later"))
	if _, err := rt.InvokeAsync("later", []byte(`{"action":"error"}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-waiting: // first attempt failed, now it waits an hour
	case <-time.After(10 * time.Second):
		t.Fatal("the first attempt did not fail")
	}
	rt.Close() // must not wait that hour
	if r := waitAsync(t, done); !errors.Is(r.Err, ErrClosed) || r.Attempts != 1 {
		t.Errorf("got %+v", r)
	}
}

// An event is retried only while it is younger than the function's
// MaxAsyncEventAge: here the clock moves a minute per back-off, so with a
// 90 s age the second retry would start 120 s after the event was accepted
// and is not made, although MaxAsyncRetries allows five.
func TestAsyncStopsRetryingExpiredEvents(t *testing.T) {
	var offset atomic.Int64 // nanoseconds the clock is ahead of time.Now
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	done := make(chan AsyncResult, 1)
	fn := testFunction("stale")
	fn.MaxAsyncRetries = 5
	fn.MaxAsyncEventAge = 90 * time.Second
	rt, out := newRuntime(t, Config{
		Now:       clock,
		AsyncDone: func(r AsyncResult) { done <- r },
		AsyncBackoff: func(int) time.Duration {
			offset.Add(int64(time.Minute))
			return 10 * time.Millisecond
		},
	}, fn)
	record := filepath.Join(t.TempDir(), "seen")
	if _, err := rt.InvokeAsync("stale", []byte(`{"action":"error","record":"`+record+`"}`)); err != nil {
		t.Fatal(err)
	}
	r := waitAsync(t, done)
	if r.Attempts != 2 || !r.Expired || r.Err == nil {
		t.Errorf("got %+v, want 2 attempts, then expired with the last error", r)
	}
	if b, _ := os.ReadFile(record); string(b) != "0\n1\n" {
		t.Errorf("retry counts %q, want 0 1", b)
	}
	if !out.WaitFor("async event older than its maximum age", 5*time.Second) {
		t.Errorf("expiry not logged:\n%s", out)
	}

	// Unset, the age is FC's default of a day: all five retries are made.
	fn.Name, fn.MaxAsyncEventAge = "fresh", 0
	if err := rt.Add(fn); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.InvokeAsync("fresh", []byte(`{"action":"error"}`)); err != nil {
		t.Fatal(err)
	}
	if r := waitAsync(t, done); r.Attempts != 6 || r.Expired {
		t.Errorf("default age: got %+v, want 6 attempts", r)
	}
}
