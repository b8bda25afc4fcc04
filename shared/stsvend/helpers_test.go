package stsvend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ossupload/ossupload/shared/auth"
)

const (
	testSecret   = "test-jwt-secret-0123456789abcdef-0123" // >= 32 bytes
	testIssuer   = "https://issuer.test"
	testAudience = "ossupload"
	testOrigin   = "https://app.example.com"
	testUser     = "alice"
	testBucket   = "ossupload-dev"
	testRegion   = "cn-hangzhou"
	testRoleARN  = "acs:ram::1234567890123456:role/uploader"
	// What the fake STS hands out; must never show in logs.
	issuedSecret = "issued-secret-MUST-NOT-LEAK-5d1e"
	issuedToken  = "issued-token-MUST-NOT-LEAK-c0de"
)

var testNow = time.Date(2026, 11, 23, 23, 59, 30, 0, time.UTC)

// clock is an injectable clock with Advance.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: testNow} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeSTS is an AssumeRoler that records its calls and mints distinct
// credentials valid for the requested duration from the clock.
type fakeSTS struct {
	now   func() time.Time
	calls atomic.Int64
	gate  chan struct{} // when set, AssumeRole waits for it to close
	err   error

	mu   sync.Mutex
	last []AssumeRoleInput
}

func (f *fakeSTS) AssumeRole(ctx context.Context, in AssumeRoleInput) (Temporary, error) {
	n := f.calls.Add(1)
	f.mu.Lock()
	f.last = append(f.last, in)
	f.mu.Unlock()
	if f.gate != nil {
		<-f.gate
	}
	if f.err != nil {
		return Temporary{}, f.err
	}
	return Temporary{
		AccessKeyID:     "STS.fake" + strings.Repeat("x", int(n%7)) + in.SessionName,
		AccessKeySecret: issuedSecret + in.SessionName,
		SecurityToken:   issuedToken + in.SessionName,
		Expiration:      f.now().Add(in.Duration).UTC(),
	}, nil
}

func (f *fakeSTS) inputs() []AssumeRoleInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]AssumeRoleInput(nil), f.last...)
}

func testEnv(overrides map[string]string) func(string) string {
	vars := map[string]string{
		"OSS_BUCKET":           testBucket,
		"OSS_REGION":           testRegion,
		"OSS_UPLOAD_URL":       "http://127.0.0.1:9000/" + testBucket,
		"UPLOAD_PREFIX":        "uploads/",
		"STS_ROLE_ARN":         testRoleARN,
		"STS_ENDPOINT":         "http://127.0.0.1:9001",
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
	sts     *fakeSTS
	clock   *clock
	logs    *bytes.Buffer
	cfg     Config
}

func newFixture(t testing.TB, env map[string]string) *fixture {
	t.Helper()
	return newFixtureDeps(t, env, nil)
}

// newFixtureDeps is newFixture with deps adjusted by adjust (a hook).
func newFixtureDeps(t testing.TB, env map[string]string, adjust func(*Deps)) *fixture {
	t.Helper()
	cfg := FromEnv(testEnv(env))
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	c := newClock()
	f := &fixture{sts: &fakeSTS{now: c.Now}, clock: c, logs: new(bytes.Buffer), cfg: cfg}
	ac := cfg.AuthConfig()
	ac.Now = c.Now
	a, err := auth.New(context.Background(), ac)
	if err != nil {
		t.Fatal(err)
	}
	deps := Deps{Auth: a, STS: f.sts, Now: c.Now,
		Logger: slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if adjust != nil {
		adjust(&deps)
	}
	f.handler, err = New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func token(t testing.TB, sub string) string {
	t.Helper()
	tok, err := auth.IssueHS256([]byte(testSecret), sub, testIssuer, testAudience, testNow.Add(-time.Minute), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func request(method, tok string) *http.Request {
	r := httptest.NewRequest(method, "/", nil)
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
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// decodeStrict decodes body into a T refusing unknown fields.
func decodeStrict[T any](t testing.TB, body []byte) T {
	t.Helper()
	var v T
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

func asSTS(err error, target **STSError) bool { return errors.As(err, target) }
