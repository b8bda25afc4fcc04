package fcruntime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ossupload/ossupload/local/stacktest/base"
)

// testBin is testdata/fn built for this machine: a real fc.Start binary.
var testBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fcruntime-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testBin = filepath.Join(dir, "main")
	cmd := exec.Command("go", "build", "-o", testBin, "./testdata/fn")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the test function:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	testRegion  = "cn-hangzhou"
	testAccount = "1234567890123456"
)

func testFunction(name string) Function {
	return Function{
		Name: name, Binary: testBin, Timeout: time.Second, MemoryMB: 256, Handler: "main",
		Region: testRegion, AccountID: testAccount, Env: map[string]string{"APP_SETTING": "on"},
	}
}

func newRuntime(t *testing.T, cfg Config, fns ...Function) (*Runtime, *base.Buffer) {
	t.Helper()
	out := &base.Buffer{}
	cfg.Output = out
	if cfg.RestartBackoff == nil {
		cfg.RestartBackoff = func(int) time.Duration { return 20 * time.Millisecond }
	}
	if cfg.AsyncBackoff == nil {
		cfg.AsyncBackoff = func(n int) time.Duration { return time.Duration(n) * 10 * time.Millisecond }
	}
	cfg.StopGrace = 500 * time.Millisecond
	rt, err := New(cfg, fns...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rt.Close()
		if t.Failed() {
			t.Logf("runtime output:\n%s", out)
		}
	})
	return rt, out
}

// seen mirrors what testdata/fn reports.
type seen struct {
	Payload     json.RawMessage   `json:"payload"`
	RequestID   string            `json:"requestId"`
	DeadlineMS  int64             `json:"deadlineMs"`
	Credentials map[string]string `json:"credentials"`
	EnvAK       string            `json:"envAccessKeyId"`
	Function    map[string]string `json:"function"`
	TimeoutS    int               `json:"timeoutS"`
	Region      string            `json:"region"`
	AccountID   string            `json:"accountId"`
	Qualifier   string            `json:"qualifier"`
	RetryCount  int               `json:"retryCount"`
	PID         int               `json:"pid"`
	StartNS     int64             `json:"startNs"`
	EndNS       int64             `json:"endNs"`
	Env         map[string]string `json:"env"`
}

func invoke(t *testing.T, rt *Runtime, fn, event string) (seen, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := rt.Invoke(ctx, fn, []byte(event))
	var s seen
	if err == nil {
		if jerr := json.Unmarshal(out, &s); jerr != nil {
			t.Fatalf("result %s: %v", out, jerr)
		}
	}
	return s, err
}

func mustInvoke(t *testing.T, rt *Runtime, fn, event string) seen {
	t.Helper()
	s, err := invoke(t, rt, fn, event)
	if err != nil {
		t.Fatalf("invoke %s: %v", event, err)
	}
	return s
}

func invocationError(t *testing.T, err error) *InvocationError {
	t.Helper()
	var ie *InvocationError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T), want *InvocationError", err, err)
	}
	return ie
}

func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

func TestInvokeSuccess(t *testing.T) {
	rt, out := newRuntime(t, Config{}, testFunction("echo"))
	before := time.Now()
	s := mustInvoke(t, rt, "echo", `{"action":"echo","payload":{"k":[1,2]}}`)
	after := time.Now()

	if string(s.Payload) != `{"k":[1,2]}` {
		t.Errorf("payload %s", s.Payload)
	}
	if !strings.HasPrefix(s.RequestID, "1-") || len(s.RequestID) != 2+8+1+16 {
		t.Errorf("request id %q, want 1-<8 hex>-<16 hex>", s.RequestID)
	}
	if lo, hi := before.Add(time.Second).UnixMilli(), after.Add(time.Second).UnixMilli(); s.DeadlineMS < lo || s.DeadlineMS > hi {
		t.Errorf("deadline %d not within [%d,%d]", s.DeadlineMS, lo, hi)
	}
	want := map[string]string{"name": "echo", "handler": "main", "memory": "256"}
	for k, v := range want {
		if s.Function[k] != v {
			t.Errorf("function %s = %q, want %q", k, s.Function[k], v)
		}
	}
	if s.TimeoutS != 1 || s.Region != testRegion || s.AccountID != testAccount || s.Qualifier != "LATEST" || s.RetryCount != 0 {
		t.Errorf("context: timeout %d region %q account %q qualifier %q retry %d", s.TimeoutS, s.Region, s.AccountID, s.Qualifier, s.RetryCount)
	}
	env := map[string]string{"FC_FUNCTION_NAME": "echo", "FC_REGION": testRegion, "FC_ACCOUNT_ID": testAccount,
		"FC_FUNCTION_HANDLER": "main", "FC_FUNCTION_MEMORY_SIZE": "256", "APP_SETTING": "on"}
	for k, v := range env {
		if s.Env[k] != v {
			t.Errorf("env %s = %q, want %q", k, s.Env[k], v)
		}
	}
	if !strings.HasPrefix(s.Env["FC_RUNTIME_API"], "127.0.0.1:") {
		t.Errorf("FC_RUNTIME_API = %q", s.Env["FC_RUNTIME_API"])
	}
	// The SDK's own log lines arrive prefixed with the function name.
	for _, line := range []string{"[echo] test function starting", "[echo] FC Invoke Start RequestId: " + s.RequestID} {
		if !out.WaitFor(line, 5*time.Second) {
			t.Errorf("output lacks %q", line)
		}
	}
	if _, err := rt.Invoke(context.Background(), "nope", nil); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("unknown function: %v", err)
	}
}

func TestHostEnvironmentNotInherited(t *testing.T) {
	t.Setenv("HOST_SECRET", "from-the-developer-shell")
	t.Setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "developer-token")
	rt, _ := newRuntime(t, Config{}, testFunction("env"))
	s := mustInvoke(t, rt, "env", `{}`)
	if s.Env["HOST_SECRET"] != "" || s.Env["ALIBABA_CLOUD_SECURITY_TOKEN"] != "" {
		t.Errorf("child inherited host variables: %v", s.Env)
	}
}

func TestReturnedError(t *testing.T) {
	rt, _ := newRuntime(t, Config{}, testFunction("fails"))
	_, err := invoke(t, rt, "fails", `{"action":"error"}`)
	ie := invocationError(t, err)
	if ie.Type != TypeUnhandled || ie.Message != "failed on demand" || ie.ErrorType != "errorString" || ie.Panicked() || ie.RequestID == "" {
		t.Errorf("got %+v", ie)
	}
	// A JSON error from the SDK itself: the event does not decode.
	_, err = invoke(t, rt, "fails", `[1,2]`)
	if ie := invocationError(t, err); ie.Type != TypeUnhandled || ie.ErrorType == "" {
		t.Errorf("bad event: %+v", ie)
	}
}

func TestPanicKeepsServing(t *testing.T) {
	rt, _ := newRuntime(t, Config{}, testFunction("panics"))
	first := mustInvoke(t, rt, "panics", `{}`)
	_, err := invoke(t, rt, "panics", `{"action":"panic"}`)
	ie := invocationError(t, err)
	if ie.Message != "panicked on demand" || ie.ErrorType != "string" || !ie.Panicked() {
		t.Errorf("got %+v", ie)
	}
	if after := mustInvoke(t, rt, "panics", `{}`); after.PID != first.PID {
		t.Errorf("process changed after a panic: %d -> %d", first.PID, after.PID)
	}
}

func TestTimeoutKillsAndRestarts(t *testing.T) {
	rt, _ := newRuntime(t, Config{}, testFunction("slow"))
	first := mustInvoke(t, rt, "slow", `{}`)
	_, err := invoke(t, rt, "slow", `{"action":"sleep","sleep":"30s"}`)
	ie := invocationError(t, err)
	if ie.Type != TypeTimeout || ie.Message != "Function timed out after 1 seconds" {
		t.Errorf("got %+v", ie)
	}
	if alive(first.PID) {
		t.Errorf("timed-out process %d still alive", first.PID)
	}
	next := mustInvoke(t, rt, "slow", `{}`)
	if next.PID == first.PID {
		t.Errorf("same pid %d after a timeout", next.PID)
	}
}

func TestCrashRestarts(t *testing.T) {
	rt, out := newRuntime(t, Config{}, testFunction("crashy"))
	first := mustInvoke(t, rt, "crashy", `{}`)
	_, err := invoke(t, rt, "crashy", `{"action":"exit","code":2}`)
	ie := invocationError(t, err)
	if ie.Type != TypeUnhandled || !strings.Contains(ie.Message, "exit status 2") {
		t.Errorf("got %+v", ie)
	}
	next := mustInvoke(t, rt, "crashy", `{}`)
	if next.PID == first.PID || alive(first.PID) {
		t.Errorf("pid %d -> %d after a crash", first.PID, next.PID)
	}
	if !out.WaitFor("restarting", 5*time.Second) {
		t.Errorf("no restart logged")
	}
}

func TestBinaryThatExitsAtStart(t *testing.T) {
	f, err := exec.LookPath("false")
	if err != nil {
		t.Skip("no false(1) here")
	}
	fn := testFunction("broken")
	fn.Binary = f
	rt, _ := newRuntime(t, Config{}, fn)
	_, err = invoke(t, rt, "broken", `{}`)
	if ie := invocationError(t, err); !strings.Contains(ie.Message, "exit status 1") {
		t.Errorf("got %+v", ie)
	}
}

func TestOneInvocationAtATime(t *testing.T) {
	fn := testFunction("serial")
	fn.Timeout = 2 * time.Second
	rt, _ := newRuntime(t, Config{}, fn)
	var wg sync.WaitGroup
	results := make([]seen, 3)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = mustInvoke(t, rt, "serial", `{"action":"sleep","sleep":"150ms"}`)
		}()
	}
	wg.Wait()
	for i := range results {
		for j := range results {
			a, b := results[i], results[j]
			if i != j && a.StartNS < b.EndNS && b.StartNS < a.EndNS {
				t.Errorf("invocations %d and %d overlapped", i, j)
			}
		}
	}
}

func TestCredentialsPerInvocation(t *testing.T) {
	var mu sync.Mutex
	n := 0
	fn := testFunction("creds")
	fn.Credentials = func(context.Context) (Credentials, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		return Credentials{fmt.Sprintf("STS.key-%d", n), fmt.Sprintf("secret-value-%d", n), fmt.Sprintf("token-value-%d", n)}, nil
	}
	rt, out := newRuntime(t, Config{}, fn)
	a := mustInvoke(t, rt, "creds", `{}`)
	b := mustInvoke(t, rt, "creds", `{}`)
	if a.EnvAK != "STS.key-1" {
		t.Errorf("ALIBABA_CLOUD_ACCESS_KEY_ID = %q, want the start-time credentials", a.EnvAK)
	}
	if a.Env["ALIBABA_CLOUD_SECURITY_TOKEN"] != "token-value-1" {
		t.Errorf("ALIBABA_CLOUD_SECURITY_TOKEN = %q", a.Env["ALIBABA_CLOUD_SECURITY_TOKEN"])
	}
	wantA := map[string]string{"accessKeyId": "STS.key-2", "accessKeySecret": "secret-value-2", "securityToken": "token-value-2"}
	wantB := map[string]string{"accessKeyId": "STS.key-3", "accessKeySecret": "secret-value-3", "securityToken": "token-value-3"}
	for k := range wantA {
		if a.Credentials[k] != wantA[k] || b.Credentials[k] != wantB[k] {
			t.Errorf("%s: %q then %q, want %q then %q", k, a.Credentials[k], b.Credentials[k], wantA[k], wantB[k])
		}
	}
	rt.Close() // waits for the process, so everything it printed is in out
	if strings.Contains(out.String(), "secret-value") || strings.Contains(out.String(), "token-value") {
		t.Errorf("a secret reached the log:\n%s", out)
	}
	if s := fmt.Sprint(Credentials{"AK", "sk-secret", "tok-secret"}); strings.Contains(s, "secret") {
		t.Errorf("Credentials prints %s", s)
	}
}

func TestCredentialsFailure(t *testing.T) {
	calls := 0
	fn := testFunction("nocreds")
	fn.Credentials = func(context.Context) (Credentials, error) {
		calls++
		if calls > 1 {
			return Credentials{}, errors.New("sts unreachable")
		}
		return Credentials{"AK", "SK", "TOK"}, nil
	}
	rt, _ := newRuntime(t, Config{}, fn)
	_, err := invoke(t, rt, "nocreds", `{}`)
	if err == nil || isFunctionError(err) || !strings.Contains(err.Error(), "sts unreachable") {
		t.Errorf("got %v", err)
	}
}

func TestCloseLeavesNoProcess(t *testing.T) {
	rt, out := newRuntime(t, Config{}, testFunction("a"), testFunction("b"))
	pa := mustInvoke(t, rt, "a", `{}`).PID
	pb := mustInvoke(t, rt, "b", `{}`).PID
	// An invocation in flight while closing fails with ErrClosed.
	errc := make(chan error, 1)
	go func() {
		_, err := rt.Invoke(context.Background(), "a", []byte(`{"action":"sleep","sleep":"900ms"}`))
		errc <- err
	}()
	// In flight: the function has printed that it started a second invocation.
	if !base.Poll(5*time.Second, func() bool { return strings.Count(out.String(), "[a] FC Invoke Start") == 2 }) {
		t.Fatalf("the second invocation of a did not start:\n%s", out)
	}
	rt.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Errorf("in-flight invocation: %v", err)
	}
	for _, pid := range []int{pa, pb} {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d left behind (kill 0: %v)", pid, err)
		}
	}
	if _, err := rt.Invoke(context.Background(), "a", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("invoke after close: %v", err)
	}
}

func TestAddRejectsBadFunctions(t *testing.T) {
	rt, _ := newRuntime(t, Config{}, testFunction("ok"))
	for name, fn := range map[string]Function{
		"missing binary": {Name: "x", Binary: filepath.Join(t.TempDir(), "none")},
		"not executable": {Name: "y", Binary: "runtime.go"},
		"bad name":       {Name: "has space", Binary: testBin},
		"duplicate":      {Name: "ok", Binary: testBin},
	} {
		if err := rt.Add(fn); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRestartFailureFailsQueuedInvocation(t *testing.T) {
	var calls atomic.Int32
	fn := testFunction("norestart")
	fn.Credentials = func(context.Context) (Credentials, error) {
		// 1: first start, 2: the crashing invocation, then the role breaks.
		if calls.Add(1) > 2 {
			return Credentials{}, errors.New("role cannot be assumed")
		}
		return Credentials{"AK", "SK", "TOK"}, nil
	}
	rt, out := newRuntime(t, Config{StartTimeout: 300 * time.Millisecond}, fn)
	if _, err := invoke(t, rt, "norestart", `{"action":"exit","code":3}`); !isFunctionError(err) {
		t.Fatalf("crash: %v", err)
	}
	_, err := invoke(t, rt, "norestart", `{}`)
	if err == nil || isFunctionError(err) || !strings.Contains(err.Error(), "role cannot be assumed") {
		t.Errorf("got %v, want the start failure", err)
	}
	if !out.WaitFor("cannot start", 5*time.Second) {
		t.Errorf("start failure not logged")
	}
}

func TestCloseKillsGrandchildren(t *testing.T) {
	if _, err := exec.LookPath("sleep"); err != nil {
		t.Skip("no sleep(1) here")
	}
	rt, _ := newRuntime(t, Config{}, testFunction("spawner"))
	out, err := rt.Invoke(context.Background(), "spawner", []byte(`{"action":"spawn"}`))
	if err != nil {
		t.Fatal(err)
	}
	var pids struct{ ChildPid, Pid int }
	if err := json.Unmarshal(out, &pids); err != nil || pids.ChildPid == 0 {
		t.Fatalf("%s: %v", out, err)
	}
	if !alive(pids.ChildPid) {
		t.Fatalf("grandchild %d not running", pids.ChildPid)
	}
	rt.Close()
	// The grandchild is not ours to reap: once killed it is a zombie of
	// the (dead) function process, re-parented to init; wait for it to go.
	if !base.Poll(5*time.Second, func() bool { return !alive(pids.ChildPid) || isZombie(pids.ChildPid) }) {
		t.Fatalf("grandchild %d survived Close", pids.ChildPid)
	}
	if alive(pids.Pid) {
		t.Errorf("function process %d survived Close", pids.Pid)
	}
}

// isZombie reports whether pid has exited but not been reaped (Linux /proc).
func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // gone
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}
