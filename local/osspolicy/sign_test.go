package osspolicy

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"
)

// Vector: OSS/STS protocol reference §1.7 ("verified, cross-implementation":
// ali-oss signPostObjectPolicyV4 and calculatePostSignature return the same
// values for this secret, day, region and compact policy JSON).
const (
	refSecret = "yourAccessKeySecret"
	refPolicy = `{"expiration":"2023-12-03T13:00:00.000Z","conditions":[{"bucket":"examplebucket"},{"x-oss-signature-version":"OSS4-HMAC-SHA256"},{"x-oss-credential":"LTAI5tEXAMPLE/20231203/cn-hangzhou/oss/aliyun_v4_request"},{"x-oss-date":"20231203T121212Z"},["content-length-range",1,1024],["starts-with","$key","user/eric/"]]}`
	refV4Sig  = "1330f0b62b5fe0173da8ae4071591fa888b6b10c0cf00e00fc80c91079a5f8c0"
	refV1Sig  = "/lsUZajAUxlthUjseC8yn01aATQ="
)

func TestSignatureVectors(t *testing.T) {
	p := base64.StdEncoding.EncodeToString([]byte(refPolicy))
	if got := SignV1(refSecret, p); got != refV1Sig {
		t.Errorf("SignV1 = %s, want %s", got, refV1Sig)
	}
	if got := SignV4(refSecret, "20231203", "cn-hangzhou", p); got != refV4Sig {
		t.Errorf("SignV4 = %s, want %s", got, refV4Sig)
	}
	cred, err := ParseCredential("LTAI5tEXAMPLE/20231203/cn-hangzhou/oss/aliyun_v4_request")
	if err != nil {
		t.Fatal(err)
	}
	if cred != (Credential{AccessKeyID: "LTAI5tEXAMPLE", Date: "20231203", Region: "cn-hangzhou"}) {
		t.Fatalf("credential %+v", cred)
	}
	if !VerifyV1(refSecret, p, refV1Sig) || !VerifyV4(refSecret, cred, p, refV4Sig) {
		t.Fatal("reference signatures refused")
	}
	forged := []struct{ name, secret, policy, v1, v4 string }{
		{"other secret", "yourAccessKeySecreT", p, refV1Sig, refV4Sig},
		{"policy changed", refSecret, p + "=", refV1Sig, refV4Sig},
		{"empty signature", refSecret, p, "", ""},
		{"truncated signature", refSecret, p, refV1Sig[:27], refV4Sig[:63]},
		{"upper-case hex", refSecret, p, refV1Sig, "1330F0B62B5FE0173DA8AE4071591FA888B6B10C0CF00E00FC80C91079A5F8C0"},
	}
	for _, f := range forged {
		t.Run(f.name, func(t *testing.T) {
			if f.name != "upper-case hex" && VerifyV1(f.secret, f.policy, f.v1) {
				t.Error("V1 accepted")
			}
			if VerifyV4(f.secret, cred, f.policy, f.v4) {
				t.Error("V4 accepted")
			}
		})
	}
	other := cred
	other.Region = "cn-shanghai"
	if VerifyV4(refSecret, other, p, refV4Sig) {
		t.Error("V4 accepted under another region")
	}
	other = cred
	other.Date = "20231204"
	if VerifyV4(refSecret, other, p, refV4Sig) {
		t.Error("V4 accepted under another day")
	}
}

func TestParseCredential(t *testing.T) {
	terminal := want{400, "InvalidArgument", "Invalid credential: x-oss-credential must end with aliyun_v4_request.", "0002-00000710"}
	date := want{400, "InvalidArgument", "Invalid credential: the date in x-oss-credential must be YYYYMMDD.", "0002-00000223"}
	shape := want{400, "InvalidArgument", "Invalid credential: x-oss-credential must be <AccessKeyId>/<YYYYMMDD>/<region>/oss/aliyun_v4_request.", ""}
	tests := []struct {
		in   string
		want want
	}{
		{"AK/20231203/cn-hangzhou/oss/aliyun_v4_request", ok},
		{"STS.NUxyz/20231203/cn-hangzhou/oss/aliyun_v4_request", ok},
		{"AK/20231203/cn-hangzhou/oss/aws4_request", terminal},
		{"AK/20231203/cn-hangzhou/oss/aliyun_v4_request/", terminal},
		{"", terminal},
		{"AK/2023-12-03/cn-hangzhou/oss/aliyun_v4_request", date},
		{"AK/20231332/cn-hangzhou/oss/aliyun_v4_request", date},
		{"AK/+0231203/cn-hangzhou/oss/aliyun_v4_request", date},
		{"AK/20231203/cn-hangzhou/s3/aliyun_v4_request", shape},
		{"/20231203/cn-hangzhou/oss/aliyun_v4_request", shape},
		{"AK/20231203//oss/aliyun_v4_request", shape},
		{"A/K/20231203/cn-hangzhou/oss/aliyun_v4_request", shape},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseCredential(tt.in)
			check(t, err, tt.want)
		})
	}
}

func TestCheckV4Date(t *testing.T) {
	cred := Credential{AccessKeyID: "AK", Date: "20231203", Region: "cn-hangzhou"}
	badFormat := want{400, "InvalidArgument", "Invalid x-oss-date: it must be YYYYMMDDTHHMMSSZ.", ""}
	otherDay := want{400, "InvalidArgument", "Invalid x-oss-date: it is not on the date of x-oss-credential.", ""}
	skewed := want{403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", ""}
	old := want{403, "AccessDenied", "Request has expired.", ""}
	at := func(d time.Duration) time.Time { return time.Date(2023, 12, 3, 12, 12, 12, 0, time.UTC).Add(d) }
	tests := []struct {
		name, date string
		now        time.Time
		want       want
	}{
		{"same instant", "20231203T121212Z", at(0), ok},
		{"signed 10 minutes ago", "20231203T121212Z", at(10 * time.Minute), ok},
		{"15 minutes ahead is allowed", "20231203T121212Z", at(-15 * time.Minute), ok},
		{"15 minutes 1 second ahead", "20231203T121212Z", at(-15*time.Minute - time.Second), skewed},
		{"exactly 7 days old", "20231203T121212Z", at(7 * 24 * time.Hour), ok},
		{"7 days and 1 second old", "20231203T121212Z", at(7*24*time.Hour + time.Second), old},
		{"not the credential day", "20231204T000000Z", at(0), otherDay},
		{"ISO with dashes", "2023-12-03T12:12:12Z", at(0), badFormat},
		{"RFC 1123", "Sun, 03 Dec 2023 12:12:12 GMT", at(0), badFormat},
		{"no Z", "20231203T121212", at(0), badFormat},
		{"empty", "", at(0), badFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CheckV4Date(tt.date, cred, tt.now)
			check(t, err, tt.want)
		})
	}
	got, err := CheckV4Date("20231203T121212Z", cred, at(0))
	if err != nil || !got.Equal(at(0)) {
		t.Fatalf("%v %v", got, err)
	}
	var e *Error
	if _, err := CheckV4Date("x", cred, at(0)); !errors.As(err, &e) {
		t.Fatalf("not an *Error: %v", err)
	}
}
