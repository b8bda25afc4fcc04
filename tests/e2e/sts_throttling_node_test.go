package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossupload/ossupload/local/stacktest"
)

// TestAliOSSRefreshUnderSTSThrottling: ali-oss in Node, whose
// refreshSTSToken callback calls the sts function, needs fresh credentials
// (another user's call evicted its own from the function's cache) while
// STS throttles AssumeRole. The callback sees 503 with Retry-After, waits
// and asks again; once the throttling stops (the fault's last hit) the
// refresh succeeds, the upload goes through, and the credentials are still
// the caller's own: a write under another user's prefix is refused.
func TestAliOSSRefreshUnderSTSThrottling(t *testing.T) {
	nodeBin := stacktest.RequireNode(t)
	s := startStack(t, "", "STS_CACHE_SIZE=1")
	user, other := "throttled-user", "other-user"
	cmd := exec.Command(nodeBin, filepath.Join("tests", "node", "sts_throttling.mjs"), s.Functions["sts"], devToken(t, s, user), devToken(t, s, other))
	cmd.Dir = stacktest.RepoRoot(t)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr stacktest.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() map[string]any {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the script ended early; stderr:\n%s", stderr.String())
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("script line %q: %v", l, err)
			}
			return m
		case <-time.After(60 * time.Second):
			t.Fatalf("no line from the script within 60 s; stderr:\n%s", stderr.String())
			return nil
		}
	}
	if m := next(); m["step"] != "evicted" {
		t.Fatalf("first line %v, want the evicted step", m)
	}
	// The next two AssumeRole calls of this user are throttled, as STS does
	// past its rate limit; the third is served.
	armFault(t, s.STS, `{"op":"AssumeRole","action":"throttle","session":"*`+user+`*","times":2}`)
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		t.Fatal(err)
	}
	res := next()
	t.Logf("script: %v", res)
	if res["ok"] != true {
		t.Fatalf("the upload after the throttling failed: %v", res["error"])
	}
	if n, _ := res["throttled"].(float64); n != 2 {
		t.Errorf("the callback met %v throttled answers, want 2 (one per fault hit)", res["throttled"])
	}
	for _, ra := range res["retryAfter"].([]any) {
		if ra == "" {
			t.Errorf("a 503 without Retry-After")
		}
	}
	if n, _ := res["refreshCalls"].(float64); n < 1 {
		t.Errorf("refreshSTSToken was never called")
	}
	if res["deniedCode"] != "AccessDenied" {
		t.Errorf("write under another user's prefix: %v, want AccessDenied", res["deniedCode"])
	}
	dev := devBucket(t, s)
	for _, k := range res["keys"].([]any) {
		key := k.(string)
		if !strings.HasPrefix(key, "uploads/"+user+"/") {
			t.Errorf("key %s is outside the caller's prefix", key)
		}
		if ok, err := dev.IsObjectExist(key); err != nil || !ok {
			t.Errorf("%s was not stored: %v", key, err)
		}
	}
	if l := faultList(t, s.STS); len(l) != 0 {
		t.Errorf("the throttle was not met: %s", l)
	}
}
