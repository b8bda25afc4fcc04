package oss

import (
	"net/http"
	"strconv"
	"strings"
)

// wildcardMatch matches s against a pattern with at most one '*'
// (OSS CORS origins and headers).
func wildcardMatch(pattern, s string) bool {
	before, after, ok := strings.Cut(pattern, "*")
	if !ok {
		return pattern == s
	}
	return len(s) >= len(before)+len(after) && strings.HasPrefix(s, before) && strings.HasSuffix(s, after)
}

func matchAny(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p, s = strings.ToLower(p), strings.ToLower(s)
		}
		if wildcardMatch(p, s) {
			return true
		}
	}
	return false
}

// matchRule returns the first rule allowing origin, method and every
// requested header.
func matchRule(b Bucket, origin, method string, headers []string) (CORSRule, bool) {
	for _, rule := range b.CORS {
		if !matchAny(rule.AllowedOrigins, origin, false) {
			continue
		}
		methodOK := false
		for _, m := range rule.AllowedMethods {
			if strings.EqualFold(m, method) {
				methodOK = true
			}
		}
		if !methodOK {
			continue
		}
		headersOK := true
		for _, h := range headers {
			if !matchAny(rule.AllowedHeaders, h, true) {
				headersOK = false
				break
			}
		}
		if headersOK {
			return rule, true
		}
	}
	return CORSRule{}, false
}

func allowOrigin(rule CORSRule, origin string) string {
	for _, o := range rule.AllowedOrigins {
		if o == "*" {
			return "*"
		}
	}
	return origin
}

// exposeHeaders is the rule's ExposeHeader list and nothing else: OSS
// exposes only what the matching rule lists ("ExposeHeader: the response
// headers for allowed access requests from applications",
// https://www.alibabacloud.com/help/en/oss/developer-reference/putbucketcors),
// so a rule without ETag hides it from a browser and ali-oss multipart fails
// with "Please set the etag of expose-headers in OSS" (ali-oss 6.23.0
// lib/common/multipart.js), as it does on OSS.
func exposeHeaders(rule CORSRule) string { return strings.Join(rule.ExposeHeaders, ", ") }

// vary adds "Vary: Origin" when the bucket's CORS configuration has
// ResponseVary true; with false (the default) OSS does not send it
// (GetBucketCors, ResponseVary: https://www.alibabacloud.com/help/en/oss/developer-reference/getbucketcors).
func vary(h http.Header, b Bucket) {
	if b.ResponseVary {
		h.Add("Vary", "Origin")
	}
}

// preflight answers an OPTIONS request per the bucket's CORS rules: the
// requested headers are echoed (a browser does not let "*" cover
// Authorization).
func preflight(w http.ResponseWriter, r *http.Request, b Bucket) error {
	vary(w.Header(), b)
	origin := r.Header.Get("Origin")
	method := r.Header.Get("Access-Control-Request-Method")
	if origin == "" || method == "" {
		return newError(http.StatusBadRequest, "BadRequest", "Insufficient information. Origin request header needed.", "")
	}
	var headers []string
	for _, h := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			headers = append(headers, h)
		}
	}
	rule, ok := matchRule(b, origin, method, headers)
	if !ok {
		return newError(http.StatusForbidden, "AccessForbidden", "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.", "")
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", allowOrigin(rule, origin))
	h.Set("Access-Control-Allow-Methods", strings.Join(rule.AllowedMethods, ", "))
	if len(headers) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(headers, ", "))
	}
	if e := exposeHeaders(rule); e != "" {
		h.Set("Access-Control-Expose-Headers", e)
	}
	if rule.MaxAgeSeconds > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(rule.MaxAgeSeconds))
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// applyCORS adds the CORS response headers to an actual (non-preflight)
// request whose Origin and method a bucket rule allows; they are set before
// the operation runs so error responses carry them too.
func applyCORS(h http.Header, r *http.Request, b Bucket) {
	vary(h, b)
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	rule, ok := matchRule(b, origin, r.Method, nil)
	if !ok {
		return
	}
	h.Set("Access-Control-Allow-Origin", allowOrigin(rule, origin))
	h.Set("Access-Control-Allow-Methods", strings.Join(rule.AllowedMethods, ", "))
	if e := exposeHeaders(rule); e != "" {
		h.Set("Access-Control-Expose-Headers", e)
	}
	if rule.MaxAgeSeconds > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(rule.MaxAgeSeconds))
	}
}
