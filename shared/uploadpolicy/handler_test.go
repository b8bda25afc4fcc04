package uploadpolicy

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/ossupload/ossupload/shared/httpapi"
)

// claims returns valid claims for testUser, changed by mod.
func claims(mod func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{
		"sub": testUser, "iss": testIssuer, "aud": testAudience,
		"iat": testNow.Add(-time.Minute).Unix(), "exp": testNow.Add(time.Hour).Unix(),
	}
	if mod != nil {
		mod(c)
	}
	return c
}

func mint(t *testing.T, method jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBadInputs: every row is refused with its status and code, and none
// signs anything or even asks for credentials.
func TestBadInputs(t *testing.T) {
	f := newFixture(t, nil, nil)
	good := token(t, testUser)
	hs := jwt.SigningMethodHS256
	okBody := `{"filename":"a.png","contentType":"image/png","size":100}`
	withBody := func(tok, body string) func(*testing.T) *http.Request {
		return func(t *testing.T) *http.Request { return postSign(t, tok, body) }
	}
	withTok := func(mk func(t *testing.T) string) func(*testing.T) *http.Request {
		return func(t *testing.T) *http.Request { return postSign(t, mk(t), okBody) }
	}
	filename := func(name string) func(*testing.T) *http.Request {
		b, _ := json.Marshal(map[string]any{"filename": name, "contentType": "image/png", "size": 100})
		return withBody(good, string(b))
	}
	rows := []struct {
		name   string
		req    func(*testing.T) *http.Request
		status int
		code   string
	}{
		{"no token", withBody("", okBody), 401, "unauthorized"},
		{"not bearer", func(t *testing.T) *http.Request {
			r := postSign(t, "", okBody)
			r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("a:b")))
			return r
		}, 401, "unauthorized"},
		{"garbage token", withBody("not.a.jwt", okBody), 401, "unauthorized"},
		{"expired token", withTok(func(t *testing.T) string {
			return mint(t, hs, []byte(testSecret), claims(func(c jwt.MapClaims) { c["exp"] = testNow.Add(-time.Hour).Unix() }))
		}), 401, "unauthorized"},
		{"wrong audience", withTok(func(t *testing.T) string {
			return mint(t, hs, []byte(testSecret), claims(func(c jwt.MapClaims) { c["aud"] = "someone-else" }))
		}), 401, "unauthorized"},
		{"wrong issuer", withTok(func(t *testing.T) string {
			return mint(t, hs, []byte(testSecret), claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.test" }))
		}), 401, "unauthorized"},
		{"alg none", withTok(func(t *testing.T) string {
			return mint(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil))
		}), 401, "unauthorized"},
		{"signed with another key", withTok(func(t *testing.T) string {
			return mint(t, hs, []byte("another-secret-0123456789abcdef-xyz"), claims(nil))
		}), 401, "unauthorized"},
		{"HS512 with the right key", withTok(func(t *testing.T) string {
			return mint(t, jwt.SigningMethodHS512, []byte(testSecret), claims(nil))
		}), 401, "unauthorized"},
		{"unsafe sub", withTok(func(t *testing.T) string {
			return mint(t, hs, []byte(testSecret), claims(func(c jwt.MapClaims) { c["sub"] = "../bob" }))
		}), 401, "unauthorized"},
		{"missing body", withBody(good, ""), 400, "invalid_request"},
		{"oversized body", withBody(good, `{"filename":"`+strings.Repeat("a", MaxRequestBytes)+`"}`), 413, "request_too_large"},
		{"malformed body", withBody(good, `{"filename":`), 400, "invalid_request"},
		{"body not an object", withBody(good, `["a.png"]`), 400, "invalid_request"},
		{"unknown field", withBody(good, `{"filename":"a.png","contentType":"image/png","key":"uploads/bob/x"}`), 400, "invalid_request"},
		{"size as string", withBody(good, `{"filename":"a.png","contentType":"image/png","size":"1"}`), 400, "invalid_request"},
		{"no filename", withBody(good, `{"contentType":"image/png","size":1}`), 400, "invalid_request"},
		{"traversal", filename("../../etc/passwd"), 400, "invalid_filename"},
		{"traversal to other user", filename("../bob/x.png"), 400, "invalid_filename"},
		{"backslash traversal", filename(`..\..\x.png`), 400, "invalid_filename"},
		{"absolute path", filename("/uploads/bob/x.png"), 400, "invalid_filename"},
		{"subdirectory", filename("x/y.png"), 400, "invalid_filename"},
		{"drive letter", filename(`C:\x.png`), 400, "invalid_filename"},
		{"dot dot", filename(".."), 400, "invalid_filename"},
		{"hidden file", filename(".env"), 400, "invalid_filename"},
		{"nul byte", filename("x\x00.png"), 400, "invalid_filename"},
		{"newline", filename("x\n.png"), 400, "invalid_filename"},
		{"rtl override", filename("x\u202egnp.exe"), 400, "invalid_filename"},
		{"zero width space", filename("x\u200b.png"), 400, "invalid_filename"},
		{"over-long", filename(strings.Repeat("x", 201)), 400, "invalid_filename"},
		{"disallowed type", withBody(good, `{"filename":"a.html","contentType":"text/html","size":100}`), 400, "type_not_allowed"},
		{"malformed type", withBody(good, `{"filename":"a.png","contentType":"image/png\r\nx: y","size":100}`), 400, "invalid_request"},
		{"missing type", withBody(good, `{"filename":"a.png","size":100}`), 400, "invalid_request"},
		{"size over the cap", withBody(good, `{"filename":"a.png","contentType":"image/png","size":1048577}`), 413, "too_large"},
		{"negative size", withBody(good, `{"filename":"a.png","contentType":"image/png","size":-1}`), 400, "invalid_request"},
		{"zero size", withBody(good, `{"filename":"a.png","contentType":"image/png","size":0}`), 400, "invalid_request"},
		{"GET bad size", func(t *testing.T) *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/?filename=a.png&contentType=image/png&size=12x", nil)
			r.Header.Set("Authorization", "Bearer "+good)
			return r
		}, 400, "invalid_request"},
		{"body sent as text/plain (a cross-site form)", func(t *testing.T) *http.Request {
			r := postSign(t, good, okBody)
			r.Header.Set("Content-Type", "text/plain;charset=UTF-8")
			return r
		}, 415, "unsupported_media_type"},
		{"body sent as a urlencoded form", func(t *testing.T) *http.Request {
			r := postSign(t, good, okBody)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, 415, "unsupported_media_type"},
		{"body without Content-Type", func(t *testing.T) *http.Request {
			r := postSign(t, good, okBody)
			r.Header.Del("Content-Type")
			return r
		}, 415, "unsupported_media_type"},
		{"GET contentType twice", func(t *testing.T) *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/?filename=a.png&contentType=image/png&contentType=text/html", nil)
			r.Header.Set("Authorization", "Bearer "+good)
			return r
		}, 400, "invalid_request"},
		{"contentType twice, in another case", withBody(good, `{"filename":"a.png","contentType":"image/png","ContentType":"text/html","size":100}`), 400, "invalid_request"},
		{"GET traversal", func(t *testing.T) *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/?filename=..%2Fx.png&contentType=image/png", nil)
			r.Header.Set("Authorization", "Bearer "+good)
			return r
		}, 400, "invalid_filename"},
		{"method PUT", func(t *testing.T) *http.Request {
			r := postSign(t, good, okBody)
			r.Method = http.MethodPut
			return r
		}, 405, "method_not_allowed"},
		{"method DELETE", func(t *testing.T) *http.Request {
			r := httptest.NewRequest(http.MethodDelete, "/", nil)
			r.Header.Set("Authorization", "Bearer "+good)
			return r
		}, 405, "method_not_allowed"},
		{"POST /status", func(t *testing.T) *http.Request {
			r := postSign(t, good, okBody)
			r.URL.Path = "/status"
			return r
		}, 405, "method_not_allowed"},
		{"unknown path", func(t *testing.T) *http.Request {
			r := postSign(t, good, okBody)
			r.URL.Path = "/admin"
			return r
		}, 404, "not_found"},
		{"disallowed origin", func(t *testing.T) *http.Request {
			r := postSign(t, good, okBody)
			r.Header.Set("Origin", "https://evil.example")
			return r
		}, 403, "forbidden"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			before := f.creds.calls.Load()
			w := serve(f.handler, row.req(t))
			body := w.Body.String()
			if w.Code != row.status {
				t.Fatalf("status %d, want %d: %s", w.Code, row.status, body)
			}
			e := decode[errorBody](t, strings.NewReader(body))
			if e.Error.Code != row.code || e.Error.Message == "" {
				t.Fatalf("error %+v, want code %q with a message", e.Error, row.code)
			}
			assertNothingSigned(t, w)
			if n := f.creds.calls.Load() - before; n != 0 {
				t.Fatalf("credentials resolved %d times for a refused request", n)
			}
		})
	}
}

// assertNothingSigned: the body is empty or exactly an error object (decoded
// strictly, so no "fields", "policy" or signature member can hide in it),
// and carries no credential.
func assertNothingSigned(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	body := w.Body.String()
	if body != "" {
		decode[errorBody](t, strings.NewReader(body))
	}
	for _, s := range []string{testAK, testAKSec, testToken, "OSS4-HMAC-SHA256", "x-oss-"} {
		if strings.Contains(body, s) {
			t.Fatalf("refused response contains %q: %s", s, body)
		}
	}
}

func TestPreflight(t *testing.T) {
	f := newFixture(t, nil, nil)
	for _, tc := range []struct {
		origin string
		allow  bool
	}{{testOrigin, true}, {"https://evil.example", false}} {
		r := httptest.NewRequest(http.MethodOptions, "/", nil)
		r.Header.Set("Origin", tc.origin)
		r.Header.Set("Access-Control-Request-Method", "POST")
		r.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		w := serve(f.handler, r)
		got := w.Header().Get("Access-Control-Allow-Origin")
		if tc.allow && got != tc.origin || !tc.allow && got != "" {
			t.Errorf("preflight from %s: Access-Control-Allow-Origin %q", tc.origin, got)
		}
		if !strings.Contains(w.Header().Get("Vary"), "Origin") {
			t.Errorf("preflight from %s: no Vary: Origin", tc.origin)
		}
		assertNothingSigned(t, w)
	}
	if f.creds.calls.Load() != 0 {
		t.Fatal("preflight resolved credentials")
	}
}

// hmacSHA256 is the test's own HMAC, independent of package postpolicy.
func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// TestSignV4 recomputes the signature from the returned policy with the
// derivation of the OSS/STS protocol reference §1.4 (OSS docs "PostObject",
// signature V4), then decodes the policy and checks every pin.
func TestSignV4(t *testing.T) {
	f := newFixture(t, nil, nil)
	w := serve(f.handler, postSign(t, token(t, testUser), `{"filename":"My Photo.png","contentType":"image/png","size":2048}`))
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if w.Header().Get("Access-Control-Allow-Origin") != testOrigin || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v", w.Header())
	}
	resp := decode[Response](t, w.Body)
	fl := resp.Fields

	// Signature, derived independently.
	k := hmacSHA256([]byte("aliyun_v4"+testAKSec), "20261123")
	k = hmacSHA256(k, testRegion)
	k = hmacSHA256(k, "oss")
	k = hmacSHA256(k, "aliyun_v4_request")
	if want := hex.EncodeToString(hmacSHA256(k, fl.Policy)); !hmac.Equal([]byte(fl.V4Signature), []byte(want)) {
		t.Fatalf("x-oss-signature %s, want %s", fl.V4Signature, want)
	}

	// The envelope.
	wantKey := "uploads/alice/2026/11/23/abababababababab-My-Photo.png"
	exp := testNow.Add(900 * time.Second)
	checks := []struct{ name, got, want string }{
		{"method", resp.Method, "POST"},
		{"url", resp.URL, "http://127.0.0.1:9000/" + testBucket},
		{"host", resp.Host, resp.URL},
		{"key", resp.Key, wantKey},
		{"dir", resp.Dir, "uploads/alice/"},
		{"expiresAt", resp.ExpiresAt, "2026-11-24T00:14:30Z"},
		{"expire", strconv.FormatInt(resp.Expire, 10), strconv.FormatInt(exp.Unix(), 10)},
		{"maxSize", strconv.FormatInt(resp.MaxSize, 10), "2048"},
		{"accessid (V1 only)", resp.AccessID + resp.Signature + resp.Policy, ""},
		{"fields.key", fl.Key, wantKey},
		{"OSSAccessKeyId (V1 only)", fl.OSSAccessKeyID + fl.Signature, ""},
		{"x-oss-signature-version", fl.SignatureVersion, "OSS4-HMAC-SHA256"},
		{"x-oss-credential", fl.Credential, testAK + "/20261123/cn-hangzhou/oss/aliyun_v4_request"},
		{"x-oss-date", fl.Date, "20261123T235930Z"},
		{"x-oss-security-token", fl.SecurityToken, testToken},
		{"success_action_status", fl.SuccessActionStatus, "200"},
		{"Content-Type", fl.ContentType, "image/png"},
		{"x-oss-forbid-overwrite", fl.ForbidOverwrite, "true"},
		{"x-oss-meta-owner", fl.Owner, testUser},
		{"x-oss-meta-declared-type", fl.DeclaredType, "image/png"},
		{"x-oss-meta-declared-size", fl.DeclaredSize, "2048"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}

	// The policy: decoded with encoding/json alone, not with postpolicy.
	raw, err := base64.StdEncoding.DecodeString(fl.Policy)
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
	if doc.Expiration != "2026-11-24T00:14:30.000Z" {
		t.Errorf("expiration %q", doc.Expiration)
	}
	exact := map[string]string{}
	var ranges [][3]any
	for _, c := range doc.Conditions {
		var obj map[string]string
		if json.Unmarshal(c, &obj) == nil {
			if len(obj) != 1 {
				t.Fatalf("condition %s", c)
			}
			for k, v := range obj {
				if _, dup := exact[strings.ToLower(k)]; dup {
					t.Fatalf("duplicate condition on %s", k)
				}
				exact[strings.ToLower(k)] = v
			}
			continue
		}
		var arr [3]any
		if err := json.Unmarshal(c, &arr); err != nil || arr[0] != "content-length-range" {
			t.Fatalf("unexpected condition %s", c)
		}
		ranges = append(ranges, arr)
	}
	if len(ranges) != 1 || ranges[0][1] != float64(1) || ranges[0][2] != float64(2048) {
		t.Fatalf("content-length-range %v, want exactly one [1, 2048]", ranges)
	}
	wantPins := map[string]string{
		"bucket":                   testBucket,
		"key":                      wantKey,
		"content-type":             "image/png",
		"success_action_status":    "200",
		"x-oss-forbid-overwrite":   "true",
		"x-oss-meta-owner":         testUser,
		"x-oss-meta-declared-type": "image/png",
		"x-oss-meta-declared-size": "2048",
		"x-oss-signature-version":  "OSS4-HMAC-SHA256",
		"x-oss-credential":         fl.Credential,
		"x-oss-date":               fl.Date,
		"x-oss-security-token":     testToken,
	}
	for k, v := range wantPins {
		if exact[k] != v {
			t.Errorf("policy pins %s = %q, want %q", k, exact[k], v)
		}
	}
	// Every form field the browser sends is pinned with the value sent,
	// except the policy and its signature.
	var fields map[string]string
	b, _ := json.Marshal(fl)
	json.Unmarshal(b, &fields)
	for name, v := range fields {
		if name == "policy" || name == "x-oss-signature" {
			continue
		}
		if got, ok := exact[strings.ToLower(name)]; !ok || got != v {
			t.Errorf("form field %s=%q is not pinned (policy has %q)", name, v, got)
		}
	}
	if len(exact) != len(fields)-1 { // bucket is pinned but not a field; policy and signature are fields but not pinned
		t.Errorf("policy pins %d exact values, fields %d: %v", len(exact), len(fields), exact)
	}
	if f.creds.calls.Load() != 1 {
		t.Errorf("credentials resolved %d times, want 1", f.creds.calls.Load())
	}
}

// TestSignV1 checks the seed-style V1 answer against HMAC-SHA1 over the
// base64 policy (OSS/STS protocol reference §1.4, OSS docs "PostObject" V1).
func TestSignV1(t *testing.T) {
	f := newFixture(t, map[string]string{"SIGNATURE_VERSION": "v1", "UPLOAD_ALLOWED_TYPES": "*/*", "POLICY_EXPIRY_SECONDS": "60"}, nil)
	r := httptest.NewRequest(http.MethodGet, "/?filename=report.pdf", nil)
	r.Header.Set("Authorization", "Bearer "+token(t, testUser))
	w := serve(f.handler, r)
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	resp := decode[Response](t, w.Body)
	m := hmac.New(sha1.New, []byte(testAKSec))
	m.Write([]byte(resp.Policy))
	if want := base64.StdEncoding.EncodeToString(m.Sum(nil)); resp.Signature != want || resp.Fields.Signature != want {
		t.Fatalf("signature %q / %q, want %q", resp.Signature, resp.Fields.Signature, want)
	}
	if resp.AccessID != testAK || resp.Fields.OSSAccessKeyID != testAK || resp.Fields.Policy != resp.Policy {
		t.Fatalf("V1 fields %+v", resp)
	}
	if resp.Fields.SignatureVersion != "" || resp.Fields.Credential != "" || resp.Fields.V4Signature != "" {
		t.Fatalf("V4 fields in a V1 answer: %+v", resp.Fields)
	}
	raw, _ := base64.StdEncoding.DecodeString(resp.Policy)
	for _, want := range []string{
		`"expiration":"2026-11-24T00:00:30.000Z"`,
		`["content-length-range",1,1048576]`,
		`{"x-oss-security-token":"` + testToken + `"}`,
		`{"key":"uploads/alice/2026/11/23/abababababababab-report.pdf"}`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("policy %s lacks %s", raw, want)
		}
	}
	if strings.Contains(string(raw), "declared") {
		t.Errorf("undeclared type/size pinned: %s", raw)
	}
	// No declared type: the stored type is still pinned, never the type the
	// browser guesses for the file part.
	for _, want := range []string{`{"Content-Type":"application/octet-stream"}`, `{"x-oss-content-type":"application/octet-stream"}`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("policy %s lacks %s", raw, want)
		}
	}
}

// TestNoSecurityToken: long-term credentials sign without a token field.
func TestNoSecurityToken(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.creds.creds.SecurityToken = ""
	w := serve(f.handler, postSign(t, token(t, testUser), `{"filename":"a.png","contentType":"image/png"}`))
	if w.Code != 200 || strings.Contains(w.Body.String(), "security-token") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestCredentialsUnavailable(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.creds.err = errSecretLooking
	w := serve(f.handler, postSign(t, token(t, testUser), `{"filename":"a.png","contentType":"image/png"}`))
	if w.Code != 503 || decode[errorBody](t, w.Body).Error.Code != "unavailable" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	assertNothingSigned(t, w)
	if strings.Contains(w.Body.String(), errSecretLooking.Error()) {
		t.Fatal("internal error text in the response")
	}
}

var errSecretLooking = &internalErr{"sts endpoint said: boom-internal-detail"}

type internalErr struct{ s string }

func (e *internalErr) Error() string { return e.s }

// TestLogsHoldNoSecret runs a full request and checks the log lines carry
// the request id but neither the bearer token nor any credential.
func TestLogsHoldNoSecret(t *testing.T) {
	f := newFixture(t, nil, nil)
	tok := token(t, testUser)
	r := postSign(t, tok, `{"filename":"a.png","contentType":"image/png","size":10}`)
	r = r.WithContext(httpapi.WithRequestID(r.Context(), "req-123"))
	w := serve(f.handler, r)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	resp := decode[Response](t, w.Body)
	// and a refused one, which logs through the error path
	serve(f.handler, postSign(t, tok+"x", `{}`))
	logs := f.logs.String()
	if !strings.Contains(logs, `"req-123"`) || !strings.Contains(logs, resp.Key) {
		t.Fatalf("log lacks the request id or key: %s", logs)
	}
	for _, secret := range []string{tok, testAKSec, testToken, testSecret, resp.Fields.V4Signature, resp.Fields.Policy} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log contains a secret %q:\n%s", secret, logs)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
	}
}

// TestRotatedCredentials: FC rotates the role credentials; the cached
// signing key must follow the secret (and the AccessKey in the credential).
func TestRotatedCredentials(t *testing.T) {
	f := newFixture(t, nil, nil)
	for _, c := range []struct{ ak, secret string }{{"STS.first", "first-secret"}, {"STS.second", "second-secret"}, {"STS.first", "first-secret"}} {
		f.creds.creds.AccessKeyID, f.creds.creds.AccessKeySecret = c.ak, c.secret
		w := serve(f.handler, postSign(t, token(t, testUser), `{"filename":"a.png","contentType":"image/png"}`))
		if w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		fl := decode[Response](t, w.Body).Fields
		k := hmacSHA256([]byte("aliyun_v4"+c.secret), "20261123")
		for _, s := range []string{testRegion, "oss", "aliyun_v4_request"} {
			k = hmacSHA256(k, s)
		}
		if want := hex.EncodeToString(hmacSHA256(k, fl.Policy)); fl.V4Signature != want {
			t.Fatalf("%s: signature %s, want %s", c.ak, fl.V4Signature, want)
		}
		if !strings.HasPrefix(fl.Credential, c.ak+"/") {
			t.Fatalf("credential %s", fl.Credential)
		}
	}
}
