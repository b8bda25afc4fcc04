package stsvend

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ossupload/ossupload/shared/credentials"
)

func TestVend(t *testing.T) {
	f := newFixture(t, nil)
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		w := serve(f.handler, request(method, token(t, testUser)))
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", method, w.Code, w.Body)
		}
		if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("Cache-Control %q", cc)
		}
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != testOrigin {
			t.Fatalf("Access-Control-Allow-Origin %q", got)
		}
		r := decodeStrict[Response](t, w.Body.Bytes())
		want := Response{
			AccessKeyID: r.AccessKeyID, AccessKeySecret: issuedSecret + "alice", StsToken: issuedToken + "alice",
			SecurityToken: issuedToken + "alice", Expiration: "2026-11-24T00:14:30Z", Bucket: testBucket,
			Region: "oss-cn-hangzhou", RegionID: "cn-hangzhou", Endpoint: "http://127.0.0.1:9000", Secure: false, SldEnable: true,
			Route: "default", Dir: "uploads/alice/", Headers: map[string]string{"x-oss-meta-route": "default"},
		}
		if !reflect.DeepEqual(r, want) || !strings.HasPrefix(r.AccessKeyID, "STS.") {
			t.Fatalf("%s:\n got %+v\nwant %+v", method, r, want)
		}
	}
	if n := f.sts.calls.Load(); n != 1 {
		t.Fatalf("%d AssumeRole calls for two requests of one user, want 1 (cache)", n)
	}
	in := f.sts.inputs()[0]
	if in.RoleARN != testRoleARN || in.SessionName != "alice" || in.Duration != 900*time.Second ||
		!strings.Contains(in.Policy, `"acs:oss:*:*:ossupload-dev/uploads/alice/*"`) {
		t.Fatalf("AssumeRole input %+v", in)
	}
	// The raw JSON has ali-oss's option names.
	w := serve(f.handler, request(http.MethodPost, token(t, testUser)))
	for _, k := range []string{`"accessKeyId"`, `"accessKeySecret"`, `"stsToken"`, `"securityToken"`, `"expiration"`,
		`"bucket"`, `"region"`, `"regionId"`, `"endpoint"`, `"secure"`, `"sldEnable"`, `"route"`, `"dir"`, `"headers"`} {
		if !strings.Contains(w.Body.String(), k) {
			t.Errorf("response lacks %s: %s", k, w.Body)
		}
	}
	// Nothing secret in the log.
	for _, s := range []string{issuedSecret, issuedToken, testSecret} {
		if strings.Contains(f.logs.String(), s) {
			t.Fatalf("log contains %q:\n%s", s, f.logs)
		}
	}
}

func TestTwoUsersGetDifferentScopes(t *testing.T) {
	f := newFixture(t, nil)
	a := decodeStrict[Response](t, serve(f.handler, request(http.MethodPost, token(t, "alice"))).Body.Bytes())
	b := decodeStrict[Response](t, serve(f.handler, request(http.MethodPost, token(t, "bob"))).Body.Bytes())
	if a.AccessKeyID == b.AccessKeyID || a.AccessKeySecret == b.AccessKeySecret || a.Dir == b.Dir {
		t.Fatalf("alice %+v\nbob %+v", a, b)
	}
	in := f.sts.inputs()
	if len(in) != 2 || in[0].Policy == in[1].Policy || in[0].SessionName == in[1].SessionName {
		t.Fatalf("inputs %+v", in)
	}
}

func TestRefreshAfterMargin(t *testing.T) {
	f := newFixture(t, nil)
	tok := token(t, testUser)
	first := decodeStrict[Response](t, serve(f.handler, request(http.MethodPost, tok)).Body.Bytes())
	f.clock.Advance(10*time.Minute - time.Second)
	same := decodeStrict[Response](t, serve(f.handler, request(http.MethodPost, tok)).Body.Bytes())
	f.clock.Advance(time.Second)
	next := decodeStrict[Response](t, serve(f.handler, request(http.MethodPost, tok)).Body.Bytes())
	if !reflect.DeepEqual(same, first) || next.Expiration == first.Expiration || f.sts.calls.Load() != 2 {
		t.Fatalf("first %s, same %s, next %s, calls %d", first.Expiration, same.Expiration, next.Expiration, f.sts.calls.Load())
	}
}

func TestBadInputs(t *testing.T) {
	f := newFixture(t, nil)
	good := token(t, testUser)
	hs := jwt.SigningMethodHS256
	claims := func(sub string, mutate func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"sub": sub, "iss": testIssuer, "aud": testAudience,
			"iat": testNow.Add(-time.Minute).Unix(), "exp": testNow.Add(time.Hour).Unix()}
		if mutate != nil {
			mutate(c)
		}
		return c
	}
	sign := func(m jwt.SigningMethod, key any, c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	withTok := func(tok string) func() *http.Request {
		return func() *http.Request { return request(http.MethodPost, tok) }
	}
	rows := []struct {
		name   string
		req    func() *http.Request
		status int
		code   string
	}{
		{"no token", withTok(""), 401, "unauthorized"},
		{"not bearer", func() *http.Request {
			r := request(http.MethodPost, "")
			r.Header.Set("Authorization", "Basic YWxpY2U6eA==")
			return r
		}, 401, "unauthorized"},
		{"garbage token", withTok("not.a.jwt"), 401, "unauthorized"},
		{"expired token", withTok(sign(hs, []byte(testSecret), claims(testUser, func(c jwt.MapClaims) {
			c["exp"] = testNow.Add(-time.Hour).Unix()
		}))), 401, "unauthorized"},
		{"wrong audience", withTok(sign(hs, []byte(testSecret), claims(testUser, func(c jwt.MapClaims) { c["aud"] = "other" }))), 401, "unauthorized"},
		{"wrong issuer", withTok(sign(hs, []byte(testSecret), claims(testUser, func(c jwt.MapClaims) { c["iss"] = "https://evil" }))), 401, "unauthorized"},
		{"alg none", withTok(sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(testUser, nil))), 401, "unauthorized"},
		{"another key", withTok(sign(hs, []byte(strings.Repeat("k", 40)), claims(testUser, nil))), 401, "unauthorized"},
		{"traversal sub", withTok(sign(hs, []byte(testSecret), claims("../bob", nil))), 401, "unauthorized"},
		{"wildcard sub", withTok(sign(hs, []byte(testSecret), claims("*", nil))), 401, "unauthorized"},
		{"over-long sub", withTok(sign(hs, []byte(testSecret), claims(strings.Repeat("a", 65), nil))), 401, "unauthorized"},
		{"oversized body", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", MaxRequestBytes+1)))
			r.Header.Set("Authorization", "Bearer "+good)
			return r
		}, 413, "request_too_large"},
		{"method PUT", func() *http.Request { r := request(http.MethodPut, good); return r }, 405, "method_not_allowed"},
		{"method DELETE", func() *http.Request { return request(http.MethodDelete, good) }, 405, "method_not_allowed"},
		{"plain OPTIONS", func() *http.Request { return request(http.MethodOptions, good) }, 405, "method_not_allowed"},
		{"unknown path", func() *http.Request {
			r := request(http.MethodPost, good)
			r.URL.Path = "/admin"
			return r
		}, 404, "not_found"},
		{"disallowed origin", func() *http.Request {
			r := request(http.MethodPost, good)
			r.Header.Set("Origin", "https://evil.example")
			return r
		}, 403, "forbidden"},
		{"null origin", func() *http.Request {
			r := request(http.MethodPost, good)
			r.Header.Set("Origin", "null")
			return r
		}, 403, "forbidden"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			before := f.sts.calls.Load()
			w := serve(f.handler, row.req())
			if w.Code != row.status {
				t.Fatalf("status %d, want %d: %s", w.Code, row.status, w.Body)
			}
			e := decodeStrict[errorBody](t, w.Body.Bytes())
			if e.Error.Code != row.code || e.Error.Message == "" {
				t.Fatalf("error %+v, want code %q with a message", e.Error, row.code)
			}
			if n := f.sts.calls.Load() - before; n != 0 {
				t.Fatalf("AssumeRole called %d times for a refused request", n)
			}
			if row.status == 405 && w.Header().Get("Allow") == "" {
				t.Fatal("405 without Allow")
			}
		})
	}
}

func TestPreflight(t *testing.T) {
	f := newFixture(t, nil)
	for _, tc := range []struct {
		origin, method string
		status         int
	}{{testOrigin, "POST", 204}, {testOrigin, "GET", 204}, {testOrigin, "DELETE", 403}, {"https://evil.example", "POST", 403}} {
		r := httptest.NewRequest(http.MethodOptions, "/", nil)
		r.Header.Set("Origin", tc.origin)
		r.Header.Set("Access-Control-Request-Method", tc.method)
		r.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		w := serve(f.handler, r)
		allow := w.Header().Get("Access-Control-Allow-Origin")
		if w.Code != tc.status || (tc.status == 204) != (allow == tc.origin) {
			t.Errorf("preflight %s %s: %d, Access-Control-Allow-Origin %q", tc.origin, tc.method, w.Code, allow)
		}
		if tc.status == 204 && !strings.Contains(strings.ToLower(w.Header().Get("Access-Control-Allow-Headers")), "authorization") {
			t.Errorf("preflight does not allow Authorization: %v", w.Header())
		}
	}
	if f.sts.calls.Load() != 0 {
		t.Fatal("preflight called STS")
	}
}

func TestSTSFailures(t *testing.T) {
	// Upstream text that must never reach a response or a log.
	const leak = "server string to sign is:POST&%2F&AccessKeyId%3DLTAIleak"
	for _, tc := range []struct {
		name       string
		err        error
		status     int
		code       string
		retryAfter bool
	}{
		{"throttled", &STSError{Kind: ErrThrottled, Code: "Throttling.User", Status: 400}, 503, "unavailable", true},
		{"sts 5xx", &STSError{Kind: ErrUnavailable, Code: "InternalError", Status: 500}, 503, "unavailable", true},
		{"transport", &STSError{Kind: ErrUnavailable, Code: "Transport"}, 503, "unavailable", true},
		{"no function credentials", fmt.Errorf("function credentials: %w", credentials.ErrNotFound), 503, "unavailable", true},
		{"not trusted", &STSError{Kind: ErrRejected, Code: "NoPermission", Status: 403}, 500, "internal", false},
		{"signature mismatch", &STSError{Kind: ErrRejected, Code: "SignatureDoesNotMatch", Status: 400}, 500, "internal", false},
		{"unexpected", fmt.Errorf("odd: %s", leak), 500, "internal", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.sts.err = tc.err
			w := serve(f.handler, request(http.MethodPost, token(t, testUser)))
			e := decodeStrict[errorBody](t, w.Body.Bytes())
			if w.Code != tc.status || e.Error.Code != tc.code {
				t.Fatalf("%d %+v, want %d %s", w.Code, e.Error, tc.status, tc.code)
			}
			if ra := w.Header().Get("Retry-After"); tc.retryAfter != (ra != "") {
				t.Fatalf("Retry-After %q", ra)
			}
			if strings.Contains(w.Body.String(), "LTAIleak") || strings.Contains(w.Body.String(), "string to sign") {
				t.Fatalf("upstream text in the response: %s", w.Body)
			}
			var se *STSError
			if ok := asSTS(tc.err, &se); ok && !strings.Contains(f.logs.String(), `"sts_code":"`+se.Code+`"`) {
				t.Fatalf("STS code not logged:\n%s", f.logs)
			}
			// Failures are not cached: the next request tries again.
			f.sts.err = nil
			if w := serve(f.handler, request(http.MethodPost, token(t, testUser))); w.Code != 200 || f.sts.calls.Load() != 2 {
				t.Fatalf("after recovery: %d, calls %d", w.Code, f.sts.calls.Load())
			}
		})
	}
}
