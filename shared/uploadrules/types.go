package uploadrules

import (
	"mime"
	"strconv"
	"strings"
)

// MediaType returns the lower-case "type/subtype" of a Content-Type value
// (parameters dropped), or "" when it is not a well-formed media type.
func MediaType(contentType string) string {
	mt, params, _ := strings.Cut(contentType, ";")
	mt = strings.TrimSpace(mt)
	typ, sub, ok := strings.Cut(mt, "/")
	if !ok || !isToken(typ) || !isToken(sub) {
		return ""
	}
	if strings.TrimSpace(params) != "" {
		if _, _, err := mime.ParseMediaType(contentType); err != nil {
			return ""
		}
	}
	return strings.ToLower(mt)
}

// TypeAllowed reports whether contentType matches one of AllowedTypes:
// exactly (case-insensitive, parameters ignored), by a "type/*" wildcard, or
// by "*/*".
func (r Rules) TypeAllowed(contentType string) bool {
	mt := MediaType(contentType)
	if mt == "" {
		return false
	}
	for _, p := range r.AllowedTypes {
		if matchType(strings.ToLower(strings.TrimSpace(p)), mt) {
			return true
		}
	}
	return false
}

// AllowsAnyType reports whether "*/*" is allowed.
func (r Rules) AllowsAnyType() bool {
	for _, p := range r.AllowedTypes {
		if strings.TrimSpace(p) == "*/*" {
			return true
		}
	}
	return false
}

func matchType(pattern, mt string) bool {
	if pattern == "*/*" || pattern == mt {
		return true
	}
	typ, ok := strings.CutSuffix(pattern, "/*")
	return ok && len(mt) > len(typ) && mt[len(typ)] == '/' && mt[:len(typ)] == typ
}

// ValidTypePattern reports whether p may stand in an allow-list: a media
// type without parameters ("image/png"), "type/*" or "*/*".
func ValidTypePattern(p string) bool { return validPattern(p) }

func validPattern(p string) bool {
	p = strings.TrimSpace(p)
	if p == "*/*" {
		return true
	}
	if typ, ok := strings.CutSuffix(p, "/*"); ok {
		return isToken(typ)
	}
	return MediaType(p) != "" && !strings.ContainsAny(p, ";*")
}

// isToken reports whether s is a non-empty RFC 7230 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isASCIILetter(c) || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// CheckDeclared checks what a caller declares before anything is signed or
// accepted: size (0 = not declared; negative is invalid; over MaxBytes is
// too_large) and contentType ("" = not declared; malformed is
// invalid_request; outside AllowedTypes is type_not_allowed). Errors are *Error.
func (r Rules) CheckDeclared(size int64, contentType string) error {
	if size < 0 {
		return newError(CodeInvalidRequest, "size must not be negative")
	}
	if size > r.MaxBytes {
		return newError(CodeTooLarge, "size "+strconv.FormatInt(size, 10)+" exceeds the limit of "+strconv.FormatInt(r.MaxBytes, 10)+" bytes")
	}
	if contentType == "" {
		return nil
	}
	if MediaType(contentType) == "" {
		return newError(CodeInvalidRequest, "contentType is not a media type")
	}
	if !r.TypeAllowed(contentType) {
		return newError(CodeTypeNotAllowed, "content type is not allowed")
	}
	// The verify function rejects active content that the allow-list does
	// not name exactly (image/* does not admit SVG); refuse it here too,
	// rather than sign an upload that can only be rejected.
	if IsActive(MediaType(contentType)) && !r.AllowedByName(contentType) {
		return newError(CodeTypeNotAllowed, "active content (HTML, SVG, XML, JavaScript) is allowed only when UPLOAD_ALLOWED_TYPES lists its exact type")
	}
	return nil
}
