package presign

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

const (
	testAK     = "LTAI5tPresignTestKey"
	testSecret = "presign-test-secret-0123456789"
	testToken  = "CAISpresignTestSecurityToken0123456789abcdefghijklmnop"
	testBucket = "ossupload-test"
	testRegion = "cn-hangzhou"
)

// sdkCase is one request, as this package's Request and as the options of
// the official SDK's Bucket.SignURL.
type sdkCase struct {
	name string
	req  Request
	opts []oss.Option
}

func sdkCases() []sdkCase {
	key := "uploads/alice/2026/12/01/0123456789abcdef.52428800-holiday photo ü+&.mp4"
	return []sdkCase{
		{"initiate", Request{Method: "POST", Bucket: testBucket, Key: key, Uploads: true, Headers: []Header{
			{Name: "Content-Type", Value: "video/mp4"}, {Name: "x-oss-forbid-overwrite", Value: "true"}, {Name: "x-oss-meta-owner", Value: "alice"},
			{Name: "x-oss-meta-declared-type", Value: "video/mp4"}, {Name: "x-oss-meta-declared-size", Value: "52428800"}}},
			[]oss.Option{oss.AddParam("uploads", ""), oss.ContentType("video/mp4"), oss.ForbidOverWrite(true),
				oss.Meta("owner", "alice"), oss.Meta("declared-type", "video/mp4"), oss.Meta("declared-size", "52428800")}},
		{"part", Request{Method: "PUT", Bucket: testBucket, Key: key, UploadID: "0004B9894A22E5B1888A1E29F823ABCD", PartNumber: 7},
			[]oss.Option{oss.AddParam("uploadId", "0004B9894A22E5B1888A1E29F823ABCD"), oss.AddParam("partNumber", "7")}},
		{"list", Request{Method: "GET", Bucket: testBucket, Key: key, UploadID: "0004B9894A22E5B1888A1E29F823ABCD"},
			[]oss.Option{oss.AddParam("uploadId", "0004B9894A22E5B1888A1E29F823ABCD")}},
		{"complete", Request{Method: "POST", Bucket: testBucket, Key: key, UploadID: "0004B9894A22E5B1888A1E29F823ABCD",
			Headers: []Header{{Name: "Content-Type", Value: "application/xml"}, {Name: "x-oss-forbid-overwrite", Value: "true"}}},
			[]oss.Option{oss.AddParam("uploadId", "0004B9894A22E5B1888A1E29F823ABCD"), oss.ContentType("application/xml"), oss.ForbidOverWrite(true)}},
		{"abort", Request{Method: "DELETE", Bucket: testBucket, Key: "k", UploadID: "u 1/2"},
			[]oss.Option{oss.AddParam("uploadId", "u 1/2")}},
	}
}

// sameURL compares two URLs by scheme, host, decoded path and query values:
// the SDK escapes "/" in the path of a presigned URL, this package does not,
// and OSS decodes the path before it signs it.
func sameURL(t *testing.T, got, want string) {
	t.Helper()
	g, err1 := url.Parse(got)
	w, err2 := url.Parse(want)
	if err1 != nil || err2 != nil {
		t.Fatalf("parse: %v, %v", err1, err2)
	}
	if g.Scheme != w.Scheme || g.Host != w.Host || g.Path != w.Path {
		t.Errorf("URL\n got %s://%s%s\nwant %s://%s%s", g.Scheme, g.Host, g.Path, w.Scheme, w.Host, w.Path)
	}
	gq, wq := g.Query(), w.Query()
	for k, v := range wq {
		if strings.Join(gq[k], ",") != strings.Join(v, ",") {
			t.Errorf("query %s = %q, the SDK has %q", k, gq[k], v)
		}
	}
	for k := range gq {
		if _, ok := wq[k]; !ok {
			t.Errorf("query %s = %q, which the SDK does not send", k, gq[k])
		}
	}
}

// TestMatchesSDK compares each URL with aliyun-oss-go-sdk v3.0.2's
// Bucket.SignURL, V1 and V4, with and without a security token, on a
// virtual-hosted and a path-style endpoint. The SDK reads time.Now, which
// synctest fixes (2000-01-01T00:00:00Z in the bubble).
func TestMatchesSDK(t *testing.T) {
	endpoints := []struct {
		endpoint, base string
		opts           []oss.ClientOption
	}{
		{"https://oss-cn-hangzhou.aliyuncs.com", "https://" + testBucket + ".oss-cn-hangzhou.aliyuncs.com", nil},
		{"http://127.0.0.1:9000", "http://127.0.0.1:9000/" + testBucket, []oss.ClientOption{oss.ForcePathStyle(true)}},
	}
	const expires = 300
	for _, v4 := range []bool{true, false} {
		for _, token := range []string{"", testToken} {
			for _, ep := range endpoints {
				for _, c := range sdkCases() {
					name := c.name + "/v1"
					if v4 {
						name = c.name + "/v4"
					}
					if token != "" {
						name += "/token"
					}
					name += "/" + ep.endpoint
					t.Run(name, func(t *testing.T) {
						synctest.Test(t, func(t *testing.T) {
							opts := append([]oss.ClientOption{}, ep.opts...)
							if v4 {
								opts = append(opts, oss.AuthVersion(oss.AuthV4), oss.Region(testRegion))
							}
							if token != "" {
								opts = append(opts, oss.SecurityToken(token))
							}
							client, err := oss.New(ep.endpoint, testAK, testSecret, opts...)
							if err != nil {
								t.Fatal(err)
							}
							bucket, err := client.Bucket(testBucket)
							if err != nil {
								t.Fatal(err)
							}
							want, err := bucket.SignURL(c.req.Key, oss.HTTPMethod(c.req.Method), expires, c.opts...)
							if err != nil {
								t.Fatal(err)
							}
							creds := Credentials{testAK, testSecret, token}
							var got string
							if v4 {
								got, err = V4(ep.base, testRegion, creds, c.req, time.Now(), expires*time.Second)
							} else {
								got, err = V1(ep.base, creds, c.req, time.Now(), expires*time.Second)
							}
							if err != nil {
								t.Fatal(err)
							}
							sameURL(t, got, want)
						})
					})
				}
			}
		}
	}
}

// TestVectorsDiffer: every signed input changes the signature.
func TestVectorsDiffer(t *testing.T) {
	now := time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
	base := Request{Method: "PUT", Bucket: testBucket, Key: "a/b", UploadID: "u", PartNumber: 1}
	creds := Credentials{testAK, testSecret, testToken}
	muts := map[string]func(*Request){
		"method": func(r *Request) { r.Method = "POST" },
		"key":    func(r *Request) { r.Key = "a/c" },
		"upload": func(r *Request) { r.UploadID = "v" },
		"part":   func(r *Request) { r.PartNumber = 2 },
		"type":   func(r *Request) { r.Headers = []Header{{Name: "Content-Type", Value: "image/png"}} },
		"meta":   func(r *Request) { r.Headers = []Header{{Name: "x-oss-meta-owner", Value: "bob"}} },
	}
	for _, v4 := range []bool{true, false} {
		sign := func(r Request) string {
			var s string
			var err error
			if v4 {
				s, err = V4("https://b.example", testRegion, creds, r, now, time.Minute)
			} else {
				s, err = V1("https://b.example", creds, r, now, time.Minute)
			}
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(s)
			if v4 {
				return u.Query().Get("x-oss-signature")
			}
			return u.Query().Get("Signature")
		}
		ref := sign(base)
		for name, mut := range muts {
			r := base
			mut(&r)
			if sign(r) == ref {
				t.Errorf("v4=%v: changing %s keeps the signature", v4, name)
			}
		}
	}
}

func TestRefusesOtherHeaders(t *testing.T) {
	r := Request{Method: "PUT", Bucket: testBucket, Key: "k", Headers: []Header{{Name: "Content-Disposition", Value: "attachment"}}}
	if _, err := V4("https://b.example", testRegion, Credentials{testAK, testSecret, ""}, r, time.Now(), time.Minute); err != ErrHeader {
		t.Errorf("V4: %v, want ErrHeader", err)
	}
	if _, err := V1("https://b.example", Credentials{testAK, testSecret, ""}, r, time.Now(), time.Minute); err != ErrHeader {
		t.Errorf("V1: %v, want ErrHeader", err)
	}
}

func TestExpiresBounds(t *testing.T) {
	r := Request{Method: "GET", Bucket: testBucket, Key: "k"}
	c := Credentials{testAK, testSecret, ""}
	now := time.Unix(1_800_000_000, 0)
	for _, d := range []time.Duration{0, time.Millisecond, MaxExpiresV4 + time.Second} {
		if _, err := V4("https://b.example", testRegion, c, r, now, d); err == nil {
			t.Errorf("V4 with expiry %v: no error", d)
		}
	}
	s, err := V1("https://b.example", c, r, now, 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(s)
	if got := u.Query().Get("Expires"); got != strconv.FormatInt(now.Unix()+90, 10) {
		t.Errorf("V1 Expires %s", got)
	}
}
