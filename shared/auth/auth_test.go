package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ossupload/ossupload/shared/httpapi"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef-test-secret")
	t0     = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

func fixedNow() time.Time { return t0 }

func claims(mut func(c *jwt.RegisteredClaims)) jwt.RegisteredClaims {
	c := jwt.RegisteredClaims{
		Subject:   "dev-user",
		Issuer:    "https://issuer.example",
		Audience:  jwt.ClaimStrings{"ossupload"},
		IssuedAt:  jwt.NewNumericDate(t0.Add(-time.Minute)),
		ExpiresAt: jwt.NewNumericDate(t0.Add(time.Hour)),
	}
	if mut != nil {
		mut(&c)
	}
	return c
}

func sign(t testing.TB, m jwt.SigningMethod, key any, kid string, c jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func request(authz ...string) *http.Request {
	r := httptest.NewRequest("POST", "/", nil)
	for _, a := range authz {
		r.Header.Add("Authorization", a)
	}
	return r
}

// check401 asserts err is the 401 contract error, mentions want, and does
// not echo the token.
func check401(t *testing.T, err error, want, token string) {
	t.Helper()
	var e *httpapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("want *httpapi.Error, got %T %v", err, err)
	}
	if e.Status() != 401 || e.Code.String() != "unauthorized" {
		t.Fatalf("got %d %s", e.Status(), e.Code)
	}
	if !strings.Contains(e.Message, want) {
		t.Fatalf("message %q does not contain %q", e.Message, want)
	}
	if token != "" && (strings.Contains(e.Message, token) || strings.Contains(e.Message, strings.Split(token, ".")[1])) {
		t.Fatalf("message echoes the token: %q", e.Message)
	}
}

func TestHS256(t *testing.T) {
	a, err := New(context.Background(), Config{JWTSecret: secret, Issuer: "https://issuer.example", Audience: "ossupload", Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	otherSecret := []byte("ffffffffffffffffffffffffffffffff-other")
	rsaKey := rsaKey(t)
	noneTok := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claims(nil))
	tests := []struct {
		name  string
		token string
		want  string // "" = success
	}{
		{"valid", sign(t, jwt.SigningMethodHS256, secret, "", claims(nil)), ""},
		{"exp within leeway", sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *jwt.RegisteredClaims) {
			c.ExpiresAt = jwt.NewNumericDate(t0.Add(-20 * time.Second))
		})), ""},
		{"expired", sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *jwt.RegisteredClaims) {
			c.ExpiresAt = jwt.NewNumericDate(t0.Add(-31 * time.Second))
		})), "expired"},
		{"not yet valid", sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *jwt.RegisteredClaims) {
			c.NotBefore = jwt.NewNumericDate(t0.Add(time.Minute))
		})), "not valid yet"},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *jwt.RegisteredClaims) {
			c.IssuedAt = jwt.NewNumericDate(t0.Add(time.Hour))
		})), "issued in the future"},
		{"no exp", sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *jwt.RegisteredClaims) { c.ExpiresAt = nil })), "no exp"},
		{"wrong issuer", sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *jwt.RegisteredClaims) { c.Issuer = "https://evil.example" })), "issuer"},
		{"no issuer", sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *jwt.RegisteredClaims) { c.Issuer = "" })), "issuer"},
		{"wrong audience", sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *jwt.RegisteredClaims) { c.Audience = jwt.ClaimStrings{"other"} })), "audience"},
		{"wrong key", sign(t, jwt.SigningMethodHS256, otherSecret, "", claims(nil)), "signature is invalid"},
		{"alg none", noneTok, "not accepted"},
		{"HS512 not accepted", sign(t, jwt.SigningMethodHS512, secret, "", claims(nil)), "not accepted"},
		{"RS256 in HS mode", sign(t, jwt.SigningMethodRS256, rsaKey, "", claims(nil)), "not accepted"},
		{"tampered payload", tamper(sign(t, jwt.SigningMethodHS256, secret, "", claims(nil))), "signature is invalid"},
		{"sub missing", sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *jwt.RegisteredClaims) { c.Subject = "" })), "no sub"},
		{"sub with slash", sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *jwt.RegisteredClaims) { c.Subject = "a/b" })), "sub must be"},
		{"sub with space", sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *jwt.RegisteredClaims) { c.Subject = "a b" })), "sub must be"},
		{"sub too long", sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *jwt.RegisteredClaims) { c.Subject = strings.Repeat("a", 65) })), "sub must be"},
		{"sub dot", sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *jwt.RegisteredClaims) { c.Subject = "." })), `must not be "."`},
		{"sub dotdot", sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *jwt.RegisteredClaims) { c.Subject = ".." })), `contain ".."`},
		{"sub contains dotdot", sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *jwt.RegisteredClaims) { c.Subject = "a..b" })), `contain ".."`},
		{"sub unicode", sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *jwt.RegisteredClaims) { c.Subject = "usér" })), "sub must be"},
		{"sub with allowed punctuation", sign(t, jwt.SigningMethodHS256, secret, "", claims(func(c *jwt.RegisteredClaims) { c.Subject = "a.b_c@d-e" })), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := a.Authenticate(request("Bearer " + tc.token))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				if id.Anonymous || id.UserID == "" {
					t.Fatalf("identity %+v", id)
				}
				return
			}
			check401(t, err, tc.want, tc.token)
		})
	}
}

func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), "dev-user", "admin-us", 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

func TestMalformedHeaders(t *testing.T) {
	a, err := New(context.Background(), Config{JWTSecret: secret, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	good := sign(t, jwt.SigningMethodHS256, secret, "", claims(nil))
	tests := []struct {
		name   string
		header []string
		want   string
	}{
		{"missing", nil, "missing Authorization"},
		{"basic scheme", []string{"Basic dXNlcjpwYXNz"}, "Bearer scheme"},
		{"no space", []string{"Bearer" + good}, "Bearer scheme"},
		{"empty token", []string{"Bearer "}, "empty"},
		{"blank token", []string{"Bearer    "}, "empty"},
		{"two parts", []string{"Bearer abc.def"}, "not a JWT"},
		{"garbage jwt", []string{"Bearer a.b.c"}, "malformed"},
		{"two headers", []string{"Bearer " + good, "Bearer " + good}, "exactly one"},
		{"huge", []string{"Bearer " + strings.Repeat("a", maxTokenBytes+1)}, "longer than"},
		{"inner space", []string{"Bearer " + good[:10] + " " + good[10:]}, "not a JWT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Authenticate(request(tc.header...))
			check401(t, err, tc.want, "")
		})
	}
	if id, err := a.Authenticate(request("bearer " + good)); err != nil || id.UserID != "dev-user" {
		t.Fatalf("lower-case scheme: %v %+v", err, id)
	}
}

func TestAnonymous(t *testing.T) {
	good := sign(t, jwt.SigningMethodHS256, secret, "", claims(nil))
	on, err := New(context.Background(), Config{JWTSecret: secret, AllowAnonymous: true, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := on.Authenticate(request()); err != nil || id != (Identity{UserID: "anonymous", Anonymous: true}) {
		t.Fatalf("anonymous on, no header: %+v %v", id, err)
	}
	if id, err := on.Authenticate(request("Bearer " + good)); err != nil || id.Anonymous || id.UserID != "dev-user" {
		t.Fatalf("anonymous on, token: %+v %v", id, err)
	}
	// A bad token is not silently downgraded to anonymous.
	_, err = on.Authenticate(request("Bearer " + tamper(good)))
	check401(t, err, "signature", "")

	off, err := New(context.Background(), Config{JWTSecret: secret, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	_, err = off.Authenticate(request())
	check401(t, err, "missing Authorization", "")

	only, err := New(context.Background(), Config{AllowAnonymous: true, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := only.Authenticate(request()); err != nil || !id.Anonymous {
		t.Fatalf("anonymous-only: %+v %v", id, err)
	}
	_, err = only.Authenticate(request("Bearer " + good))
	check401(t, err, "anonymous callers only", good)
}

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"nothing", Config{}, "set AUTH_JWT_SECRET or AUTH_JWKS_URL"},
		{"both", Config{JWTSecret: secret, JWKSURL: "https://x/jwks"}, "only one"},
		{"short secret", Config{JWTSecret: []byte("short")}, "at least 32 bytes"},
		{"relative jwks", Config{JWKSURL: "/jwks"}, "absolute http"},
		{"negative leeway", Config{JWTSecret: secret, Leeway: -time.Second}, "leeway"},
		{"huge leeway", Config{JWTSecret: secret, Leeway: time.Hour}, "leeway"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(context.Background(), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if len(secret) > 0 && strings.Contains(err.Error(), string(secret)) {
				t.Fatal("secret echoed")
			}
		})
	}
}

func TestIssueHS256(t *testing.T) {
	tok, err := IssueHS256(secret, "dev-user", "https://issuer.example", "ossupload", t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), Config{JWTSecret: secret, Issuer: "https://issuer.example", Audience: "ossupload", Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := a.Authenticate(request("Bearer " + tok)); err != nil || id.UserID != "dev-user" {
		t.Fatalf("%+v %v", id, err)
	}
	later, _ := New(context.Background(), Config{JWTSecret: secret, Now: func() time.Time { return t0.Add(2 * time.Hour) }})
	_, err = later.Authenticate(request("Bearer " + tok))
	check401(t, err, "expired", tok)
	for name, f := range map[string]func() (string, error){
		"short secret": func() (string, error) { return IssueHS256([]byte("x"), "u", "", "", t0, time.Hour) },
		"bad sub":      func() (string, error) { return IssueHS256(secret, "../x", "", "", t0, time.Hour) },
		"zero ttl":     func() (string, error) { return IssueHS256(secret, "u", "", "", t0, 0) },
	} {
		if _, err := f(); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
}

// --- JWKS ---

func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwk renders a public key as an RFC 7517/7518/8037 JWK, built by hand so the
// test does not trust the library under test to serialise keys.
func jwk(t *testing.T, kid string, pub crypto.PublicKey) map[string]string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	case *ecdsa.PublicKey:
		ecdh, err := k.ECDH()
		if err != nil {
			t.Fatal(err)
		}
		raw := ecdh.Bytes() // 0x04 || X || Y
		n := (len(raw) - 1) / 2
		return map[string]string{"kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256", "x": b64(raw[1 : 1+n]), "y": b64(raw[1+n:])}
	case ed25519.PublicKey:
		return map[string]string{"kty": "OKP", "kid": kid, "use": "sig", "alg": "EdDSA", "crv": "Ed25519", "x": b64(k)}
	}
	t.Fatalf("unsupported key %T", pub)
	return nil
}

type jwksServer struct {
	mu   sync.Mutex
	keys []map[string]string
	hits atomic.Int32
	*httptest.Server
}

func newJWKSServer(t *testing.T, keys ...map[string]string) *jwksServer {
	s := &jwksServer{keys: keys}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"keys": s.keys})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) add(k map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, k)
}

func TestJWKS(t *testing.T) {
	rk := rsaKey(t)
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	epub, epriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srv := newJWKSServer(t, jwk(t, "rsa-1", &rk.PublicKey), jwk(t, "ec-1", &ek.PublicKey), jwk(t, "ed-1", epub))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := New(ctx, Config{JWKSURL: srv.URL, Issuer: "https://issuer.example", Audience: "ossupload", Now: fixedNow,
		HTTPClient: srv.Client(), JWKSRefreshInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	otherRSA := rsaKey(t)
	tests := []struct {
		name  string
		token string
		want  string
	}{
		{"RS256", sign(t, jwt.SigningMethodRS256, rk, "rsa-1", claims(nil)), ""},
		{"ES256", sign(t, jwt.SigningMethodES256, ek, "ec-1", claims(nil)), ""},
		{"EdDSA", sign(t, jwt.SigningMethodEdDSA, epriv, "ed-1", claims(nil)), ""},
		{"RS256 no kid tries every key", sign(t, jwt.SigningMethodRS256, rk, "", claims(nil)), ""},
		{"HS256 signed with RSA public key PEM (alg confusion)", sign(t, jwt.SigningMethodHS256, pubPEM, "rsa-1", claims(nil)), "not accepted"},
		{"HS256 signed with RSA public key DER", sign(t, jwt.SigningMethodHS256, pubDER, "rsa-1", claims(nil)), "not accepted"},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "rsa-1", claims(nil)), "not accepted"},
		{"kid of other alg (ES key, RS token)", sign(t, jwt.SigningMethodRS256, rk, "ec-1", claims(nil)), "not accepted"},
		{"wrong RSA key", sign(t, jwt.SigningMethodRS256, otherRSA, "rsa-1", claims(nil)), "signature is invalid"},
		{"unknown kid", sign(t, jwt.SigningMethodRS256, otherRSA, "nope", claims(nil)), "not accepted"},
		{"expired", sign(t, jwt.SigningMethodRS256, rk, "rsa-1", claims(func(c *jwt.RegisteredClaims) {
			c.ExpiresAt = jwt.NewNumericDate(t0.Add(-time.Hour))
		})), "expired"},
		{"wrong audience", sign(t, jwt.SigningMethodES256, ek, "ec-1", claims(func(c *jwt.RegisteredClaims) { c.Audience = nil })), "audience"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := a.Authenticate(request("Bearer " + tc.token))
			if tc.want == "" {
				if err != nil || id.UserID != "dev-user" {
					t.Fatalf("%+v %v", id, err)
				}
				return
			}
			check401(t, err, tc.want, tc.token)
		})
	}
}

func TestJWKSKeyRotation(t *testing.T) {
	k1, k2 := rsaKey(t), rsaKey(t)
	srv := newJWKSServer(t, jwk(t, "k1", &k1.PublicKey))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := New(ctx, Config{JWKSURL: srv.URL, Now: fixedNow, HTTPClient: srv.Client(), JWKSRefreshInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tok1 := sign(t, jwt.SigningMethodRS256, k1, "k1", claims(nil))
	tok2 := sign(t, jwt.SigningMethodRS256, k2, "k2", claims(nil))
	if _, err := a.Authenticate(request("Bearer " + tok1)); err != nil {
		t.Fatalf("k1: %v", err)
	}
	hitsBefore := srv.hits.Load()
	// k2 is not published yet: refused even after the refresh it triggers.
	_, err = a.Authenticate(request("Bearer " + tok2))
	check401(t, err, "not accepted", tok2)
	if srv.hits.Load() == hitsBefore {
		t.Fatal("unknown kid did not trigger a JWKS refresh")
	}
	// The issuer rotates: k2 is published. The next token with kid k2 is
	// accepted without restarting anything.
	srv.add(jwk(t, "k2", &k2.PublicKey))
	// The refresh limiter (1 ms here) is waited for, within
	// RateLimitWaitMax, not refused: no sleep is needed for it to refill.
	if id, err := a.Authenticate(request("Bearer " + tok2)); err != nil || id.UserID != "dev-user" {
		t.Fatalf("rotated key k2 not picked up: %+v %v", id, err)
	}
	if _, err := a.Authenticate(request("Bearer " + tok1)); err != nil {
		t.Fatalf("k1 still published, still valid: %v", err)
	}
}

func TestJWKSRefreshIsRateLimited(t *testing.T) {
	k1 := rsaKey(t)
	srv := newJWKSServer(t, jwk(t, "k1", &k1.PublicKey))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := New(ctx, Config{JWKSURL: srv.URL, Now: fixedNow, HTTPClient: srv.Client(), JWKSRefreshInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	before := srv.hits.Load()
	for i := range 20 {
		tok := sign(t, jwt.SigningMethodRS256, k1, "unknown-"+string(rune('a'+i)), claims(nil))
		start := time.Now()
		_, err := a.Authenticate(request("Bearer " + tok))
		check401(t, err, "not accepted", tok)
		if time.Since(start) > 2*time.Second {
			t.Fatal("request parked on the refresh limiter")
		}
	}
	if got := srv.hits.Load() - before; got > 1 {
		t.Fatalf("20 unknown kids caused %d JWKS fetches, want at most 1", got)
	}
}

func BenchmarkAuthenticateHS256(b *testing.B) {
	a, err := New(context.Background(), Config{JWTSecret: secret, Issuer: "https://issuer.example", Audience: "ossupload", Now: fixedNow})
	if err != nil {
		b.Fatal(err)
	}
	r := request("Bearer " + sign(b, jwt.SigningMethodHS256, secret, "", claims(nil)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}
