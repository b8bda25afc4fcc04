package stsfn

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ossupload/ossupload/local/fcruntime"
	"github.com/ossupload/ossupload/local/stacktest"
)

// TestBinaryVendsWithInvocationCredentials runs the built function under
// the local FC runtime, behind its HTTP trigger: it signs AssumeRole with
// the per-invocation role credentials (the environment holds stale ones the
// STS emulator does not know) and answers with upload-only credentials.
func TestBinaryVendsWithInvocationCredentials(t *testing.T) {
	bin := stacktest.Build(t, "functions/sts", stacktest.Host)
	s := newStack(t)
	// FC rotates a role's credentials: those the process started with (in
	// ALIBABA_CLOUD_*) are stale by the invocation and unknown to the STS
	// emulator; only the per-invocation x-fc-* ones work.
	rt, logs := stacktest.Function(t, fcruntime.Config{}, fcruntime.Function{
		Name: "sts", Binary: bin, Region: region, Timeout: 10 * time.Second,
		Env: map[string]string{
			"OSS_BUCKET": bucket, "OSS_REGION": region, "OSS_UPLOAD_URL": s.ossURL + "/" + bucket,
			"STS_ROLE_ARN": uploaderRoleARN, "STS_ENDPOINT": s.stsURL,
			"AUTH_JWT_SECRET": jwtSecret, "CORS_ALLOWED_ORIGINS": testOrigin,
		},
		Credentials: stacktest.StaleAtStart(
			fcruntime.Credentials{AccessKeyID: "STS.StaleEnvKey", AccessKeySecret: "stale-env-secret", SecurityToken: "stale-env-token"},
			fcruntime.Credentials{AccessKeyID: s.fnCreds.AccessKeyID, AccessKeySecret: s.fnCreds.AccessKeySecret, SecurityToken: s.fnCreds.SecurityToken}),
	})
	req, err := http.NewRequest(http.MethodPost, stacktest.HTTPTrigger(t, rt, "sts")+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+jwtFor(t, "erin"))
	req.Header.Set("Origin", testOrigin)
	res, body := stacktest.Do(t, req)
	rt.Close() // waits for the process, so everything it printed is in logs
	if res.StatusCode != 200 {
		t.Fatalf("status %d: %s\n%s", res.StatusCode, body, logs.String())
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
	if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Access-Control-Allow-Origin") != testOrigin {
		t.Errorf("headers %v", res.Header)
	}
	if s.assumeCalls.Load() != 1 {
		t.Errorf("%d AssumeRole calls", s.assumeCalls.Load())
	}
	for _, secret := range []string{s.fnCreds.AccessKeySecret, s.fnCreds.SecurityToken, jwtSecret, "stale-env-secret"} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("a secret reached the log:\n%s", logs.String())
		}
	}
	if id := res.Header.Get("X-Fc-Request-Id"); id == "" || !strings.Contains(logs.String(), id) {
		t.Errorf("logs lack the FC request id:\n%s", logs.String())
	}
}

// TestBinaryRefusesBadConfiguration: one log message naming every problem,
// a non-zero exit before fc.Start, and no secret value in the output.
func TestBinaryRefusesBadConfiguration(t *testing.T) {
	bin := stacktest.Build(t, "functions/sts", stacktest.Host)
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

// TestMain removes the binaries the tests built.
func TestMain(m *testing.M) { stacktest.Main(m) }
