package ossclient

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/shared/credentials"
)

func TestPathStyle(t *testing.T) {
	for endpoint, want := range map[string]bool{
		"https://oss-cn-hangzhou.aliyuncs.com":          false,
		"https://oss-cn-hangzhou-internal.aliyuncs.com": false,
		"HTTPS://OSS-CN-HANGZHOU.ALIYUNCS.COM":          false,
		"oss-cn-hangzhou.aliyuncs.com":                  false,
		"https://oss-accelerate.aliyuncs.com.":          false,
		"http://localhost:9000":                         true,
		"http://127.0.0.1:9000":                         true,
		"http://[::1]:9000":                             true,
		"https://oss.example.com":                       true,
		"https://aliyuncs.com.example.com":              true,
		"https://evilaliyuncs.com":                      true,
	} {
		if got := PathStyle(endpoint); got != want {
			t.Errorf("PathStyle(%q) = %v, want %v", endpoint, got, want)
		}
	}
}

// recorder answers every request with a canned OSS response and records
// the URL the SDK chose, without any network.
type recorder struct {
	status int
	header http.Header
	body   string
	got    []*http.Request
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.got = append(r.got, req)
	h := r.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("x-oss-request-id", "rid")
	return &http.Response{StatusCode: r.status, Header: h, Body: io.NopCloser(strings.NewReader(r.body)), Request: req}, nil
}

var creds = credentials.Credentials{AccessKeyID: "AKIDEXAMPLE", AccessKeySecret: "secret", SecurityToken: "token"}

// TestOpenAddressing: the bucket is in the host on Alibaba Cloud and in the
// path everywhere else, host names included (the SDK alone would send
// Host: bkt.localhost:9000).
func TestOpenAddressing(t *testing.T) {
	for _, tc := range []struct{ endpoint, host, path string }{
		{"https://oss-cn-hangzhou.aliyuncs.com", "bkt.oss-cn-hangzhou.aliyuncs.com", "/a/b.png"},
		{"http://localhost:9000", "localhost:9000", "/bkt/a/b.png"},
		{"http://127.0.0.1:9000", "127.0.0.1:9000", "/bkt/a/b.png"},
		{"https://oss-proxy.internal", "oss-proxy.internal", "/bkt/a/b.png"},
	} {
		rec := &recorder{status: 200, header: http.Header{"Content-Length": {"1"}}}
		b, err := Config{Endpoint: tc.endpoint, Region: "cn-hangzhou", Bucket: "bkt", HTTPClient: &http.Client{Transport: rec}, UserAgent: "ua-test"}.Open(creds)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.GetObjectDetailedMeta("a/b.png"); err != nil {
			t.Fatalf("%s: %v", tc.endpoint, err)
		}
		req := rec.got[0]
		if req.URL.Host != tc.host || req.URL.Path != tc.path {
			t.Errorf("%s: request to %s%s, want %s%s", tc.endpoint, req.URL.Host, req.URL.Path, tc.host, tc.path)
		}
		if a := req.Header.Get("Authorization"); !strings.HasPrefix(a, "OSS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(a, "/cn-hangzhou/oss/aliyun_v4_request") {
			t.Errorf("%s: Authorization %q is not V4 for the region", tc.endpoint, a)
		}
		if req.Header.Get("X-Oss-Security-Token") != "token" || req.Header.Get("User-Agent") != "ua-test" {
			t.Errorf("%s: token %q, user agent %q", tc.endpoint, req.Header.Get("X-Oss-Security-Token"), req.Header.Get("User-Agent"))
		}
	}
}

func errorXML(code string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>m</Message><RequestId>rid</RequestId></Error>`
}

// TestClassify runs real SDK calls against canned OSS answers. A missing
// bucket is not a missing object: sign used to call it one, verify did not.
func TestClassify(t *testing.T) {
	head := func(b *oss.Bucket) error { _, err := b.GetObjectDetailedMeta("k"); return err }
	get := func(b *oss.Bucket) error { _, err := b.GetObjectTagging("k"); return err }
	for _, tc := range []struct {
		name     string
		rec      recorder
		call     func(*oss.Bucket) error
		notFound bool
		changed  bool
	}{
		{"GET NoSuchKey", recorder{status: 404, body: errorXML("NoSuchKey")}, get, true, false},
		{"HEAD 404, no body", recorder{status: 404}, head, true, false},
		{"HEAD 404 NoSuchKey in x-oss-err", recorder{status: 404, header: http.Header{"X-Oss-Err": {b64(errorXML("NoSuchKey"))}}}, head, true, false},
		{"GET NoSuchBucket", recorder{status: 404, body: errorXML("NoSuchBucket")}, get, false, false},
		{"HEAD NoSuchBucket in x-oss-err", recorder{status: 404, header: http.Header{"X-Oss-Err": {b64(errorXML("NoSuchBucket"))}}}, head, false, false},
		{"HEAD 412", recorder{status: 412}, head, false, true},
		{"GET 403", recorder{status: 403, body: errorXML("AccessDenied")}, get, false, false},
		{"GET 503", recorder{status: 503, body: errorXML("ServiceUnavailable")}, get, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Config{Endpoint: "http://127.0.0.1:1", Region: "cn-hangzhou", Bucket: "bkt", HTTPClient: &http.Client{Transport: &tc.rec}}.Open(creds)
			if err != nil {
				t.Fatal(err)
			}
			sdkErr := tc.call(b)
			if sdkErr == nil {
				t.Fatal("no error")
			}
			err = Classify("op", "k", sdkErr)
			if errors.Is(err, ErrNotFound) != tc.notFound || errors.Is(err, ErrChanged) != tc.changed {
				t.Errorf("Classify(%v) = %v: not found %v (want %v), changed %v (want %v)", sdkErr, err,
					errors.Is(err, ErrNotFound), tc.notFound, errors.Is(err, ErrChanged), tc.changed)
			}
			if _, ok := ServiceError(sdkErr); !ok {
				t.Errorf("ServiceError(%v) found none", sdkErr)
			}
		})
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
