package postpolicy

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The §1.7 vector of the OSS/STS protocol reference (/work/shared/reference/oss-sts-protocols.md,
// "OSS/STS protocol reference §1.7"): a V4 POST policy whose signature ali-oss
// signPostObjectPolicyV4 reproduces, and whose V1 signature equals ali-oss
// calculatePostSignature. Copied here verbatim; never computed by this package.
const (
	vectorSecret = "yourAccessKeySecret"
	vectorDay    = "20231203"
	vectorRegion = "cn-hangzhou"
	vectorJSON   = `{"expiration":"2023-12-03T13:00:00.000Z","conditions":[{"bucket":"examplebucket"},{"x-oss-signature-version":"OSS4-HMAC-SHA256"},{"x-oss-credential":"LTAI5tEXAMPLE/20231203/cn-hangzhou/oss/aliyun_v4_request"},{"x-oss-date":"20231203T121212Z"},["content-length-range",1,1024],["starts-with","$key","user/eric/"]]}`
	vectorV4Sig  = "1330f0b62b5fe0173da8ae4071591fa888b6b10c0cf00e00fc80c91079a5f8c0"
	vectorV1Sig  = "/lsUZajAUxlthUjseC8yn01aATQ="
)

func vectorPolicy() Policy {
	signed := time.Date(2023, 12, 3, 12, 12, 12, 0, time.UTC)
	return Policy{
		Expiration: time.Date(2023, 12, 3, 13, 0, 0, 0, time.UTC),
		Conditions: []Condition{
			Exact("bucket", "examplebucket"),
			Exact("x-oss-signature-version", SignatureVersionV4),
			Exact("x-oss-credential", CredentialV4("LTAI5tEXAMPLE", signed, vectorRegion)),
			Exact("x-oss-date", DateV4(signed)),
			ContentLengthRange(1, 1024),
			StartsWith("key", "user/eric/"),
		},
	}
}

func TestMarshalMatchesVector(t *testing.T) {
	b, err := vectorPolicy().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != vectorJSON {
		t.Fatalf("Marshal:\n got %s\nwant %s", b, vectorJSON)
	}
}

func TestSignVectors(t *testing.T) {
	b64, err := vectorPolicy().Encode()
	if err != nil {
		t.Fatal(err)
	}
	if got := SignV4(SigningKeyV4(vectorSecret, vectorDay, vectorRegion), b64); got != vectorV4Sig {
		t.Errorf("SignV4 = %s, want %s", got, vectorV4Sig)
	}
	signer := NewV4Signer(SigningKeyV4(vectorSecret, vectorDay, vectorRegion))
	for range 2 { // reused state must not leak between signatures
		if got := signer.Sign([]byte(b64)); got != vectorV4Sig {
			t.Errorf("V4Signer.Sign = %s, want %s", got, vectorV4Sig)
		}
	}
	if got := SignV1(vectorSecret, b64); got != vectorV1Sig {
		t.Errorf("SignV1 = %s, want %s", got, vectorV1Sig)
	}
	// A different day, region or secret must change the V4 signature.
	for _, k := range [][]byte{
		SigningKeyV4(vectorSecret, "20231204", vectorRegion),
		SigningKeyV4(vectorSecret, vectorDay, "cn-shanghai"),
		SigningKeyV4(vectorSecret+"x", vectorDay, vectorRegion),
	} {
		if SignV4(k, b64) == vectorV4Sig {
			t.Error("signature did not depend on the scope")
		}
	}
}

func TestExpirationIsUTC(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	p := Policy{Expiration: time.Date(2023, 12, 3, 21, 0, 0, 123456789, shanghai)}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"expiration":"2023-12-03T13:00:00.123Z","conditions":[]}`; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
	if _, err := (Policy{Expiration: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}).Marshal(); err == nil {
		t.Error("year 10000 marshalled")
	}
}

func TestConditionForms(t *testing.T) {
	p := Policy{
		Expiration: time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC),
		Conditions: []Condition{
			Eq("Content-Type", "image/png"),
			In("content-type", "image/jpeg", "image/png"),
			NotIn("cache-control", "no-cache"),
			Exact("x-oss-meta-owner", `a"<b>&\`),
		},
	}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"expiration":"2024-01-02T03:04:05.006Z","conditions":[["eq","$Content-Type","image/png"],["in","$content-type",["image/jpeg","image/png"]],["not-in","$cache-control",["no-cache"]],{"x-oss-meta-owner":"a\"\u003cb\u003e\u0026\\"}]}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	q, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Equal(p) {
		t.Fatalf("round trip: %+v != %+v", q, p)
	}
}

func TestParse(t *testing.T) {
	ok := []struct{ name, doc string }{
		{"vector", vectorJSON},
		{"rfc3339 expiration", `{"expiration":"2013-12-01T12:00:00Z","conditions":[["content-length-range", 0, 10485760],{"bucket":"ahaha"}, {"A": "a"},{"key": "ABC"}]}`},
		{"upper-case op", `{"expiration":"2013-12-01T12:00:00.000Z","conditions":[["EQ","$key","a"]]}`},
		{"no conditions", `{"expiration":"2013-12-01T12:00:00.000Z"}`},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse([]byte(tc.doc)); err != nil {
				t.Fatal(err)
			}
		})
	}
	bad := []struct{ name, doc string }{
		{"not json", `{`},
		{"missing expiration", `{"conditions":[]}`},
		{"numeric expiration", `{"expiration":1,"conditions":[]}`},
		{"empty expiration", `{"expiration":"","conditions":[]}`},
		{"unknown member", `{"expiration":"2013-12-01T12:00:00.000Z","x":1}`},
		{"trailing data", `{"expiration":"2013-12-01T12:00:00.000Z"} {}`},
		{"scalar condition", `{"expiration":"2013-12-01T12:00:00.000Z","conditions":["x"]}`},
		{"two properties", `{"expiration":"2013-12-01T12:00:00.000Z","conditions":[{"a":"1","b":"2"}]}`},
		{"duplicate property", `{"expiration":"2013-12-01T12:00:00.000Z","conditions":[{"a":"1","a":"2"}]}`},
		{"empty object", `{"expiration":"2013-12-01T12:00:00.000Z","conditions":[{}]}`},
		{"null value", `{"expiration":"2013-12-01T12:00:00.000Z","conditions":[{"a":null}]}`},
		{"numeric value", `{"expiration":"2013-12-01T12:00:00.000Z","conditions":[{"a":1}]}`},
		{"short array", `{"expiration":"2013-12-01T12:00:00.000Z","conditions":[["eq","$key"]]}`},
		{"unknown op", `{"expiration":"2013-12-01T12:00:00.000Z","conditions":[["like","$key","a"]]}`},
		{"field without $", `{"expiration":"2013-12-01T12:00:00.000Z","conditions":[["eq","key","a"]]}`},
		{"range min > max", `{"expiration":"2013-12-01T12:00:00.000Z","conditions":[["content-length-range",5,1]]}`},
		{"range float", `{"expiration":"2013-12-01T12:00:00.000Z","conditions":[["content-length-range",1.5,3]]}`},
		{"range string", `{"expiration":"2013-12-01T12:00:00.000Z","conditions":[["content-length-range","1",3]]}`},
		{"in scalar", `{"expiration":"2013-12-01T12:00:00.000Z","conditions":[["in","$content-type","image/png"]]}`},
		{"eq null", `{"expiration":"2013-12-01T12:00:00.000Z","conditions":[["eq","$key",null]]}`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%s) = %v, want ErrInvalid", tc.doc, err)
			}
		})
	}
}

func TestParseBase64(t *testing.T) {
	b64, err := vectorPolicy().Encode()
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseBase64(b64)
	if err != nil || !p.Equal(vectorPolicy()) {
		t.Fatalf("ParseBase64 = %+v, %v", p, err)
	}
	if _, err := ParseBase64("!!" + b64); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad base64: %v", err)
	}
}

func TestCredentialAndDate(t *testing.T) {
	// 23:30 in UTC-5 is already the next day in UTC: the scope must follow UTC.
	t0 := time.Date(2023, 12, 2, 19, 12, 12, 0, time.FixedZone("EST", -5*3600))
	if got, want := CredentialV4("AK", t0, "cn-hangzhou"), "AK/20231203/cn-hangzhou/oss/aliyun_v4_request"; got != want {
		t.Errorf("CredentialV4 = %s, want %s", got, want)
	}
	if got := DateV4(t0); got != "20231203T001212Z" {
		t.Errorf("DateV4 = %s", got)
	}
	if strings.Contains(DateV4(t0), "-") {
		t.Error("dashes in x-oss-date")
	}
}
