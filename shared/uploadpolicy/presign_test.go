package uploadpolicy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ossupload/ossupload/shared/presign"
)

// fakeParts is a PartLister with fixed answers per upload id.
type fakeParts struct {
	parts map[string][]UploadedPart
	calls int
}

func (f *fakeParts) ListParts(_ context.Context, key, uploadID string) ([]UploadedPart, error) {
	f.calls++
	p, ok := f.parts[uploadID]
	if !ok {
		return nil, ErrNoSuchUpload
	}
	return p, nil
}

func newPresignFixture(t testing.TB, env map[string]string, parts PartLister) *fixture {
	t.Helper()
	f := newFixture(t, env, nil)
	h, err := New(f.cfg, Deps{Auth: mustAuth(t, f.cfg), Credentials: f.creds, Parts: parts, Now: fixedNow,
		Random: fixedRandom{}, Logger: slog.New(slog.NewJSONHandler(f.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	f.handler = h
	return f
}

func postPresign(t testing.TB, h http.Handler, user, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/presign", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Origin", testOrigin)
	r.Header.Set("Authorization", "Bearer "+token(t, user))
	return serve(h, r)
}

// multipartTestKey is the key the fixture issues to alice for a 300 KiB
// "cat.png" (fixedRandom: ab repeated).
const multipartTestKey = "uploads/alice/2026/11/23/abababababababab.307200-cat.png"

func wantStatus(t *testing.T, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	if code != "" {
		if e := decode[errorBody](t, w.Body); e.Error.Code != code {
			t.Errorf("error code %q, want %q (%s)", e.Error.Code, code, e.Error.Message)
		}
	}
}

func TestPresignInitiate(t *testing.T) {
	f := newPresignFixture(t, nil, nil)
	w := postPresign(t, f.handler, testUser, `{"method":"POST","key":"3f0c-uuid-cat.png","filename":"cat.png","contentType":"image/png","size":307200}`)
	wantStatus(t, w, http.StatusOK, "")
	resp := decode[PresignResponse](t, w.Body)
	if resp.Key != multipartTestKey {
		t.Errorf("key %q, want %q", resp.Key, multipartTestKey)
	}
	wantHeaders := map[string]string{
		"Content-Type": "image/png", "x-oss-forbid-overwrite": "true", "x-oss-object-acl": "private",
		"x-oss-storage-class": "Standard", "x-oss-server-side-encryption": "AES256",
		"x-oss-meta-owner": testUser, "x-oss-meta-declared-type": "image/png", "x-oss-meta-declared-size": "307200",
		"x-oss-meta-route": "default",
	}
	if len(resp.Headers) != len(wantHeaders) {
		t.Errorf("headers %v, want %v", resp.Headers, wantHeaders)
	}
	var hs []presign.Header
	for k, v := range wantHeaders {
		if resp.Headers[k] != v {
			t.Errorf("header %s = %q, want %q", k, resp.Headers[k], v)
		}
		hs = append(hs, presign.Header{Name: k, Value: v})
	}
	want, err := presign.V4("http://127.0.0.1:9000/"+testBucket, testRegion,
		presign.Credentials{AccessKeyID: testAK, AccessKeySecret: testAKSec, SecurityToken: testToken},
		presign.Request{Method: "POST", Bucket: testBucket, Key: multipartTestKey, Uploads: true, Headers: hs}, testNow, DefaultPolicyExpiry)
	if err != nil {
		t.Fatal(err)
	}
	if resp.URL != want {
		t.Errorf("url\n got %s\nwant %s", resp.URL, want)
	}
	if resp.Method != "POST" || resp.ExpiresAt != "2026-11-24T00:14:30Z" {
		t.Errorf("method %q expiresAt %q", resp.Method, resp.ExpiresAt)
	}
	if strings.Contains(f.logs.String(), testAKSec) || strings.Contains(f.logs.String(), testToken) {
		t.Errorf("a secret reached the log: %s", f.logs)
	}
}

func TestPresignInitiateRefused(t *testing.T) {
	f := newPresignFixture(t, nil, nil)
	for _, c := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"type outside allow-list", `{"method":"POST","key":"x.html","contentType":"text/html","size":1000}`, 400, "type_not_allowed"},
		{"no type", `{"method":"POST","key":"x.png","size":1000}`, 400, "invalid_request"},
		{"no size", `{"method":"POST","key":"x.png","contentType":"image/png"}`, 400, "invalid_request"},
		{"too large", `{"method":"POST","key":"x.png","contentType":"image/png","size":1048577}`, 413, "too_large"},
		{"delete object", `{"method":"DELETE","key":"uploads/alice/x.png"}`, 403, "forbidden"},
		{"unknown field", `{"method":"POST","key":"x.png","contentType":"image/png","size":10,"acl":"public-read"}`, 400, "invalid_request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantStatus(t, postPresign(t, f.handler, testUser, c.body), c.status, c.code)
		})
	}
}

func TestPresignUploadOfOthers(t *testing.T) {
	parts := &fakeParts{parts: map[string][]UploadedPart{"UPLOAD1": {{1, 307200}}}}
	f := newPresignFixture(t, nil, parts)
	bobKey := strings.Replace(multipartTestKey, "/alice/", "/bob/", 1)
	for _, m := range []string{"PUT", "GET", "POST", "DELETE"} {
		body := `{"method":"` + m + `","key":"` + bobKey + `","uploadId":"UPLOAD1"`
		if m == "PUT" {
			body += `,"partNumber":1`
		}
		wantStatus(t, postPresign(t, f.handler, testUser, body+`}`), http.StatusForbidden, "forbidden")
	}
	// Another key shape outside the prefix, and a key of the form path.
	wantStatus(t, postPresign(t, f.handler, testUser, `{"method":"PUT","key":"uploads/alice/../bob/x","uploadId":"U","partNumber":1}`), http.StatusForbidden, "forbidden")
	wantStatus(t, postPresign(t, f.handler, testUser, `{"method":"PUT","key":"uploads/alice/2026/11/23/abababababababab-cat.png","uploadId":"U","partNumber":1}`), http.StatusForbidden, "forbidden")
	if parts.calls != 0 {
		t.Errorf("ListParts called %d times for refused requests", parts.calls)
	}
}

func TestPresignPartNumbers(t *testing.T) {
	f := newPresignFixture(t, nil, nil)
	// 307200 bytes need at most 3 parts of 100 KiB.
	for _, c := range []struct {
		part   string
		status int
	}{{"1", 200}, {"3", 200}, {"4", 400}, {"0", 400}, {"-1", 400}, {"10001", 400}} {
		w := postPresign(t, f.handler, testUser, `{"method":"PUT","key":"`+multipartTestKey+`","uploadId":"UPLOAD1","partNumber":`+c.part+`}`)
		if w.Code != c.status {
			t.Errorf("part %s: status %d, want %d: %s", c.part, w.Code, c.status, w.Body)
			continue
		}
		if c.status == 200 {
			resp := decode[PresignResponse](t, w.Body)
			u, _ := url.Parse(resp.URL)
			if q := u.Query(); q.Get("partNumber") != c.part || q.Get("uploadId") != "UPLOAD1" || len(resp.Headers) != 0 {
				t.Errorf("part %s: url %s headers %v", c.part, resp.URL, resp.Headers)
			}
		}
	}
}

func TestPresignComplete(t *testing.T) {
	parts := &fakeParts{parts: map[string][]UploadedPart{
		"EXACT":    {{1, 102400}, {2, 102400}, {3, 102400}},
		"MORE":     {{1, 204800}, {2, 204800}},
		"FEWER":    {{1, 102400}},
		"BEYOND":   {{1, 102400}, {2, 102400}, {9, 102400}},
		"OVER_CAP": {{1, 1 << 20}, {2, 1}},
	}}
	f := newPresignFixture(t, nil, parts)
	for _, c := range []struct {
		upload string
		status int
		code   string
	}{
		{"EXACT", 200, ""},
		{"MORE", 413, "too_large"},
		{"OVER_CAP", 413, "too_large"},
		{"FEWER", 409, "incomplete"},
		{"BEYOND", 400, "invalid_request"},
		{"UNKNOWN", 404, "not_found"},
	} {
		t.Run(c.upload, func(t *testing.T) {
			w := postPresign(t, f.handler, testUser, `{"method":"POST","key":"`+multipartTestKey+`","uploadId":"`+c.upload+`"}`)
			wantStatus(t, w, c.status, c.code)
			if c.status == 200 {
				resp := decode[PresignResponse](t, w.Body)
				if resp.Headers["Content-Type"] != "application/xml" || resp.Headers["x-oss-forbid-overwrite"] != "true" {
					t.Errorf("headers %v", resp.Headers)
				}
			}
		})
	}
	// A key issued before UPLOAD_MAX_BYTES was lowered: the cap still holds.
	bigKey := strings.Replace(multipartTestKey, ".307200-", ".2097152-", 1)
	parts.parts["BIG"] = []UploadedPart{{1, 1 << 20}, {2, 1 << 20}}
	wantStatus(t, postPresign(t, f.handler, testUser, `{"method":"POST","key":"`+bigKey+`","uploadId":"BIG"}`), http.StatusRequestEntityTooLarge, "too_large")
	g := newPresignFixture(t, nil, nil)
	wantStatus(t, postPresign(t, g.handler, testUser, `{"method":"POST","key":"`+multipartTestKey+`","uploadId":"EXACT"}`), http.StatusServiceUnavailable, "unavailable")
}

func TestPresignPutObjectForm(t *testing.T) {
	f := newPresignFixture(t, nil, nil)
	w := postPresign(t, f.handler, testUser, `{"method":"PUT","key":"uuid-cat.png","contentType":"image/png"}`)
	wantStatus(t, w, http.StatusOK, "")
	resp := decode[PresignResponse](t, w.Body)
	if resp.URL != "http://127.0.0.1:9000/"+testBucket || resp.Method != "POST" {
		t.Errorf("url %q method %q", resp.URL, resp.Method)
	}
	if _, ok := resp.Fields["success_action_redirect"]; ok {
		t.Error("fields carry success_action_redirect, which Uppy refuses")
	}
	if !strings.HasPrefix(resp.Fields["key"], "uploads/alice/") || resp.Fields["key"] != resp.Key || resp.Fields["x-oss-meta-owner"] != testUser {
		t.Errorf("fields %v", resp.Fields)
	}
	raw, _ := json.Marshal(resp.Fields)
	var pol struct{ Conditions []any }
	b, _ := base64.StdEncoding.DecodeString(resp.Fields["policy"])
	if err := json.Unmarshal(b, &pol); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "success_action_redirect") {
		t.Errorf("policy still pins success_action_redirect: %s (%s)", b, raw)
	}
}

func TestPresignV1(t *testing.T) {
	f := newPresignFixture(t, map[string]string{"SIGNATURE_VERSION": "v1"}, nil)
	w := postPresign(t, f.handler, testUser, `{"method":"GET","key":"`+multipartTestKey+`","uploadId":"UPLOAD1"}`)
	wantStatus(t, w, http.StatusOK, "")
	resp := decode[PresignResponse](t, w.Body)
	want, _ := presign.V1("http://127.0.0.1:9000/"+testBucket, presign.Credentials{AccessKeyID: testAK, AccessKeySecret: testAKSec, SecurityToken: testToken},
		presign.Request{Method: "GET", Bucket: testBucket, Key: multipartTestKey, UploadID: "UPLOAD1"}, testNow, DefaultPolicyExpiry)
	if resp.URL != want {
		t.Errorf("url\n got %s\nwant %s", resp.URL, want)
	}
}

func TestPresignExpiresIn(t *testing.T) {
	f := newPresignFixture(t, nil, nil)
	for _, c := range []struct {
		in, want string
	}{{"60", "60"}, {"0", "900"}, {"99999", "900"}} {
		w := postPresign(t, f.handler, testUser, `{"method":"GET","key":"`+multipartTestKey+`","uploadId":"U","expiresIn":`+c.in+`}`)
		wantStatus(t, w, http.StatusOK, "")
		u, _ := url.Parse(decode[PresignResponse](t, w.Body).URL)
		if got := u.Query().Get("x-oss-expires"); got != c.want {
			t.Errorf("expiresIn %s: x-oss-expires %s, want %s", c.in, got, c.want)
		}
	}
}

func TestDeclaredSizeKey(t *testing.T) {
	k := multipartKey("uploads/alice/2026/11/23/0123456789abcdef-a-b.png", 52428800)
	if k != "uploads/alice/2026/11/23/0123456789abcdef.52428800-a-b.png" {
		t.Fatalf("multipartKey %q", k)
	}
	if n, ok := declaredSizeOf(k); !ok || n != 52428800 {
		t.Errorf("declaredSizeOf %q = %d %v", k, n, ok)
	}
	for _, bad := range []string{
		"uploads/alice/2026/11/23/0123456789abcdef-a.png", "uploads/alice/0123456789abcdeg.5-a", "uploads/alice/0123456789abcdef.05-a",
		"uploads/alice/0123456789abcdef.-a", "uploads/alice/0123456789abcdef.5", "uploads/alice/0123456789abcdef.0-a", "",
	} {
		if n, ok := declaredSizeOf(bad); ok {
			t.Errorf("declaredSizeOf(%q) = %d", bad, n)
		}
	}
}

// BenchmarkPresign measures one presign request in-process (an UploadPart
// URL, the request Uppy makes most), on the path of BenchmarkSign: CORS,
// HS256 token check, body decode, checks, V4 URL, JSON answer, log line.
// Target: within 2x of BenchmarkSign.
func BenchmarkPresign(b *testing.B) {
	f := newPresignFixture(b, nil, nil)
	body := `{"method":"PUT","key":"` + multipartTestKey + `","uploadId":"0004B9894A22E5B1888A1E29F823ABCD","partNumber":2}`
	benchPost(b, f, f.handler, "/presign", body)
}
