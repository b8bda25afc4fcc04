package oss_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ossupload/ossupload/shared/presign"
)

// A multipart upload driven only by presigned URLs, V1 and V4, as a browser
// with Uppy does it: the URLs come from shared/presign, which is pinned to
// aliyun-oss-go-sdk v3.0.2's Bucket.SignURL.

type presigner struct {
	e     *env
	v4    bool
	creds presign.Credentials
	ttl   time.Duration
}

func (p presigner) url(t *testing.T, r presign.Request) string {
	t.Helper()
	r.Bucket = testBucket
	var u string
	var err error
	if p.v4 {
		u, err = presign.V4(p.e.url+"/"+testBucket, "cn-hangzhou", p.creds, r, p.e.clock.Now(), p.ttl)
	} else {
		u, err = presign.V1(p.e.url+"/"+testBucket, p.creds, r, p.e.clock.Now(), p.ttl)
	}
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// send makes the request a browser would: the URL, the signed headers, a
// body.
func send(t *testing.T, method, u string, headers []presign.Header, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = nil, 0
	}
	for _, h := range headers {
		req.Header.Set(h.Name, h.Value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

type ossErr struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

func wantOSSError(t *testing.T, resp *http.Response, body []byte, status int, code, message string) {
	t.Helper()
	var e ossErr
	_ = xml.Unmarshal(body, &e)
	if resp.StatusCode != status || e.Code != code || (message != "" && e.Message != message) {
		t.Fatalf("got %d %s %q, want %d %s %q\n%s", resp.StatusCode, e.Code, e.Message, status, code, message, body)
	}
}

func TestPresignedMultipart(t *testing.T) {
	for _, v4 := range []bool{true, false} {
		t.Run(map[bool]string{true: "V4", false: "V1"}[v4], func(t *testing.T) {
			e := newEnv(t)
			sts := e.assume(t, "", time.Hour)
			p := presigner{e: e, v4: v4, ttl: 5 * time.Minute,
				creds: presign.Credentials{AccessKeyID: sts.AccessKeyID, AccessKeySecret: sts.AccessKeySecret, SecurityToken: sts.SecurityToken}}
			key := "uploads/alice/2026/12/01/0123456789abcdef.307200-ü cat.png"
			initHeaders := []presign.Header{{Name: "Content-Type", Value: "image/png"}, {Name: "x-oss-forbid-overwrite", Value: "true"}, {Name: "x-oss-meta-owner", Value: "alice"}}
			initURL := p.url(t, presign.Request{Method: "POST", Key: key, Uploads: true, Headers: initHeaders})

			// The browser must send exactly the signed headers.
			resp, body := send(t, "POST", initURL, []presign.Header{{Name: "Content-Type", Value: "text/html"}, {Name: "x-oss-forbid-overwrite", Value: "true"}, {Name: "x-oss-meta-owner", Value: "alice"}}, nil)
			wantOSSError(t, resp, body, 403, "SignatureDoesNotMatch", "")
			resp, body = send(t, "POST", initURL, append(initHeaders[:3:3], presign.Header{Name: "x-oss-meta-owner2", Value: "mallory"}), nil)
			wantOSSError(t, resp, body, 403, "SignatureDoesNotMatch", "")
			resp, body = send(t, "POST", initURL, initHeaders[:1], nil)
			wantOSSError(t, resp, body, 403, "SignatureDoesNotMatch", "")

			resp, body = send(t, "POST", initURL, initHeaders, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("initiate: %d %s", resp.StatusCode, body)
			}
			var ini struct{ UploadId string }
			if err := xml.Unmarshal(body, &ini); err != nil || ini.UploadId == "" {
				t.Fatalf("initiate body %s: %v", body, err)
			}

			part := func(n int) string {
				return p.url(t, presign.Request{Method: "PUT", Key: key, UploadID: ini.UploadId, PartNumber: n})
			}
			etags := map[int]string{}
			for n, size := range map[int]int{1: 200 << 10, 2: 100 << 10} {
				resp, body := send(t, "PUT", part(n), nil, pattern(size, byte(n)))
				if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" {
					t.Fatalf("part %d: %d %s", n, resp.StatusCode, body)
				}
				etags[n] = resp.Header.Get("ETag")
			}

			// Tampered: the URL of part 1 with partNumber=3.
			tampered := strings.Replace(part(1), "partNumber=1", "partNumber=3", 1)
			resp, body = send(t, "PUT", tampered, nil, []byte("x"))
			wantOSSError(t, resp, body, 403, "SignatureDoesNotMatch", "")
			// Foreign: a URL signed for another key, sent to this one.
			other := p.url(t, presign.Request{Method: "PUT", Key: "uploads/bob/x", UploadID: ini.UploadId, PartNumber: 1})
			resp, body = send(t, "PUT", strings.Replace(other, "/uploads/bob/x?", "/"+url.PathEscape("uploads")+"/alice/2026/12/01/0123456789abcdef.307200-%C3%BC%20cat.png?", 1), nil, []byte("x"))
			wantOSSError(t, resp, body, 403, "SignatureDoesNotMatch", "")
			// Foreign: signed with a key OSS does not know.
			q := presigner{e: e, v4: v4, ttl: time.Minute, creds: presign.Credentials{AccessKeyID: "LTAIunknownEXAMPLE", AccessKeySecret: "x"}}
			resp, body = send(t, "PUT", q.url(t, presign.Request{Method: "PUT", Key: key, UploadID: ini.UploadId, PartNumber: 1}), nil, []byte("x"))
			wantOSSError(t, resp, body, 403, "InvalidAccessKeyId", "")
			// Signed with the right id and a wrong secret.
			q.creds = presign.Credentials{AccessKeyID: sts.AccessKeyID, AccessKeySecret: "wrong", SecurityToken: sts.SecurityToken}
			resp, body = send(t, "PUT", q.url(t, presign.Request{Method: "PUT", Key: key, UploadID: ini.UploadId, PartNumber: 1}), nil, []byte("x"))
			wantOSSError(t, resp, body, 403, "SignatureDoesNotMatch", "")

			resp, body = send(t, "GET", p.url(t, presign.Request{Method: "GET", Key: key, UploadID: ini.UploadId}), nil, nil)
			if resp.StatusCode != 200 || strings.Count(string(body), "<Part>") != 2 {
				t.Fatalf("list parts: %d %s", resp.StatusCode, body)
			}

			// Expired: the part URL after its lifetime.
			late := part(2)
			e.clock.Advance(5*time.Minute + 2*time.Second)
			resp, body = send(t, "PUT", late, nil, []byte("x"))
			wantOSSError(t, resp, body, 403, "AccessDenied", "Request has expired.")

			completeHeaders := []presign.Header{{Name: "Content-Type", Value: "application/xml"}, {Name: "x-oss-forbid-overwrite", Value: "true"}}
			xmlBody := fmt.Sprintf("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part><Part><PartNumber>2</PartNumber><ETag>%s</ETag></Part></CompleteMultipartUpload>", etags[1], etags[2])
			resp, body = send(t, "POST", p.url(t, presign.Request{Method: "POST", Key: key, UploadID: ini.UploadId, Headers: completeHeaders}), completeHeaders, []byte(xmlBody))
			if resp.StatusCode != 200 {
				t.Fatalf("complete: %d %s", resp.StatusCode, body)
			}
			meta, err := e.bucket(t, rootAK, rootSecret, "").GetObjectDetailedMeta(key)
			if err != nil {
				t.Fatal(err)
			}
			if meta.Get("Content-Type") != "image/png" || meta.Get("X-Oss-Meta-Owner") != "alice" || meta.Get("Content-Length") != "307200" {
				t.Errorf("stored object: %v", meta)
			}

			// Abort, then the upload is gone.
			key2 := key + ".2"
			resp, body = send(t, "POST", p.url(t, presign.Request{Method: "POST", Key: key2, Uploads: true, Headers: initHeaders}), initHeaders, nil)
			if err := xml.Unmarshal(body, &ini); resp.StatusCode != 200 || err != nil {
				t.Fatalf("initiate 2: %d %s", resp.StatusCode, body)
			}
			resp, _ = send(t, "PUT", p.url(t, presign.Request{Method: "PUT", Key: key2, UploadID: ini.UploadId, PartNumber: 1}), nil, []byte("part"))
			if resp.StatusCode != 200 {
				t.Fatalf("part of upload 2: %d", resp.StatusCode)
			}
			resp, body = send(t, "DELETE", p.url(t, presign.Request{Method: "DELETE", Key: key2, UploadID: ini.UploadId}), nil, nil)
			if resp.StatusCode != 204 {
				t.Fatalf("abort: %d %s", resp.StatusCode, body)
			}
			resp, body = send(t, "GET", p.url(t, presign.Request{Method: "GET", Key: key2, UploadID: ini.UploadId}), nil, nil)
			wantOSSError(t, resp, body, 404, "NoSuchUpload", "")
		})
	}
}

// An expired STS session's URL is refused as such, before its own expiry.
func TestPresignedExpiredSession(t *testing.T) {
	e := newEnv(t)
	sts := e.assume(t, "", 15*time.Minute)
	p := presigner{e: e, v4: true, ttl: time.Hour,
		creds: presign.Credentials{AccessKeyID: sts.AccessKeyID, AccessKeySecret: sts.AccessKeySecret, SecurityToken: sts.SecurityToken}}
	u := p.url(t, presign.Request{Method: "POST", Key: "uploads/alice/k", Uploads: true})
	e.clock.Advance(16 * time.Minute)
	resp, body := send(t, "POST", u, nil, nil)
	wantOSSError(t, resp, body, 403, "SecurityTokenExpired", "")
}
