package stacktest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ossupload/ossupload/local/fcruntime"
)

// Function runs f alone under the local FC runtime (the runtime API that
// fc.Start speaks), with its output in the returned Buffer, and closes the
// runtime when the test ends (Close may be called earlier, to have
// everything the function printed in the Buffer).
func Function(t testing.TB, cfg fcruntime.Config, f fcruntime.Function) (*fcruntime.Runtime, *Buffer) {
	t.Helper()
	out := &Buffer{}
	if cfg.Output == nil {
		cfg.Output = out
	}
	rt, err := fcruntime.New(cfg, f)
	if err != nil {
		t.Fatalf("start %s under the local FC runtime: %v\n%s", f.Name, err, out.String())
	}
	t.Cleanup(func() {
		rt.Close()
		if t.Failed() {
			t.Logf("%s output:\n%s", f.Name, out.String())
		}
	})
	return rt, out
}

// HTTPTrigger serves fn's HTTP trigger (the FC3 event conversion of
// rt.HTTPTrigger) on a loopback URL until the test ends.
func HTTPTrigger(t testing.TB, rt *fcruntime.Runtime, fn string) string {
	t.Helper()
	srv := httptest.NewServer(rt.HTTPTrigger(fn))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Do sends req with the default client and returns the response with its
// body read and closed.
func Do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

// PeakRSS is a process's peak resident set size in bytes (proc(5):
// VmHWM). It skips the test where there is no /proc.
func PeakRSS(t testing.TB, pid int) int64 {
	t.Helper()
	if pid == 0 {
		t.Fatal("no running process")
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/<pid>/status")
	return 0
}

// StaleAtStart is a Function.Credentials for a role whose credentials FC
// has rotated since the process started: the first call (the process
// start, ALIBABA_CLOUD_* variables) answers stale, every later one (each
// invocation's x-fc-access-key-* headers) fresh.
func StaleAtStart(stale, fresh fcruntime.Credentials) func(context.Context) (fcruntime.Credentials, error) {
	var calls atomic.Int64
	return func(context.Context) (fcruntime.Credentials, error) {
		if calls.Add(1) == 1 {
			return stale, nil
		}
		return fresh, nil
	}
}
