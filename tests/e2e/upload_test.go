package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/local/stacktest"
)

// realPNG encodes a small but real image.
func realPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := 0; x < 16; x++ {
		img.Set(x, x, color.RGBA{R: 200, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// callJSON sends a JSON request with the bearer token and decodes the answer.
func callJSON(t *testing.T, method, u, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d, not JSON: %s", method, u, res.StatusCode, raw)
		}
	}
	return res.StatusCode
}

type signResponse struct {
	Method string            `json:"method"`
	URL    string            `json:"url"`
	Key    string            `json:"key"`
	Dir    string            `json:"dir"`
	Fields map[string]string `json:"fields"`
}

// waitVerdict polls the sign function's /status until it shows a verdict
// (neither pending nor overdue).
func waitVerdict(t *testing.T, s *stack, key string) (status, reason string) {
	t.Helper()
	stacktest.Eventually(t, 30*time.Second, "a verdict for "+key, func() bool {
		var st struct {
			Status string `json:"status"`
			Reason string `json:"reason"`
		}
		code := callJSON(t, "GET", strings.TrimSuffix(s.Functions["sign"], "/")+"/status?key="+url.QueryEscape(key), s.JWT, nil, &st)
		if code != http.StatusOK {
			t.Fatalf("GET /status: HTTP %d", code)
		}
		status, reason = st.Status, st.Reason
		return st.Status != "pending" && st.Status != "overdue" // a verdict
	})
	return status, reason
}

// postForm asks the sign function for a policy and uploads content with it
// by form POST, as a browser does; it returns the key.
func postForm(t *testing.T, s *stack, filename, contentType string, content []byte) string {
	t.Helper()
	var signed signResponse
	code := callJSON(t, "POST", s.Functions["sign"], s.JWT,
		map[string]any{"filename": filename, "contentType": contentType, "size": len(content)}, &signed)
	if code != http.StatusOK {
		t.Fatalf("sign: HTTP %d", code)
	}
	if !strings.HasPrefix(signed.Key, "uploads/"+s.User+"/") {
		t.Fatalf("key %q is not under the caller's prefix", signed.Key)
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for name, value := range signed.Fields {
		if err := mw.WriteField(name, value); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	res, err := http.Post(signed.URL, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	respBody, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		t.Fatalf("PostObject: HTTP %d: %s", res.StatusCode, respBody)
	}
	return signed.Key
}

func TestFormUploadIsVerified(t *testing.T) {
	s := startStack(t, "")
	good := postForm(t, s, "photo.png", "image/png", realPNG(t))
	// Declared a PNG, but the bytes are a script: the verifier sniffs the
	// content, quarantines the object, and GET /status still answers for
	// the key the caller knows.
	bad := postForm(t, s, "fake.png", "image/png", []byte("#!/bin/sh\necho this is not a picture\n"))

	if status, reason := waitVerdict(t, s, good); status != "verified" {
		t.Fatalf("verdict %s (%s), want verified", status, reason)
	}
	if status, reason := waitVerdict(t, s, bad); status != "rejected" || reason != "type-mismatch" {
		t.Fatalf("verdict %s (%s), want rejected (type-mismatch)", status, reason)
	}
	// The verdict is tagged in place first, then the object moves to
	// quarantine/; once it has, the same key keeps answering rejected.
	statusURL := strings.TrimSuffix(s.Functions["sign"], "/") + "/status?key=" + url.QueryEscape(bad)
	var code int
	var st struct {
		Status, Reason string
		Quarantined    bool
	}
	quarantined := stacktest.Poll(30*time.Second, func() bool {
		st.Status, st.Reason, st.Quarantined = "", "", false
		code = callJSON(t, "GET", statusURL, s.JWT, nil, &st)
		return code != http.StatusOK || st.Quarantined
	})
	if !quarantined || code != http.StatusOK {
		t.Fatalf("GET /status of the rejected upload: HTTP %d %+v, want 200 rejected and quarantined", code, st)
	}
	if st.Status != "rejected" || st.Reason != "type-mismatch" {
		t.Fatalf("quarantined verdict %s (%s), want rejected (type-mismatch)", st.Status, st.Reason)
	}
}

func TestSTSUploadWithGoSDKIsVerified(t *testing.T) {
	s := startStack(t, "")
	bucket, dir := stsBucket(t, s)
	key := dir + "sdk/photo.png"
	if err := bucket.PutObject(key, bytes.NewReader(realPNG(t)), oss.ContentType("image/png")); err != nil {
		t.Fatal(err)
	}
	if status, reason := waitVerdict(t, s, key); status != "verified" {
		t.Fatalf("verdict %s (%s), want verified", status, reason)
	}
}

// functionProcesses lists the pids running a function binary the local
// stack runs (from stacktest.BinDir).
func functionProcesses(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skip("no /proc on this system")
	}
	var pids []string
	for _, e := range entries {
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && strings.HasPrefix(exe, stacktest.BinDir(t)+string(filepath.Separator)) {
			pids = append(pids, fmt.Sprintf("%s(%s)", e.Name(), exe))
		}
	}
	return pids
}

func TestCtrlCLeavesNoProcessAndDataSurvives(t *testing.T) {
	dir := t.TempDir()
	s := startStack(t, dir)
	// Use the functions so their processes certainly run.
	var signed signResponse
	if code := callJSON(t, "POST", s.Functions["sign"], s.JWT, map[string]any{"filename": "a.txt", "contentType": "text/plain", "size": 5}, &signed); code != 200 {
		t.Fatalf("sign: HTTP %d", code)
	}
	client, err := oss.New(s.OSS, s.AccessKeyID, s.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	bucket, _ := client.Bucket(s.Bucket)
	if err := bucket.PutObject("notes/keep.txt", strings.NewReader("kept across restarts")); err != nil {
		t.Fatal(err)
	}
	if len(functionProcesses(t)) == 0 {
		t.Fatal("no function process is running while the stack serves")
	}
	s.Stop(t)
	if left := functionProcesses(t); len(left) > 0 {
		t.Fatalf("processes left after Ctrl-C: %v", left)
	}
	// Stopping is quiet: an idle function is not told its poll failed.
	if out := s.Logs.String(); strings.Contains(out, "failed to get invoke request") {
		t.Errorf("Ctrl-C made a function log a failed poll:\n%s", out)
	}

	again := startStack(t, dir)
	if again.AccessKeyID != s.AccessKeyID {
		t.Errorf("the development AccessKey changed across a restart")
	}
	client, err = oss.New(again.OSS, again.AccessKeyID, again.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	bucket, _ = client.Bucket(again.Bucket)
	rc, err := bucket.GetObject("notes/keep.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "kept across restarts" {
		t.Fatalf("after restart: %q", got)
	}
}
