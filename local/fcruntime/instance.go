package fcruntime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// invocation is one queued call of a function.
type invocation struct {
	ctx   context.Context // the caller's; only consulted before the function takes it
	id    string
	event []byte
	retry int
	creds Credentials

	once    sync.Once
	done    chan struct{}
	payload []byte
	err     error
}

func (v *invocation) finish(payload []byte, err error) {
	v.once.Do(func() {
		v.payload, v.err = payload, err
		close(v.done)
	})
}

// instance supervises the processes of one function and feeds them its
// invocations one at a time.
type instance struct {
	rt    *Runtime
	fn    Function
	queue chan *invocation

	mu       sync.Mutex
	cur      *process      // nil between processes
	changed  chan struct{} // closed and replaced when cur changes
	startErr error         // why the last start failed, or the last exit
}

func (in *instance) setStartErr(err error) {
	in.mu.Lock()
	in.startErr = err
	in.mu.Unlock()
}

func (in *instance) startError() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.startErr == nil {
		return errors.New("no start attempt finished")
	}
	return in.startErr
}

func newInstance(rt *Runtime, f Function) *instance {
	return &instance{rt: rt, fn: f, queue: make(chan *invocation, rt.cfg.QueueSize), changed: make(chan struct{})}
}

func (in *instance) enqueue(v *invocation) error {
	select {
	case <-in.rt.closed:
		return ErrClosed
	default:
	}
	select {
	case in.queue <- v:
		return nil
	default:
		return fmt.Errorf("%w: %s", ErrThrottled, in.fn.Name)
	}
}

func (in *instance) setCur(p *process) {
	in.mu.Lock()
	in.cur = p
	close(in.changed)
	in.changed = make(chan struct{})
	in.mu.Unlock()
}

// live waits until a running process exists.
func (in *instance) live(ctx context.Context) (*process, error) {
	for {
		in.mu.Lock()
		p, ch := in.cur, in.changed
		in.mu.Unlock()
		if p != nil && !p.hasExited() {
			return p, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-in.rt.closed:
			return nil, ErrClosed
		}
	}
}

// process is one child process with its own runtime API listener.
type process struct {
	in       *instance
	cmd      *exec.Cmd
	srv      *http.Server
	handoff  chan *invocation // unbuffered: a send completes when the process took the invocation
	exited   chan struct{}
	exitErr  error
	started  time.Time
	stdout   *linePrefixer
	stderr   *linePrefixer
	timedOut bool // killed by the runtime for a deadline overrun (guarded by mu)
	servedOK bool // answered at least one invocation (guarded by mu)
	killed   bool // killed on purpose by Runtime.Kill (guarded by mu)

	mu       sync.Mutex
	inflight *invocation
}

func (p *process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// signal sends sig to the process group.
func (p *process) signal(sig syscall.Signal) {
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
}

// start launches a new process of the function.
func (in *instance) start() (*process, error) {
	f := in.fn
	env := baseEnv()
	for k, v := range f.Env {
		env[k] = v
	}
	if f.Credentials != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := f.Credentials(ctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("credentials: %w", err)
		}
		env["ALIBABA_CLOUD_ACCESS_KEY_ID"] = c.AccessKeyID
		env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = c.AccessKeySecret
		env["ALIBABA_CLOUD_SECURITY_TOKEN"] = c.SecurityToken
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime API listener: %w", err)
	}
	bin, err := filepath.Abs(f.Binary)
	if err != nil {
		ln.Close()
		return nil, err
	}
	var inst [8]byte
	_, _ = rand.Read(inst[:])
	env["FC_RUNTIME_API"] = ln.Addr().String()
	env["FC_FUNCTION_NAME"] = f.Name
	env["FC_FUNCTION_HANDLER"] = f.Handler
	env["FC_FUNCTION_MEMORY_SIZE"] = strconv.Itoa(f.MemoryMB)
	env["FC_REGION"] = f.Region
	env["FC_ACCOUNT_ID"] = f.AccountID
	env["FC_FUNC_CODE_PATH"] = filepath.Dir(bin)
	env["FC_INSTANCE_ID"] = hex.EncodeToString(inst[:])
	env["FC_TIMEOUT"] = strconv.Itoa(f.timeoutSeconds())

	p := &process{in: in, handoff: make(chan *invocation), exited: make(chan struct{})}
	prefix := "[" + f.Name + "] "
	p.stdout = &linePrefixer{out: in.rt.out, prefix: prefix}
	p.stderr = &linePrefixer{out: in.rt.out, prefix: prefix}
	p.cmd = exec.Command(bin)
	p.cmd.Dir = filepath.Dir(bin)
	p.cmd.Env = envList(env)
	p.cmd.Stdout = p.stdout
	p.cmd.Stderr = p.stderr
	p.cmd.SysProcAttr = sysProcAttr()
	p.cmd.WaitDelay = time.Second // a grandchild holding the pipes cannot stall the reaper
	p.srv = &http.Server{Handler: p.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	if err := p.cmd.Start(); err != nil {
		p.srv.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p.started = time.Now()
	go func() {
		p.exitErr = p.cmd.Wait()
		if p.exitErr == nil {
			p.exitErr = errors.New("exit status 0")
		}
		close(p.exited)
	}()
	return p, nil
}

// baseEnv is what the child inherits from the host: enough to run, and
// nothing that could carry the developer's own cloud credentials.
func baseEnv() map[string]string {
	env := map[string]string{}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "TZ", "LANG"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	return env
}

func envList(env map[string]string) []string {
	l := make([]string, 0, len(env))
	for k, v := range env {
		l = append(l, k+"="+v)
	}
	return l
}

// supervise restarts the function's process whenever it exits, until the
// runtime closes.
func (in *instance) supervise(p *process) {
	defer in.rt.wg.Done()
	crashes := 0
	for {
		in.setCur(p)
		select {
		case <-p.exited:
		case <-in.rt.closed:
			p.stop(in.rt.cfg.StopGrace)
			in.setCur(nil)
			return
		}
		p.cleanup()
		in.setCur(nil)
		p.mu.Lock()
		timedOut, served := p.timedOut, p.servedOK
		p.mu.Unlock()
		wait := time.Duration(0)
		if timedOut {
			crashes = 0
		} else {
			if served || time.Since(p.started) > 10*time.Second {
				crashes = 0
			}
			crashes++
			wait = in.rt.cfg.RestartBackoff(crashes)
			in.setStartErr(fmt.Errorf("instance exited: %w", p.exitErr))
			in.rt.log.Warn("function process exited; restarting", "function", in.fn.Name, "error", p.exitErr.Error(), "restartIn", wait.String())
		}
		for {
			if !sleep(wait, in.rt.closed) {
				return
			}
			np, err := in.start()
			if err == nil {
				p = np
				break
			}
			in.setStartErr(err)
			crashes++
			wait = in.rt.cfg.RestartBackoff(crashes)
			in.rt.log.Error("function process cannot start", "function", in.fn.Name, "error", err.Error(), "retryIn", wait.String())
		}
	}
}

// stop terminates the process group: SIGTERM, then SIGKILL after grace.
func (p *process) stop(grace time.Duration) {
	p.signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
		p.signal(syscall.SIGKILL)
		<-p.exited
	}
	p.cleanup()
}

// cleanup runs after the leader was reaped: it kills whatever is left of
// the process group, closes the API listener and flushes partial log lines.
func (p *process) cleanup() {
	p.signal(syscall.SIGKILL)
	p.srv.Close()
	p.stdout.Flush()
	p.stderr.Flush()
}

func sleep(d time.Duration, stop <-chan struct{}) bool {
	if d <= 0 {
		select {
		case <-stop:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-stop:
		return false
	}
}

// dispatch feeds queued invocations to the current process, one at a time.
func (in *instance) dispatch() {
	defer in.rt.wg.Done()
	for {
		select {
		case v := <-in.queue:
			in.run(v)
		case <-in.rt.closed:
			for {
				select {
				case v := <-in.queue:
					v.finish(nil, ErrClosed)
				default:
					return
				}
			}
		}
	}
}

func (in *instance) run(v *invocation) {
	if err := v.ctx.Err(); err != nil {
		v.finish(nil, err)
		return
	}
	wctx, cancel := context.WithTimeout(v.ctx, in.rt.cfg.StartTimeout)
	p, err := in.live(wctx)
	cancel()
	if err != nil {
		if v.ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("function %s: no instance started within %s: %w", in.fn.Name, in.rt.cfg.StartTimeout, in.startError())
		}
		v.finish(nil, err)
		return
	}
	if in.fn.Credentials != nil {
		c, err := in.fn.Credentials(v.ctx)
		if err != nil {
			v.finish(nil, fmt.Errorf("function %s: credentials: %w", in.fn.Name, err))
			return
		}
		v.creds = c
	}
	select {
	case p.handoff <- v:
	case <-p.exited:
		v.finish(nil, &InvocationError{Type: TypeUnhandled, ErrorType: "InstanceExited", RequestID: v.id,
			Message: fmt.Sprintf("function instance exited unexpectedly (%v) before taking the invocation", p.exitErr)})
		return
	case <-v.ctx.Done():
		v.finish(nil, v.ctx.Err())
		return
	case <-in.rt.closed:
		v.finish(nil, ErrClosed)
		return
	}
	t := time.NewTimer(in.fn.Timeout)
	defer t.Stop()
	select {
	case <-v.done:
		if v.err == nil || isFunctionError(v.err) {
			p.mu.Lock()
			p.servedOK = true
			p.mu.Unlock()
		}
	case <-t.C:
		p.mu.Lock()
		p.timedOut = true
		p.inflight = nil
		p.mu.Unlock()
		p.signal(syscall.SIGKILL)
		<-p.exited // the supervisor restarts it at once
		v.finish(nil, &InvocationError{Type: TypeTimeout, RequestID: v.id,
			Message: fmt.Sprintf("Function timed out after %d seconds", in.fn.timeoutSeconds())})
	case <-p.exited:
		msg := fmt.Sprintf("function instance exited unexpectedly (%v)", p.exitErr)
		p.mu.Lock()
		if p.killed {
			msg = "Process exited unexpectedly before completing request (killed by the runtime, as FC kills an instance out of memory)"
		}
		p.mu.Unlock()
		v.finish(nil, &InvocationError{Type: TypeUnhandled, ErrorType: "InstanceExited", RequestID: v.id, Message: msg})
	case <-in.rt.closed:
		v.finish(nil, ErrClosed)
	}
}

func isFunctionError(err error) bool {
	var ie *InvocationError
	return errors.As(err, &ie)
}
