package ossevents

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Sink receives event payloads, for instance a function's async queue. It
// must return once ctx is done.
type Sink interface {
	Deliver(ctx context.Context, payload []byte) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, payload []byte) error

// Deliver calls f.
func (f SinkFunc) Deliver(ctx context.Context, payload []byte) error { return f(ctx, payload) }

// Defaults: FC retries async failures 3 times with back-off from 0.5 s
// (OSS/STS protocol reference §4.3).
const (
	DefaultBaseDelay      = 500 * time.Millisecond
	DefaultMaxDelay       = 30 * time.Second
	DefaultAttempts       = 4 // the first try and 3 retries
	DefaultAttemptTimeout = 30 * time.Second
	DefaultDrainTimeout   = 10 * time.Second
)

// Option configures a Dispatcher.
type Option func(*Dispatcher)

// WithLogger sets the logger for dropped deliveries (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(d *Dispatcher) { d.log = l } }

// WithBackoff sets the delay before the first retry and its cap; each
// further retry doubles the delay.
func WithBackoff(base, maxDelay time.Duration) Option {
	return func(d *Dispatcher) { d.base, d.max = base, maxDelay }
}

// WithAttempts sets how many times a delivery is tried in all (>= 1).
func WithAttempts(n int) Option {
	return func(d *Dispatcher) { d.attempts = max(n, 1) }
}

// WithAttemptTimeout bounds each Deliver call.
func WithAttemptTimeout(t time.Duration) Option { return func(d *Dispatcher) { d.attemptTimeout = t } }

// WithDrainTimeout bounds how long Close waits for pending deliveries.
func WithDrainTimeout(t time.Duration) Option { return func(d *Dispatcher) { d.drainTimeout = t } }

// WithSleep replaces the back-off wait (tests). sleep must return early
// with ctx's error once ctx is done.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(d *Dispatcher) { d.sleep = sleep }
}

// WithAccountID sets the bucket owner account of published events.
func WithAccountID(id string) Option { return func(d *Dispatcher) { d.account = id } }

// Dispatcher delivers published events to the sinks of every matching
// rule. Publish never blocks: each rule has its own unbounded FIFO queue
// and worker goroutine, so a slow or failing sink delays only its own
// events, and events reach a sink in publication order (a failed delivery
// is retried before the next event is tried). Delivery is at least once: a
// sink may see an event again when an attempt fails after the sink acted.
type Dispatcher struct {
	log            *slog.Logger
	base, max      time.Duration
	attempts       int
	attemptTimeout time.Duration
	drainTimeout   time.Duration
	sleep          func(context.Context, time.Duration) error
	account        string

	ctx    context.Context // cancelled when draining gives up
	cancel context.CancelFunc

	mu       sync.Mutex
	routes   []*route
	closing  bool
	closeCh  chan struct{} // closed when Close begins
	wg       sync.WaitGroup
	shutdown sync.Once
}

// route is one rule with its sink and queue.
type route struct {
	rule    Rule
	sink    Sink
	pending []delivery // guarded by Dispatcher.mu
	wake    chan struct{}
}

// delivery is one payload queued for a route.
type delivery struct {
	event   Event
	payload []byte
}

// NewDispatcher returns a running dispatcher with no rules.
func NewDispatcher(opts ...Option) *Dispatcher {
	d := &Dispatcher{
		log: slog.Default(), base: DefaultBaseDelay, max: DefaultMaxDelay, attempts: DefaultAttempts,
		attemptTimeout: DefaultAttemptTimeout, drainTimeout: DefaultDrainTimeout, sleep: sleepCtx,
		account: DefaultAccountID, closeCh: make(chan struct{}),
	}
	for _, o := range opts {
		o(d)
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	return d
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RuleID is the ruleId used for r when r.ID is empty: stable across
// restarts, derived from the rule's events, prefix and suffix.
func RuleID(r Rule) string {
	if r.ID != "" {
		return r.ID
	}
	sum := sha256.Sum256([]byte(strings.Join(r.Events, "\x00") + "\x01" + r.Prefix + "\x01" + r.Suffix))
	return hex.EncodeToString(sum[:16])
}

// Add routes events matching rule to sink. It has no effect after Close.
func (d *Dispatcher) Add(rule Rule, sink Sink) {
	rule.ID = RuleID(rule)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		return
	}
	r := &route{rule: rule, sink: sink, wake: make(chan struct{}, 1)}
	d.routes = append(d.routes, r)
	d.wg.Add(1)
	go d.work(r)
}

// Publish queues an event built from positional values (meta["mimeType"]
// is the object's content type) and returns at once.
func (d *Dispatcher) Publish(eventName, bucket, region, key, etag string, size, deltaSize int64, requestID, sourceIP, principalID string,
	meta map[string]string, t time.Time) {
	d.PublishEvent(newEvent(eventName, bucket, region, key, etag, size, deltaSize, requestID, sourceIP, principalID, meta, t))
}

// PublishEvent queues e for every rule it matches and returns at once.
// Events published after Close are dropped.
func (d *Dispatcher) PublishEvent(e Event) {
	if e.AccountID == "" {
		e.AccountID = d.account
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		d.log.Warn("event published after close dropped", "event", e.Name, "bucket", e.Bucket, "key", e.Key)
		return
	}
	for _, r := range d.routes {
		if !r.rule.Match(e.Name, e.Key) {
			continue
		}
		e.RuleID = r.rule.ID
		payload, err := Marshal(e)
		if err != nil { // unreachable: only strings and integers are encoded
			d.log.Error("event not encoded", "event", e.Name, "key", e.Key, "error", err.Error())
			continue
		}
		r.pending = append(r.pending, delivery{event: e, payload: payload})
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// work delivers r's queue in order until Close has begun and the queue is empty.
func (d *Dispatcher) work(r *route) {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		if len(r.pending) == 0 {
			closing := d.closing
			d.mu.Unlock()
			if closing {
				return
			}
			select {
			case <-r.wake:
			case <-d.closeCh:
			}
			continue
		}
		next := r.pending[0]
		r.pending[0] = delivery{}
		r.pending = r.pending[1:]
		d.mu.Unlock()
		d.deliver(r, next)
	}
}

// deliver tries one payload until it succeeds, the attempts run out or the
// dispatcher gives up draining; a drop is logged.
func (d *Dispatcher) deliver(r *route, next delivery) {
	var err error
	attempt := 0
	for attempt < d.attempts {
		if d.ctx.Err() != nil {
			err = fmt.Errorf("dispatcher stopped: %w", d.ctx.Err())
			break
		}
		if attempt > 0 {
			if serr := d.sleep(d.ctx, d.backoff(attempt)); serr != nil {
				err = fmt.Errorf("dispatcher stopped: %w (last error: %w)", serr, err)
				break
			}
		}
		attempt++
		if err = d.try(r.sink, next.payload); err == nil {
			return
		}
	}
	d.log.Error("event delivery dropped", "event", next.event.Name, "bucket", next.event.Bucket, "key", next.event.Key,
		"requestId", next.event.RequestID, "ruleId", r.rule.ID, "attempts", attempt, "error", err.Error())
}

// backoff is the wait before retry n (n >= 1): base, 2*base, 4*base, ... capped at max.
func (d *Dispatcher) backoff(n int) time.Duration {
	delay := d.base
	for i := 1; i < n && delay < d.max; i++ {
		delay *= 2
	}
	return min(delay, d.max)
}

// try runs one Deliver call with its own timeout; a panicking sink counts as a failure.
func (d *Dispatcher) try(s Sink, payload []byte) (err error) {
	ctx, cancel := context.WithTimeout(d.ctx, d.attemptTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sink panicked: %v", p)
		}
	}()
	return s.Deliver(ctx, payload)
}

// ErrDrainTimeout reports that Close stopped deliveries still pending.
var ErrDrainTimeout = errors.New("ossevents: pending deliveries abandoned at close")

// Close stops accepting events, waits up to the drain timeout for queued
// deliveries (retries included), then cancels what remains (logging each
// drop) and waits for every worker to exit. It returns ErrDrainTimeout if
// deliveries were abandoned. Calling it again returns nil at once.
func (d *Dispatcher) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), d.drainTimeout)
	defer cancel()
	return d.Shutdown(ctx)
}

// Shutdown is Close with the drain bounded by ctx instead of the drain timeout.
func (d *Dispatcher) Shutdown(ctx context.Context) error {
	var err error
	d.shutdown.Do(func() {
		d.mu.Lock()
		d.closing = true
		close(d.closeCh)
		d.mu.Unlock()
		done := make(chan struct{})
		go func() { d.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			err = ErrDrainTimeout
			d.cancel()
			<-done
		}
		d.cancel()
	})
	return err
}
