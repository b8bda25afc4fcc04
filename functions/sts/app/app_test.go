package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/config/configtest"
	"github.com/ossupload/ossupload/shared/stdwebhook"
	"github.com/ossupload/ossupload/shared/stsvend"
	"github.com/ossupload/ossupload/shared/uploadhook"
	"github.com/ossupload/ossupload/shared/uploadpin"
)

const jwtSecret = "sts-app-test-secret-0123456789abcdef-xyz"

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func getenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// fakeSTS answers AssumeRole with fixed credentials.
type fakeSTS struct{ calls int }

func (f *fakeSTS) AssumeRole(context.Context, stsvend.AssumeRoleInput) (stsvend.Temporary, error) {
	f.calls++
	return stsvend.Temporary{AccessKeyID: "STS.app-test", AccessKeySecret: "app-test-secret", SecurityToken: "CAIS-app-test",
		Expiration: now.Add(15 * time.Minute)}, nil
}

// A valid environment gives a handler that vends credentials through the
// STS client it was given.
func TestSetupServes(t *testing.T) {
	env := map[string]string{
		"OSS_BUCKET": "ossupload-dev", "OSS_REGION": "cn-hangzhou", "AUTH_JWT_SECRET": jwtSecret,
		"STS_ROLE_ARN": "acs:ram::1234567890123456:role/ossupload-uploader",
	}
	sts := &fakeSTS{}
	h, logger, err := Setup(getenv(env), Options{Now: func() time.Time { return now }, STS: sts, Log: io.Discard})
	if err != nil || h == nil || logger == nil {
		t.Fatalf("Setup = %v, %v, %v", h, logger, err)
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "alice", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).SignedString([]byte(jwtSecret))
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "STS.app-test") || sts.calls != 1 {
		t.Fatalf("POST / = %d %s (%d AssumeRole calls)", rec.Code, rec.Body, sts.calls)
	}
}

// A bad environment is refused with every problem, one line each in the
// one format, and the secret's value in none.
func TestSetupListsEveryProblem(t *testing.T) {
	const short = "short-secret-value"
	env := map[string]string{
		"OSS_BUCKET": "x", "OSS_REGION": "hangzhou", "UPLOAD_PREFIX": "/abs", "AUTH_JWT_SECRET": short,
		"STS_DURATION_SECONDS": "60", "STS_ENDPOINT": "ftp://x",
	}
	var logs bytes.Buffer
	h, logger, err := Setup(getenv(env), Options{STS: &fakeSTS{}, Log: &logs})
	if err == nil || h != nil || logger == nil {
		t.Fatalf("Setup = %v, %v, %v; want a refusal and a logger", h, logger, err)
	}
	names := configtest.Names(t, err, short)
	for _, want := range []string{"OSS_BUCKET", "OSS_REGION", "UPLOAD_PREFIX", "AUTH_JWT_SECRET", "STS_ROLE_ARN", "STS_DURATION_SECONDS", "STS_ENDPOINT"} {
		if !slices.Contains(names, want) {
			t.Errorf("no problem about %s in %q", want, config.Lines(err))
		}
	}
}

// Variables is what FromEnv reads: sts never calls OSS, so no OSS_ENDPOINT,
// and no verdict settings.
func TestVariables(t *testing.T) {
	v := Variables()
	for _, want := range []string{"OSS_BUCKET", "OSS_REGION", "OSS_UPLOAD_URL", "AUTH_JWT_SECRET", "AUTH_JWKS_URL", "CORS_ALLOWED_ORIGINS",
		"LOG_LEVEL", "UPLOAD_PREFIX", "STS_ROLE_ARN", "STS_ENDPOINT", "STS_DURATION_SECONDS", "STS_CACHE_SIZE"} {
		if !slices.Contains(v, want) {
			t.Errorf("Variables lacks %s: %q", want, v)
		}
	}
	for _, not := range []string{"OSS_ENDPOINT", "QUARANTINE_PREFIX", "SWEEP_MIN_AGE_SECONDS"} {
		if slices.Contains(v, not) {
			t.Errorf("Variables has %s: %q", not, v)
		}
	}
}

// With UPLOAD_HOOK_URL, Setup wires the hook client and the pin key: the
// hook is asked (a signed call) before credentials are vended, and the
// answer's headers carry its metadata and a pin under the key derived from
// UPLOAD_HOOK_SECRET.
func TestSetupWiresTheHook(t *testing.T) {
	const secret = "whsec_aG9vay1rZXktZm9yLXBpbnMtMDEyMzQ1Njc4OWFiY2Q="
	var calls []uploadhook.Request
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var call uploadhook.Request
		if r.Header.Get("webhook-signature") == "" || json.NewDecoder(r.Body).Decode(&call) != nil {
			http.Error(w, "unsigned", http.StatusUnauthorized)
			return
		}
		calls = append(calls, call)
		_, _ = io.WriteString(w, `{"allow":true,"metadata":{"project":"p-9"}}`)
	}))
	defer hook.Close()
	env := map[string]string{
		"OSS_BUCKET": "ossupload-dev", "OSS_REGION": "cn-hangzhou", "AUTH_JWT_SECRET": jwtSecret,
		"STS_ROLE_ARN":    "acs:ram::1234567890123456:role/ossupload-uploader",
		"UPLOAD_HOOK_URL": hook.URL, "UPLOAD_HOOK_SECRET": secret,
	}
	sts := &fakeSTS{}
	h, _, err := Setup(getenv(env), Options{Now: func() time.Time { return now }, STS: sts, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "alice", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).SignedString([]byte(jwtSecret))
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var resp stsvend.Response
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); rec.Code != http.StatusOK || err != nil {
		t.Fatalf("POST / = %d %s", rec.Code, rec.Body)
	}
	if len(calls) != 1 || calls[0].User != "alice" || calls[0].Via != "sts" || calls[0].Route != "default" {
		t.Fatalf("hook calls %+v", calls)
	}
	key, err := stdwebhook.ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	pin := uploadpin.Pin{Route: "default", Owner: "alice", Scope: "uploads/alice/", Metadata: map[string]string{"project": "p-9"}}
	if resp.Headers["x-oss-meta-project"] != "p-9" || !uploadpin.Valid(uploadpin.Key(key), pin, resp.Headers["x-oss-meta-upload-pin"]) {
		t.Fatalf("headers %v", resp.Headers)
	}
}
