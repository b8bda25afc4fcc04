package oss

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ossupload/ossupload/local/iam"
)

// Wire-level tests: requests the SDKs cannot be made to send (bad XML,
// ali-oss style Host headers, preflights), checked byte for byte.

const (
	wireAK     = "LTAIwireEXAMPLE"
	wireSecret = "wireSecretEXAMPLE"
)

type wireEnv struct {
	srv *Server
	now time.Time
	ids *iam.Store
	dir string
	// formAK and formSecret sign postForm's forms; "" = the root's.
	formAK, formSecret string
}

func newWireEnv(t testing.TB) *wireEnv {
	t.Helper()
	w := &wireEnv{now: time.Date(2026, 11, 22, 21, 13, 47, 0, time.UTC), dir: t.TempDir()}
	var err error
	if w.ids, err = iam.NewStore("", func() time.Time { return w.now }); err != nil {
		t.Fatal(err)
	}
	if err := w.ids.AddRoot(wireAK, wireSecret); err != nil {
		t.Fatal(err)
	}
	w.srv = w.server(t)
	return w
}

func (w *wireEnv) server(t testing.TB) *Server {
	srv, err := New(Config{Region: "cn-hangzhou", DataDir: w.dir, IAM: w.ids, Now: func() time.Time { return w.now }})
	if err != nil {
		t.Fatal(err)
	}
	cors := []CORSRule{{AllowedOrigins: []string{"http://localhost:*"}, AllowedMethods: []string{"GET", "PUT", "POST"},
		AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag", "x-oss-meta-owner"}, MaxAgeSeconds: 600}}
	if err := srv.CreateBucket("examplebucket", cors); err != nil {
		t.Fatal(err)
	}
	return srv
}

// signed builds a V1-signed request the way ali-oss does (x-oss-date in RFC
// 1123, no Date header). host may carry the bucket (virtual host).
func (w *wireEnv) signed(method, host, path, resource string, body []byte, hdr map[string]string) *http.Request {
	r := httptest.NewRequest(method, "http://"+host+path, bytes.NewReader(body))
	r.Host = host
	r.Header.Set("x-oss-date", w.now.Format(http.TimeFormat))
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	sts := stringToSignV1(method, r.Header.Get("Content-MD5"), r.Header.Get("Content-Type"), r.Header.Get("x-oss-date"),
		canonicalOSSHeadersV1(r.Header), resource)
	r.Header.Set("Authorization", "OSS "+wireAK+":"+signV1(wireSecret, sts))
	return r
}

func (w *wireEnv) do(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	w.srv.ServeHTTP(rec, r)
	return rec
}

type wireError struct {
	Code, Message, RequestId, StringToSign, StringToSignBytes, ServerTime, RequestTime, MaxAllowedSkewMilliseconds, EC string
}

func decodeError(t *testing.T, rec *httptest.ResponseRecorder) wireError {
	t.Helper()
	var e wireError
	if err := xml.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %q: %v", rec.Body.String(), err)
	}
	if e.RequestId != rec.Header().Get("x-oss-request-id") || e.RequestId == "" {
		t.Errorf("RequestId %q vs header %q", e.RequestId, rec.Header().Get("x-oss-request-id"))
	}
	return e
}

func TestAddressingStyles(t *testing.T) {
	w := newWireEnv(t)
	cases := []struct{ name, host, path string }{
		{"path style", "127.0.0.1:9000", "/examplebucket/uploads/a%2Fb.txt"},
		{"virtual host localhost", "examplebucket.localhost:9000", "/uploads/a/b.txt"},
		{"ali-oss node Host", "examplebucket.oss-cn-hangzhou.aliyuncs.com", "/uploads/a/b.txt"},
		// ali-oss in Node with sldEnable: path-style path and the forced Host.
		{"ali-oss node sldEnable", "examplebucket.oss-cn-hangzhou.aliyuncs.com", "/examplebucket/uploads/a/b.txt"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := []byte(fmt.Sprintf("body %d", i))
			rec := w.do(w.signed("PUT", c.host, c.path, "/examplebucket/uploads/a/b.txt", body, map[string]string{"Content-Type": "text/plain"}))
			if rec.Code != 200 {
				t.Fatalf("PUT %d %s", rec.Code, rec.Body)
			}
			obj, err := w.srv.store.Stat("examplebucket", "uploads/a/b.txt")
			if err != nil || obj.Size != int64(len(body)) {
				t.Fatalf("stored %+v, %v", obj, err)
			}
		})
	}
}

func TestSignatureMismatchBody(t *testing.T) {
	w := newWireEnv(t)
	r := w.signed("PUT", "127.0.0.1:9000", "/examplebucket/k", "/examplebucket/other", []byte("x"), nil)
	rec := w.do(r)
	e := decodeError(t, rec)
	want := "PUT\n\n\n" + w.now.Format(http.TimeFormat) + "\nx-oss-date:" + w.now.Format(http.TimeFormat) + "\n/examplebucket/k"
	if rec.Code != 403 || e.Code != "SignatureDoesNotMatch" || e.StringToSign != want || rec.Header().Get("x-oss-ec") != "0002-00000040" {
		t.Fatalf("%d %+v", rec.Code, e)
	}
	if !strings.HasPrefix(e.StringToSignBytes, "50 55 54 0A ") {
		t.Errorf("StringToSignBytes = %q", e.StringToSignBytes)
	}
	if strings.Contains(rec.Body.String(), wireSecret) {
		t.Error("secret leaked into the error body")
	}
}

func TestSkewBody(t *testing.T) {
	w := newWireEnv(t)
	r := w.signed("GET", "127.0.0.1:9000", "/examplebucket/k", "/examplebucket/k", nil, nil)
	w.now = w.now.Add(16 * time.Minute)
	rec := w.do(r)
	e := decodeError(t, rec)
	if rec.Code != 403 || e.Code != "RequestTimeTooSkewed" || e.MaxAllowedSkewMilliseconds != "900000" ||
		e.ServerTime != "2026-11-22T21:29:47.000Z" || e.RequestTime != "2026-11-22T21:13:47.000Z" {
		t.Fatalf("%d %+v", rec.Code, e)
	}
	// HEAD: no body, the document travels base64-encoded in x-oss-err.
	r = w.signed("HEAD", "127.0.0.1:9000", "/examplebucket/k", "/examplebucket/k", nil, nil)
	w.now = w.now.Add(16 * time.Minute)
	rec = w.do(r)
	doc, err := base64.StdEncoding.DecodeString(rec.Header().Get("x-oss-err"))
	if rec.Code != 403 || rec.Body.Len() != 0 || err != nil || !bytes.Contains(doc, []byte("<Code>RequestTimeTooSkewed</Code>")) {
		t.Fatalf("HEAD %d body %q x-oss-err %q", rec.Code, rec.Body, doc)
	}
}

func TestMissingDate(t *testing.T) {
	w := newWireEnv(t)
	r := w.signed("GET", "127.0.0.1:9000", "/examplebucket/k", "/examplebucket/k", nil, nil)
	r.Header.Del("x-oss-date")
	rec := w.do(r)
	if e := decodeError(t, rec); rec.Code != 403 || e.Code != "AccessDenied" || e.Message != "OSS authentication requires a valid Date." {
		t.Fatalf("%d %+v", rec.Code, e)
	}
}

func TestPutObjectChecks(t *testing.T) {
	w := newWireEnv(t)
	body := []byte("content")
	sum := md5.Sum(body)
	good := base64.StdEncoding.EncodeToString(sum[:])
	bad := base64.StdEncoding.EncodeToString(make([]byte, 16))
	rec := w.do(w.signed("PUT", "127.0.0.1:9000", "/examplebucket/k", "/examplebucket/k", body, map[string]string{"Content-MD5": bad}))
	if e := decodeError(t, rec); rec.Code != 400 || e.Code != "InvalidDigest" {
		t.Fatalf("bad MD5: %d %+v", rec.Code, e)
	}
	if _, err := w.srv.store.Stat("examplebucket", "k"); err == nil {
		t.Fatal("object stored despite InvalidDigest")
	}
	rec = w.do(w.signed("PUT", "127.0.0.1:9000", "/examplebucket/k", "/examplebucket/k", body, map[string]string{"Content-MD5": good}))
	if rec.Code != 200 || rec.Header().Get("ETag") != fmt.Sprintf(`"%X"`, sum) {
		t.Fatalf("good MD5: %d %v", rec.Code, rec.Header())
	}
	// CRC-64/ECMA of "content" (hash/crc64 with the ECMA table, as the Go SDK computes it).
	if got := rec.Header().Get("x-oss-hash-crc64ecma"); got != crcOf(body) {
		t.Errorf("crc %s, want %s", got, crcOf(body))
	}
	rec = w.do(w.signed("PUT", "127.0.0.1:9000", "/examplebucket/k", "/examplebucket/k", []byte("other"), map[string]string{"x-oss-forbid-overwrite": "true"}))
	if e := decodeError(t, rec); rec.Code != 409 || e.Code != "FileAlreadyExists" {
		t.Fatalf("forbid overwrite: %d %+v", rec.Code, e)
	}
	rec = w.do(w.signed("GET", "127.0.0.1:9000", "/examplebucket/k", "/examplebucket/k", nil, map[string]string{"Range": "bytes=100-"}))
	if e := decodeError(t, rec); rec.Code != 416 || e.Code != "InvalidRange" || rec.Header().Get("Content-Range") != "bytes */7" {
		t.Fatalf("range: %d %+v %v", rec.Code, e, rec.Header())
	}
	rec = w.do(w.signed("GET", "127.0.0.1:9000", "/examplebucket/k", "/examplebucket/k", nil, map[string]string{"Range": "bytes=-3"}))
	if rec.Code != 206 || rec.Body.String() != "ent" || rec.Header().Get("Content-Range") != "bytes 4-6/7" {
		t.Fatalf("suffix range: %d %q %v", rec.Code, rec.Body, rec.Header())
	}
}

func TestMultipartWireErrors(t *testing.T) {
	w := newWireEnv(t)
	const host, path, res = "127.0.0.1:9000", "/examplebucket/m", "/examplebucket/m"
	rec := w.do(w.signed("POST", host, path+"?uploads", res+"?uploads", nil, nil))
	var init struct{ UploadId string }
	if err := xml.Unmarshal(rec.Body.Bytes(), &init); err != nil || rec.Code != 200 {
		t.Fatalf("initiate %d %s", rec.Code, rec.Body)
	}
	id := init.UploadId
	etags := map[int]string{}
	for n, size := range map[int]int{1: 50 * 1024, 2: 200 * 1024, 3: 10} {
		q := fmt.Sprintf("?partNumber=%d&uploadId=%s", n, id)
		rec := w.do(w.signed("PUT", host, path+q, res+q, bytes.Repeat([]byte{byte(n)}, size), nil))
		if rec.Code != 200 {
			t.Fatalf("part %d: %d %s", n, rec.Code, rec.Body)
		}
		etags[n] = rec.Header().Get("ETag")
	}
	complete := func(body string) (int, wireError) {
		q := "?uploadId=" + id
		rec := w.do(w.signed("POST", host, path+q, res+q, []byte(body), map[string]string{"Content-Type": "application/xml"}))
		if rec.Code == 200 {
			return 200, wireError{}
		}
		return rec.Code, decodeError(t, rec)
	}
	part := func(n int, etag string) string {
		return fmt.Sprintf("<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", n, etag)
	}
	cases := []struct {
		name, body, code string
		status           int
	}{
		{"malformed", "<CompleteMultipartUpload><Part>", "MalformedXML", 400},
		{"empty list", "<CompleteMultipartUpload></CompleteMultipartUpload>", "MalformedXML", 400},
		{"order", "<CompleteMultipartUpload>" + part(2, etags[2]) + part(1, etags[1]) + "</CompleteMultipartUpload>", "InvalidPartOrder", 400},
		{"etag mismatch", "<CompleteMultipartUpload>" + part(2, `"00"`) + "</CompleteMultipartUpload>", "InvalidPart", 400},
		{"missing part", "<CompleteMultipartUpload>" + part(2, etags[2]) + part(4, etags[2]) + "</CompleteMultipartUpload>", "InvalidPart", 400},
		{"too small", "<CompleteMultipartUpload>" + part(1, etags[1]) + part(2, etags[2]) + "</CompleteMultipartUpload>", "EntityTooSmall", 400},
	}
	for _, c := range cases {
		if st, e := complete(c.body); st != c.status || e.Code != c.code {
			t.Errorf("%s: %d %+v, want %d %s", c.name, st, e, c.status, c.code)
		}
	}
	// A valid subset (2 then 3; only the last may be small) completes, and
	// the multipart ETag is MD5 of the binary part MD5s, "-2".
	if st, e := complete("<CompleteMultipartUpload>" + part(2, etags[2]) + part(3, etags[3]) + "</CompleteMultipartUpload>"); st != 200 {
		t.Fatalf("complete: %d %+v", st, e)
	}
	p2, p3 := md5.Sum(bytes.Repeat([]byte{2}, 200*1024)), md5.Sum(bytes.Repeat([]byte{3}, 10))
	want := md5.Sum(append(p2[:], p3[:]...))
	obj, err := w.srv.store.Stat("examplebucket", "m")
	if err != nil || obj.ETag != fmt.Sprintf("%X-2", want) || obj.Size != 200*1024+10 {
		t.Fatalf("object %+v, %v", obj, err)
	}
	if got := fmt.Sprint(obj.CRC64); got != crcOf(append(bytes.Repeat([]byte{2}, 200*1024), bytes.Repeat([]byte{3}, 10)...)) {
		t.Errorf("combined CRC %s", got)
	}
	if st, e := complete("<CompleteMultipartUpload>" + part(2, etags[2]) + "</CompleteMultipartUpload>"); st != 404 || e.Code != "NoSuchUpload" {
		t.Errorf("after completion: %d %+v", st, e)
	}
}

func TestCORS(t *testing.T) {
	w := newWireEnv(t)
	pre := func(origin, method, headers string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("OPTIONS", "http://127.0.0.1:9000/examplebucket/uploads/x", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if method != "" {
			r.Header.Set("Access-Control-Request-Method", method)
		}
		if headers != "" {
			r.Header.Set("Access-Control-Request-Headers", headers)
		}
		return w.do(r)
	}
	rec := pre("http://localhost:8080", "PUT", "authorization, content-type, x-oss-date, x-oss-security-token")
	h := rec.Header()
	if rec.Code != 200 || h.Get("Access-Control-Allow-Origin") != "http://localhost:8080" ||
		h.Get("Access-Control-Allow-Headers") != "authorization, content-type, x-oss-date, x-oss-security-token" ||
		h.Get("Access-Control-Max-Age") != "600" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "PUT") {
		t.Fatalf("preflight %d %v", rec.Code, h)
	}
	// Exactly the rule's ExposeHeader list: OSS adds nothing of its own.
	if got := h.Get("Access-Control-Expose-Headers"); got != "ETag, x-oss-meta-owner" {
		t.Errorf("expose headers %q, want the rule's list \"ETag, x-oss-meta-owner\"", got)
	}
	if rec := pre("http://evil.example", "PUT", ""); rec.Code != 403 || decodeError(t, rec).Code != "AccessForbidden" {
		t.Errorf("foreign origin: %d %s", rec.Code, rec.Body)
	}
	if rec := pre("http://localhost:8080", "DELETE", ""); rec.Code != 403 {
		t.Errorf("method not allowed by rule: %d", rec.Code)
	}
	if rec := pre("", "PUT", ""); rec.Code != 400 || decodeError(t, rec).Code != "BadRequest" {
		t.Errorf("no origin: %d %s", rec.Code, rec.Body)
	}
	// Actual request (even a failing one) carries the CORS headers.
	r := w.signed("PUT", "127.0.0.1:9000", "/examplebucket/k", "/examplebucket/k", []byte("x"), map[string]string{"Origin": "http://localhost:3000"})
	rec = w.do(r)
	if rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
		!strings.Contains(rec.Header().Get("Access-Control-Expose-Headers"), "ETag") {
		t.Fatalf("actual request %d %v", rec.Code, rec.Header())
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	w := newWireEnv(t)
	if rec := w.do(w.signed("PUT", "127.0.0.1:9000", "/examplebucket/keep", "/examplebucket/keep", []byte("persisted"), nil)); rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	rec := w.do(w.signed("POST", "127.0.0.1:9000", "/examplebucket/mp?uploads", "/examplebucket/mp?uploads", nil, nil))
	var init struct{ UploadId string }
	_ = xml.Unmarshal(rec.Body.Bytes(), &init)
	w.srv = w.server(t) // a new Server over the same directory
	rec = w.do(w.signed("GET", "127.0.0.1:9000", "/examplebucket/keep", "/examplebucket/keep", nil, nil))
	if rec.Code != 200 || rec.Body.String() != "persisted" {
		t.Fatalf("after restart: %d %q", rec.Code, rec.Body)
	}
	q := "?uploadId=" + init.UploadId
	if rec := w.do(w.signed("GET", "127.0.0.1:9000", "/examplebucket/mp"+q, "/examplebucket/mp"+q, nil, nil)); rec.Code != 200 {
		t.Fatalf("upload lost on restart: %d %s", rec.Code, rec.Body)
	}
}

type recordingPublisher struct{ events []Event }

func (p *recordingPublisher) Publish(e Event) { p.events = append(p.events, e) }

func TestEventsPublished(t *testing.T) {
	w := newWireEnv(t)
	pub := &recordingPublisher{}
	w.srv.events = pub
	body := []byte("event body")
	w.do(w.signed("PUT", "127.0.0.1:9000", "/examplebucket/uploads/e.txt", "/examplebucket/uploads/e.txt", body, nil))
	w.do(w.signed("PUT", "127.0.0.1:9000", "/examplebucket/uploads/c.txt", "/examplebucket/uploads/c.txt", nil,
		map[string]string{"x-oss-copy-source": "/examplebucket/uploads/e.txt"}))
	w.do(w.signed("DELETE", "127.0.0.1:9000", "/examplebucket/uploads/e.txt", "/examplebucket/uploads/e.txt", nil, nil))
	w.do(w.signed("DELETE", "127.0.0.1:9000", "/examplebucket/uploads/none", "/examplebucket/uploads/none", nil, nil))
	sum := md5.Sum(body)
	want := []struct {
		name  string
		size  int64
		delta int64
	}{{"ObjectCreated:PutObject", 10, 10}, {"ObjectCreated:CopyObject", 10, 10}, {"ObjectRemoved:DeleteObject", 10, -10}}
	if len(pub.events) != len(want) {
		t.Fatalf("events %+v", pub.events)
	}
	for i, ev := range pub.events {
		if ev.Name != want[i].name || ev.Size != want[i].size || ev.DeltaSize != want[i].delta || ev.ETag != fmt.Sprintf("%X", sum) ||
			ev.Bucket != "examplebucket" || ev.RequestID == "" || ev.SourceIP == "" || ev.PrincipalID == "" || ev.Region != "cn-hangzhou" {
			t.Errorf("event %d = %+v", i, ev)
		}
	}
}

func TestCRC64Combine(t *testing.T) {
	a, b := pattern(1000, 1), pattern(123457, 2)
	got := crc64Combine(crcSum(a), crcSum(b), int64(len(b)))
	if fmt.Sprint(got) != crcOf(append(a, b...)) {
		t.Fatalf("combine = %d, want %s", got, crcOf(append(a, b...)))
	}
	if crc64Combine(0, crcSum(b), int64(len(b))) != crcSum(b) {
		t.Fatal("combine with empty prefix")
	}
	if crc64Combine(crcSum(a), 0, 0) != crcSum(a) {
		t.Fatal("combine with empty suffix")
	}
}

// assumeRoot mints an STS session of a role allowed everything on the bucket.
func (w *wireEnv) assumeRoot(t testing.TB) iam.Principal {
	t.Helper()
	pol, err := iam.ParsePolicy([]byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ids.Lookup("LTAIposterEXAMPLE"); err != nil {
		if err := w.ids.AddUser("poster", "LTAIposterEXAMPLE", "posterSecret", pol); err != nil {
			t.Fatal(err)
		}
		if err := w.ids.AddRole(iam.Role{ARN: iam.RoleARN("poster"), Trust: []string{iam.UserARN("poster")}, Policies: []iam.Policy{pol}}); err != nil {
			t.Fatal(err)
		}
	}
	caller, err := w.ids.Lookup("LTAIposterEXAMPLE")
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.ids.AssumeRole(caller, iam.RoleARN("poster"), "poster", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// No secret or token reaches a log line or an error body.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	w := newWireEnv(t)
	var logs bytes.Buffer
	w.srv.log = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := w.assumeRoot(t)
	var bodies bytes.Buffer
	for _, r := range []*http.Request{
		w.signed("PUT", "127.0.0.1:9000", "/examplebucket/k", "/examplebucket/other", []byte("x"), nil),
		w.signed("PUT", "127.0.0.1:9000", "/examplebucket/k", "/examplebucket/k", []byte("x"), map[string]string{"x-oss-security-token": p.SecurityToken}),
	} {
		bodies.Write(w.do(r).Body.Bytes())
	}
	r := httptest.NewRequest("GET", "http://127.0.0.1:9000/examplebucket/k", nil)
	r.Header.Set("Authorization", "OSS "+p.AccessKeyID+":bad")
	r.Header.Set("x-oss-security-token", p.SecurityToken)
	r.Header.Set("Date", w.now.Format(http.TimeFormat))
	bodies.Write(w.do(r).Body.Bytes())
	if logs.Len() == 0 {
		t.Fatal("nothing logged")
	}
	for _, secret := range []string{wireSecret, p.AccessKeySecret, p.SecurityToken} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("secret %.6s... logged", secret)
		}
	}
	// Bodies echo what the caller sent (the StringToSign holds its own
	// x-oss-security-token header, as OSS's does) but never a secret key.
	for _, secret := range []string{wireSecret, p.AccessKeySecret} {
		if strings.Contains(bodies.String(), secret) {
			t.Fatalf("secret %.6s... in an error body", secret)
		}
	}
}

// PutObject and UploadPart declare more than 5 GB: refused from the
// Content-Length, before any byte of the body is read.
func TestUploadOver5GB(t *testing.T) {
	w := newWireEnv(t)
	for _, path := range []string{"/examplebucket/huge", "/examplebucket/huge?partNumber=1&uploadId=0123456789ABCDEF0123456789ABCDEF"} {
		r := w.signed("PUT", "127.0.0.1:9000", path, path, []byte("x"), nil)
		r.ContentLength = 5<<30 + 1
		rec := w.do(r)
		if e := decodeError(t, rec); rec.Code != 400 || e.Code != "EntityTooLarge" {
			t.Errorf("%s: %d %+v", path, rec.Code, e)
		}
	}
	r := w.signed("PUT", "127.0.0.1:9000", "/examplebucket/five", "/examplebucket/five", []byte("x"), nil)
	r.ContentLength = 5 << 30 // exactly 5 GB is allowed: the (short) body then fails to match
	if rec := w.do(r); rec.Code == 400 && decodeError(t, rec).Code == "EntityTooLarge" {
		t.Errorf("exactly 5 GB refused as too large")
	}
}
