package verifier

import (
	"strconv"
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"github.com/ossupload/ossupload/shared/uploadrules"
)

// Reason codes recorded in the upload-reason tag of a rejected object.
const (
	ReasonTooLarge       = "too-large"
	ReasonEmpty          = "empty"
	ReasonTypeNotAllowed = "type-not-allowed"
	ReasonTypeMismatch   = "type-mismatch"
	ReasonOutsidePrefix  = "outside-prefix"
	ReasonOwnerMismatch  = "owner-mismatch"
	ReasonSizeMismatch   = "size-mismatch"
)

// Status values recorded in the upload-status tag.
const (
	StatusVerified = "verified"
	StatusRejected = "rejected"
)

// Verdict is the outcome of checking one object.
type Verdict struct {
	Status      string // StatusVerified or StatusRejected
	Reason      string // a Reason* code when rejected
	Owner       string // the owner named by the key ("" when outside every owner prefix)
	SniffedType string // "" when the content was not read (too large, empty, ...)
	Detail      string // a human-readable explanation for logs (never a secret)
}

// Rejected reports whether the verdict is a rejection.
func (v Verdict) Rejected() bool { return v.Status == StatusRejected }

func reject(reason, owner, detail string) Verdict {
	return Verdict{Status: StatusRejected, Reason: reason, Owner: owner, Detail: detail}
}

// declaredType is the type the uploader claimed: the policy-pinned
// x-oss-meta-declared-type, else the stored Content-Type unless it is the
// generic default that SDKs send for unknown files.
func declaredType(info ObjectInfo) string {
	if t := NormalizeType(info.Meta["declared-type"]); t != "" {
		return t
	}
	if t := NormalizeType(info.ContentType); t != octetStream {
		return t
	}
	return ""
}

// precheck applies every rule that needs no content bytes, in a fixed order
// (the first failure is the verdict): outside-prefix, owner-mismatch, empty,
// too-large, size-mismatch. ok is false when the object is already rejected.
func precheck(r uploadrules.Rules, key string, info ObjectInfo) (v Verdict, ok bool) {
	owner, inside := r.OwnerOf(key)
	if !inside {
		return reject(ReasonOutsidePrefix, "", "key is not inside an owner prefix"), false
	}
	if m, has := info.Meta["owner"]; has && m != owner {
		return reject(ReasonOwnerMismatch, owner, "x-oss-meta-owner differs from the key's owner"), false
	}
	if info.Size <= 0 {
		return reject(ReasonEmpty, owner, "object is empty"), false
	}
	if info.Size > r.MaxBytes {
		return reject(ReasonTooLarge, owner, "object is "+strconv.FormatInt(info.Size, 10)+" bytes, cap "+strconv.FormatInt(r.MaxBytes, 10)), false
	}
	if d, has := info.Meta["declared-size"]; has {
		n, err := strconv.ParseInt(strings.TrimSpace(d), 10, 64)
		if err != nil || n != info.Size {
			return reject(ReasonSizeMismatch, owner, "declared size differs from the stored size"), false
		}
	}
	return Verdict{Status: StatusVerified, Owner: owner}, true
}

// contentCheck applies the type rules to the sniffed type: type-mismatch
// (sniffed type disagrees with the declared type or with the key's
// extension) before type-not-allowed (sniffed type, see sniffedAllowed, or a
// declared type, not in the allow-list), because a lie about the type is the
// more specific finding.
func contentCheck(r uploadrules.Rules, key string, info ObjectInfo, sniffed string, v Verdict) Verdict {
	v.SniffedType = sniffed
	declared := declaredType(info)
	if !consistent(declared, sniffed) {
		v.Status, v.Reason, v.Detail = StatusRejected, ReasonTypeMismatch, "content is "+sniffed+", declared "+declared
		return v
	}
	if ext := extensionType(key); !consistent(ext, sniffed) {
		v.Status, v.Reason, v.Detail = StatusRejected, ReasonTypeMismatch, "content is "+sniffed+", extension says "+ext
		return v
	}
	if !familyAllowed(r, sniffed) && !narrowsTo(sniffed, declared, extensionType(key), r) {
		v.Status, v.Reason, v.Detail = StatusRejected, ReasonTypeNotAllowed, "content type "+sniffed+" is not allowed"
		return v
	}
	if declared != "" && !familyAllowed(r, declared) {
		v.Status, v.Reason, v.Detail = StatusRejected, ReasonTypeNotAllowed, "declared type "+declared+" is not allowed"
		return v
	}
	return v
}

// Check applies every rule to an object given its HEAD answer and its first
// bytes (at most SniffLimit are looked at). It is pure: the verifier applies
// the metadata rules first and reads bytes only when they pass; Check is the
// same logic in one call for callers that already hold the bytes.
func Check(r uploadrules.Rules, key string, info ObjectInfo, head []byte) Verdict {
	v, ok := precheck(r, key, info)
	if !ok {
		return v
	}
	if len(head) > SniffLimit {
		head = head[:SniffLimit]
	}
	return contentCheck(r, key, info, Sniff(head), v)
}

// typeAllowed applies the allow-list to a normalised type, also under the
// client's alias spelling the list may use (image/jpg).
func typeAllowed(r uploadrules.Rules, t string) bool {
	if t == "" {
		return false
	}
	if r.TypeAllowed(t) {
		return true
	}
	for alias, canon := range typeAliases {
		if canon == t && r.TypeAllowed(alias) {
			return true
		}
	}
	return false
}

// activeTypes are content a browser may execute when served from the
// bucket's origin. They must be allowed by name; they are never admitted
// through a more generic allowed family (text/plain).
var activeTypes = map[string]bool{
	"text/html": true, "application/xhtml+xml": true, "image/svg+xml": true,
	"text/xml": true, "text/javascript": true,
}

func active(m *mimetype.MIME) bool {
	for ; m != nil; m = m.Parent() {
		if activeTypes[m.String()] {
			return true
		}
	}
	return false
}

// familyAllowed applies the allow-list to a (sniffed or declared) type. A
// type that is a more specific kind of an allowed family is allowed too (a
// text file that happens to parse as CSV when text/plain is allowed; a docx
// when application/zip is allowed), unless it is active content (HTML, SVG,
// XML, JavaScript), which must be allowed by name (or by a wildcard such as
// image/*, which admits SVG).
func familyAllowed(r uploadrules.Rules, t string) bool {
	if typeAllowed(r, t) {
		return true
	}
	m := mimetype.Lookup(t)
	if m == nil || active(m) {
		return false
	}
	for p := m.Parent(); p != nil && p.String() != octetStream; p = p.Parent() {
		if typeAllowed(r, NormalizeType(p.String())) {
			return true
		}
	}
	return false
}

// narrowsTo reports whether the sniffer saw only a container or family
// (application/zip, text/plain) that the declared type, or else the
// extension's type, is a specific, allowed, non-active kind of: the first
// 3 KiB of a docx can look like any zip.
func narrowsTo(sniffed, declared, ext string, r uploadrules.Rules) bool {
	claimed := declared
	if claimed == "" {
		claimed = ext
	}
	if claimed == "" || claimed == sniffed {
		return false
	}
	c, s := mimetype.Lookup(claimed), mimetype.Lookup(sniffed)
	if c == nil || s == nil || active(c) || !descends(c, s) {
		return false
	}
	return typeAllowed(r, claimed)
}
