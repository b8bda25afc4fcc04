package fcruntime

import (
	"context"
	"errors"
	"time"

	"github.com/ossupload/ossupload/shared/logging"
)

// InvokeAsync queues an asynchronous invocation of fn and returns its
// request id at once. Like FC's async queue it retries a failed
// invocation (function error, timeout, crash) up to the function's
// MaxAsyncRetries times, waiting Config.AsyncBackoff(n) before retry n and
// sending x-fc-retry-count n; all attempts share the request id. A retry
// whose time comes when the event is older than the function's
// MaxAsyncEventAge (by Config.Now, from now) is not made: FC discards
// such an event ("Expired": the maximum validity period of messages
// elapsed; FC 2.0 StatefulAsyncInvocation,
// https://www.alibabacloud.com/help/en/fc/developer-reference/api-fc-open-2021-04-06-struct-statefulasyncinvocation).
// The final failure is logged (and reported to Config.AsyncDone, with
// Expired set in the second case). The error is
// non-nil only when fn is unknown or the runtime is closed.
func (rt *Runtime) InvokeAsync(fn string, event []byte) (string, error) {
	in, err := rt.instance(fn)
	if err != nil {
		return "", err
	}
	rt.mu.Lock()
	if rt.shut {
		rt.mu.Unlock()
		return "", ErrClosed
	}
	rt.async.Add(1)
	rt.mu.Unlock()
	id := rt.newRequestID()
	event = append([]byte(nil), event...)
	accepted := rt.cfg.Now()
	go func() {
		defer rt.async.Done()
		rt.runAsync(in, id, event, accepted)
	}()
	return id, nil
}

func (rt *Runtime) runAsync(in *instance, id string, event []byte, accepted time.Time) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-rt.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	var err error
	attempts := 0
	expired := false
	for attempt := 0; attempt <= in.fn.MaxAsyncRetries; attempt++ {
		if attempt > 0 && !sleep(rt.cfg.AsyncBackoff(attempt), rt.closed) {
			err = ErrClosed
			break
		}
		if attempt > 0 && rt.cfg.Now().Sub(accepted) > in.fn.MaxAsyncEventAge {
			expired = true
			rt.log.Warn("async event older than its maximum age; not retried", "function", in.fn.Name, logging.RequestIDKey, id,
				"maxAsyncEventAgeSeconds", int64(in.fn.MaxAsyncEventAge/time.Second), "attempts", attempts)
			break
		}
		_, err = rt.invoke(ctx, in.fn.Name, event, id, attempt)
		attempts++
		if err == nil || errors.Is(err, ErrClosed) || errors.Is(err, ErrFunctionNotFound) {
			break
		}
		if attempt < in.fn.MaxAsyncRetries {
			rt.log.Warn("async invocation failed; will retry", "function", in.fn.Name, logging.RequestIDKey, id, "retryCount", attempt, "error", err.Error())
		}
	}
	if err != nil && !errors.Is(err, ErrClosed) {
		rt.log.Error("async invocation failed for good", "function", in.fn.Name, logging.RequestIDKey, id, "attempts", attempts, "expired", expired, "error", err.Error())
	}
	if rt.cfg.AsyncDone != nil {
		rt.cfg.AsyncDone(AsyncResult{Function: in.fn.Name, RequestID: id, Attempts: attempts, Err: err, Expired: expired, Event: event})
	}
}

// AsyncSink delivers payloads (such as OSS event notifications) to a
// function asynchronously; it satisfies ossevents.Sink.
type AsyncSink struct {
	rt *Runtime
	fn string
}

// Sink returns a sink whose deliveries invoke fn asynchronously.
func (rt *Runtime) Sink(fn string) *AsyncSink { return &AsyncSink{rt: rt, fn: fn} }

// Deliver queues payload as an asynchronous invocation and returns nil
// once accepted, as FC's async queue does; the function's own failures are
// retried by the runtime, not by the caller.
func (s *AsyncSink) Deliver(ctx context.Context, payload []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := s.rt.InvokeAsync(s.fn, payload)
	return err
}
