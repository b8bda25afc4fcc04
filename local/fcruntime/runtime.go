// Package fcruntime is a local Function Compute 3.0 runtime: it runs the
// very binaries `s deploy` ships (built for the host) as child processes
// and serves them the FC runtime API that fc-runtime-go-sdk's fc.Start
// speaks (GET …/invocation/next, POST …/<id>/response and …/<id>/error,
// API version 2020-11-11). On top it offers synchronous and asynchronous
// invocation (with FC's retries), an HTTP trigger front door that turns
// requests into the FC3 HTTP trigger event, and a sink for OSS event
// notifications.
//
// Each function has one instance at a time that runs one invocation at a
// time; further invocations queue. A deadline overrun fails the
// invocation and kills the process group; a process that exits is
// restarted (with back-off when it crashed).
package fcruntime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Config configures a Runtime. The zero value is usable.
type Config struct {
	// Output receives the functions' stdout and stderr, each line
	// prefixed with "[<function>] ". Default os.Stderr.
	Output io.Writer
	// Logger receives the runtime's own messages (restarts, final async
	// failures). Default: slog JSON to Output.
	Logger *slog.Logger
	// Now is the clock for deadlines, request ids and event times. Default time.Now.
	Now func() time.Time
	// AsyncBackoff is the wait before async retry n (1-based). Default n seconds (1s, 2s, 3s).
	AsyncBackoff func(retry int) time.Duration
	// RestartBackoff is the wait before restarting a process after its
	// n-th consecutive crash (1-based). Default 200ms doubling up to 10s.
	RestartBackoff func(crashes int) time.Duration
	// StopGrace is how long Close waits after SIGTERM before SIGKILL. Default 2s.
	StopGrace time.Duration
	// StartTimeout bounds how long a queued invocation waits for a
	// running instance (after a crash, while restarts fail). Default 30s.
	StartTimeout time.Duration
	// QueueSize bounds the invocations waiting per function. Default 1000.
	QueueSize int
	// AsyncDone, if set, is called when an asynchronous invocation ends
	// (succeeded, or failed after its last retry).
	AsyncDone func(AsyncResult)
}

// AsyncResult reports the end of an asynchronous invocation.
type AsyncResult struct {
	Function  string
	RequestID string
	Attempts  int   // 1 + retries made
	Err       error // nil on success
	// Expired: retries stopped because the event outlived the function's
	// MaxAsyncEventAge (Err is the last attempt's error).
	Expired bool
	Event   []byte // the invocation's payload (for a failure destination)
}

// Runtime runs functions. Its methods are safe for concurrent use.
type Runtime struct {
	cfg    Config
	out    *syncWriter
	log    *slog.Logger
	closed chan struct{}
	wg     sync.WaitGroup // supervisors, dispatchers, async invocations

	mu    sync.Mutex
	fns   map[string]*instance
	shut  bool
	async sync.WaitGroup
}

// New returns a Runtime and starts the given functions.
func New(cfg Config, fns ...Function) (*Runtime, error) {
	if cfg.Output == nil {
		cfg.Output = os.Stderr
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AsyncBackoff == nil {
		cfg.AsyncBackoff = func(n int) time.Duration { return time.Duration(n) * time.Second }
	}
	if cfg.RestartBackoff == nil {
		cfg.RestartBackoff = defaultRestartBackoff
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = 2 * time.Second
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 1000
	}
	rt := &Runtime{
		cfg:    cfg,
		out:    &syncWriter{w: cfg.Output},
		closed: make(chan struct{}),
		fns:    map[string]*instance{},
	}
	rt.log = cfg.Logger
	if rt.log == nil {
		rt.log = slog.New(slog.NewJSONHandler(rt.out, nil))
	}
	for _, f := range fns {
		if err := rt.Add(f); err != nil {
			rt.Close()
			return nil, err
		}
	}
	return rt, nil
}

func defaultRestartBackoff(n int) time.Duration {
	d := 200 * time.Millisecond
	for i := 1; i < n && d < 10*time.Second; i++ {
		d *= 2
	}
	return min(d, 10*time.Second)
}

// Add starts a function: it validates it, starts its first process
// (an error if that cannot be started) and begins serving invocations.
func (rt *Runtime) Add(f Function) error {
	f = f.withDefaults()
	if err := f.validate(); err != nil {
		return err
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.shut {
		return ErrClosed
	}
	if _, dup := rt.fns[f.Name]; dup {
		return fmt.Errorf("function %s: added twice", f.Name)
	}
	in := newInstance(rt, f)
	p, err := in.start()
	if err != nil {
		return fmt.Errorf("function %s: %w", f.Name, err)
	}
	rt.fns[f.Name] = in
	rt.wg.Add(2)
	go in.supervise(p)
	go in.dispatch()
	return nil
}

func (rt *Runtime) instance(fn string) (*instance, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.shut {
		return nil, ErrClosed
	}
	in, ok := rt.fns[fn]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrFunctionNotFound, fn)
	}
	return in, nil
}

// Invoke runs fn synchronously with event as its payload and returns the
// function's JSON result. A failure of the function is an
// *InvocationError; the runtime's own failures wrap ErrFunctionNotFound,
// ErrThrottled, ErrClosed or the context's error. Cancelling ctx stops
// waiting, not the function (as on FC).
func (rt *Runtime) Invoke(ctx context.Context, fn string, event []byte) ([]byte, error) {
	return rt.invoke(ctx, fn, event, rt.newRequestID(), 0)
}

func (rt *Runtime) invoke(ctx context.Context, fn string, event []byte, id string, retry int) ([]byte, error) {
	in, err := rt.instance(fn)
	if err != nil {
		return nil, err
	}
	inv := &invocation{ctx: ctx, id: id, event: event, retry: retry, done: make(chan struct{})}
	if err := in.enqueue(inv); err != nil {
		return nil, err
	}
	select {
	case <-inv.done:
		return inv.payload, inv.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops every function: pending invocations fail with ErrClosed,
// each process group gets SIGTERM then (after StopGrace) SIGKILL, and
// Close returns once every process has been reaped and every goroutine
// has ended.
func (rt *Runtime) Close() error {
	rt.mu.Lock()
	if rt.shut {
		rt.mu.Unlock()
		return nil
	}
	rt.shut = true
	close(rt.closed)
	rt.mu.Unlock()
	rt.wg.Wait()
	rt.async.Wait()
	return nil
}

// newRequestID returns an id shaped like FC's: 1-<epoch hex>-<random hex>.
func (rt *Runtime) newRequestID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return fmt.Sprintf("1-%08x-%s", rt.cfg.Now().Unix(), hex.EncodeToString(b[:]))
}
