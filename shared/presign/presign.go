// Package presign builds OSS presigned URLs (V4 "OSS4-HMAC-SHA256" and V1
// "OSSAccessKeyId/Expires/Signature") for one request on one object: pure
// functions, the time passed in, no I/O.
//
// The rules are those of the official Go SDK, aliyun-oss-go-sdk v3.0.2:
// oss/conn.go (Conn.signURL, getSubResource, getResourceV4, getURLParams)
// and oss/auth.go (getSignedStrV4, getSignedStr), documented at
// https://help.aliyun.com/zh/oss/developer-reference/add-signatures-to-urls
// (V4) and
// https://help.aliyun.com/zh/oss/developer-reference/ddd-signatures-to-urls
// (V1). The tests compare every URL with the SDK's Bucket.SignURL.
//
// A presigned URL signs the method, the bucket and key, the sub-resources
// (uploads, uploadId, partNumber), the security token and every header in
// Request.Headers. Both versions sign Content-Type and every x-oss-* header
// the request carries, so a browser can neither drop nor change nor add one
// (a V1 or V4 request with an x-oss-* header the URL did not sign fails with
// SignatureDoesNotMatch). No payload hash is signed (UNSIGNED-PAYLOAD): the
// URL does not bound the body's size.
package presign

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ossupload/ossupload/shared/postpolicy"
)

// MaxExpiresV4 is the longest lifetime OSS accepts for a V4 presigned URL
// (x-oss-expires, 7 days; "add-signatures-to-urls").
const MaxExpiresV4 = 7 * 24 * time.Hour

// Header is one request header the URL signs. Only Content-Type,
// Content-MD5 and x-oss-* headers may be given: these are the headers both
// versions sign without being told (no x-oss-additional-headers).
type Header struct{ Name, Value string }

// Request is the request to presign.
type Request struct {
	Method string // GET, PUT, POST, DELETE, HEAD
	Bucket string
	Key    string // the object key, not escaped

	Uploads    bool   // "?uploads" (InitiateMultipartUpload)
	UploadID   string // "uploadId=" (UploadPart, ListParts, Complete, Abort)
	PartNumber int    // "partNumber=" (UploadPart); 0: none

	Headers []Header // sent by the browser exactly as given
}

// Credentials sign the URL; a non-empty SecurityToken (STS, or FC's role
// credentials) goes into the URL as x-oss-security-token (V4) or
// security-token (V1), and is signed.
type Credentials struct {
	AccessKeyID, AccessKeySecret, SecurityToken string
}

// ErrHeader reports a header a presigned URL cannot sign by default.
var ErrHeader = errors.New("presign: only Content-Type, Content-MD5 and x-oss-* headers can be signed")

// param is one query parameter, unescaped.
type param struct{ name, value string }

// subResources returns the request's sub-resources.
func (r *Request) subResources(out []param) []param {
	if r.Uploads {
		out = append(out, param{"uploads", ""})
	}
	if r.UploadID != "" {
		out = append(out, param{"uploadId", r.UploadID})
	}
	if r.PartNumber > 0 {
		out = append(out, param{"partNumber", strconv.Itoa(r.PartNumber)})
	}
	return out
}

// canonicalHeaders returns "name:value\n" for each header, names lower-cased,
// values trimmed of spaces, sorted by name (oss/auth.go getSignedStrV4;
// V1's getSignedStr differs only in not trimming, and the values given here
// have no outer spaces).
func (r *Request) canonicalHeaders(b *strings.Builder, withTypeAndMD5 bool) (contentType, contentMD5 string, err error) {
	hs := make([]param, 0, len(r.Headers))
	for _, h := range r.Headers {
		n := strings.ToLower(h.Name)
		v := strings.Trim(h.Value, " ")
		switch {
		case n == "content-type":
			contentType = v
		case n == "content-md5":
			contentMD5 = v
		case strings.HasPrefix(n, "x-oss-"):
		default:
			return "", "", ErrHeader
		}
		if withTypeAndMD5 || strings.HasPrefix(n, "x-oss-") {
			hs = append(hs, param{n, v})
		}
	}
	slices.SortFunc(hs, func(a, b param) int { return strings.Compare(a.name, b.name) })
	for _, h := range hs {
		b.WriteString(h.name)
		b.WriteByte(':')
		b.WriteString(h.value)
		b.WriteByte('\n')
	}
	return contentType, contentMD5, nil
}

// objectURL is base + "/" + the escaped key: base is OSS_UPLOAD_URL, either
// the virtual-hosted "https://<bucket>.<endpoint>" or a path-style
// "http://host:port/<bucket>".
func objectURL(b *strings.Builder, base, key string) {
	b.WriteString(strings.TrimSuffix(base, "/"))
	b.WriteByte('/')
	escape(b, key, true)
}

// escape percent-encodes s as url.QueryEscape does, with "%20" for a space
// and, when keepSlash, "/" left as is (oss/conn.go getResourceV4 and
// getSubResource).
func escape(b *strings.Builder, s string, keepSlash bool) {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/') {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
}

// writeQuery writes the parameters sorted by name, each "name=value" or a
// bare "name" when the value is empty, escaped.
func writeQuery(b *strings.Builder, ps []param) {
	slices.SortFunc(ps, func(a, b param) int { return strings.Compare(a.name, b.name) })
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('&')
		}
		escape(b, p.name, false)
		if p.value != "" {
			b.WriteByte('=')
			escape(b, p.value, false)
		}
	}
}

// V4Signer signs a V4 string to sign with the signing key of one day and
// region (postpolicy.V4Signer.Sign).
type V4Signer interface {
	Sign(stringToSign []byte) string
}

// V4 returns the V4 presigned URL of req on base, valid from now for
// expires (1 s to 7 days), signed with a key of c for the UTC day of now
// and region.
func V4(base, region string, c Credentials, req Request, now time.Time, expires time.Duration) (string, error) {
	key := postpolicy.SigningKeyV4(c.AccessKeySecret, now.UTC().Format(postpolicy.DayLayout), region)
	return V4With(postpolicy.NewV4Signer(key), base, region, c, req, now, expires)
}

// V4With is V4 with the signer of the day's signing key given (a caller
// may cache it; deriving it costs four HMACs).
func V4With(s V4Signer, base, region string, c Credentials, req Request, now time.Time, expires time.Duration) (string, error) {
	secs := int64(expires / time.Second)
	if secs < 1 || expires > MaxExpiresV4 {
		return "", errors.New("presign: a V4 URL lives 1 s to 7 days")
	}
	now = now.UTC()
	var dateBuf [16]byte
	date := string(now.AppendFormat(dateBuf[:0], postpolicy.DateLayout))
	ps := make([]param, 0, 9)
	ps = req.subResources(ps)
	ps = append(ps,
		param{"x-oss-signature-version", postpolicy.SignatureVersionV4},
		param{"x-oss-credential", postpolicy.CredentialV4(c.AccessKeyID, now, region)},
		param{"x-oss-date", date},
		param{"x-oss-expires", strconv.FormatInt(secs, 10)})
	if c.SecurityToken != "" {
		ps = append(ps, param{"x-oss-security-token", c.SecurityToken})
	}

	// Canonical request (oss/auth.go getSignedStrV4): method, URI
	// "/<bucket>/<key>", query, headers, "" (no additional headers),
	// UNSIGNED-PAYLOAD.
	var cr strings.Builder
	cr.Grow(512 + len(c.SecurityToken) + 2*len(req.Key))
	cr.WriteString(req.Method)
	cr.WriteString("\n/")
	cr.WriteString(req.Bucket)
	cr.WriteByte('/')
	escape(&cr, req.Key, true)
	cr.WriteByte('\n')
	queryStart := cr.Len()
	writeQuery(&cr, ps)
	query := cr.String()[queryStart:]
	cr.WriteByte('\n')
	if _, _, err := req.canonicalHeaders(&cr, true); err != nil {
		return "", err
	}
	cr.WriteString("\n\nUNSIGNED-PAYLOAD")
	sum := sha256.Sum256([]byte(cr.String()))

	sts := make([]byte, 0, 160)
	sts = append(sts, postpolicy.SignatureVersionV4...)
	sts = append(sts, '\n')
	sts = append(sts, date...)
	sts = append(sts, '\n')
	sts = append(sts, date[:8]...)
	sts = append(sts, '/')
	sts = append(sts, region...)
	sts = append(sts, "/oss/aliyun_v4_request\n"...)
	sts = hex.AppendEncode(sts, sum[:])
	sig := s.Sign(sts)

	var u strings.Builder
	u.Grow(len(base) + 2*len(req.Key) + len(query) + 100)
	objectURL(&u, base, req.Key)
	u.WriteByte('?')
	u.WriteString(query)
	u.WriteString("&x-oss-signature=")
	u.WriteString(sig)
	return u.String(), nil
}

// V1 returns the V1 presigned URL of req on base, valid until now+expires
// (whole seconds).
func V1(base string, c Credentials, req Request, now time.Time, expires time.Duration) (string, error) {
	if expires < time.Second {
		return "", errors.New("presign: a V1 URL lives at least 1 s")
	}
	exp := strconv.FormatInt(now.Unix()+int64(expires/time.Second), 10)
	ps := make([]param, 0, 7)
	ps = req.subResources(ps)
	if c.SecurityToken != "" {
		ps = append(ps, param{"security-token", c.SecurityToken})
	}
	// String to sign (oss/auth.go getSignedStr; the Date line carries
	// Expires): VERB, Content-MD5, Content-Type, Expires, the x-oss-*
	// headers, "/<bucket>/<key>" and the signed sub-resources, raw.
	var hb strings.Builder
	ct, md5, err := req.canonicalHeaders(&hb, false)
	if err != nil {
		return "", err
	}
	var s strings.Builder
	s.Grow(256 + len(c.SecurityToken) + len(req.Key))
	s.WriteString(req.Method)
	s.WriteByte('\n')
	s.WriteString(md5)
	s.WriteByte('\n')
	s.WriteString(ct)
	s.WriteByte('\n')
	s.WriteString(exp)
	s.WriteByte('\n')
	s.WriteString(hb.String())
	s.WriteByte('/')
	s.WriteString(req.Bucket)
	s.WriteByte('/')
	s.WriteString(req.Key)
	slices.SortFunc(ps, func(a, b param) int { return strings.Compare(a.name, b.name) })
	for i, p := range ps {
		if i == 0 {
			s.WriteByte('?')
		} else {
			s.WriteByte('&')
		}
		s.WriteString(p.name)
		if p.value != "" {
			s.WriteByte('=')
			s.WriteString(p.value)
		}
	}
	m := hmac.New(sha1.New, []byte(c.AccessKeySecret))
	m.Write([]byte(s.String()))
	sig := base64.StdEncoding.EncodeToString(m.Sum(nil))

	ps = append(ps, param{"OSSAccessKeyId", c.AccessKeyID}, param{"Expires", exp}, param{"Signature", sig})
	var u strings.Builder
	objectURL(&u, base, req.Key)
	u.WriteByte('?')
	writeQuery(&u, ps)
	return u.String(), nil
}
