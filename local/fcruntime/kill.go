package fcruntime

import (
	"errors"
	"fmt"
	"syscall"
)

// ErrNotRunning is returned by Kill when the function has no invocation in
// progress.
var ErrNotRunning = errors.New("no invocation in progress")

// Kill kills the process of fn that is running an invocation (SIGKILL to
// its process group), as FC does to an instance that runs out of memory
// or past its timeout, and returns once the process is gone. The
// invocation fails as on FC ("Process exited unexpectedly before
// completing request", an UnhandledInvocationError,
// https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/process-exited-unexpectedly-before-completing-request-message),
// so an asynchronous one is retried like any other function error
// (https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/error-handling-1-2:
// HandledInvocationError and UnhandledInvocationError are retried up to
// maxAsyncRetryAttempts times), and a new process starts for the next
// invocation. Tests use it to crash a function at a chosen point (see
// the OSS emulator's "kill" fault).
func (rt *Runtime) Kill(fn string) error {
	in, err := rt.instance(fn)
	if err != nil {
		return err
	}
	in.mu.Lock()
	p := in.cur
	in.mu.Unlock()
	if p == nil || p.hasExited() {
		return fmt.Errorf("function %s: %w", fn, ErrNotRunning)
	}
	p.mu.Lock()
	busy := p.inflight != nil
	if busy {
		p.killed = true
	}
	p.mu.Unlock()
	if !busy {
		return fmt.Errorf("function %s: %w", fn, ErrNotRunning)
	}
	p.signal(syscall.SIGKILL)
	<-p.exited
	return nil
}
