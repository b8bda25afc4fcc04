package osspolicy

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// SignatureVersionV4 is the x-oss-signature-version value of V4 forms.
const SignatureVersionV4 = "OSS4-HMAC-SHA256"

// V4 time rules (OSS/STS protocol reference §1.4).
const (
	MaxFutureSkew = 15 * time.Minute   // x-oss-date may be at most this far ahead of the server
	MaxSignAge    = 7 * 24 * time.Hour // a V4 form signature is honoured at most this long
)

// SignV1 is the V1 PostObject signature: base64(HMAC-SHA1(secret, policy)),
// where policy is the base64 text exactly as sent in the form.
func SignV1(secret, policyB64 string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(policyB64))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VerifyV1 reports whether signature is the V1 signature of policyB64,
// comparing in constant time.
func VerifyV1(secret, policyB64, signature string) bool {
	return hmac.Equal([]byte(SignV1(secret, policyB64)), []byte(signature))
}

func hmac256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// SigningKeyV4 derives the V4 signing key for a day (YYYYMMDD) and region:
// HMAC chain over "aliyun_v4"+secret, day, region, "oss", "aliyun_v4_request".
func SigningKeyV4(secret, day, region string) []byte {
	k := hmac256([]byte("aliyun_v4"+secret), day)
	k = hmac256(k, region)
	k = hmac256(k, "oss")
	return hmac256(k, "aliyun_v4_request")
}

// SignV4 is the V4 PostObject signature: hex(HMAC-SHA256(signing key,
// policy)), the string to sign being the base64 policy text as sent.
func SignV4(secret, day, region, policyB64 string) string {
	return hex.EncodeToString(hmac256(SigningKeyV4(secret, day, region), policyB64))
}

// VerifyV4 reports whether signature (lower-case hex, as OSS sends it) is
// the V4 signature of policyB64 under cred's day and region, comparing in
// constant time.
func VerifyV4(secret string, cred Credential, policyB64, signature string) bool {
	return hmac.Equal([]byte(SignV4(secret, cred.Date, cred.Region, policyB64)), []byte(signature))
}

// Credential is a parsed x-oss-credential:
// <AccessKeyId>/<YYYYMMDD>/<region>/oss/aliyun_v4_request.
type Credential struct {
	AccessKeyID string
	Date        string // YYYYMMDD
	Region      string
}

func invalidArgument(ec, msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidArgument, Message: msg, EC: ec}
}

// ParseCredential parses an x-oss-credential form value. A value not ending
// in aliyun_v4_request gives EC 0002-00000710, a date that is not YYYYMMDD
// (for example with dashes) 0002-00000223; both are 400 InvalidArgument.
func ParseCredential(s string) (Credential, error) {
	parts := strings.Split(s, "/")
	if parts[len(parts)-1] != "aliyun_v4_request" {
		return Credential{}, invalidArgument(ECCredentialTerminal, "Invalid credential: x-oss-credential must end with aliyun_v4_request.")
	}
	if len(parts) != 5 || parts[0] == "" || parts[2] == "" || parts[3] != "oss" {
		return Credential{}, invalidArgument("", "Invalid credential: x-oss-credential must be <AccessKeyId>/<YYYYMMDD>/<region>/oss/aliyun_v4_request.")
	}
	if _, err := time.Parse("20060102", parts[1]); err != nil || len(parts[1]) != 8 {
		return Credential{}, invalidArgument(ECCredentialDateFormat, "Invalid credential: the date in x-oss-credential must be YYYYMMDD.")
	}
	return Credential{AccessKeyID: parts[0], Date: parts[1], Region: parts[2]}, nil
}

// CheckV4Date checks the x-oss-date form value of a V4 form against its
// credential and the server time now: the format YYYYMMDDTHHMMSSZ (400
// InvalidArgument), the same day as the credential (400 InvalidArgument),
// at most MaxFutureSkew ahead of now (403 RequestTimeTooSkewed) and at most
// MaxSignAge old (403 AccessDenied). It returns the parsed time. The policy
// expiration is checked separately by Evaluate and still governs.
func CheckV4Date(xOSSDate string, cred Credential, now time.Time) (time.Time, error) {
	t, err := time.Parse("20060102T150405Z", xOSSDate)
	if err != nil || len(xOSSDate) != 16 {
		return time.Time{}, invalidArgument("", "Invalid x-oss-date: it must be YYYYMMDDTHHMMSSZ.")
	}
	if xOSSDate[:8] != cred.Date {
		return time.Time{}, invalidArgument("", "Invalid x-oss-date: it is not on the date of x-oss-credential.")
	}
	if t.Sub(now) > MaxFutureSkew {
		return time.Time{}, &Error{Status: http.StatusForbidden, Code: CodeRequestTimeTooSkewed,
			Message: "The difference between the request time and the current time is too large."}
	}
	if now.Sub(t) > MaxSignAge {
		return time.Time{}, &Error{Status: http.StatusForbidden, Code: CodeAccessDenied, Message: "Request has expired."}
	}
	return t, nil
}
