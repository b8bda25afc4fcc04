package oss

import (
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/ossupload/ossupload/local/iam"
)

// vectorServer serves bucket "bucket" to AccessKey "ak"/"sk" (the key pair
// of the SDK vectors) at the given time.
func vectorServer(t *testing.T, now time.Time) *Server {
	t.Helper()
	ids, err := iam.NewStore("", func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	if err := ids.AddRoot("ak", "sk"); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Region: "cn-hangzhou", DataDir: t.TempDir(), IAM: ids, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateBucket("bucket", nil); err != nil {
		t.Fatal(err)
	}
	return srv
}

// The §2.5 V4 header vectors as whole HTTP requests through ServeHTTP:
// authorization parsing (both separator styles), timestamp rules, the
// virtual-host key "1234+-/123/1.txt" and the canonicalisation together.
func TestV4HeaderVectorsEndToEnd(t *testing.T) {
	tests := []struct{ name, ts, token, authz string }{
		{"plain", "20231216T162057Z", "", "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"},
		{"token, doc separators", "20231217T034736Z", "token", "OSS4-HMAC-SHA256 Credential=ak/20231217/cn-hangzhou/oss/aliyun_v4_request, Signature=b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea"},
		{"additional headers", "20231216T172512Z", "", "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request, AdditionalHeaders=abc;zabc, Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now, _ := time.Parse(isoBasic, tt.ts)
			srv := vectorServer(t, now.Add(3*time.Minute))
			r := v4Request("text/plain")
			r.Method = "PUT"
			r.Host = "bucket.oss-cn-hangzhou.aliyuncs.com"
			r.URL.Path, r.URL.RawPath = "/1234+-/123/1.txt", "/1234%2B-%2F123%2F1.txt"
			r.Header.Set("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
			r.Header.Set("x-oss-date", tt.ts)
			if tt.token != "" {
				r.Header.Set("x-oss-security-token", tt.token)
			}
			r.Header.Set("Authorization", tt.authz)
			r.RemoteAddr = "192.0.2.1:1234"
			r.Body = httptest.NewRequest("PUT", "/", nil).Body
			rec := do(srv, r)
			if rec.Code != 200 {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if _, err := srv.store.Stat("bucket", "1234+-/123/1.txt"); err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Authorization", tt.authz[:len(tt.authz)-1]+"0")
			if rec := do(srv, r); rec.Code != 403 || decodeError(t, rec).Code != "SignatureDoesNotMatch" {
				t.Fatalf("altered signature: %d %s", rec.Code, rec.Body)
			}
		})
	}
}

// The §2.4 V1 presigned URL vector as a request: authenticated (so the
// answer is NoSuchKey, not a 403) before Expires, "Request has expired." after.
func TestV1URLVectorEndToEnd(t *testing.T) {
	srv := vectorServer(t, time.Unix(1699807420-60, 0))
	u := "http://127.0.0.1:9000/bucket/key?versionId=versionId&OSSAccessKeyId=ak&Expires=1699807420&Signature=" + url.QueryEscape("dcLTea+Yh9ApirQ8o8dOPqtvJXQ=")
	rec := do(srv, httptest.NewRequest("GET", u, nil))
	if e := decodeError(t, rec); rec.Code != 404 || e.Code != "NoSuchKey" {
		t.Fatalf("%d %+v", rec.Code, e)
	}
	srv = vectorServer(t, time.Unix(1699807421, 0))
	rec = do(srv, httptest.NewRequest("GET", u, nil))
	if e := decodeError(t, rec); rec.Code != 403 || e.Code != "AccessDenied" || e.Message != "Request has expired." {
		t.Fatalf("expired: %d %+v", rec.Code, e)
	}
}

func TestParseAuthorizationV4(t *testing.T) {
	for _, in := range []string{
		" Credential=a/b,AdditionalHeaders=x;y,Signature=ff",
		" Credential=a/b, AdditionalHeaders=x;y, Signature=ff",
		"  Credential = a/b ,AdditionalHeaders=x;y , Signature=ff ",
	} {
		cred, add, sig, _, err := parseAuthorizationV4(in)
		if err != nil || cred != "a/b" || add != "x;y" || sig != "ff" {
			t.Errorf("%q: %q %q %q %v", in, cred, add, sig, err)
		}
	}
	for _, in := range []string{"Credential=a/b,Signature=ff", " Credential=a/b,AdditionalHeaders=,Signature=ff", " Credential=a/b", " Signature=ff", " Foo=1,Credential=a,Signature=f", " Credential"} {
		if _, _, _, _, err := parseAuthorizationV4(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
