// Package e2e runs the local stack as a user does (`go run ./local`, here a
// build of it) on free ports, with the real function binaries, and drives it
// with plain HTTP and the official Go OSS SDK.
package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ready mirrors the READY line of the local stack.
type ready struct {
	OSS             string            `json:"oss"`
	STS             string            `json:"sts"`
	Web             string            `json:"web"`
	Functions       map[string]string `json:"functions"`
	Bucket          string            `json:"bucket"`
	Region          string            `json:"region"`
	AccountID       string            `json:"accountId"`
	AccessKeyID     string            `json:"accessKeyId"`
	AccessKeySecret string            `json:"accessKeySecret"`
	RoleARN         string            `json:"roleArn"`
	JWT             string            `json:"jwt"`
	User            string            `json:"user"`
	CORSOrigins     []string          `json:"corsOrigins"`
	EnvFile         string            `json:"envFile"`
}

var (
	repoRoot string
	binDir   string // host builds: <binDir>/<fn>/main and <binDir>/localstack
)

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e setup:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	wd, err := os.Getwd()
	if err != nil {
		return 0, err
	}
	repoRoot = filepath.Clean(filepath.Join(wd, "..", ".."))
	tmp, err := os.MkdirTemp("", "ossupload-e2e-bin-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	binDir = tmp
	builds := map[string]string{"sign/main": "./functions/sign", "sts/main": "./functions/sts", "verify/main": "./functions/verify", "localstack": "./local"}
	for out, pkg := range builds {
		cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, out), pkg)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	return m.Run(), nil
}

// stack is a running local stack process.
type stack struct {
	ready
	cmd  *exec.Cmd
	data string
	logs *syncBuffer
}

// startStack runs the local stack on free ports with data in dir (a fresh
// temp dir when empty) and stops it when the test ends.
func startStack(t *testing.T, dir string, extraEnv ...string) *stack {
	t.Helper()
	return startStackArgs(t, dir, nil, extraEnv...)
}

// stackCommand is the local stack on free ports with data in dir; args
// come last, so they override the defaults.
func stackCommand(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(binDir, "localstack"), append([]string{
		"-oss", "127.0.0.1:0", "-sts", "127.0.0.1:0", "-web", "127.0.0.1:0", "-sign", "127.0.0.1:0", "-sts-function", "127.0.0.1:0",
		"-data", dir, "-bin", binDir,
		"-s", filepath.Join(repoRoot, "s.yaml"), "-template", filepath.Join(repoRoot, "template.yaml"), "-webroot", filepath.Join(repoRoot, "web"),
	}, args...)...)
	cmd.Dir = repoRoot
	return cmd
}

// startStackArgs is startStack with extra command-line flags.
func startStackArgs(t *testing.T, dir string, args []string, extraEnv ...string) *stack {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	cmd := stackCommand(dir, args...)
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logs := &syncBuffer{}
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &stack{cmd: cmd, data: dir, logs: logs}
	t.Cleanup(func() {
		s.stop(t)
		if t.Failed() {
			t.Logf("local stack output:\n%s", s.logs.String())
		}
	})

	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "READY ") {
				lines <- sc.Text()
			}
		}
		close(lines)
	}()
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatalf("the local stack exited before READY:\n%s", logs.String())
		}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "READY ")), &s.ready); err != nil {
			t.Fatalf("READY line: %v: %s", err, line)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("no READY line within 60 s:\n%s", logs.String())
	}
	return s
}

// stop sends SIGINT (Ctrl-C) and waits for the stack to exit, which it
// must do with status 0: a normal stop is not a failure.
func (s *stack) stop(t *testing.T) {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the local stack ended with %v after Ctrl-C, want exit status 0", err)
		}
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Errorf("the local stack did not stop within 15 s of Ctrl-C")
	}
}

// syncBuffer collects the stack's output; the process writes while the
// test may read.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
