package oss

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// This file holds the pure signature functions: one small function per
// canonicalisation step, no clock and no I/O. The rules are those of the OSS
// V1 ("OSS ak:sig") and V4 ("OSS4-HMAC-SHA256") schemes as the official
// SDKs implement them.

// subResources are the query parameters V1 signs (union of the Go SDK v3.0.2
// signKeyList and the v2 SDK list).
var subResources = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`acl uploads location cors logging website referer lifecycle delete append tagging
	objectMeta uploadId partNumber security-token position img style styleName replication replicationProgress
	replicationLocation cname bucketInfo comp qos live status vod startTime endTime symlink x-oss-process
	response-content-type response-content-language response-expires response-cache-control
	response-content-disposition response-content-encoding udf udfName udfImage udfId udfImageDesc udfApplication
	udfApplicationLog restore callback callback-var qosInfo policy stat encryption versions versioning versionId
	requestPayment x-oss-request-payer sequential inventory inventoryId continuation-token asyncFetch worm wormId
	wormExtend withHashContext x-oss-enable-md5 x-oss-enable-sha1 x-oss-enable-sha256 x-oss-hash-ctx x-oss-md5-ctx
	x-oss-traffic-limit transferAcceleration regionList cloudboxes x-oss-ac-source-ip x-oss-ac-subnet-mask
	x-oss-ac-vpc-id x-oss-ac-forward-allow metaQuery resourceGroup rtc x-oss-async-process responseHeader overwriteConfig`) {
		m[k] = true
	}
	return m
}()

// canonicalOSSHeadersV1 renders every x-oss-* header as "name:value\n",
// names lower-cased and sorted, values trimmed.
func canonicalOSSHeadersV1(h http.Header) string {
	m := map[string]string{}
	for k, v := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-oss-") && len(v) > 0 {
			m[lk] = strings.TrimSpace(v[0])
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(':')
		b.WriteString(m[k])
		b.WriteByte('\n')
	}
	return b.String()
}

// canonicalResourceV1 is "/", "/bucket/" or "/bucket/key" (raw key) followed
// by the signed sub-resources, sorted, "name=value" or bare "name".
func canonicalResourceV1(bucket, key string, query url.Values) string {
	var b strings.Builder
	b.WriteByte('/')
	if bucket != "" {
		b.WriteString(bucket)
		b.WriteByte('/')
		b.WriteString(key)
	}
	var keys []string
	for k := range query {
		if subResources[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(k)
		if v := query.Get(k); v != "" {
			b.WriteByte('=')
			b.WriteString(v)
		}
	}
	return b.String()
}

// stringToSignV1 is VERB\nContent-MD5\nContent-Type\nDATE\n + headers + resource.
func stringToSignV1(method, contentMD5, contentType, date, canonicalHeaders, resource string) string {
	return method + "\n" + contentMD5 + "\n" + contentType + "\n" + date + "\n" + canonicalHeaders + resource
}

// signV1 is base64(HMAC-SHA1(secret, stringToSign)).
func signV1(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// uriEncode percent-encodes s per RFC 3986 (unreserved A-Z a-z 0-9 - _ . ~
// literal, everything else %XX upper-case); keepSlash leaves '/' literal.
func uriEncode(s string, keepSlash bool) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && keepSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexd[c>>4])
			b.WriteByte(hexd[c&15])
		}
	}
	return b.String()
}

// canonicalURIV4 is "/", "/bucket/" or "/bucket/" + encoded key.
func canonicalURIV4(bucket, key string) string {
	if bucket == "" {
		return "/"
	}
	return "/" + bucket + "/" + uriEncode(key, true)
}

// queryStyle selects how empty values and ordering are rendered in the V4
// canonical query: byte order with bare keys (Go SDKs, docs) or the ali-oss
// variant with "k=" for explicit empty strings.
type queryStyle int

const (
	queryBare queryStyle = iota
	queryEmptyEquals
)

// canonicalQueryV4 encodes every parameter except those in skip, sorted by
// encoded name; an empty value gives a bare name (or "k=" in the ali-oss style).
func canonicalQueryV4(query url.Values, skip string, style queryStyle) string {
	type kv struct{ k, v string }
	var pairs []kv
	for k, vs := range query {
		if k == skip {
			continue
		}
		ek := uriEncode(k, false)
		for _, v := range vs {
			pairs = append(pairs, kv{ek, uriEncode(v, false)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		if p.v != "" || style == queryEmptyEquals {
			b.WriteByte('=')
			b.WriteString(p.v)
		}
	}
	return b.String()
}

// canonicalHeadersV4 renders content-type, content-md5, every x-oss-* header
// and the additional headers, lower-cased, sorted, "name:trimmed\n" each.
func canonicalHeadersV4(h http.Header, additional []string) string {
	want := map[string]bool{}
	for _, a := range additional {
		want[strings.ToLower(a)] = true
	}
	m := map[string]string{}
	for k, v := range h {
		lk := strings.ToLower(k)
		if len(v) == 0 {
			continue
		}
		if lk == "content-type" || lk == "content-md5" || strings.HasPrefix(lk, "x-oss-") || want[lk] {
			m[lk] = strings.TrimSpace(v[0])
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(':')
		b.WriteString(m[k])
		b.WriteByte('\n')
	}
	return b.String()
}

// additionalHeadersV4 normalises an AdditionalHeaders list: lower-cased,
// sorted, without content-type/content-md5/x-oss-* (signed anyway).
func additionalHeadersV4(list []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range list {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" || seen[a] || a == "content-type" || a == "content-md5" || strings.HasPrefix(a, "x-oss-") {
			continue
		}
		seen[a] = true
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// canonicalRequestV4 joins the six parts of the V4 canonical request.
func canonicalRequestV4(method, uri, query, headers string, additional []string, payload string) string {
	return method + "\n" + uri + "\n" + query + "\n" + headers + "\n" + strings.Join(additional, ";") + "\n" + payload
}

// scopeV4 is "<day>/<region>/<product>/aliyun_v4_request".
func scopeV4(day, region, product string) string {
	return day + "/" + region + "/" + product + "/aliyun_v4_request"
}

// stringToSignV4 is the algorithm, timestamp, scope and hashed canonical request.
func stringToSignV4(timestamp, scope, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return "OSS4-HMAC-SHA256\n" + timestamp + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// signingKeyV4 derives k4 from the secret, day, region and product.
func signingKeyV4(secret, day, region, product string) []byte {
	k := hmacSHA256([]byte("aliyun_v4"+secret), day)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, product)
	return hmacSHA256(k, "aliyun_v4_request")
}

// signV4 is hex(HMAC-SHA256(k4, stringToSign)).
func signV4(key []byte, stringToSign string) string {
	return hex.EncodeToString(hmacSHA256(key, stringToSign))
}

// stringToSignBytes renders s as OSS does in StringToSignBytes: hex bytes
// separated by spaces.
func stringToSignBytes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.ToUpper(hex.EncodeToString([]byte{s[i]})))
	}
	return b.String()
}
