package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/local/stacktest"
)

// preflight sends the CORS preflight a browser on origin sends before a
// cross-origin request with the given method and headers.
func preflight(t *testing.T, u, origin, method, headers string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodOptions, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", method)
	req.Header.Set("Access-Control-Request-Headers", headers)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// corsAllows reports whether sign, sts and the bucket all admit origin, as
// a page on origin would find out: sign and sts with the bearer token's
// preflight, the bucket with the preflight ali-oss's signed PUT causes.
func corsAllows(t *testing.T, s *stack, origin string) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	for _, fn := range []string{"sign", "sts"} {
		res := preflight(t, s.Functions[fn]+"/", origin, "POST", "authorization,content-type")
		got[fn] = res.StatusCode/100 == 2 && res.Header.Get("Access-Control-Allow-Origin") == origin
	}
	res := preflight(t, s.OSS+"/"+s.Bucket+"/uploads/"+s.User+"/x.png", origin, "PUT",
		"authorization,content-type,x-oss-date,x-oss-security-token,x-oss-content-sha256")
	got["bucket"] = res.StatusCode == http.StatusOK && res.Header.Get("Access-Control-Allow-Origin") == origin
	if got["bucket"] {
		expose := strings.ToLower(res.Header.Get("Access-Control-Expose-Headers"))
		for _, h := range []string{"etag", "x-oss-request-id"} {
			if !strings.Contains(expose, h) {
				t.Errorf("the bucket's CORS answer to %s exposes %q, without %s (ali-oss needs it)", origin, expose, h)
			}
		}
	}
	return got
}

func webOrigin(s *stack) string { return strings.TrimSuffix(s.Web, "/") }

// A frontend on its own dev server (here http://localhost:5173) is admitted
// by sign, sts and the bucket when CORS_ALLOWED_ORIGINS or -cors-origins
// names it; the demo page's origin stays admitted and others are refused.
func TestCORSOriginsOfADevServer(t *testing.T) {
	const vite, other = "http://localhost:5173", "http://localhost:5174"
	all := map[string]bool{"sign": true, "sts": true, "bucket": true}
	none := map[string]bool{"sign": false, "sts": false, "bucket": false}
	check := func(t *testing.T, s *stack, origin string, want map[string]bool) {
		t.Helper()
		got := corsAllows(t, s, origin)
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s admits %s: %v, want %v", k, origin, got[k], w)
			}
		}
	}

	t.Run("default", func(t *testing.T) {
		s := startStack(t, "", "CORS_ALLOWED_ORIGINS=")
		check(t, s, webOrigin(s), all)
		check(t, s, vite, none)
	})
	t.Run("environment", func(t *testing.T) {
		s := startStack(t, "", "CORS_ALLOWED_ORIGINS="+vite+", https://app.example.test")
		check(t, s, vite, all)
		check(t, s, "https://app.example.test", all)
		check(t, s, webOrigin(s), all)
		check(t, s, other, none)
	})
	t.Run("flag wins over the environment", func(t *testing.T) {
		s := startStackArgs(t, "", []string{"-cors-origins", other}, "CORS_ALLOWED_ORIGINS="+vite)
		check(t, s, other, all)
		check(t, s, webOrigin(s), all)
		check(t, s, vite, none)
	})
}

// runStackExpectingFailure runs a stack that must refuse to start and
// returns its output.
func runStackExpectingFailure(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := stacktest.StackCommand(t, dir, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("the stack ended with %v, want exit status 1; output:\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("the stack did not refuse to start; output:\n%s", out.String())
	}
	return out.String()
}

func TestSecondStackNamesTheFlag(t *testing.T) {
	first := startStack(t, "")
	ossAddr := strings.TrimPrefix(first.OSS, "http://")
	out := runStackExpectingFailure(t, t.TempDir(), "-oss", ossAddr)
	for _, want := range []string{"-oss ", ossAddr, "another local stack may already be running"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not say %q:\n%s", want, out)
		}
	}
	out = runStackExpectingFailure(t, t.TempDir(), "-cors-origins", "localhost:5173")
	if !strings.Contains(out, `"localhost:5173" is not an origin`) || !strings.Contains(out, "http://localhost:5173") {
		t.Errorf("a bad origin is not explained:\n%s", out)
	}
}

// The README's curl examples take SIGN_URL, STS_URL and JWT from the env
// file the stack writes; sourcing it in sh must give the running stack's.
func TestEnvFileForCurl(t *testing.T) {
	s := startStack(t, "")
	if s.EnvFile == "" {
		t.Fatal("the READY line names no env file")
	}
	out, err := exec.Command("sh", "-c", `. "$1" && printf '%s\n' "$SIGN_URL" "$STS_URL" "$JWT"`, "sh", s.EnvFile).CombinedOutput()
	if err != nil {
		t.Fatalf("sh: %v: %s", err, out)
	}
	vals := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(vals) != 3 || vals[0] != s.Functions["sign"] || vals[1] != s.Functions["sts"] || vals[2] != s.JWT {
		t.Fatalf("sourced %q, want the READY line's sign URL, sts URL and JWT", vals)
	}
	// What the README's curl does with them.
	var creds struct{ Dir string }
	if code := callJSON(t, "POST", vals[1]+"/", vals[2], nil, &creds); code != http.StatusOK || creds.Dir != "uploads/"+s.User+"/" {
		t.Fatalf("sts with the sourced values: HTTP %d, dir %q", code, creds.Dir)
	}
	s.Stop(t)
	if _, err := os.Stat(s.EnvFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the env file outlives the stack (%v): sourcing it would point at nothing", err)
	}
}

// Deleting the data folder under a running stack: OSS can only answer
// NoSuchBucket, and the log must say why and what to do.
func TestDeletedDataFolderIsExplained(t *testing.T) {
	s := startStack(t, "")
	if err := os.RemoveAll(s.Data); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(s.OSS + "/" + s.Bucket + "/uploads/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound || !bytes.Contains(body, []byte("<Code>NoSuchBucket</Code>")) {
		t.Fatalf("OSS after the data folder went: %d %s", res.StatusCode, body)
	}
	s.Stop(t) // the log is complete once the process has exited
	logs := s.Logs.String()
	if !strings.Contains(logs, "the data folder "+s.Data+" was deleted while the stack runs") || !strings.Contains(logs, "make run") {
		t.Errorf("the log does not name the deleted folder and what to do:\n%s", logs)
	}
}

// The Go SDK's V4 signer configured only from the sts answer: endpoint,
// bucket, keys, and regionId (cn-hangzhou) for the signing scope; region
// (oss-cn-hangzhou) is ali-oss's spelling, and OSS refuses it in a V4 scope.
func TestGoSDKV4FromTheSTSAnswer(t *testing.T) {
	s := startStack(t, "")
	var creds struct {
		AccessKeyID     string `json:"accessKeyId"`
		AccessKeySecret string `json:"accessKeySecret"`
		STSToken        string `json:"stsToken"`
		Bucket          string `json:"bucket"`
		Region          string `json:"region"`
		RegionID        string `json:"regionId"`
		Endpoint        string `json:"endpoint"`
		Dir             string `json:"dir"`
	}
	if code := callJSON(t, "POST", s.Functions["sts"], s.JWT, nil, &creds); code != http.StatusOK {
		t.Fatalf("sts: HTTP %d", code)
	}
	if creds.Region != "oss-cn-hangzhou" || creds.RegionID != "cn-hangzhou" {
		t.Fatalf("region %q, regionId %q; want oss-cn-hangzhou and cn-hangzhou", creds.Region, creds.RegionID)
	}
	put := func(region, key string) error {
		client, err := oss.New(creds.Endpoint, creds.AccessKeyID, creds.AccessKeySecret,
			oss.SecurityToken(creds.STSToken), oss.AuthVersion(oss.AuthV4), oss.Region(region))
		if err != nil {
			t.Fatal(err)
		}
		bucket, err := client.Bucket(creds.Bucket)
		if err != nil {
			t.Fatal(err)
		}
		return bucket.PutObject(key, bytes.NewReader(realPNG(t)), oss.ContentType("image/png"))
	}
	key := creds.Dir + "go-sdk-v4.png"
	if err := put(creds.RegionID, key); err != nil {
		t.Fatalf("PutObject with regionId: %v", err)
	}
	if status, reason := waitVerdict(t, s, key); status != "verified" {
		t.Fatalf("verdict %s (%s), want verified", status, reason)
	}
	var se oss.ServiceError
	if err := put(creds.Region, creds.Dir+"wrong-scope.png"); !errors.As(err, &se) || se.StatusCode/100 != 4 {
		t.Errorf("PutObject with region %q: %v, want it refused", creds.Region, err)
	}
}

// README: the form never overwrites. The same signed form posted twice
// gets 409 FileAlreadyExists the second time, and the first object stays.
func TestFormRefusesOverwrite(t *testing.T) {
	s := startStack(t, "")
	first, second := realPNG(t), append(realPNG(t), 0)
	var signed signResponse
	if code := callJSON(t, "POST", s.Functions["sign"], s.JWT,
		map[string]any{"filename": "once.png", "contentType": "image/png", "size": len(second)}, &signed); code != http.StatusOK {
		t.Fatalf("sign: HTTP %d", code)
	}
	post := func(content []byte) (int, string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for name, value := range signed.Fields {
			mw.WriteField(name, value)
		}
		fw, _ := mw.CreateFormFile("file", "once.png")
		fw.Write(content)
		mw.Close()
		res, err := http.Post(signed.URL, mw.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res.StatusCode, string(b)
	}
	if code, body := post(first); code != http.StatusOK {
		t.Fatalf("first POST: %d %s", code, body)
	}
	if code, body := post(second); code != http.StatusConflict || !strings.Contains(body, "<Code>FileAlreadyExists</Code>") {
		t.Fatalf("second POST of the same form: %d %s, want 409 FileAlreadyExists", code, body)
	}
	client, err := oss.New(s.OSS, s.AccessKeyID, s.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := client.Bucket(s.Bucket)
	meta, err := b.GetObjectDetailedMeta(signed.Key)
	if err != nil || meta.Get("Content-Length") != fmt.Sprint(len(first)) {
		t.Fatalf("the first upload did not stay: %v, Content-Length %q, want %d", err, meta.Get("Content-Length"), len(first))
	}
}
