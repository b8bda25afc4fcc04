package stsfn

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildOut  []byte
	buildErr  error
)

// buildSTS builds functions/sts for this host once per package run.
func buildSTS(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sts-fn-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "main")
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-trimpath", "-o", binPath, "./functions/sts")
		cmd.Dir = filepath.Join("..", "..")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build ./functions/sts: %v\n%s", buildErr, buildOut)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// runtimeAPI is a minimal FC runtime API (FC3 runtime reference: next, then
// response/error): it hands out one HTTP trigger event with the
// per-invocation role credentials in x-fc-* headers.
type runtimeAPI struct {
	event             []byte
	ak, secret, token string
	served            chan struct{}
	done              chan invocationResult
}

type invocationResult struct {
	kind string
	body []byte
}

func (a *runtimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const base = "/2020-11-11/runtime/invocation/"
	switch {
	case r.Method == http.MethodGet && r.URL.Path == base+"next":
		select {
		case <-a.served:
			<-r.Context().Done()
			return
		default:
			close(a.served)
		}
		h := w.Header()
		h.Set("x-fc-request-id", "req-sts-1")
		h.Set("x-fc-function-deadline", strconv.FormatInt(time.Now().Add(10*time.Second).UnixMilli(), 10))
		h.Set("x-fc-function-timeout", "10")
		h.Set("x-fc-access-key-id", a.ak)
		h.Set("x-fc-access-key-secret", a.secret)
		h.Set("x-fc-security-token", a.token)
		h.Set("x-fc-region", region)
		w.Write(a.event)
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, base+"req-sts-1/"):
		body, _ := io.ReadAll(r.Body)
		a.done <- invocationResult{kind: strings.TrimPrefix(r.URL.Path, base+"req-sts-1/"), body: body}
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}

// TestBinaryVendsWithInvocationCredentials runs the built function against
// a runtime API: it signs AssumeRole with the per-invocation role
// credentials (the environment holds stale ones the STS emulator does not
// know) and answers the HTTP trigger with upload-only credentials.
func TestBinaryVendsWithInvocationCredentials(t *testing.T) {
	bin := buildSTS(t)
	s := newStack(t)
	now := time.Now()
	event, _ := json.Marshal(map[string]any{
		"version": "v1", "rawPath": "/", "body": "", "isBase64Encoded": false,
		"headers":         map[string]string{"Authorization": "Bearer " + jwtFor(t, "erin"), "Origin": testOrigin},
		"queryParameters": map[string]string{},
		"requestContext": map[string]any{
			"accountId": "1234567890123456", "domainName": "t.cn-hangzhou.fcapp.run", "domainPrefix": "t",
			"http":      map[string]string{"method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "test"},
			"requestId": "req-sts-1", "time": now.UTC().Format(time.RFC3339), "timeEpoch": strconv.FormatInt(now.UnixMilli(), 10),
		},
	})
	api := &runtimeAPI{event: event, ak: s.fnCreds.AccessKeyID, secret: s.fnCreds.AccessKeySecret, token: s.fnCreds.SecurityToken,
		served: make(chan struct{}), done: make(chan invocationResult, 1)}
	srv := httptest.NewServer(api)
	defer srv.Close()

	var logs bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"FC_RUNTIME_API=" + strings.TrimPrefix(srv.URL, "http://"),
		"OSS_BUCKET=" + bucket, "OSS_REGION=" + region, "OSS_UPLOAD_URL=" + s.ossURL + "/" + bucket,
		"STS_ROLE_ARN=" + uploaderRoleARN, "STS_ENDPOINT=" + s.stsURL,
		"AUTH_JWT_SECRET=" + jwtSecret, "CORS_ALLOWED_ORIGINS=" + testOrigin,
		"ALIBABA_CLOUD_ACCESS_KEY_ID=STS.StaleEnvKey", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=stale-env-secret",
		"ALIBABA_CLOUD_SECURITY_TOKEN=stale-env-token",
	}
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cmd.Process.Kill()
			cmd.Wait()
		}
	}
	defer stop()
	var res invocationResult
	select {
	case res = <-api.done:
	case <-time.After(10 * time.Second):
		stop()
		t.Fatalf("no result from the function; output:\n%s", logs.String())
	}
	stop()
	if res.kind != "response" {
		t.Fatalf("function posted %s: %s", res.kind, res.body)
	}
	var out struct {
		StatusCode      int               `json:"statusCode"`
		Headers         map[string]string `json:"headers"`
		IsBase64Encoded bool              `json:"isBase64Encoded"`
		Body            string            `json:"body"`
	}
	if err := json.Unmarshal(res.body, &out); err != nil {
		t.Fatalf("response %s: %v", res.body, err)
	}
	body := []byte(out.Body)
	if out.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(out.Body); err != nil {
			t.Fatal(err)
		}
	}
	if out.StatusCode != 200 {
		t.Fatalf("status %d: %s\n%s", out.StatusCode, body, logs.String())
	}
	var resp struct {
		AccessKeyID string `json:"accessKeyId"`
		Dir         string `json:"dir"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	p, err := s.ids.Lookup(resp.AccessKeyID)
	if err != nil {
		t.Fatalf("vended key unknown to the emulator: %v", err)
	}
	if p.RoleARN != uploaderRoleARN || resp.Dir != "uploads/erin/" ||
		strings.Join(sessionPolicy(t, s.ids, resp.AccessKeyID).Statement[0].Resource, ",") != "acs:oss:*:*:"+bucket+"/uploads/erin/*" {
		t.Fatalf("vended session: role %s, dir %s", p.RoleARN, resp.Dir)
	}
	if out.Headers["Cache-Control"] != "no-store" || out.Headers["Access-Control-Allow-Origin"] != testOrigin {
		t.Errorf("headers %v", out.Headers)
	}
	if s.assumeCalls.Load() != 1 {
		t.Errorf("%d AssumeRole calls", s.assumeCalls.Load())
	}
	for _, secret := range []string{s.fnCreds.AccessKeySecret, s.fnCreds.SecurityToken, jwtSecret, "stale-env-secret"} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("a secret reached the log:\n%s", logs.String())
		}
	}
	if !strings.Contains(logs.String(), "req-sts-1") {
		t.Errorf("logs lack the FC request id:\n%s", logs.String())
	}
}

// TestBinaryRefusesBadConfiguration: one log message naming every problem,
// a non-zero exit before fc.Start, and no secret value in the output.
func TestBinaryRefusesBadConfiguration(t *testing.T) {
	bin := buildSTS(t)
	const shortSecret = "too-short-secret-value"
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"OSS_REGION=" + region, "STS_DURATION_SECONDS=60", "UPLOAD_PREFIX=/abs",
		"AUTH_JWT_SECRET=" + shortSecret, "STS_ENDPOINT=ftp://x",
	}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
		t.Fatalf("exit %v, want non-zero; output:\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one log line, got %d:\n%s", len(lines), out)
	}
	for _, name := range []string{"OSS_BUCKET", "STS_ROLE_ARN", "STS_DURATION_SECONDS", "UPLOAD_PREFIX", "AUTH_JWT_SECRET", "STS_ENDPOINT"} {
		if !strings.Contains(lines[0], name) {
			t.Errorf("%s not named in %s", name, lines[0])
		}
	}
	if strings.Contains(string(out), shortSecret) {
		t.Fatalf("the secret's value was printed: %s", out)
	}
}
