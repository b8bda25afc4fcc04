package postpolicy

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"time"
)

// V4 constants (OSS/STS protocol reference §1.4).
const (
	// SignatureVersionV4 is the value of the x-oss-signature-version field.
	SignatureVersionV4 = "OSS4-HMAC-SHA256"
	// DayLayout formats the scope date of x-oss-credential.
	DayLayout = "20060102"
	// DateLayout formats x-oss-date.
	DateLayout      = "20060102T150405Z"
	scopeService    = "oss"
	scopeTerminator = "aliyun_v4_request"
)

// SignV1 returns the V1 "Signature" form value:
// base64(HMAC-SHA1(secret, policyB64)).
func SignV1(secret, policyB64 string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(policyB64))
	var sum [sha1.Size]byte
	return base64.StdEncoding.EncodeToString(m.Sum(sum[:0]))
}

// SigningKeyV4 derives the V4 signing key for day ("YYYYMMDD") and region:
// k1 = HMAC("aliyun_v4"+secret, day), k2 = HMAC(k1, region),
// k3 = HMAC(k2, "oss"), k4 = HMAC(k3, "aliyun_v4_request").
// The key is valid for every policy signed on that day in that region.
func SigningKeyV4(secret, day, region string) []byte {
	k := hmacSHA256([]byte("aliyun_v4"+secret), day)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, scopeService)
	return hmacSHA256(k, scopeTerminator)
}

// SignV4 returns the x-oss-signature form value:
// hex(HMAC-SHA256(signingKey, policyB64)).
func SignV4(signingKey []byte, policyB64 string) string {
	return hex.EncodeToString(hmacSHA256(signingKey, policyB64))
}

// V4Signer signs policies with one signing key, reusing its HMAC state so
// that signing allocates only the result. It is not safe for concurrent use.
type V4Signer struct {
	mac hash.Hash
	sum [sha256.Size]byte // Sum's destination; a local would escape through the interface call
}

// NewV4Signer returns a signer for a key from SigningKeyV4.
func NewV4Signer(signingKey []byte) *V4Signer {
	return &V4Signer{mac: hmac.New(sha256.New, signingKey)}
}

// Sign returns hex(HMAC-SHA256(signingKey, policyB64)), as SignV4.
func (s *V4Signer) Sign(policyB64 []byte) string {
	s.mac.Reset()
	s.mac.Write(policyB64)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], s.mac.Sum(s.sum[:0]))
	return string(out[:])
}

// CredentialV4 returns the x-oss-credential value
// "<AccessKeyId>/<YYYYMMDD>/<region>/oss/aliyun_v4_request" for the UTC day of t.
func CredentialV4(accessKeyID string, t time.Time, region string) string {
	var day [8]byte
	return accessKeyID + "/" + string(t.UTC().AppendFormat(day[:0], DayLayout)) + "/" + region + "/" + scopeService + "/" + scopeTerminator
}

// DateV4 returns the x-oss-date value of t ("YYYYMMDDTHHMMSSZ", UTC).
func DateV4(t time.Time) string { return t.UTC().Format(DateLayout) }

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
