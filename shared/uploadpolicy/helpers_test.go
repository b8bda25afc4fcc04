package uploadpolicy

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ossupload/ossupload/shared/auth"
	"github.com/ossupload/ossupload/shared/credentials"
)

const (
	testSecret   = "test-jwt-secret-0123456789abcdef-0123" // >= 32 bytes
	testIssuer   = "https://issuer.test"
	testAudience = "ossupload"
	testOrigin   = "https://app.example.com"
	testUser     = "alice"
	// Signing credentials as FC hands them to a function (temporary, with a token).
	testAK     = "STS.NTestAccessKeyId"
	testAKSec  = "sts-secret-MUST-NOT-LEAK-7f3a"
	testToken  = "CAIS-security-token-MUST-NOT-LEAK-91bc"
	testBucket = "ossupload-dev"
	testRegion = "cn-hangzhou"
)

// testNow is the injected clock: 23:59:30 UTC, so a local-time or
// wrong-day bug shows in the date, the credential scope and the expiry.
var testNow = time.Date(2026, 11, 23, 23, 59, 30, 0, time.UTC)

// countingCreds is a CredentialSource that counts its calls.
type countingCreds struct {
	calls atomic.Int64
	creds credentials.Credentials
	err   error
}

func (c *countingCreds) Resolve(context.Context) (credentials.Credentials, error) {
	c.calls.Add(1)
	return c.creds, c.err
}

func testEnv(overrides map[string]string) func(string) string {
	vars := map[string]string{
		"OSS_BUCKET":           testBucket,
		"OSS_REGION":           testRegion,
		"OSS_UPLOAD_URL":       "http://127.0.0.1:9000/" + testBucket,
		"UPLOAD_PREFIX":        "uploads/",
		"UPLOAD_MAX_BYTES":     "1048576",
		"UPLOAD_ALLOWED_TYPES": "image/*,application/pdf",
		"AUTH_JWT_SECRET":      testSecret,
		"AUTH_ISSUER":          testIssuer,
		"AUTH_AUDIENCE":        testAudience,
		"CORS_ALLOWED_ORIGINS": testOrigin,
	}
	for k, v := range overrides {
		vars[k] = v
	}
	return func(k string) string { return vars[k] }
}

type fixture struct {
	handler http.Handler
	creds   *countingCreds
	logs    *bytes.Buffer
	cfg     Config
}

func newFixture(t testing.TB, env map[string]string, tags TagReader) *fixture {
	t.Helper()
	cfg := FromEnv(testEnv(env))
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a := mustAuth(t, cfg)
	f := &fixture{
		creds: &countingCreds{creds: credentials.Credentials{AccessKeyID: testAK, AccessKeySecret: testAKSec, SecurityToken: testToken}},
		logs:  new(bytes.Buffer),
		cfg:   cfg,
	}
	var err error
	f.handler, err = New(cfg, Deps{
		Auth:        a,
		Credentials: f.creds,
		Tags:        tags,
		Now:         fixedNow,
		Random:      fixedRandom{},
		Logger:      slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func fixedNow() time.Time { return testNow }

// mustAuth returns the authenticator of the test configuration.
func mustAuth(t testing.TB, cfg Config) *auth.Authenticator {
	t.Helper()
	ac := cfg.AuthConfig()
	ac.Now = fixedNow
	a, err := auth.New(context.Background(), ac)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func token(t testing.TB, sub string) string {
	t.Helper()
	tok, err := auth.IssueHS256([]byte(testSecret), sub, testIssuer, testAudience, testNow.Add(-time.Minute), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func postSign(t testing.TB, tok, body string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Origin", testOrigin)
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

type errorBody struct {
	Error struct{ Code, Message string } `json:"error"`
}

func decode[T any](t testing.TB, r io.Reader) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %T: %v", v, err)
	}
	return v
}

// fixedRandom is an endless stream of 0xab bytes, so keys are predictable.
type fixedRandom struct{}

func (fixedRandom) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0xab
	}
	return len(p), nil
}
