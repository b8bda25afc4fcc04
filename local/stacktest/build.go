package stacktest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Functions are the function packages under functions/, as the local
// stack's bin directory holds them (<dir>/<name>/main).
var Functions = []string{"sign", "sts", "verify"}

// A Target is the platform a binary is built for.
type Target struct{ GOOS, GOARCH string }

var (
	// Host runs on this machine.
	Host = Target{runtime.GOOS, runtime.GOARCH}
	// FC is what FC's go1 runtime runs, as `make build` builds it.
	FC = Target{"linux", "amd64"}
)

// builds holds every binary built in this test process, in one temporary
// directory that Main removes.
var builds struct {
	mu   sync.Mutex
	dir  string
	done map[string]*build
}

type build struct {
	once sync.Once
	path string
	out  []byte
	err  error
}

// Main runs the tests and removes the binaries they built. A test
// package that builds calls it from its TestMain.
func Main(m *testing.M) {
	code := m.Run()
	builds.mu.Lock()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
	builds.mu.Unlock()
	os.Exit(code)
}

// Build builds pkg (a directory relative to the repository root, e.g.
// "functions/sts" or "local") for target, static (CGO_ENABLED=0) and with
// -trimpath, once per test process, and returns the binary's path:
// <dir>/<goos>-<goarch>/<pkg>/main.
func Build(t testing.TB, pkg string, target Target) string {
	t.Helper()
	key := target.GOOS + "-" + target.GOARCH + "/" + pkg
	builds.mu.Lock()
	if builds.done == nil {
		builds.done = map[string]*build{}
	}
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "ossupload-stacktest-bin-")
		if err != nil {
			builds.mu.Unlock()
			t.Fatal(err)
		}
		builds.dir = dir
	}
	b := builds.done[key]
	if b == nil {
		b = &build{path: filepath.Join(builds.dir, filepath.FromSlash(key), "main")}
		builds.done[key] = b
	}
	builds.mu.Unlock()
	b.once.Do(func() {
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-trimpath", "-o", b.path, "./"+pkg)
		cmd.Dir = RepoRoot(t)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+target.GOOS, "GOARCH="+target.GOARCH)
		b.out, b.err = cmd.CombinedOutput()
	})
	if b.err != nil {
		t.Fatalf("go build ./%s for %s: %v\n%s", pkg, key, b.err, b.out)
	}
	return b.path
}

// BinDir builds the three functions for this host and returns the
// directory the local stack's -bin flag (Config.BinDir) expects.
func BinDir(t testing.TB) string {
	t.Helper()
	var dir string
	for _, fn := range Functions {
		dir = filepath.Dir(filepath.Dir(Build(t, "functions/"+fn, Host)))
	}
	return dir
}

var root struct {
	once sync.Once
	dir  string
	err  error
}

// RepoRoot is the repository's root: the nearest directory above the
// working directory whose go.mod declares this module.
func RepoRoot(t testing.TB) string {
	t.Helper()
	root.once.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			root.err = err
			return
		}
		for {
			b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if err == nil && strings.HasPrefix(string(b), "module github.com/ossupload/ossupload\n") {
				root.dir = dir
				return
			}
			up := filepath.Dir(dir)
			if up == dir {
				root.err = fmt.Errorf("no go.mod of github.com/ossupload/ossupload above the working directory")
				return
			}
			dir = up
		}
	})
	if root.err != nil {
		t.Fatal(root.err)
	}
	return root.dir
}
