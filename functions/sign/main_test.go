package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"debug/elf"
	"encoding/base64"
	"encoding/hex"
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

	"github.com/golang-jwt/jwt/v5"
)

const (
	jwtSecret = "functions-sign-test-secret-0123456789"
	// Per-invocation role credentials FC passes in x-fc-* headers; the
	// environment holds different (stale) ones that must not be used.
	invokeAK     = "STS.InvocationAccessKey"
	invokeSecret = "invocation-secret-value"
	invokeToken  = "invocation-security-token"
)

var (
	buildOnce sync.Once
	binDir    string
	buildOut  []byte
	buildErr  error
)

// TestMain removes the binary built by the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildLinux builds the deployable binary exactly as `make build` does
// (static linux/amd64), once per test run.
func buildLinux(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "sign-bin-"); buildErr != nil {
			return
		}
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-trimpath", "-o", filepath.Join(binDir, "main"), ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, buildOut)
	}
	bin := filepath.Join(binDir, "main")
	checkStaticELF(t, bin)
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("built linux/amd64; cannot run it on %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	return bin
}

// checkStaticELF: an x86-64 ELF executable with no program interpreter and
// no dynamic section, which is what FC's go1 runtime can run.
func checkStaticELF(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 || f.Type != elf.ET_EXEC {
		t.Fatalf("binary is %v %v, want EM_X86_64 ET_EXEC", f.Machine, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Fatalf("binary is dynamically linked (%v)", p.Type)
		}
	}
}

func baseEnv(runtimeAPI string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"FC_RUNTIME_API=" + runtimeAPI,
		"OSS_BUCKET=ossupload-dev",
		"OSS_REGION=cn-hangzhou",
		"OSS_UPLOAD_URL=http://127.0.0.1:9000/ossupload-dev",
		"UPLOAD_PREFIX=uploads/",
		"UPLOAD_MAX_BYTES=1048576",
		"UPLOAD_ALLOWED_TYPES=image/*",
		"AUTH_JWT_SECRET=" + jwtSecret,
		"AUTH_ISSUER=test-issuer",
		"AUTH_AUDIENCE=ossupload",
		"CORS_ALLOWED_ORIGINS=http://127.0.0.1:8080",
		"ALIBABA_CLOUD_ACCESS_KEY_ID=STS.StaleEnvKey",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET=stale-env-secret",
		"ALIBABA_CLOUD_SECURITY_TOKEN=stale-env-token",
	}
}

// runtimeAPI is a minimal FC runtime API (fc3 runtime reference §4.2): one
// invocation, then `next` blocks; the result is sent on done.
type runtimeAPI struct {
	event  []byte
	served chan struct{}
	done   chan result
}

type result struct {
	kind string // "response" or "error"
	body []byte
}

func (a *runtimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const base = "/2020-11-11/runtime/invocation/"
	switch {
	case r.Method == http.MethodGet && r.URL.Path == base+"next":
		select {
		case <-a.served: // already handed out: long-poll until the test ends
			<-r.Context().Done()
			return
		default:
			close(a.served)
		}
		h := w.Header()
		h.Set("x-fc-request-id", "req-sign-1")
		h.Set("x-fc-function-deadline", strconv.FormatInt(time.Now().Add(10*time.Second).UnixMilli(), 10))
		h.Set("x-fc-function-timeout", "10")
		h.Set("x-fc-access-key-id", invokeAK)
		h.Set("x-fc-access-key-secret", invokeSecret)
		h.Set("x-fc-security-token", invokeToken)
		h.Set("x-fc-region", "cn-hangzhou")
		w.Write(a.event)
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, base+"req-sign-1/"):
		body, _ := io.ReadAll(r.Body)
		a.done <- result{kind: strings.TrimPrefix(r.URL.Path, base+"req-sign-1/"), body: body}
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// TestBinaryServesHTTPTrigger builds the static linux/amd64 binary, runs it
// against a runtime API and checks the signed answer to an HTTP trigger
// event: the V4 signature verifies with the per-invocation secret (derived
// here independently, OSS/STS protocol reference §1.4) and the policy pins
// bucket, key, size, type, owner, overwrite, V4 fields and the token.
func TestBinaryServesHTTPTrigger(t *testing.T) {
	bin := buildLinux(t)
	now := time.Now()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "dev-user", "iss": "test-issuer", "aud": "ossupload",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).SignedString([]byte(jwtSecret))
	if err != nil {
		t.Fatal(err)
	}
	reqBody := base64.StdEncoding.EncodeToString([]byte(`{"filename":"cat photo.png","contentType":"image/png","size":4096}`))
	event, _ := json.Marshal(map[string]any{
		"version": "v1", "rawPath": "/", "body": reqBody, "isBase64Encoded": true,
		"headers": map[string]string{
			"Authorization": "Bearer " + tok, "Content-Type": "application/json", "Origin": "http://127.0.0.1:8080",
		},
		"queryParameters": map[string]string{},
		"requestContext": map[string]any{
			"accountId": "1234567890123456", "domainName": "t.cn-hangzhou.fcapp.run", "domainPrefix": "t",
			"http":      map[string]string{"method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "test"},
			"requestId": "req-sign-1", "time": now.UTC().Format(time.RFC3339), "timeEpoch": strconv.FormatInt(now.UnixMilli(), 10),
		},
	})
	api := &runtimeAPI{event: event, served: make(chan struct{}), done: make(chan result, 1)}
	srv := httptest.NewServer(api)
	defer srv.Close()

	var stderr bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Env = baseEnv(strings.TrimPrefix(srv.URL, "http://"))
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// stop kills the function and waits until its output is fully copied;
	// only then may stderr be read.
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cmd.Process.Kill()
			cmd.Wait()
		}
	}
	defer stop()

	var res result
	select {
	case res = <-api.done:
	case <-time.After(10 * time.Second):
		stop()
		t.Fatalf("no result from the function; output:\n%s", stderr.String())
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
		if body, err = base64.StdEncoding.DecodeString(out.Body); err != nil {
			t.Fatal(err)
		}
	}
	if out.StatusCode != 200 {
		t.Fatalf("status %d: %s\n%s", out.StatusCode, body, stderr.String())
	}
	var resp struct {
		Key    string            `json:"key"`
		Dir    string            `json:"dir"`
		Fields map[string]string `json:"fields"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	f := resp.Fields

	// The signature, with the per-invocation secret and the scope day of x-oss-date.
	date := f["x-oss-date"]
	signedAt, err := time.Parse("20060102T150405Z", date)
	if err != nil || signedAt.Sub(now).Abs() > time.Minute {
		t.Fatalf("x-oss-date %q (now %s)", date, now.UTC())
	}
	k := hmacSHA256([]byte("aliyun_v4"+invokeSecret), date[:8])
	for _, s := range []string{"cn-hangzhou", "oss", "aliyun_v4_request"} {
		k = hmacSHA256(k, s)
	}
	if want := hex.EncodeToString(hmacSHA256(k, f["policy"])); !hmac.Equal([]byte(want), []byte(f["x-oss-signature"])) {
		t.Fatalf("x-oss-signature %s does not verify (want %s)", f["x-oss-signature"], want)
	}

	// The policy pins.
	raw, err := base64.StdEncoding.DecodeString(f["policy"])
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Expiration string            `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	exp, err := time.Parse("2006-01-02T15:04:05.000Z", doc.Expiration)
	if err != nil || exp.Sub(signedAt) < 14*time.Minute || exp.Sub(signedAt) > 16*time.Minute {
		t.Fatalf("expiration %q for a policy signed at %s", doc.Expiration, date)
	}
	pins := map[string]string{}
	var rng []int64
	for _, c := range doc.Conditions {
		var obj map[string]string
		if json.Unmarshal(c, &obj) == nil {
			for k, v := range obj {
				pins[k] = v
			}
			continue
		}
		var arr []any
		if json.Unmarshal(c, &arr) == nil && len(arr) == 3 && arr[0] == "content-length-range" {
			rng = []int64{int64(arr[1].(float64)), int64(arr[2].(float64))}
		}
	}
	if !strings.HasPrefix(resp.Key, "uploads/dev-user/") || !strings.HasSuffix(resp.Key, "-cat-photo.png") || resp.Dir != "uploads/dev-user/" {
		t.Errorf("key %q dir %q", resp.Key, resp.Dir)
	}
	want := map[string]string{
		"bucket":                   "ossupload-dev",
		"key":                      resp.Key,
		"Content-Type":             "image/png",
		"x-oss-forbid-overwrite":   "true",
		"x-oss-meta-owner":         "dev-user",
		"x-oss-meta-declared-type": "image/png",
		"x-oss-meta-declared-size": "4096",
		"success_action_status":    "200",
		"x-oss-signature-version":  "OSS4-HMAC-SHA256",
		"x-oss-credential":         invokeAK + "/" + date[:8] + "/cn-hangzhou/oss/aliyun_v4_request",
		"x-oss-date":               date,
		"x-oss-security-token":     invokeToken,
	}
	for k, v := range want {
		if pins[k] != v {
			t.Errorf("policy pins %s = %q, want %q", k, pins[k], v)
		}
		if k != "bucket" && f[k] != v {
			t.Errorf("form field %s = %q, want %q", k, f[k], v)
		}
	}
	if len(rng) != 2 || rng[0] != 1 || rng[1] != 4096 {
		t.Errorf("content-length-range %v, want [1 4096]", rng)
	}
	if got := out.Headers["Access-Control-Allow-Origin"]; got != "http://127.0.0.1:8080" {
		t.Errorf("Access-Control-Allow-Origin %q", got)
	}
	logs := stderr.String()
	if !strings.Contains(logs, "req-sign-1") {
		t.Errorf("logs lack the FC request id:\n%s", logs)
	}
	for _, secret := range []string{tok, invokeSecret, invokeToken, jwtSecret} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain a secret:\n%s", logs)
		}
	}
}

// TestBinaryRefusesInvalidConfig: one JSON log line listing every problem,
// exit status 1, before fc.Start (so no runtime API is needed).
func TestBinaryRefusesInvalidConfig(t *testing.T) {
	bin := buildLinux(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(baseEnv("127.0.0.1:1"), "OSS_BUCKET=", "UPLOAD_MAX_BYTES=-5", "SIGNATURE_VERSION=v9", "AUTH_JWT_SECRET=tooshort")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one log line, got %d:\n%s", len(lines), stderr.String())
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatalf("not JSON: %s", lines[0])
	}
	for _, name := range []string{"OSS_BUCKET", "UPLOAD_MAX_BYTES", "SIGNATURE_VERSION", "AUTH_JWT_SECRET"} {
		if !strings.Contains(lines[0], name) {
			t.Errorf("problems do not name %s: %s", name, lines[0])
		}
	}
	if strings.Contains(lines[0], "tooshort") {
		t.Errorf("secret value echoed: %s", lines[0])
	}
}
