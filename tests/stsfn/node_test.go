package stsfn

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossupload/ossupload/local/stacktest"
)

const nodeScript = "tests/node/sts_multipart.mjs"

type nodeResult struct {
	Name         string `json:"name"`
	OK           bool   `json:"ok"`
	Key          string `json:"key"`
	Size         int    `json:"size"`
	RefreshCalls int    `json:"refreshCalls"`
	DeniedCode   string `json:"deniedCode"`
	Error        string `json:"error"`
}

// TestAliOSSMultipartWithRefresh: ali-oss in Node, configured only from the
// function's response, completes a multipartUpload of ~1.5 MB with the
// answer's headers (the object carries x-oss-meta-route) while its
// refreshSTSToken callback calls the function.
func TestAliOSSMultipartWithRefresh(t *testing.T) {
	nodeBin, root := stacktest.RequireNode(t), stacktest.RepoRoot(t)
	s := newStack(t)
	data := make([]byte, 1536*1024+321)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "movie.mp4")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, nodeScript, s.fnURL, jwtFor(t, "dana"), file)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("node timed out; stderr:\n%s", stderr.String())
	}
	results := map[string]nodeResult{}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var r nodeResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("unparsable output %q: %v", sc.Text(), err)
		}
		results[r.Name] = r
		t.Logf("node: %s ok=%v refreshCalls=%d deniedCode=%s %s", r.Name, r.OK, r.RefreshCalls, r.DeniedCode, r.Error)
	}
	if runErr != nil {
		t.Errorf("node: %v; stderr:\n%s", runErr, stderr.String())
	}
	for _, name := range []string{"v1", "v4"} {
		r, ok := results[name]
		if !ok || !r.OK {
			t.Errorf("%s: %+v", name, r)
			continue
		}
		if want := "uploads/dana/node-" + name + "/movie.mp4"; r.Key != want || r.Size != len(data) {
			t.Errorf("%s: key %q size %d, want %q %d", name, r.Key, r.Size, want, len(data))
		}
		if r.RefreshCalls < 1 {
			t.Errorf("%s: refreshSTSToken was never called", name)
		}
		if r.DeniedCode != "AccessDenied" {
			t.Errorf("%s: put outside the prefix gave %q, want AccessDenied", name, r.DeniedCode)
		}
		rc, err := s.developerOSS.GetObject(r.Key)
		if err != nil {
			t.Errorf("%s: read back: %v", name, err)
			continue
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, data) {
			t.Errorf("%s: stored %d bytes differ from the %d sent", name, len(got), len(data))
		}
		// multipartUpload sent the answer's "headers" with the initiate.
		if h, err := s.developerOSS.GetObjectDetailedMeta(r.Key); err != nil || h.Get("x-oss-meta-route") != "default" {
			t.Errorf("%s: x-oss-meta-route %q (%v), want default from the answer's headers", name, h.Get("x-oss-meta-route"), err)
		}
	}
	// One initial fetch per run plus the refreshes all reached the function;
	// the function's cache kept them to one AssumeRole.
	if n := s.fnRequests.Load(); n < 4 {
		t.Errorf("the function saw %d requests, want the initial fetches and refreshes", n)
	}
	if n := s.assumeCalls.Load(); n != 1 {
		t.Errorf("%d AssumeRole calls, want 1 (cached across refreshes)", n)
	}
	if strings.Contains(stdout.String()+stderr.String(), "accessKeySecret\":\"") {
		t.Error("node printed a secret")
	}
}
