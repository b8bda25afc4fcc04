package ossevents

import (
	"github.com/ossupload/ossupload/local/stacktest/base"
	"testing/synctest"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2024, 5, 20, 6, 21, 35, 0, time.UTC)

// recorder is a Sink that records delivered payloads and can fail on demand.
type recorder struct {
	mu       sync.Mutex
	got      [][]byte
	calls    int
	fail     func(call int, payload []byte) error // nil = always succeed
	notified chan struct{}
}

func newRecorder(fail func(int, []byte) error) *recorder {
	return &recorder{fail: fail, notified: make(chan struct{}, 1000)}
}

func (r *recorder) Deliver(ctx context.Context, payload []byte) error {
	r.mu.Lock()
	r.calls++
	call := r.calls
	var err error
	if r.fail != nil {
		err = r.fail(call, payload)
	}
	if err == nil {
		r.got = append(r.got, payload)
	}
	r.mu.Unlock()
	r.notified <- struct{}{}
	return err
}

// keys returns the object keys of the successful deliveries, in order.
func (r *recorder) keys(t *testing.T) []string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.got {
		var p Payload
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Events[0].OSS.Object.Key)
	}
	return out
}

// wait blocks until the sink has been called n times in all.
func (r *recorder) wait(t *testing.T, n int) {
	t.Helper()
	for {
		r.mu.Lock()
		calls := r.calls
		r.mu.Unlock()
		if calls >= n {
			return
		}
		select {
		case <-r.notified:
		case <-time.After(5 * time.Second):
			t.Fatalf("sink called %d times, want %d", calls, n)
		}
	}
}

// sleeps records back-off waits without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) list() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func publish(d *Dispatcher, name, key string) {
	d.Publish(name, "examplebucket", "cn-hangzhou", key, `"ABC"`, 3, 3, "req-"+key, "127.0.0.1", "1234567890123456",
		map[string]string{"mimeType": "image/jpeg"}, t0)
}

func TestDispatcherDeliversToMatchingSinks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := NewDispatcher()
		jpg, all, removed := newRecorder(nil), newRecorder(nil), newRecorder(nil)
		d.Add(Rule{Events: []string{"oss:ObjectCreated:*"}, Prefix: "uploads/", Suffix: ".jpg"}, jpg)
		d.Add(Rule{ID: "all-created", Events: []string{"oss:ObjectCreated:*"}}, all)
		d.Add(Rule{Events: []string{"oss:ObjectRemoved:DeleteObject"}}, removed)
		publish(d, "ObjectCreated:PutObject", "uploads/a.jpg")
		publish(d, "ObjectCreated:PostObject", "uploads/b.png")
		publish(d, "ObjectRemoved:DeleteObject", "uploads/a.jpg")
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			r    *recorder
			want []string
		}{{"jpg", jpg, []string{"uploads/a.jpg"}}, {"all", all, []string{"uploads/a.jpg", "uploads/b.png"}}, {"removed", removed, []string{"uploads/a.jpg"}}} {
			if got := c.r.keys(t); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s got %v, want %v", c.name, got, c.want)
			}
		}
		var p Payload
		if err := json.Unmarshal(all.got[0], &p); err != nil {
			t.Fatal(err)
		}
		rec := p.Events[0]
		if rec.OSS.RuleID != "all-created" || rec.EventName != "ObjectCreated:PutObject" || rec.OSS.Object.ETag != "ABC" ||
			rec.OSS.Bucket.OwnerIdentity != DefaultAccountID || rec.ResponseElements.RequestID != "req-uploads/a.jpg" {
			t.Errorf("payload %+v", rec)
		}
		if err := json.Unmarshal(jpg.got[0], &p); err != nil {
			t.Fatal(err)
		}
		if want := RuleID(Rule{Events: []string{"oss:ObjectCreated:*"}, Prefix: "uploads/", Suffix: ".jpg"}); p.Events[0].OSS.RuleID != want || len(want) != 32 {
			t.Errorf("derived ruleId %q, want %q", p.Events[0].OSS.RuleID, want)
		}
	})
}

func TestDispatcherAccountID(t *testing.T) {
	d := NewDispatcher(WithAccountID("9999"))
	r := newRecorder(nil)
	d.Add(Rule{Events: []string{"*"}}, r)
	publish(d, "ObjectCreated:PutObject", "k")
	d.Close()
	if !bytes.Contains(r.got[0], []byte(`"arn":"acs:oss:cn-hangzhou:9999:examplebucket"`)) {
		t.Fatalf("%s", r.got[0])
	}
}

// Publish returns while the sink is stuck; the stuck sink does not hold up another.
func TestPublishDoesNotBlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		stuck := SinkFunc(func(ctx context.Context, _ []byte) error {
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		d := NewDispatcher()
		fast := newRecorder(nil)
		d.Add(Rule{Events: []string{"*"}}, stuck)
		d.Add(Rule{Events: []string{"*"}}, fast)
		done := make(chan struct{})
		go func() {
			for i := range 1000 {
				publish(d, "ObjectCreated:PutObject", fmt.Sprint(i))
			}
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Publish blocked behind a stuck sink")
		}
		fast.wait(t, 1000)
		close(release)
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRetryUntilSuccessWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sl := &sleeps{}
		d := NewDispatcher(WithBackoff(time.Second, 5*time.Second), WithAttempts(6), WithSleep(sl.sleep))
		r := newRecorder(func(call int, _ []byte) error {
			if call < 5 {
				return errors.New("function failed")
			}
			return nil
		})
		d.Add(Rule{Events: []string{"*"}}, r)
		publish(d, "ObjectCreated:PutObject", "k")
		r.wait(t, 5)
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if got := r.keys(t); len(got) != 1 {
			t.Fatalf("delivered %v", got)
		}
		want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second}
		if got := sl.list(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("back-off %v, want %v", got, want)
		}
	})
}

func TestDropAfterLastAttemptIsLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logs := &base.Buffer{}
		sl := &sleeps{}
		d := NewDispatcher(WithAttempts(3), WithSleep(sl.sleep), WithLogger(slog.New(slog.NewJSONHandler(logs, nil))))
		r := newRecorder(func(int, []byte) error { return errors.New("boom") })
		d.Add(Rule{ID: "r1", Events: []string{"*"}}, r)
		publish(d, "ObjectCreated:PutObject", "uploads/k.jpg")
		d.Close()
		if r.calls != 3 || len(sl.list()) != 2 {
			t.Fatalf("calls %d sleeps %v", r.calls, sl.list())
		}
		var line struct {
			Level, Msg, Key, RuleID, Error string
			Attempts                       int
		}
		if err := json.Unmarshal([]byte(strings.TrimSpace(logs.String())), &line); err != nil {
			t.Fatalf("%v: %s", err, logs)
		}
		if line.Level != "ERROR" || line.Msg != "event delivery dropped" || line.Key != "uploads/k.jpg" || line.RuleID != "r1" ||
			line.Attempts != 3 || line.Error != "boom" {
			t.Fatalf("log %+v", line)
		}
	})
}

func TestPanickingSinkIsAFailedAttempt(t *testing.T) {
	sl := &sleeps{}
	d := NewDispatcher(WithAttempts(2), WithSleep(sl.sleep), WithLogger(slog.New(slog.DiscardHandler)))
	r := newRecorder(func(call int, _ []byte) error {
		if call == 1 {
			panic("sink bug")
		}
		return nil
	})
	d.Add(Rule{Events: []string{"*"}}, sinkPanics{r})
	publish(d, "ObjectCreated:PutObject", "k")
	d.Close()
	if len(r.keys(t)) != 1 {
		t.Fatal("not redelivered after a panic")
	}
}

// sinkPanics lets recorder's fail function panic outside recorder's lock.
type sinkPanics struct{ r *recorder }

func (s sinkPanics) Deliver(ctx context.Context, p []byte) error {
	s.r.mu.Lock()
	s.r.calls++
	call := s.r.calls
	s.r.mu.Unlock()
	if err := s.r.fail(call, p); err != nil {
		return err
	}
	s.r.mu.Lock()
	s.r.got = append(s.r.got, p)
	s.r.mu.Unlock()
	return nil
}

// A sink failing intermittently still sees the events of one key in order
// (and may see one twice: at least once).
func TestOrderPreservedAcrossRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sl := &sleeps{}
		d := NewDispatcher(WithAttempts(10), WithSleep(sl.sleep))
		r := newRecorder(func(call int, _ []byte) error {
			if call%3 == 0 {
				return errors.New("flaky")
			}
			return nil
		})
		d.Add(Rule{Events: []string{"*"}}, r)
		var want []string
		for i := range 50 {
			name := []string{"ObjectCreated:PutObject", "ObjectRemoved:DeleteObject"}[i%2]
			publish(d, name, fmt.Sprintf("k%02d", i))
			want = append(want, fmt.Sprintf("k%02d", i))
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if got := r.keys(t); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("order %v", got)
		}
		if len(sl.list()) == 0 {
			t.Fatal("no retries happened")
		}
	})
}

// A sink that reports failure after acting gets the event again.
func TestAtLeastOnceRedelivery(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	d := NewDispatcher(WithSleep((&sleeps{}).sleep))
	d.Add(Rule{Events: []string{"*"}}, SinkFunc(func(_ context.Context, p []byte) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, string(p))
		if len(seen) == 1 {
			return errors.New("acted, then the connection dropped")
		}
		return nil
	}))
	publish(d, "ObjectCreated:PutObject", "k")
	d.Close()
	if len(seen) != 2 || seen[0] != seen[1] {
		t.Fatalf("deliveries %q", seen)
	}
}

func TestCloseDrainsPending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := NewDispatcher()
		// A sink that takes a millisecond of (the bubble's fake) time per event.
		// A slow sink: a millisecond per event on the bubble's fake clock.
		slow := SinkFunc(func(ctx context.Context, _ []byte) error { time.Sleep(time.Millisecond); return nil })
		r := newRecorder(nil)
		d.Add(Rule{Events: []string{"*"}}, slow)
		d.Add(Rule{Events: []string{"*"}}, r)
		for i := range 100 {
			publish(d, "ObjectCreated:PutObject", fmt.Sprint(i))
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if n := len(r.keys(t)); n != 100 {
			t.Fatalf("delivered %d of 100 before Close returned", n)
		}
		// After Close: Publish and Add are no-ops, Close again is fine.
		publish(d, "ObjectCreated:PutObject", "late")
		d.Add(Rule{Events: []string{"*"}}, r)
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if n := len(r.keys(t)); n != 100 {
			t.Fatalf("delivered %d after close", n)
		}
	})
}

// Close gives up on a sink that keeps failing once the drain time is over,
// interrupting the back-off wait, and leaves no goroutine behind.
func TestShutdownAbandonsAfterDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		logs := &base.Buffer{}
		d := NewDispatcher(WithBackoff(time.Hour, time.Hour), WithLogger(slog.New(slog.NewJSONHandler(logs, nil))))
		r := newRecorder(func(int, []byte) error { return errors.New("down") })
		d.Add(Rule{Events: []string{"*"}}, r)
		publish(d, "ObjectCreated:PutObject", "a")
		publish(d, "ObjectCreated:PutObject", "b")
		r.wait(t, 1)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := d.Shutdown(ctx); !errors.Is(err, ErrDrainTimeout) {
			t.Fatalf("Shutdown = %v", err)
		}
		if n := strings.Count(logs.String(), "event delivery dropped"); n != 2 {
			t.Fatalf("%d drops logged:\n%s", n, logs)
		}
		if r.calls != 1 {
			t.Fatalf("calls %d", r.calls)
		}
	})
}
