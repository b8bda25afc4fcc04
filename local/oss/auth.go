package oss

import (
	"crypto/hmac"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ossupload/ossupload/local/iam"
)

// Identities is what the emulator needs from the identity store
// (*iam.Store implements it).
type Identities interface {
	Lookup(accessKeyID string) (iam.Principal, error)
	AuthorizeWith(p iam.Principal, action, resource string, ctx map[string]string) error
}

const (
	maxSkew        = 15 * time.Minute
	isoBasic       = "20060102T150405Z"
	isoMillis      = "2006-01-02T15:04:05.000Z"
	algorithmV4    = "OSS4-HMAC-SHA256"
	maxPresignedV4 = 7 * 24 * time.Hour
)

// Messages of the authentication errors (as OSS words them).
const (
	msgNoAccessKey     = "The OSS Access Key Id you provided does not exist in our records."
	msgSignature       = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	msgNeedDate        = "OSS authentication requires a valid Date."
	msgSkew            = "The difference between the request time and the current time is too large."
	msgInvalidToken    = "The security token you provided is invalid."
	msgExpiredToken    = "The security token you provided has expired."
	msgTokenNotMatch   = "The access key id and security token you provided does not match."
	msgQueryNeedsAll   = "Query string authentication requires the Signature, Expires and OSSAccessKeyId parameters"
	msgQueryBadExpires = "Invalid date (should be seconds since epoch)"
	msgExpired         = "Request has expired."
	msgBadAuthz        = "Authorization header is invalid."
)

// authRequest is what a request's signature is checked against.
type authRequest struct {
	r           *http.Request
	bucket, key string
	now         time.Time
}

// authenticate dispatches on the request's authentication scheme (§8 of the
// protocol notes): V4 header, V1 header, V4 URL, V1 URL, else anonymous
// (nil principal). PostObject form authentication is handled by the
// PostObject handler.
func (s *Server) authenticate(a authRequest) (*iam.Principal, error) {
	r := a.r
	authz := r.Header.Get("Authorization")
	q := r.URL.Query()
	urlV4 := q.Has("x-oss-signature-version")
	urlV1 := q.Has("OSSAccessKeyId") || q.Has("Signature") || (q.Has("Expires") && !urlV4)
	if authz != "" && (urlV4 || urlV1) {
		return nil, errInvalidArgument("Only one authentication method may be used: the Authorization header or URL signature parameters.")
	}
	switch {
	case strings.HasPrefix(authz, algorithmV4):
		return s.authHeaderV4(a, strings.TrimPrefix(authz, algorithmV4))
	case strings.HasPrefix(authz, "OSS "):
		return s.authHeaderV1(a, strings.TrimPrefix(authz, "OSS "))
	case authz != "":
		return nil, errInvalidArgument(msgBadAuthz)
	case urlV4:
		return s.authURLV4(a, q)
	case urlV1:
		return s.authURLV1(a, q)
	}
	return nil, nil
}

// principal looks the AccessKeyId up and checks an STS session's token and
// expiry. Token and expiry are checked before the request time, so an
// expired session is reported as such even when the clock has moved on.
func (s *Server) principal(accessKeyID, token string, now time.Time) (*iam.Principal, error) {
	p, err := s.ids.Lookup(accessKeyID)
	expired := errors.Is(err, iam.ErrExpired)
	if err != nil && !expired {
		if errors.Is(err, iam.ErrNotFound) {
			return nil, newError(http.StatusForbidden, "InvalidAccessKeyId", msgNoAccessKey, "", Field{"OSSAccessKeyId", accessKeyID})
		}
		return nil, err
	}
	if p.Kind == iam.KindAssumedRole || p.SecurityToken != "" {
		if err := checkToken(p, token); err != nil {
			return nil, err
		}
		if expired || p.Expired(now) {
			return nil, newError(http.StatusForbidden, "SecurityTokenExpired", msgExpiredToken, "",
				Field{"Expiration", p.Expiration.UTC().Format(isoMillis)}, Field{"ServerTime", now.UTC().Format(isoMillis)})
		}
	}
	return &p, nil
}

// tokenShape is the shape of an STS SecurityToken ("CAIS" + base64).
var tokenShape = regexp.MustCompile(`^CAIS[A-Za-z0-9+/]{40,}={0,2}$`)

// checkToken: a missing or malformed token is InvalidSecurityToken; a
// well-formed token that belongs to another session is
// AccessKeyIdAndSecurityTokenNotMatch.
func checkToken(p iam.Principal, token string) error {
	if token == "" {
		return newError(http.StatusForbidden, "InvalidSecurityToken", msgInvalidToken, "")
	}
	if hmac.Equal([]byte(token), []byte(p.SecurityToken)) {
		return nil
	}
	if tokenShape.MatchString(token) {
		return newError(http.StatusForbidden, "AccessKeyIdAndSecurityTokenNotMatch", msgTokenNotMatch, "")
	}
	return newError(http.StatusForbidden, "InvalidSecurityToken", msgInvalidToken, "")
}

// parseRequestTime accepts RFC 1123 (and the other HTTP date forms) or
// ISO-8601 basic.
func parseRequestTime(v string) (time.Time, bool) {
	if t, err := time.Parse(isoBasic, v); err == nil {
		return t, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// requestTime returns the signed timestamp (x-oss-date before Date,
// verbatim) and checks it lies within ±15 minutes of now.
func requestTime(h http.Header, now time.Time) (string, time.Time, error) {
	raw := h.Get("x-oss-date")
	if raw == "" {
		raw = h.Get("Date")
	}
	if raw == "" {
		e := errAccessDenied(msgNeedDate)
		e.EC = "0002-00000503"
		return "", time.Time{}, e
	}
	t, ok := parseRequestTime(raw)
	if !ok {
		e := errAccessDenied(msgNeedDate)
		e.EC = "0002-00000502"
		return "", time.Time{}, e
	}
	if err := checkSkew(t, now); err != nil {
		return "", time.Time{}, err
	}
	return raw, t, nil
}

func checkSkew(t, now time.Time) error {
	d := t.Sub(now)
	if d > maxSkew || d < -maxSkew {
		return newError(http.StatusForbidden, "RequestTimeTooSkewed", msgSkew, "0002-00000504",
			Field{"RequestTime", t.UTC().Format(isoMillis)},
			Field{"ServerTime", now.UTC().Format(isoMillis)},
			Field{"MaxAllowedSkewMilliseconds", strconv.FormatInt(maxSkew.Milliseconds(), 10)})
	}
	return nil
}

func signatureMismatch(ec, accessKeyID, provided, stringToSign string, extra ...Field) error {
	fields := append([]Field{
		{"OSSAccessKeyId", accessKeyID},
		{"SignatureProvided", provided},
		{"StringToSign", stringToSign},
		{"StringToSignBytes", stringToSignBytes(stringToSign)},
	}, extra...)
	return newError(http.StatusForbidden, "SignatureDoesNotMatch", msgSignature, ec, fields...)
}

// authHeaderV1 checks "Authorization: OSS <ak>:<signature>".
func (s *Server) authHeaderV1(a authRequest, rest string) (*iam.Principal, error) {
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 || i == len(rest)-1 {
		return nil, errInvalidArgument(msgBadAuthz)
	}
	ak, sig := strings.TrimSpace(rest[:i]), strings.TrimSpace(rest[i+1:])
	p, err := s.principal(ak, a.r.Header.Get("x-oss-security-token"), a.now)
	if err != nil {
		return nil, err
	}
	date, _, err := requestTime(a.r.Header, a.now)
	if err != nil {
		return nil, err
	}
	sts := stringToSignV1(a.r.Method, a.r.Header.Get("Content-MD5"), a.r.Header.Get("Content-Type"), date,
		canonicalOSSHeadersV1(a.r.Header), canonicalResourceV1(a.bucket, a.key, a.r.URL.Query()))
	if !hmac.Equal([]byte(signV1(p.AccessKeySecret, sts)), []byte(sig)) {
		return nil, signatureMismatch("0002-00000040", ak, sig, sts)
	}
	return p, nil
}

// authURLV1 checks ?OSSAccessKeyId=&Expires=&Signature=[&security-token=].
func (s *Server) authURLV1(a authRequest, q url.Values) (*iam.Principal, error) {
	ak, expires, sig := q.Get("OSSAccessKeyId"), q.Get("Expires"), q.Get("Signature")
	if ak == "" || expires == "" || sig == "" {
		return nil, errAccessDenied(msgQueryNeedsAll)
	}
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil {
		return nil, errAccessDenied(msgQueryBadExpires)
	}
	p, err := s.principal(ak, q.Get("security-token"), a.now)
	if err != nil {
		return nil, err
	}
	if a.now.Unix() > exp {
		return nil, errAccessDenied(msgExpired)
	}
	sts := stringToSignV1(a.r.Method, a.r.Header.Get("Content-MD5"), a.r.Header.Get("Content-Type"), expires,
		canonicalOSSHeadersV1(a.r.Header), canonicalResourceV1(a.bucket, a.key, q))
	if !hmac.Equal([]byte(signV1(p.AccessKeySecret, sts)), []byte(sig)) {
		return nil, signatureMismatch("0002-00000040", ak, sig, sts)
	}
	return p, nil
}

// credentialV4 is a parsed "<ak>/<day>/<region>/<product>/aliyun_v4_request".
type credentialV4 struct {
	accessKeyID, day, region, product string
}

var dayPattern = regexp.MustCompile(`^[0-9]{8}$`)

func parseCredentialV4(v string) (credentialV4, error) {
	parts := strings.Split(v, "/")
	if len(parts) != 5 || parts[0] == "" {
		return credentialV4{}, errInvalidArgument("Invalid credential in Authorization header.")
	}
	if parts[4] != "aliyun_v4_request" {
		e := errInvalidArgument("Invalid credential in Authorization header: the credential must end with aliyun_v4_request.")
		e.EC = "0002-00000710"
		return credentialV4{}, e
	}
	if !dayPattern.MatchString(parts[1]) {
		e := errInvalidArgument("Invalid signing date in credential.")
		e.EC = "0002-00000223"
		return credentialV4{}, e
	}
	return credentialV4{accessKeyID: parts[0], day: parts[1], region: parts[2], product: parts[3]}, nil
}

func (s *Server) checkScope(c credentialV4, t time.Time) error {
	if c.product != "oss" {
		return errInvalidArgument("Invalid signing product in credential: " + c.product + ".")
	}
	if s.region != "" && c.region != s.region {
		return errInvalidArgument("Invalid signing region in credential: " + c.region + ", expected " + s.region + ".")
	}
	if c.day != t.UTC().Format("20060102") {
		return errInvalidArgument("Invalid signing date in credential: " + c.day + " is not the day of the request time.")
	}
	return nil
}

// parseAuthorizationV4 splits "Credential=..,AdditionalHeaders=..,Signature=.."
// tolerating ", " or "," separators.
func parseAuthorizationV4(rest string) (cred, additional, sig string, hasAdditional bool, err error) {
	if rest != "" && rest[0] != ' ' {
		return "", "", "", false, errInvalidArgument(msgBadAuthz)
	}
	for _, item := range strings.Split(rest, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, value, ok := strings.Cut(item, "=")
		if !ok {
			return "", "", "", false, errInvalidArgument(msgBadAuthz)
		}
		switch strings.TrimSpace(name) {
		case "Credential":
			cred = strings.TrimSpace(value)
		case "AdditionalHeaders":
			additional, hasAdditional = strings.TrimSpace(value), true
		case "Signature":
			sig = strings.TrimSpace(value)
		default:
			return "", "", "", false, errInvalidArgument(msgBadAuthz)
		}
	}
	if cred == "" || sig == "" {
		return "", "", "", false, errInvalidArgument(msgBadAuthz)
	}
	if hasAdditional && additional == "" {
		e := errInvalidArgument("AdditionalHeaders must not be empty.")
		e.EC = "0002-00000209"
		return "", "", "", false, e
	}
	return cred, additional, sig, hasAdditional, nil
}

// authHeaderV4 checks "Authorization: OSS4-HMAC-SHA256 Credential=...".
func (s *Server) authHeaderV4(a authRequest, rest string) (*iam.Principal, error) {
	credStr, addStr, sig, _, err := parseAuthorizationV4(rest)
	if err != nil {
		return nil, err
	}
	cred, err := parseCredentialV4(credStr)
	if err != nil {
		return nil, err
	}
	p, err := s.principal(cred.accessKeyID, a.r.Header.Get("x-oss-security-token"), a.now)
	if err != nil {
		return nil, err
	}
	ts, t, err := requestTime(a.r.Header, a.now)
	if err != nil {
		return nil, err
	}
	if err := s.checkScope(cred, t); err != nil {
		return nil, err
	}
	var additional []string
	if addStr != "" {
		additional = additionalHeadersV4(strings.Split(addStr, ";"))
	}
	payload := a.r.Header.Get("x-oss-content-sha256")
	if payload == "" {
		payload = "UNSIGNED-PAYLOAD"
	}
	if err := verifyV4(a, p, cred, ts, a.r.URL.Query(), "", additional, payload, sig); err != nil {
		return nil, err
	}
	return p, nil
}

// verifyV4 computes the V4 signature (byte-order query first, then the
// ali-oss "k=" variant) and compares it in constant time.
func verifyV4(a authRequest, p *iam.Principal, cred credentialV4, ts string, q url.Values, skip string, additional []string, payload, sig string) error {
	key := signingKeyV4(p.AccessKeySecret, cred.day, cred.region, cred.product)
	scope := scopeV4(cred.day, cred.region, cred.product)
	headers := canonicalHeadersV4(a.r.Header, additional)
	uri := canonicalURIV4(a.bucket, a.key)
	var firstCR, firstSTS string
	for i, style := range []queryStyle{queryBare, queryEmptyEquals} {
		cr := canonicalRequestV4(a.r.Method, uri, canonicalQueryV4(q, skip, style), headers, additional, payload)
		sts := stringToSignV4(ts, scope, cr)
		if hmac.Equal([]byte(signV4(key, sts)), []byte(sig)) {
			return nil
		}
		if i == 0 {
			firstCR, firstSTS = cr, sts
		}
	}
	return signatureMismatch("0002-00000201", cred.accessKeyID, sig, firstSTS, Field{"CanonicalRequest", firstCR})
}

// authURLV4 checks a V4 presigned URL.
func (s *Server) authURLV4(a authRequest, q url.Values) (*iam.Principal, error) {
	if v := q.Get("x-oss-signature-version"); v != algorithmV4 {
		return nil, errInvalidArgument("Unsupported x-oss-signature-version: " + v + ".")
	}
	credStr, date, expires, sig := q.Get("x-oss-credential"), q.Get("x-oss-date"), q.Get("x-oss-expires"), q.Get("x-oss-signature")
	if credStr == "" || date == "" || sig == "" {
		return nil, errAccessDenied("Query string authentication requires the x-oss-credential, x-oss-date and x-oss-signature parameters")
	}
	cred, err := parseCredentialV4(credStr)
	if err != nil {
		return nil, err
	}
	t, err := time.Parse(isoBasic, date)
	if err != nil {
		return nil, errAccessDenied("Invalid x-oss-date (should be YYYYMMDDTHHMMSSZ)")
	}
	exp := int64(3600)
	if expires != "" {
		if exp, err = strconv.ParseInt(expires, 10, 64); err != nil || exp <= 0 || time.Duration(exp)*time.Second > maxPresignedV4 {
			return nil, errInvalidArgument("x-oss-expires must be an integer between 1 and 604800.")
		}
	}
	p, err := s.principal(cred.accessKeyID, q.Get("x-oss-security-token"), a.now)
	if err != nil {
		return nil, err
	}
	if t.Sub(a.now) > maxSkew {
		return nil, checkSkew(t, a.now)
	}
	if a.now.After(t.Add(time.Duration(exp) * time.Second)) {
		return nil, errAccessDenied(msgExpired)
	}
	if err := s.checkScope(cred, t); err != nil {
		return nil, err
	}
	var additional []string
	if v := q.Get("x-oss-additional-headers"); v != "" {
		additional = additionalHeadersV4(strings.Split(v, ";"))
	}
	if err := verifyV4(a, p, cred, date, q, "x-oss-signature", additional, "UNSIGNED-PAYLOAD", sig); err != nil {
		return nil, err
	}
	return p, nil
}

// resource is the RAM resource of a bucket or an object.
func resource(bucket, key string) string {
	r := "acs:oss:*:" + iam.AccountID + ":" + bucket
	if key != "" {
		r += "/" + key
	}
	return r
}

// authorize asks the identity store whether p may perform action on the
// resource; anonymous requests (nil p) are refused: buckets are private.
func (s *Server) authorize(p *iam.Principal, r *http.Request, action, res string, extra map[string]string) error {
	if p == nil {
		return errAccessDenied(msgNoRight)
	}
	ctx := map[string]string{"acs:SourceIp": sourceIP(r), "acs:SecureTransport": strconv.FormatBool(r.TLS != nil)}
	for k, v := range extra {
		ctx[k] = v
	}
	if err := s.ids.AuthorizeWith(*p, action, res, ctx); err != nil {
		if errors.Is(err, iam.ErrAccessDenied) {
			return errAccessDenied(msgNoRight)
		}
		return err
	}
	return nil
}
