package uploadrules

import (
	"mime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gabriel-vasile/mimetype"
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

// OctetStream is "unknown binary": what the sniffer answers for content it
// does not recognise, the root of its type tree, and the type SDKs send for
// a file they cannot name.
const OctetStream = "application/octet-stream"

// typeAliases maps non-canonical names clients send to the name the sniffer
// uses. mimetype knows many aliases itself; these are the common ones it
// does not (browsers and old libraries still send image/jpg and image/pjpeg).
var typeAliases = map[string]string{
	"image/jpg":    "image/jpeg",
	"image/pjpeg":  "image/jpeg",
	"image/x-png":  "image/png",
	"image/x-icon": "image/vnd.microsoft.icon",
	"text/x-csv":   "text/csv",
	"video/x-m4v":  "video/mp4",
	"audio/mp4":    "audio/x-m4a",
	// Names used for Windows executables.
	"application/x-msdownload":        "application/vnd.microsoft.portable-executable",
	"application/x-dosexec":           "application/vnd.microsoft.portable-executable",
	"application/x-msdos-program":     "application/vnd.microsoft.portable-executable",
	"application/x-ms-dos-executable": "application/vnd.microsoft.portable-executable",
}

// NormalizeType is the one spelling of a type that every rule compares:
// lower case, parameters dropped, common aliases mapped ("image/jpg" ->
// "image/jpeg") and then the sniffer's canonical name (mimetype knows
// "application/x-pdf" as "application/pdf"), so that a declared type, a
// stored Content-Type, an allow-list entry and a sniffed type compare
// equal when they name the same thing. It returns "" for an empty or
// unparsable type.
func NormalizeType(t string) string {
	mt := bareType(t)
	if mt == "" {
		return ""
	}
	if n, ok := normalized.Load(mt); ok {
		return n.(string)
	}
	n := canonical(mt)
	if normalizedCount.Add(1) <= maxNormalized {
		normalized.Store(mt, n)
	}
	return n
}

// normalized remembers canonical(mt) for up to maxNormalized media types:
// the sniffer's Lookup parses every name of its tree it passes, and sign
// normalises the declared type against each allow-list entry on every
// request (BenchmarkSign). The bound keeps callers who send a new type each
// time from growing it; past it, types are simply computed again.
var (
	normalized      sync.Map // string -> string
	normalizedCount atomic.Int64
)

const maxNormalized = 4096

// canonical maps a bare lower-case media type through the aliases and the
// sniffer's canonical names.
func canonical(mt string) string {
	if a, ok := typeAliases[mt]; ok {
		mt = a
	}
	if m := mimetype.Lookup(mt); m != nil {
		// The sniffer's canonical name, so aliases it knows compare equal.
		mt = bareType(m.String())
	}
	return mt
}

// bareType is mime.ParseMediaType's lower-case media type of t, or "" when
// it does not parse. The usual "type/subtype" without parameters is
// answered without parsing: ParseMediaType allocates a parameter map even
// for none, and sign normalises the declared type against every entry of
// the allow-list on each request (BenchmarkSign).
func bareType(t string) string {
	t = strings.TrimSpace(t)
	if t == "" {
		return ""
	}
	if typ, sub, ok := strings.Cut(t, "/"); ok && !strings.Contains(t, ";") && isToken(typ) && isToken(sub) {
		return strings.ToLower(t)
	}
	mt, _, err := mime.ParseMediaType(t)
	if err != nil {
		return ""
	}
	return mt
}

// ConcreteMediaType returns the lower-case "type/subtype" of ct when ct is
// exactly one concrete media type, as sign requires of a declared type: a
// wildcard ("image/*", "*/*") is a pattern of UPLOAD_ALLOWED_TYPES, never a
// type an object can have, and parameters would let a declared type carry
// a second one ("text/html; x=image/png").
func ConcreteMediaType(ct string) (string, bool) {
	mt := MediaType(ct)
	if mt == "" || strings.ContainsAny(ct, ";*") {
		return "", false
	}
	return mt, true
}

// Allows is the one decision on whether an object may BE of type t: the
// type declared to sign (CheckDeclared), and verify's stored Content-Type,
// declared-type metadata and the type a key's extension or download name
// implies. t is normalised (NormalizeType); active content must be named
// by the allow-list (AllowedByName), never reached through a wildcard;
// any other type must be admitted by the allow-list itself (TypeAllowed:
// the same type under any alias spelling, a "type/*" wildcard, "*/*").
// A more specific kind of a listed type is NOT admitted: the allow-list
// is the operator's control, so text/plain does not admit text/csv or
// application/json, and application/zip does not admit a docx, a jar or
// an apk. Only what the content looks like (verify's sniffed type) may be
// a more specific kind of the type the object claims; that is verify's
// rule, not this one.
func (r Rules) Allows(t string) bool {
	t = NormalizeType(t)
	if t == "" {
		return false
	}
	if IsActive(t) {
		return r.AllowedByName(t)
	}
	return r.TypeAllowed(t)
}

// TypeAllowed reports whether contentType, normalised, matches one of
// AllowedTypes: an entry naming the same type (compared normalised, so
// "image/jpg" in the list admits image/jpeg and the reverse), a "type/*"
// wildcard (matched against the normalised type or an alias spelling of
// it), or "*/*". Active content is Allows' business.
func (r Rules) TypeAllowed(contentType string) bool {
	t := NormalizeType(contentType)
	if t == "" {
		return false
	}
	for _, p := range r.AllowedTypes {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "*/*" {
			return true
		}
		if typ, ok := strings.CutSuffix(p, "/*"); ok {
			if inFamily(typ, t) {
				return true
			}
			for alias, canon := range typeAliases {
				if canon == t && inFamily(typ, alias) {
					return true
				}
			}
			continue
		}
		if NormalizeType(p) == t {
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

// inFamily reports whether the media type mt has the top-level type typ.
func inFamily(typ, mt string) bool {
	return len(mt) > len(typ) && mt[len(typ)] == '/' && mt[:len(typ)] == typ
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
	if MediaType(contentType) == "" || NormalizeType(contentType) == "" {
		return newError(CodeInvalidRequest, "contentType is not a media type")
	}
	// Allows is the rule verify applies to the same type, so nothing is
	// signed that can only be rejected, and nothing verify would accept is
	// refused here.
	if !r.Allows(contentType) {
		if t := NormalizeType(contentType); IsActive(t) && r.TypeAllowed(t) {
			// Only a wildcard admitted it: say why the wildcard is not enough.
			return newError(CodeTypeNotAllowed, "active content (HTML, SVG, XML, JavaScript) is allowed only when UPLOAD_ALLOWED_TYPES lists its exact type")
		}
		return newError(CodeTypeNotAllowed, "content type is not allowed")
	}
	return nil
}
