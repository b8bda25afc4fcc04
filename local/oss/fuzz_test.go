package oss

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzAuthenticate feeds arbitrary request lines and authentication headers
// to the request resolution and authentication code: whatever arrives, it
// must answer (a principal or an *Error), never panic, and never accept a
// signature it did not compute.
func FuzzAuthenticate(f *testing.F) {
	w := newWireEnv(f)
	ts := w.now.Format(http.TimeFormat)
	seeds := [][6]string{
		// method, host, path?query, Authorization, x-oss-date, x-oss-security-token
		{"PUT", "127.0.0.1:9000", "/examplebucket/k", "OSS " + wireAK + ":kSHKmLxlyEAKtZPkJhG9bZb5k7M=", ts, ""},
		{"GET", "examplebucket.localhost", "/k?acl", "OSS4-HMAC-SHA256 Credential=" + wireAK + "/20261122/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=host,Signature=00", "20261122T211347Z", ""},
		{"GET", "127.0.0.1", "/examplebucket/k?OSSAccessKeyId=" + wireAK + "&Expires=1799999999&Signature=abc%3D&security-token=CAIS", "", "", ""},
		{"GET", "127.0.0.1", "/examplebucket/k?x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=" + wireAK + "%2F20261122%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20261122T211347Z&x-oss-expires=60&x-oss-signature=00&x-oss-additional-headers=a%3Bb", "", "", ""},
		{"POST", "b.oss-cn-hangzhou.aliyuncs.com", "/%2F..%2F?uploads", "OSS4-HMAC-SHA256 ,,==,Credential=/////", "garbage", "tok"},
		{"DELETE", "[::1]:1", "/examplebucket/a?uploadId=&partNumber=-1", "OSS :", "", ""},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	f.Fuzz(func(t *testing.T, method, host, target, authz, date, token string) {
		u, err := url.ParseRequestURI("http://x" + target)
		if err != nil || !strings.HasPrefix(target, "/") {
			return
		}
		r := &http.Request{Method: method, URL: u, Host: host, Header: http.Header{}}
		for k, v := range map[string]string{"Authorization": authz, "x-oss-date": date, "x-oss-security-token": token} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		bucket, key := resolve(host, u.Path)
		p, err := w.srv.authenticate(authRequest{r: r, bucket: bucket, key: key, now: w.now.Add(time.Duration(len(target)) * time.Second)})
		if p != nil && err != nil {
			t.Fatalf("both a principal and an error: %v", err)
		}
		if p != nil && authz == "" && !strings.Contains(target, "Signature") && !strings.Contains(target, "signature") {
			t.Fatalf("principal without any signature: %+v", r)
		}
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("non-protocol error %T %v", err, err)
			}
		}
	})
}

// FuzzPostObjectForm posts arbitrary multipart bodies: the handler must
// answer with a status, never panic, and never leave a staged file behind.
func FuzzPostObjectForm(f *testing.F) {
	w := newWireEnv(f)
	f.Add("--b\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\ndata\r\n--b--\r\n")
	f.Add("--b\r\nContent-Disposition: form-data; name=\"OSSAccessKeyId\"\r\n\r\n" + wireAK + "\r\n--b\r\nContent-Disposition: form-data; name=\"FILE\"\r\n\r\n\r\n--b--")
	f.Add("--b\r\nContent-Disposition: form-data; name=\"x-oss-signature-version\"\r\n\r\nOSS4-HMAC-SHA256\r\n--b\r\n\r\n--b--")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, body string) {
		r := &http.Request{Method: "POST", URL: &url.URL{Path: "/examplebucket/"}, Host: "127.0.0.1:9000",
			Header: http.Header{"Content-Type": {"multipart/form-data; boundary=b"}}, Body: io.NopCloser(strings.NewReader(body))}
		rec := httptest.NewRecorder()
		w.srv.ServeHTTP(rec, r)
		if rec.Code < 200 || rec.Code >= 600 {
			t.Fatalf("status %d", rec.Code)
		}
		if entries, _ := os.ReadDir(filepath.Join(w.dir, "tmp")); len(entries) != 0 {
			t.Fatalf("staged files left: %d", len(entries))
		}
	})
}
