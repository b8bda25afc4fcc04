package stacktest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	localstack "github.com/ossupload/ossupload/local/stack"
)

// Process is the local stack running as its own process, as a user runs
// it (`go run ./local`, here a build of it).
type Process struct {
	localstack.Ready // from its READY line
	Cmd              *exec.Cmd
	Data             string  // its data directory
	Logs             *Buffer // its stderr
}

// StackCommand is the local stack's command on free loopback ports with
// data in dir and the repository's s.yaml, template.yaml and web/; args
// come last, so they override these defaults.
func StackCommand(t testing.TB, dir string, args ...string) *exec.Cmd {
	t.Helper()
	root := RepoRoot(t)
	cmd := exec.Command(Build(t, "local", Host), append([]string{
		"-oss", "127.0.0.1:0", "-sts", "127.0.0.1:0", "-web", "127.0.0.1:0", "-sign", "127.0.0.1:0", "-sts-function", "127.0.0.1:0",
		"-data", dir, "-bin", BinDir(t),
		"-s", filepath.Join(root, "s.yaml"), "-template", filepath.Join(root, "template.yaml"), "-webroot", filepath.Join(root, "web"),
	}, args...)...)
	cmd.Dir = root
	return cmd
}

// StartProcess runs StackCommand(dir, args...) with env added to this
// process's environment, waits for its READY line and stops it (Ctrl-C,
// which must end it with status 0) when the test ends. An empty dir is a
// fresh temporary directory.
func StartProcess(t testing.TB, dir string, args []string, env ...string) *Process {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	cmd := StackCommand(t, dir, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &Process{Cmd: cmd, Data: dir, Logs: &Buffer{}}
	cmd.Stderr = p.Logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop(t)
		if t.Failed() {
			t.Logf("local stack output:\n%s", p.Logs.String())
		}
	})
	line, err := ReadReady(stdout, 60*time.Second)
	if err != nil {
		t.Fatalf("%v:\n%s", err, p.Logs.String())
	}
	p.Ready = line
	return p
}

// ReadReady reads r (the local stack's stdout) until the line
// `READY {json}` and decodes it; the rest of r is drained in the
// background.
func ReadReady(r interface{ Read([]byte) (int, error) }, timeout time.Duration) (localstack.Ready, error) {
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "READY ") {
				lines <- sc.Text()
			}
		}
		close(lines)
	}()
	var ready localstack.Ready
	select {
	case line, ok := <-lines:
		if !ok {
			return ready, fmt.Errorf("the local stack exited before READY")
		}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "READY ")), &ready); err != nil {
			return ready, fmt.Errorf("READY line: %v: %s", err, line)
		}
		return ready, nil
	case <-time.After(timeout):
		return ready, fmt.Errorf("no READY line within %v", timeout)
	}
}

// Stop sends SIGINT (Ctrl-C) and waits for the stack to exit, which it
// must do with status 0: a normal stop is not a failure.
func (p *Process) Stop(t testing.TB) {
	t.Helper()
	if p.Cmd.ProcessState != nil {
		return
	}
	_ = p.Cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- p.Cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the local stack ended with %v after Ctrl-C, want exit status 0", err)
		}
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Errorf("the local stack did not stop within 15 s of Ctrl-C")
	}
}

// Start runs the local stack in the test's process on free loopback
// ports, with host builds of the functions and the repository's s.yaml,
// template.yaml and web/, and closes it when the test ends. opts adjust
// the configuration before the start. Its output goes to the returned
// Buffer, printed if the test failed.
func Start(t testing.TB, opts ...func(*localstack.Config)) (*localstack.Stack, *Buffer) {
	t.Helper()
	root := RepoRoot(t)
	logs := &Buffer{}
	cfg := localstack.Config{
		OSSAddr: "127.0.0.1:0", STSAddr: "127.0.0.1:0", WebAddr: "127.0.0.1:0", SignAddr: "127.0.0.1:0", STSFunctionAddr: "127.0.0.1:0",
		DataDir: t.TempDir(), BinDir: BinDir(t), SYAML: filepath.Join(root, "s.yaml"), Template: filepath.Join(root, "template.yaml"),
		WebRoot: filepath.Join(root, "web"), Getenv: func(string) string { return "" }, Output: logs,
	}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := localstack.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("local stack: %v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		s.Close()
		if t.Failed() {
			t.Logf("local stack output:\n%s", logs.String())
		}
	})
	return s, logs
}
