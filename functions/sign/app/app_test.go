package app

import (
	"bytes"
	"encoding/base64"
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
)

const jwtSecret = "sign-app-test-secret-0123456789abcdef-xyz"

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func validEnv() map[string]string {
	return map[string]string{
		"OSS_BUCKET":                      "ossupload-dev",
		"OSS_REGION":                      "cn-hangzhou",
		"AUTH_JWT_SECRET":                 jwtSecret,
		"CORS_ALLOWED_ORIGINS":            "https://app.example.com",
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     "LTAI5tExampleAccessKeyID",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "ExampleAccessKeySecretValue0123",
	}
}

func getenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// A valid environment gives a handler that signs a form for a signed-in
// caller.
func TestSetupServes(t *testing.T) {
	h, logger, err := Setup(getenv(validEnv()), Options{Now: func() time.Time { return now }, Log: io.Discard})
	if err != nil || h == nil || logger == nil {
		t.Fatalf("Setup = %v, %v, %v", h, logger, err)
	}
	tok := token(t)
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"filename":"cat.png","contentType":"image/png","size":1234}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "uploads/alice/") {
		t.Fatalf("POST / = %d %s", rec.Code, rec.Body)
	}
}

// Setup wires the part lister, on FC and on Lambda alike (the Lambda main
// once wired none, so presign refused every complete there): a complete
// asks OSS, at OSS_ENDPOINT, which parts it holds.
func TestSetupWiresThePartLister(t *testing.T) {
	asked := make(chan string, 1)
	oss := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case asked <- r.Method + " " + r.URL.RawQuery:
		default:
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>none</Message><RequestId>r1</RequestId></Error>`)
	}))
	defer oss.Close()
	env := validEnv()
	env["OSS_ENDPOINT"] = oss.URL
	h, _, err := Setup(getenv(env), Options{Now: func() time.Time { return now }, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/presign", strings.NewReader(
		`{"method":"POST","key":"uploads/alice/2026/01/02/abababababababab.307200-cat.png","uploadId":"UPLOAD1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token(t))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	select {
	case got := <-asked:
		if !strings.Contains(got, "uploadId=UPLOAD1") {
			t.Errorf("OSS was asked %q, want a ListParts of UPLOAD1", got)
		}
	default:
		t.Fatalf("OSS was not asked for the parts; presign answered %d %s", rec.Code, rec.Body)
	}
	if rec.Code != http.StatusNotFound {
		t.Errorf("complete of an unknown upload = %d %s, want 404", rec.Code, rec.Body)
	}
}

// Setup wires the pre-sign hook and the pin key when UPLOAD_HOOK_URL is
// set: the app is asked before a form is signed, and its deny reaches the
// caller.
func TestSetupWiresTheHook(t *testing.T) {
	asked := make(chan string, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case asked <- r.Header.Get("webhook-signature"):
		default:
		}
		io.WriteString(w, `{"allow":false,"message":"not in this project"}`)
	}))
	defer hook.Close()
	env := validEnv()
	env["UPLOAD_HOOK_URL"] = hook.URL
	env["UPLOAD_HOOK_SECRET"] = "whsec_" + base64.StdEncoding.EncodeToString([]byte("sign-app-hook-secret-0123456789ab"))
	h, _, err := Setup(getenv(env), Options{Now: func() time.Time { return now }, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"filename":"cat.png","contentType":"image/png","size":1234}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token(t))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	select {
	case sig := <-asked:
		if !strings.HasPrefix(sig, "v1,") {
			t.Errorf("hook call signed %q, want a v1 Standard Webhooks signature", sig)
		}
	default:
		t.Fatalf("the hook was not asked; sign answered %d %s", rec.Code, rec.Body)
	}
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "not in this project") {
		t.Errorf("POST / with a denying hook = %d %s, want 403 with the app's message", rec.Code, rec.Body)
	}
}

func token(t *testing.T) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "alice", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).SignedString([]byte(jwtSecret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// A bad environment is refused with every problem, one line each in the
// one format, and the secret's value in none.
func TestSetupListsEveryProblem(t *testing.T) {
	const short = "short-secret-value"
	env := map[string]string{
		"OSS_BUCKET": "My_Bucket", "OSS_REGION": "hangzhou", "UPLOAD_MAX_BYTES": "-5",
		"SIGNATURE_VERSION": "v9", "AUTH_JWT_SECRET": short, "CORS_ALLOWED_ORIGINS": "app.example.com",
		"QUARANTINE_PREFIX": "uploads/q/",
	}
	var logs bytes.Buffer
	h, logger, err := Setup(getenv(env), Options{Log: &logs})
	if err == nil || h != nil || logger == nil {
		t.Fatalf("Setup = %v, %v, %v; want a refusal and a logger", h, logger, err)
	}
	names := configtest.Names(t, err, short)
	for _, want := range []string{"OSS_BUCKET", "OSS_REGION", "UPLOAD_MAX_BYTES", "SIGNATURE_VERSION", "AUTH_JWT_SECRET", "CORS_ALLOWED_ORIGINS", "QUARANTINE_PREFIX"} {
		if !slices.Contains(names, want) {
			t.Errorf("no problem about %s in %q", want, config.Lines(err))
		}
	}
}

// Variables is what FromEnv reads: sign reaches OSS (OSS_ENDPOINT) and has
// its own settings, but not sts's.
func TestVariables(t *testing.T) {
	v := Variables()
	for _, want := range []string{"OSS_BUCKET", "OSS_REGION", "OSS_ENDPOINT", "OSS_UPLOAD_URL", "AUTH_JWT_SECRET", "AUTH_ALLOW_ANONYMOUS",
		"CORS_ALLOWED_ORIGINS", "LOG_LEVEL", "UPLOAD_PREFIX", "SIGNATURE_VERSION", "QUARANTINE_PREFIX", "SWEEP_MIN_AGE_SECONDS"} {
		if !slices.Contains(v, want) {
			t.Errorf("Variables lacks %s: %q", want, v)
		}
	}
	if slices.Contains(v, "STS_ROLE_ARN") || slices.Contains(v, "WEBHOOK_URL") {
		t.Errorf("Variables has another function's settings: %q", v)
	}
}
