package nodeconf

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/local/stacktest"
)

// TestHostileAliOSSUploads plays the security issue's attacks the way a
// browser page would: ali-oss configured only from the sts function's
// answer, uploading under the caller's own prefix with headers that would
// change how the object is served. Each must end refused by OSS or
// rejected by the verify function; the honest control upload is verified.
func TestHostileAliOSSUploads(t *testing.T) {
	nodeBin, root := stacktest.RequireNode(t), stacktest.RepoRoot(t)
	s, _ := stacktest.Start(t)

	run := fmt.Sprintf("hostile-%d", time.Now().UnixNano())
	got := runNodeCases(t, nodeBin, root, "tests/node/hostile_alioss.mjs", stsAnswer(t, s), run)

	// What each case must end as: refused by OSS (status and code), or
	// stored and then judged (verdict and reason).
	cases := []struct {
		name           string
		status         int
		code           string
		verdict, cause string
	}{
		{name: "honest-png", status: 200, verdict: "verified"},
		{name: "html-as-declared-png", status: 200, verdict: "rejected", cause: "type-mismatch"},
		{name: "png-served-as-html", status: 200, verdict: "rejected", cause: "type-not-allowed"},
		{name: "png-inline-disposition", status: 200, verdict: "rejected", cause: "unsafe-header"},
		{name: "png-content-encoding", status: 200, verdict: "rejected", cause: "unsafe-header"},
		{name: "public-acl", status: 403, code: "AccessDenied"},
	}
	dev, err := aoss.New(s.Ready.OSS, s.Ready.AccessKeyID, s.Ready.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := dev.Bucket(s.Ready.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		r, ok := got[c.name]
		if !ok {
			t.Errorf("%s: no result from the script", c.name)
			continue
		}
		if r.Status != c.status || r.Code != c.code {
			t.Errorf("%s: ali-oss put answered %d %q, want %d %q", c.name, r.Status, r.Code, c.status, c.code)
			continue
		}
		if c.verdict == "" {
			_, err := bucket.GetObjectDetailedMeta(r.Key)
			var se aoss.ServiceError
			if !errors.As(err, &se) || se.StatusCode != http.StatusNotFound {
				t.Errorf("%s: the refused upload exists (HEAD %v)", c.name, err)
			}
			continue
		}
		st, reason := nodeVerdict(t, s.Ready.Functions["sign"], s.Ready.JWT, r.Key)
		t.Logf("%s: %s (%s)", c.name, st, reason)
		if st != c.verdict || reason != c.cause {
			t.Errorf("%s: %s (%s), want %s (%s)", c.name, st, reason, c.verdict, c.cause)
		}
	}
}

// nodeVerdict polls the sign function's GET /status until the key has a
// verdict, as the demo page does.
func nodeVerdict(t *testing.T, signURL, jwt, key string) (status, reason string) {
	t.Helper()
	stacktest.Eventually(t, 30*time.Second, key+": a verdict", func() bool {
		req, _ := http.NewRequest(http.MethodGet, signURL+"/status?key="+url.QueryEscape(key), nil)
		req.Header.Set("Authorization", "Bearer "+jwt)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var st struct{ Status, Reason string }
		err = json.NewDecoder(res.Body).Decode(&st)
		res.Body.Close()
		// A rejection deleted outright answers 404: there is nothing left to serve.
		if res.StatusCode == http.StatusNotFound {
			status, reason = "rejected", "deleted"
			return true
		}
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("status of %s: HTTP %d %v", key, res.StatusCode, err)
		}
		status, reason = st.Status, st.Reason
		return st.Status != "pending" && st.Status != "overdue"
	})
	return status, reason
}
