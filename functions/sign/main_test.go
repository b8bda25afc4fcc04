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
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ossupload/ossupload/local/fcruntime"
	"github.com/ossupload/ossupload/local/stacktest"
)

const (
	jwtSecret = "functions-sign-test-secret-0123456789"
	// Per-invocation role credentials FC passes in x-fc-* headers; the
	// environment holds different (stale) ones that must not be used.
	invokeAK     = "STS.InvocationAccessKey"
	invokeSecret = "invocation-secret-value"
	invokeToken  = "invocation-security-token"
)

// TestMain removes the binaries the tests built.
func TestMain(m *testing.M) { stacktest.Main(m) }

// buildLinux builds the deployable binary exactly as `make build` does
// (static linux/amd64), once per test run.
func buildLinux(t *testing.T) string {
	t.Helper()
	bin := stacktest.Build(t, "functions/sign", stacktest.FC)
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

// fnEnv is the function's environment as s.yaml sets it (for tests).
func fnEnv() map[string]string {
	return map[string]string{
		"OSS_BUCKET":           "ossupload-dev",
		"OSS_REGION":           "cn-hangzhou",
		"OSS_UPLOAD_URL":       "http://127.0.0.1:9000/ossupload-dev",
		"UPLOAD_PREFIX":        "uploads/",
		"UPLOAD_MAX_BYTES":     "1048576",
		"UPLOAD_ALLOWED_TYPES": "image/*",
		"AUTH_JWT_SECRET":      jwtSecret,
		"AUTH_ISSUER":          "test-issuer",
		"AUTH_AUDIENCE":        "ossupload",
		"CORS_ALLOWED_ORIGINS": "http://127.0.0.1:8080",
	}
}

// staleEnvCredentials are the role credentials the process started with;
// by the invocation FC has rotated them.
var staleEnvCredentials = fcruntime.Credentials{AccessKeyID: "STS.StaleEnvKey", AccessKeySecret: "stale-env-secret", SecurityToken: "stale-env-token"}

func baseEnv(runtimeAPI string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"FC_RUNTIME_API=" + runtimeAPI,
		"ALIBABA_CLOUD_ACCESS_KEY_ID=" + staleEnvCredentials.AccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + staleEnvCredentials.AccessKeySecret,
		"ALIBABA_CLOUD_SECURITY_TOKEN=" + staleEnvCredentials.SecurityToken,
	}
	for k, v := range fnEnv() {
		env = append(env, k+"="+v)
	}
	return env
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// TestBinaryServesHTTPTrigger builds the static linux/amd64 binary, runs it
// under the local FC runtime and checks its signed answer on the HTTP
// trigger: the V4 signature verifies with the per-invocation secret (derived
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
	rt, logBuf := stacktest.Function(t, fcruntime.Config{}, fcruntime.Function{
		Name: "sign", Binary: bin, Env: fnEnv(), Timeout: 10 * time.Second, Region: "cn-hangzhou", AccountID: "1234567890123456",
		Credentials: stacktest.StaleAtStart(staleEnvCredentials,
			fcruntime.Credentials{AccessKeyID: invokeAK, AccessKeySecret: invokeSecret, SecurityToken: invokeToken}),
	})
	req, err := http.NewRequest(http.MethodPost, stacktest.HTTPTrigger(t, rt, "sign")+"/", strings.NewReader(`{"filename":"cat photo.png","contentType":"image/png","size":4096}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://127.0.0.1:8080")
	res, body := stacktest.Do(t, req)
	rt.Close() // waits for the process, so everything it printed is in logBuf
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s\n%s", res.StatusCode, body, logBuf.String())
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
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "http://127.0.0.1:8080" {
		t.Errorf("Access-Control-Allow-Origin %q", got)
	}
	logs := logBuf.String()
	if id := res.Header.Get("X-Fc-Request-Id"); id == "" || !strings.Contains(logs, id) {
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
