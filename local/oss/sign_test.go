package oss

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ossupload/ossupload/local/iam"
)

// Vectors from the OSS/STS protocol reference §2.3 (aliyun/alibabacloud-oss-go-sdk-v2
// oss/signer/signer_v1_test.go and the OSS "Include signatures in the
// Authorization header" doc page).
func TestSignV1Vectors(t *testing.T) {
	tests := []struct {
		name, secret, stringToSign, want string
	}{
		{"v2 SDK test 1", "sk", "PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\nx-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n/examplebucket/nelson", "kSHKmLxlyEAKtZPkJhG9bZb5k7M="},
		{"v2 SDK test 2", "sk", "PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\nx-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n/examplebucket/nelson?acl", "/afkugFbmWDQ967j1vr6zygBLQk="},
		{"v2 SDK test 3", "sk", "GET\n\n\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\n/examplebucket/?resourceGroup", "vkQmfuUDyi1uDi3bKt67oemssIs="},
		{"v2 SDK test 4", "sk", "GET\n\n\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\n/examplebucket/?acl&resourceGroup", "x3E5TgOvl/i7PN618s5mEvpJDYk="},
		{"OSS doc header example", "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV", "PUT\nODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=\ntext/html\nThu, 17 Nov 2005 18:49:58 GMT\nx-oss-magic:abracadabra\nx-oss-meta-author:foo@bar.com\n/oss-example/nelson", "26NBxoKdsyly4EDv6inkoDft/yA="},
		// §2.4 V1 presigned URL vectors (v2 SDK presign tests): Expires in the DATE slot.
		{"v2 SDK presign", "sk", "GET\n\n\n1699807420\n/bucket/key?versionId=versionId", "dcLTea+Yh9ApirQ8o8dOPqtvJXQ="},
		{"v2 SDK presign with token", "sk", "GET\n\n\n1699808204\n/bucket/key+123?security-token=token&versionId=versionId", "jzKYRrM5y6Br0dRFPaTGOsbrDhY="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := signV1(tt.secret, tt.stringToSign); got != tt.want {
				t.Errorf("signV1 = %s, want %s", got, tt.want)
			}
		})
	}
}

// The canonicalisation steps rebuild the StringToSign of the §2.3 vectors
// from request parts.
func TestStringToSignV1FromRequest(t *testing.T) {
	h := http.Header{}
	h.Set("Content-MD5", "eB5eJF1ptWaXm4bijSPyxw==")
	h.Set("Content-Type", "text/html")
	h.Set("Date", "Wed, 28 Dec 2022 10:27:41 GMT")
	h.Set("x-oss-date", "Wed, 28 Dec 2022 10:27:41 GMT")
	h.Set("X-Oss-Meta-Author", "alice")
	h.Set("x-oss-meta-magic", "abracadabra")
	h.Set("Cache-Control", "no-cache") // not signed
	sts := stringToSignV1("PUT", h.Get("Content-MD5"), h.Get("Content-Type"), h.Get("x-oss-date"),
		canonicalOSSHeadersV1(h), canonicalResourceV1("examplebucket", "nelson", url.Values{}))
	if got := signV1("sk", sts); got != "kSHKmLxlyEAKtZPkJhG9bZb5k7M=" {
		t.Errorf("signature %s for %q", got, sts)
	}
	q, _ := url.ParseQuery("resourceGroup&non-resousce=null")
	if got := canonicalResourceV1("examplebucket", "", q); got != "/examplebucket/?resourceGroup" {
		t.Errorf("resource = %q", got)
	}
	q, _ = url.ParseQuery("versionId=versionId&security-token=token&Expires=1&OSSAccessKeyId=ak&Signature=x")
	if got := canonicalResourceV1("bucket", "key+123", q); got != "/bucket/key+123?security-token=token&versionId=versionId" {
		t.Errorf("resource = %q", got)
	}
}

// v4Request is the request of the §2.5 vectors (v2 SDK signer_v4_test.go and
// aliyun-oss-go-sdk v3.0.2 conn_test.go): bucket "bucket", key
// "1234+-/123/1.txt", four extra headers, the odd query parameters.
func v4Request(contentType string) *http.Request {
	r := &http.Request{Method: "PUT", Header: http.Header{}, URL: &url.URL{}}
	r.Header.Set("x-oss-head1", "value")
	r.Header.Set("abc", "value")
	r.Header.Set("ZAbc", "value")
	r.Header.Set("XYZ", "value")
	r.Header.Set("content-type", contentType)
	q := url.Values{}
	q.Set("param1", "value1")
	q.Set("+param1", "value3")
	q.Set("|param1", "value4")
	q.Set("+param2", "")
	q.Set("|param2", "")
	q.Set("param2", "")
	r.URL.RawQuery = q.Encode()
	return r
}

func TestCanonicalRequestV4Vector(t *testing.T) {
	r := v4Request("text/plain")
	r.Header.Set("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
	r.Header.Set("x-oss-date", "20231216T162057Z")
	got := canonicalRequestV4("PUT", canonicalURIV4("bucket", "1234+-/123/1.txt"), canonicalQueryV4(r.URL.Query(), "", queryBare),
		canonicalHeadersV4(r.Header, nil), nil, "UNSIGNED-PAYLOAD")
	want := "PUT\n/bucket/1234%2B-/123/1.txt\n%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\n" +
		"content-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD"
	if got != want {
		t.Errorf("canonical request\n%q\nwant\n%q", got, want)
	}
}

func TestVerifyV4HeaderVectors(t *testing.T) {
	tests := []struct {
		name, ts, token, additional, want string
	}{
		{"plain", "20231216T162057Z", "", "", "e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"},
		{"token", "20231217T034736Z", "token", "", "b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea"},
		{"additional headers", "20231216T172512Z", "", "abc;zabc", "4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f"},
	}
	p := &iam.Principal{AccessKeyID: "ak", AccessKeySecret: "sk"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := v4Request("text/plain")
			r.Header.Set("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
			r.Header.Set("x-oss-date", tt.ts)
			if tt.token != "" {
				r.Header.Set("x-oss-security-token", tt.token)
			}
			var add []string
			if tt.additional != "" {
				add = additionalHeadersV4([]string{"abc", "zabc"})
			}
			cred := credentialV4{accessKeyID: "ak", day: tt.ts[:8], region: "cn-hangzhou", product: "oss"}
			a := authRequest{r: r, bucket: "bucket", key: "1234+-/123/1.txt"}
			if err := verifyV4(a, p, cred, tt.ts, r.URL.Query(), "", add, "UNSIGNED-PAYLOAD", tt.want); err != nil {
				t.Fatalf("vector signature refused: %v", err)
			}
			if err := verifyV4(a, p, cred, tt.ts, r.URL.Query(), "", add, "UNSIGNED-PAYLOAD", tt.want[:63]+"0"); err == nil {
				t.Fatal("altered signature accepted")
			}
		})
	}
}

// §2.6 V4 presigned URL vectors. The first URL is verbatim from
// aliyun-oss-go-sdk v3.0.2 conn_test.go (TestSignURLV4...).
func TestVerifyV4URLVectors(t *testing.T) {
	tests := []struct {
		name, date, extra, want string
		additional              bool
	}{
		{"plain", "20231217T025437Z", "", "a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe", false},
		{"token", "20231217T035628Z", "x-oss-security-token=token", "3817ac9d206cd6dfc90f1c09c00be45005602e55898f26f5ddb06d7892e1f8b5", false},
		{"additional headers", "20231217T033009Z", "x-oss-additional-headers=abc%3Bzabc", "6bd984bfe531afb6db1f7550983a741b103a8c58e5e14f83ea474c2322dfa2b7", true},
	}
	p := &iam.Principal{AccessKeyID: "ak", AccessKeySecret: "sk"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := "%2Bparam1=value3&%2Bparam2&param1=value1&param2&x-oss-credential=ak%2F" + tt.date[:8] +
				"%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=" + tt.date + "&x-oss-expires=599&x-oss-signature=" + tt.want +
				"&x-oss-signature-version=OSS4-HMAC-SHA256&%7Cparam1=value4&%7Cparam2"
			if tt.extra != "" {
				raw += "&" + tt.extra
			}
			u, err := url.Parse("http://bucket.oss-cn-hangzhou.aliyuncs.com/1234%2B-%2F123%2F1.txt?" + raw)
			if err != nil {
				t.Fatal(err)
			}
			r := &http.Request{Method: "PUT", URL: u, Header: v4Request("application/octet-stream").Header, Host: u.Host}
			bucket, key := resolve(r.Host, u.Path)
			if bucket != "bucket" || key != "1234+-/123/1.txt" {
				t.Fatalf("resolve = %q %q", bucket, key)
			}
			var add []string
			if tt.additional {
				add = additionalHeadersV4([]string{"abc", "zabc"})
			}
			cred, err := parseCredentialV4(u.Query().Get("x-oss-credential"))
			if err != nil {
				t.Fatal(err)
			}
			a := authRequest{r: r, bucket: bucket, key: key}
			if err := verifyV4(a, p, cred, tt.date, u.Query(), "x-oss-signature", add, "UNSIGNED-PAYLOAD", tt.want); err != nil {
				t.Fatalf("vector URL refused: %v", err)
			}
		})
	}
}

// §1.7 PostObject vectors (cross-checked with ali-oss signPostObjectPolicyV4
// and calculatePostSignature): the string to sign is the base64 policy.
func TestPostPolicySignatureVectors(t *testing.T) {
	policy := `{"expiration":"2023-12-03T13:00:00.000Z","conditions":[{"bucket":"examplebucket"},{"x-oss-signature-version":"OSS4-HMAC-SHA256"},{"x-oss-credential":"LTAI5tEXAMPLE/20231203/cn-hangzhou/oss/aliyun_v4_request"},{"x-oss-date":"20231203T121212Z"},["content-length-range",1,1024],["starts-with","$key","user/eric/"]]}`
	b64 := base64Std(policy)
	if got := signV4(signingKeyV4("yourAccessKeySecret", "20231203", "cn-hangzhou", "oss"), b64); got != "1330f0b62b5fe0173da8ae4071591fa888b6b10c0cf00e00fc80c91079a5f8c0" {
		t.Errorf("V4 post signature = %s", got)
	}
	if got := signV1("yourAccessKeySecret", b64); got != "/lsUZajAUxlthUjseC8yn01aATQ=" {
		t.Errorf("V1 post signature = %s", got)
	}
}

func TestResolve(t *testing.T) {
	tests := []struct{ host, path, bucket, key string }{
		{"127.0.0.1:9000", "/examplebucket/uploads/user-42/hello world+ü.txt", "examplebucket", "uploads/user-42/hello world+ü.txt"},
		{"localhost:9000", "/b1/k", "b1", "k"},
		{"[::1]:9000", "/b1/a/b", "b1", "a/b"},
		{"b1.localhost:9000", "/a/b.txt", "b1", "a/b.txt"},
		{"examplebucket.oss-cn-hangzhou.aliyuncs.com", "/uploads/x", "examplebucket", "uploads/x"},
		{"oss-cn-hangzhou.aliyuncs.com", "/b1/k", "b1", "k"},
		{"127.0.0.1:9000", "/b1", "b1", ""},
		{"127.0.0.1:9000", "/b1/", "b1", ""},
		{"127.0.0.1:9000", "/", "", ""},
	}
	for _, tt := range tests {
		if b, k := resolve(tt.host, tt.path); b != tt.bucket || k != tt.key {
			t.Errorf("resolve(%q, %q) = %q, %q; want %q, %q", tt.host, tt.path, b, k, tt.bucket, tt.key)
		}
	}
}
