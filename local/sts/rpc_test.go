package sts

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ossupload/ossupload/local/iam"
)

// Hand-signed requests against an injected clock: what the SDK cannot be
// made to send (replays, skewed or malformed timestamps, other transports).

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

const (
	devAK     = "LTAI5tDevKey000000000001"
	devSecret = "devSecret0000000000000000000001"
)

var nonceSeq atomic.Int64

type rig struct {
	t     *testing.T
	clock *clock
	store *iam.Store
	url   string
}

func newRig(t *testing.T) *rig {
	c := &clock{t: time.Date(2026, 11, 22, 21, 14, 11, 0, time.UTC)}
	store := newStore(t, c.Now)
	srv := httptest.NewServer(New(store, c.Now))
	t.Cleanup(srv.Close)
	return &rig{t: t, clock: c, store: store, url: srv.URL}
}

// params returns a complete AssumeRole parameter set as the SDK builds it.
func (r *rig) params() url.Values {
	return url.Values{
		"AccessKeyId": {devAK}, "Action": {"AssumeRole"}, "Format": {"JSON"}, "RegionId": {"cn-hangzhou"},
		"RoleArn": {uploaderARN}, "RoleSessionName": {"alice"}, "SignatureMethod": {"HMAC-SHA1"},
		"SignatureNonce": {fmt.Sprintf("%032x", nonceSeq.Add(1))}, "SignatureType": {""}, "SignatureVersion": {"1.0"},
		"Timestamp": {r.clock.Now().UTC().Format("2006-01-02T15:04:05Z")}, "Version": {"2015-04-01"},
	}
}

func signed(method string, p url.Values, secret string) url.Values {
	p.Set("Signature", Sign(StringToSign(method, p), secret))
	return p
}

type reply struct {
	status int
	header http.Header
	body   []byte
	err    errorResponse
	ok     assumeRoleResponse
}

// send: where = "query" (POST with everything in the query, like the SDK),
// "form" (POST body), "get".
func (r *rig) send(where string, p url.Values) reply {
	r.t.Helper()
	var req *http.Request
	var err error
	switch where {
	case "query":
		req, err = http.NewRequest(http.MethodPost, r.url+"/?"+p.Encode(), nil)
	case "form":
		req, err = http.NewRequest(http.MethodPost, r.url+"/", strings.NewReader(p.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	case "get":
		req, err = http.NewRequest(http.MethodGet, r.url+"/?"+p.Encode(), nil)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	out := reply{status: resp.StatusCode, header: resp.Header, body: b}
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if resp.StatusCode == 200 {
			err = json.Unmarshal(b, &out.ok)
		} else {
			err = json.Unmarshal(b, &out.err)
		}
		if err != nil {
			r.t.Fatalf("body %s: %v", b, err)
		}
	}
	return out
}

func (r *rig) wantError(rep reply, status int, code string) {
	r.t.Helper()
	if rep.status != status || rep.err.Code != code || rep.err.RequestId == "" || rep.err.Message == "" || rep.err.HostId == "" {
		r.t.Fatalf("got %d %s, want %d %s", rep.status, rep.body, status, code)
	}
}

func (r *rig) wantOK(rep reply) {
	r.t.Helper()
	if rep.status != 200 || !strings.HasPrefix(rep.ok.Credentials.AccessKeyId, "STS.") {
		r.t.Fatalf("got %d %s", rep.status, rep.body)
	}
}

func TestTransports(t *testing.T) {
	r := newRig(t)
	for _, where := range []string{"query", "form"} {
		r.wantOK(r.send(where, signed("POST", r.params(), devSecret)))
	}
	r.wantOK(r.send("get", signed("GET", r.params(), devSecret)))
	ext := r.params()
	ext.Set("ExternalId", "abc:def/ghi@jkl")
	r.wantOK(r.send("query", signed("POST", ext, devSecret)))
	// The method is signed: a POST signature does not pass as GET.
	r.wantError(r.send("get", signed("POST", r.params(), devSecret)), 400, "SignatureDoesNotMatch")

	// Query and body merge: part of the parameters in each, all signed.
	p := signed("POST", r.params(), devSecret)
	q := url.Values{}
	for _, k := range []string{"AccessKeyId", "Signature", "Timestamp", "SignatureNonce"} {
		q[k] = p[k]
		delete(p, k)
	}
	req, _ := http.NewRequest(http.MethodPost, r.url+"/?"+q.Encode(), strings.NewReader(p.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("merged query+form: %d", resp.StatusCode)
	}
}

func TestResponseShape(t *testing.T) {
	r := newRig(t)
	p := r.params()
	p.Set("DurationSeconds", "900")
	rep := r.send("query", signed("POST", p, devSecret))
	r.wantOK(rep)
	var doc struct {
		RequestId       string
		AssumedRoleUser map[string]string
		Credentials     map[string]string
	}
	if err := json.Unmarshal(rep.body, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.AssumedRoleUser) != 2 || doc.AssumedRoleUser["Arn"] != "acs:ram::"+iam.AccountID+":role/uploader/alice" ||
		len(doc.Credentials) != 4 || doc.Credentials["Expiration"] != "2026-11-22T21:29:11Z" {
		t.Fatalf("body %s", rep.body)
	}
	if rep.header.Get("x-acs-request-id") != doc.RequestId || rep.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v", rep.header)
	}

	p = r.params()
	p.Set("Format", "XML")
	rep = r.send("query", signed("POST", p, devSecret))
	var x assumeRoleResponse
	if err := xml.Unmarshal(rep.body, &x); err != nil || rep.status != 200 || x.XMLName.Local != "AssumeRoleResponse" ||
		!strings.HasPrefix(x.Credentials.AccessKeyId, "STS.") || x.AssumedRoleUser.AssumedRoleId == "" {
		t.Fatalf("XML %d %s: %v", rep.status, rep.body, err)
	}
	p = r.params()
	p.Set("Format", "XML")
	p.Set("RoleSessionName", "a")
	rep = r.send("query", signed("POST", p, devSecret))
	var xe errorResponse
	if err := xml.Unmarshal(rep.body, &xe); err != nil || rep.status != 400 || xe.Code != "InvalidParameter.RoleSessionName" {
		t.Fatalf("XML error %d %s: %v", rep.status, rep.body, err)
	}
}

func TestNonceReuse(t *testing.T) {
	r := newRig(t)
	p := signed("POST", r.params(), devSecret)
	r.wantOK(r.send("query", p))
	r.wantError(r.send("query", p), 400, "SignatureNonceUsed")
	// Re-signing does not help, nor does another transport.
	r.wantError(r.send("form", signed("POST", p, devSecret)), 400, "SignatureNonceUsed")
	// Another AccessKey may use the same nonce value.
	other := r.params()
	other.Set("SignatureNonce", p.Get("SignatureNonce"))
	other.Set("AccessKeyId", "LTAI5tStrangerKey0000001")
	r.wantError(r.send("query", signed("POST", other, "strangerSecret00000000000000001")), 403, "NoPermission")
	// A request refused before its signature was checked does not burn its nonce.
	fresh := r.params()
	bad := signed("POST", fresh, "wrong")
	r.wantError(r.send("query", bad), 400, "SignatureDoesNotMatch")
	r.wantOK(r.send("query", signed("POST", fresh, devSecret)))
	// After the window the replay fails on its timestamp instead.
	r.clock.Advance(TimestampWindow + time.Second)
	r.wantError(r.send("query", p), 400, "InvalidTimeStamp.Expired")
}

func TestTimestampWindow(t *testing.T) {
	r := newRig(t)
	now := r.clock.Now()
	for _, c := range []struct {
		ts   string
		code string
	}{
		{now.Add(-TimestampWindow).Format("2006-01-02T15:04:05Z"), ""},
		{now.Add(TimestampWindow).Format("2006-01-02T15:04:05Z"), ""},
		{now.Add(-14 * time.Minute).Format("2006-01-02T15:04:05.000Z"), ""},
		{now.Add(-TimestampWindow - time.Second).Format("2006-01-02T15:04:05Z"), "InvalidTimeStamp.Expired"},
		{now.Add(TimestampWindow + time.Second).Format("2006-01-02T15:04:05Z"), "InvalidTimeStamp.Expired"},
		{now.Format(time.RFC1123), "InvalidTimeStamp.Format"},
		{now.Format("2006-01-02T15:04:05+08:00"), "InvalidTimeStamp.Format"},
		{"2026-13-01T00:00:00Z", "InvalidTimeStamp.Format"},
	} {
		p := r.params()
		p.Set("Timestamp", c.ts)
		rep := r.send("query", signed("POST", p, devSecret))
		if c.code == "" {
			r.wantOK(rep)
		} else {
			r.wantError(rep, 400, c.code)
		}
	}
}

func TestGatewayChecks(t *testing.T) {
	r := newRig(t)
	for _, k := range []string{"Action", "Version", "AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp", "RoleArn", "RoleSessionName"} {
		t.Run("missing "+k, func(t *testing.T) {
			p := r.params()
			p.Del(k)
			rep := r.send("query", signed("POST", p, devSecret))
			r.wantError(rep, 400, "MissingParameter")
			if rep.err.Message != k+" is mandatory for this action." {
				t.Fatalf("message %q", rep.err.Message)
			}
		})
	}
	t.Run("missing Signature", func(t *testing.T) {
		r.wantError(r.send("query", r.params()), 400, "MissingParameter")
	})
	for _, c := range []struct {
		key, value string
		status     int
		code       string
	}{
		{"Action", "GetCallerIdentity", 404, "InvalidAction.NotFound"},
		{"Version", "2019-01-01", 400, "InvalidVersion"},
		{"SignatureMethod", "HMAC-SHA256", 400, "InvalidSignatureMethod"},
		{"SignatureVersion", "2.0", 400, "InvalidSignatureVersion"},
		{"SignatureType", "BEARERTOKEN", 400, "InvalidSignatureType"},
		{"ExternalId", "a", 400, "InvalidParameter.ExternalId"},
		{"ExternalId", "bad id", 400, "InvalidParameter.ExternalId"},
		{"DurationSeconds", "abc", 400, "InvalidParameter.DurationSeconds"},
		{"DurationSeconds", "0", 400, "InvalidParameter.DurationSeconds"},
		{"DurationSeconds", "99999999999", 400, "InvalidParameter.DurationSeconds"},
	} {
		t.Run(c.key+"="+c.value, func(t *testing.T) {
			p := r.params()
			p.Set(c.key, c.value)
			r.wantError(r.send("query", signed("POST", p, devSecret)), c.status, c.code)
		})
	}
	t.Run("method", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPut, r.url+"/?"+signed("PUT", r.params(), devSecret).Encode(), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 {
			t.Fatalf("PUT: %d", resp.StatusCode)
		}
	})
	t.Run("oversized body", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, r.url+"/", strings.NewReader("Policy="+strings.Repeat("a", 70<<10)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Fatalf("oversized: %d", resp.StatusCode)
		}
	})
}

func TestSignatureCoversEveryParameter(t *testing.T) {
	r := newRig(t)
	// Tampering with a signed value after signing.
	p := signed("POST", r.params(), devSecret)
	p.Set("RoleSessionName", "mallory")
	rep := r.send("query", p)
	r.wantError(rep, 400, "SignatureDoesNotMatch")
	wantSTS := StringToSign("POST", p)
	if rep.err.Message != "Specified signature is not matched with our calculation. server string to sign is:"+wantSTS {
		t.Fatalf("message %q", rep.err.Message)
	}
	if strings.Contains(string(rep.body), devSecret) {
		t.Fatal("secret in the error body")
	}
	// The empty SignatureType is signed: a signature made without it fails.
	p = r.params()
	p.Del("SignatureType")
	sig := Sign(StringToSign("POST", p), devSecret)
	p.Set("SignatureType", "")
	p.Set("Signature", sig)
	r.wantError(r.send("query", p), 400, "SignatureDoesNotMatch")
	// An extra unsigned parameter fails too.
	p = signed("POST", r.params(), devSecret)
	p.Set("Policy", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	r.wantError(r.send("query", p), 400, "SignatureDoesNotMatch")
}

func TestExpiredAndMismatchedSessionCaller(t *testing.T) {
	r := newRig(t)
	p := r.params()
	p.Set("RoleArn", chainARN)
	p.Set("DurationSeconds", "900")
	rep := r.send("query", signed("POST", p, devSecret))
	r.wantOK(rep)
	c := rep.ok.Credentials
	stsParams := func(token string) url.Values {
		q := r.params()
		q.Set("AccessKeyId", c.AccessKeyId)
		if token != "" {
			q.Set("SecurityToken", token)
		}
		return signed("POST", q, c.AccessKeySecret)
	}
	r.wantOK(r.send("query", stsParams(c.SecurityToken)))
	r.wantError(r.send("query", stsParams("")), 400, "MissingSecurityToken")
	r.wantError(r.send("query", stsParams(c.SecurityToken+"x")), 400, "InvalidSecurityToken.MismatchWithAccessKey")
	r.clock.Advance(900 * time.Second)
	r.wantError(r.send("query", stsParams(c.SecurityToken)), 400, "InvalidSecurityToken.Expired")
}
