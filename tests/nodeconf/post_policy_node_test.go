package nodeconf

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"

	localstack "github.com/ossupload/ossupload/local/stack"

	"github.com/ossupload/ossupload/local/stacktest"
)

// tinyPNG is a real 1x1 PNG (signature, IHDR, IDAT, IEND).
const tinyPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNg+M/A8B8ABQACAdGkzV8AAAAASUVORK5CYII="

// The browser-side pattern of README "Signing the form in the browser":
// a form-only widget signs a PostObject policy itself with ali-oss's
// signPostObjectPolicyV4 from the sts answer. The upload lands and is
// verified; the session policy still confines it to the caller's prefix;
// the policy's conditions are enforced; the signature covers the policy.
func TestSignPostObjectPolicyV4FromTheSTSAnswer(t *testing.T) {
	nodeBin, root := stacktest.RequireNode(t), stacktest.RepoRoot(t)
	s, _ := stacktest.Start(t)

	run := fmt.Sprintf("v4form-%d", time.Now().UnixNano())
	got := runNodeCases(t, nodeBin, root, "tests/node/post_policy_v4.mjs", stsAnswer(t, s), run)
	dir := "uploads/" + s.Ready.User + "/"
	for _, want := range []caseResult{
		{Name: "upload", Status: http.StatusOK},
		{Name: "outside-dir", Status: http.StatusForbidden, Code: "AccessDenied"},
		{Name: "policy-enforced", Status: http.StatusBadRequest, Code: "EntityTooLarge"},
		{Name: "tampered", Status: http.StatusForbidden, Code: "SignatureDoesNotMatch"},
	} {
		r, ok := got[want.Name]
		switch {
		case !ok:
			t.Errorf("%s: no result from the script", want.Name)
		case r.Status != want.Status || r.Code != want.Code:
			t.Errorf("%s (%s): HTTP %d %q, want %d %q", want.Name, r.Key, r.Status, r.Code, want.Status, want.Code)
		case want.Name != "outside-dir" && !strings.HasPrefix(r.Key, dir+run+"/"):
			t.Errorf("%s: key %q outside %s", want.Name, r.Key, dir+run+"/")
		}
	}
	if t.Failed() {
		return
	}

	// The upload is judged like any other: the sign function's /status.
	key := got["upload"].Key
	statusURL := s.Ready.Functions["sign"] + "/status?key=" + url.QueryEscape(key)
	stacktest.Eventually(t, 30*time.Second, key+": a verdict", func() bool {
		req, _ := http.NewRequest(http.MethodGet, statusURL, nil)
		req.Header.Set("Authorization", "Bearer "+s.Ready.JWT)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var st struct{ Status, Reason string }
		err = json.NewDecoder(res.Body).Decode(&st)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("status of %s: HTTP %d %v", key, res.StatusCode, err)
		}
		if st.Status == "pending" {
			return false
		}
		if st.Status != "verified" {
			t.Fatalf("%s: %s (%s), want verified", key, st.Status, st.Reason)
		}
		return true
	})

	// The refused forms stored nothing (read with the developer's key).
	client, err := aoss.New(s.Ready.OSS, s.Ready.AccessKeyID, s.Ready.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	b, err := client.Bucket(s.Ready.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"outside-dir", "policy-enforced", "tampered"} {
		_, err := b.GetObjectDetailedMeta(got[name].Key)
		var se aoss.ServiceError
		if !errors.As(err, &se) || se.StatusCode != http.StatusNotFound {
			t.Errorf("%s: HEAD %s = %v, want 404", name, got[name].Key, err)
		}
	}
}

// stsAnswer calls the stack's sts function as a page does and returns its
// JSON answer.
func stsAnswer(t *testing.T, s *localstack.Stack) json.RawMessage {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.Ready.Functions["sts"]+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Ready.JWT)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("sts: %d %s", res.StatusCode, answer)
	}
	return answer
}

// caseResult is one line a case script (post_policy_v4.mjs, hostile_alioss.mjs) prints.
type caseResult struct {
	Name, Key, Code string
	Status          int
}

// runNodeCases runs a script of tests/node with {"answer","run","png"} as
// its argument and collects the JSON line it prints for each case, by name.
func runNodeCases(t *testing.T, nodeBin, root, script string, answer json.RawMessage, run string) map[string]caseResult {
	t.Helper()
	arg, err := json.Marshal(map[string]any{"answer": answer, "run": run, "png": tinyPNG})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, script, string(arg))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.String())
	}
	got := map[string]caseResult{}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var r caseResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("output line %q: %v", sc.Text(), err)
		}
		got[r.Name] = r
	}
	return got
}
