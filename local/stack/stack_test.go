package stack

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A second stack on the same ports must say which flag moves it and that
// another stack may be running; nothing else is started before that.
func TestStartSaysWhichFlagWhenAPortIsTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	free := "127.0.0.1:0"
	for _, tc := range []struct {
		flag string
		cfg  Config
	}{
		{"oss", Config{OSSAddr: taken.Addr().String(), STSAddr: free, WebAddr: free, SignAddr: free, STSFunctionAddr: free}},
		{"web", Config{OSSAddr: free, STSAddr: free, WebAddr: taken.Addr().String(), SignAddr: free, STSFunctionAddr: free}},
		{"sts-function", Config{OSSAddr: free, STSAddr: free, WebAddr: free, SignAddr: free, STSFunctionAddr: taken.Addr().String()}},
	} {
		t.Run(tc.flag, func(t *testing.T) {
			tc.cfg.DataDir = t.TempDir()
			tc.cfg.Getenv = func(string) string { return "" }
			tc.cfg.Output = io.Discard
			_, err := Start(context.Background(), tc.cfg)
			if err == nil {
				t.Fatal("Start succeeded on a taken port")
			}
			for _, want := range []string{"-" + tc.flag + " ", taken.Addr().String(), "another local stack may already be running"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestCORSOrigins(t *testing.T) {
	got, err := corsOrigins(" http://localhost:5173/ ,https://app.example.com,,http://localhost:5173,*")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"http://localhost:5173", "https://app.example.com", "*"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, err := corsOrigins(""); err != nil || len(got) != 0 {
		t.Errorf("empty: %q, %v", got, err)
	}
	for _, bad := range []string{"localhost:5173", "http://localhost:5173/app", "ftp://x", "http://localhost:*"} {
		_, err := corsOrigins("http://ok.example.com," + bad)
		if err == nil || !strings.Contains(err.Error(), `"`+bad+`"`) || !strings.Contains(err.Error(), "-cors-origins") {
			t.Errorf("%q: %v, want an error naming it and the flag", bad, err)
		}
	}
}

// A bad origin is refused before any port is opened.
func TestStartRefusesABadOrigin(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Start(context.Background(), Config{OSSAddr: addr, STSAddr: "127.0.0.1:0", WebAddr: "127.0.0.1:0", SignAddr: "127.0.0.1:0",
		STSFunctionAddr: "127.0.0.1:0", DataDir: t.TempDir(), CORSOrigins: "localhost:5173", Output: io.Discard,
		Getenv: func(string) string { return "" }})
	if err == nil || !strings.Contains(err.Error(), "localhost:5173") {
		t.Fatalf("Start: %v, want the bad origin named", err)
	}
	if ln, err := net.Listen("tcp", addr); err != nil {
		t.Errorf("the OSS port is still held after a failed start: %v", err)
	} else {
		ln.Close()
	}
}

func TestDataDirGoneIsLoggedOnce(t *testing.T) {
	dir := t.TempDir()
	if _, err := loadDevState(dir); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s := &Stack{log: slog.New(slog.NewTextHandler(&logs, nil))}
	served := 0
	h := s.watchDataDir(dir, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served++ }))
	call := func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil)) }

	call()
	if logs.Len() != 0 {
		t.Fatalf("logged with the folder in place: %s", logs.String())
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	call()
	call()
	if n := strings.Count(logs.String(), "was deleted while the stack runs"); n != 1 {
		t.Fatalf("logged %d times, want once:\n%s", n, logs.String())
	}
	for _, want := range []string{dir, "make run", "NoSuchBucket"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log does not name %q:\n%s", want, logs.String())
		}
	}
	if served != 3 {
		t.Errorf("served %d requests, want 3 (the check must not swallow them)", served)
	}
	// Recreated (a restart elsewhere), then deleted again: said again.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := loadDevState(dir); err != nil {
		t.Fatal(err)
	}
	call()
	os.RemoveAll(dir)
	call()
	if n := strings.Count(logs.String(), "was deleted while the stack runs"); n != 2 {
		t.Errorf("logged %d times after a second deletion, want 2", n)
	}
}

// The env file is what a shell sources for the README's curl examples.
func TestEnvFileSourcesInAShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	path := filepath.Join(t.TempDir(), envFile)
	s := &Stack{Ready: Ready{OSS: "http://127.0.0.1:9000", Web: "http://127.0.0.1:8080/", JWT: "eyJ.a'b.c",
		Functions: map[string]string{"sign": "http://127.0.0.1:9100", "sts": "http://127.0.0.1:9101"}}}
	if err := s.writeEnvFile(path); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("env file: %v, mode %v; want 0600 (it holds a token)", err, fi.Mode())
	}
	out, err := exec.Command(sh, "-c", `. "$1" && printf '%s\n' "$SIGN_URL" "$STS_URL" "$JWT" "$OSS_URL" "$WEB_URL"`, "sh", path).CombinedOutput()
	if err != nil {
		t.Fatalf("sh: %v: %s", err, out)
	}
	want := "http://127.0.0.1:9100\nhttp://127.0.0.1:9101\neyJ.a'b.c\nhttp://127.0.0.1:9000\nhttp://127.0.0.1:8080/\n"
	if string(out) != want {
		t.Errorf("sourced:\n%s\nwant:\n%s", out, want)
	}
	s.removeEnvFile()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("env file still there after stop: %v", err)
	}
	// A file another stack wrote since is not ours to remove.
	if err := s.writeEnvFile(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("export SIGN_URL=other\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.removeEnvFile()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("removed another stack's env file: %v", err)
	}
}

// Routes given to the stack (-routes, -env UPLOAD_ROUTES) that the
// functions would refuse stop the stack at start, naming what to fix,
// instead of starting functions that refuse to run.
func TestStartRefusesRoutesTheFunctionsWould(t *testing.T) {
	cfg := Config{OSSAddr: "127.0.0.1:0", STSAddr: "127.0.0.1:0", WebAddr: "127.0.0.1:0", SignAddr: "127.0.0.1:0",
		STSFunctionAddr: "127.0.0.1:0", DataDir: t.TempDir(), SYAML: "../../s.yaml", Template: "../../template.yaml",
		Output: io.Discard, Getenv: func(string) string { return "" },
		FunctionEnv: map[string]string{"UPLOAD_ROUTES": `{"Avatar":{"allowedTypes":["image/png"]}}`}}
	_, err := Start(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), `UPLOAD_ROUTES: route "Avatar": the name must be`) {
		t.Fatalf("Start: %v, want the route problem", err)
	}
}
