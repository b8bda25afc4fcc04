package verifier

import (
	"bytes"
	"mime"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"

	"github.com/ossupload/ossupload/shared/uploadroutes"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// Reason codes recorded in the upload-reason tag of a rejected object, in
// the order precheck applies them. The README's verdict section lists
// them; notKeptForReview says which are deleted rather than kept in
// quarantine for review. The reasons a route decides are spelled once, in
// package uploadroutes, whose Set.Judge and Route.SizeReason return them.
const (
	ReasonInvalidKey       = "invalid-key"                    // invalid UTF-8, control or bidirectional-control characters
	ReasonOutsidePrefix    = uploadroutes.ReasonOutsidePrefix // not under an owner's prefix
	ReasonOwnerMismatch    = "owner-mismatch"                 // x-oss-meta-owner is not the key's owner
	ReasonNotPlainObject   = "not-plain-object"               // a symlink, an appendable object, or an unknown object type
	ReasonStorageClass     = "storage-class"                  // Archive, ColdArchive, DeepColdArchive: not readable at once
	ReasonEmpty            = "empty"
	ReasonTooLarge         = uploadroutes.ReasonTooLarge      // above UPLOAD_MAX_BYTES or the route's maxBytes
	ReasonUnknownRoute     = uploadroutes.ReasonUnknownRoute  // with UPLOAD_ROUTES: the key is in no route's directory
	ReasonRouteMismatch    = uploadroutes.ReasonRouteMismatch // x-oss-meta-route is not the key's route, or absent with UPLOAD_ROUTES
	ReasonTooSmall         = uploadroutes.ReasonTooSmall      // below the route's minBytes
	ReasonUnpinnedMetadata = "unpinned-metadata"              // the app's metadata or an upload pin that no valid pin vouches for
	ReasonSizeMismatch     = "size-mismatch"                  // x-oss-meta-declared-size is not the stored size
	ReasonUnsafeHeader     = "unsafe-header"                  // Content-Encoding, Content-Disposition or Content-Type parameters change how it is served
	ReasonTypeMismatch     = "type-mismatch"                  // stored, declared, sniffed and extension types disagree
	ReasonTypeNotAllowed   = "type-not-allowed"               // a type (stored, declared, sniffed or the extension's) is not allowed
	ReasonActiveContent    = "active-content"                 // text holding markup a browser would render
	ReasonUnverifiable     = "unverifiable"                   // text too big to scan, or in an encoding the scan cannot read
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
	// Route is the name of the route whose directory holds the key ("" when
	// the key is in none: outside-prefix, unknown-route, or judged before).
	Route string
	// Metadata are the app's metadata (the hook's, names without
	// x-oss-meta-) that a valid upload pin vouches for; nil without one.
	Metadata map[string]string
}

// Rejected reports whether the verdict is a rejection.
func (v Verdict) Rejected() bool { return v.Status == StatusRejected }

func reject(reason, owner, detail string) Verdict {
	return Verdict{Status: StatusRejected, Reason: reason, Owner: owner, Detail: detail}
}

// rejected is v (owner, route, metadata kept) rejected for reason.
func (v Verdict) rejected(reason, detail string) Verdict {
	v.Status, v.Reason, v.Detail = StatusRejected, reason, detail
	return v
}

// declaredType is the policy-pinned x-oss-meta-declared-type, normalised
// ("" when absent).
func declaredType(info ObjectInfo) string { return NormalizeType(info.Meta["declared-type"]) }

// storedType is the stored Content-Type, normalised; "" when it makes no
// claim: absent, or application/octet-stream, the default SDKs send for an
// unknown file and which browsers download rather than render.
func storedType(info ObjectInfo) string {
	if t := NormalizeType(info.ContentType); t != octetStream {
		return t
	}
	return ""
}

// precheck applies every rule that needs no content bytes, in a fixed order
// (the first failure is the verdict): invalid-key, outside-prefix,
// owner-mismatch, not-plain-object, storage-class, empty, too-large (over
// UPLOAD_MAX_BYTES, which bounds every route and so every copy kept for
// review of a reason judged after it), then the route (judgeRoute: unknown-route, route-mismatch,
// too-large and too-small for the route's sizes, unpinned-metadata), then
// size-mismatch, unsafe-header and the type rules that HEAD alone decides
// with the route's rules (type-mismatch between the stored and the
// declared type, type-not-allowed for either or for the extension's
// type). ok is false when the object is already rejected; rules are the
// route's, which contentCheck applies next.
func precheck(j judge, key string, info ObjectInfo) (v Verdict, rules uploadrules.Rules, ok bool) {
	if why := keyProblem(key); why != "" {
		return reject(ReasonInvalidKey, "", why), rules, false
	}
	owner, inside := j.base.OwnerOf(key)
	if !inside {
		return reject(ReasonOutsidePrefix, "", "key is not inside an owner prefix"), rules, false
	}
	if m, has := info.Meta["owner"]; has && m != owner {
		return reject(ReasonOwnerMismatch, owner, "x-oss-meta-owner differs from the key's owner"), rules, false
	}
	if !plainObject(info.ObjectType) {
		return reject(ReasonNotPlainObject, owner, "object type "+strconv.Quote(info.ObjectType)+" is not a plain upload"), rules, false
	}
	if !readableClass(info.StorageClass) {
		return reject(ReasonStorageClass, owner, "storage class "+strconv.Quote(info.StorageClass)+" cannot be read at once"), rules, false
	}
	if info.Size <= 0 {
		return reject(ReasonEmpty, owner, "object is empty"), rules, false
	}
	if info.Size > j.base.MaxBytes {
		return reject(ReasonTooLarge, owner, "object is "+strconv.FormatInt(info.Size, 10)+" bytes, cap "+strconv.FormatInt(j.base.MaxBytes, 10)), rules, false
	}
	v, rules, ok = j.judgeRoute(owner, key, info)
	if !ok {
		return v, rules, false
	}
	if d, has := info.Meta["declared-size"]; has {
		n, err := strconv.ParseInt(strings.TrimSpace(d), 10, 64)
		if err != nil || n != info.Size {
			return v.rejected(ReasonSizeMismatch, "declared size differs from the stored size"), rules, false
		}
	}
	if why := headerProblem(info); why != "" {
		return v.rejected(ReasonUnsafeHeader, why), rules, false
	}
	stored, declared := storedType(info), declaredType(info)
	if declared != "" && NormalizeType(info.ContentType) != declared {
		return v.rejected(ReasonTypeMismatch, "stored Content-Type "+strconv.Quote(info.ContentType)+", declared "+declared), rules, false
	}
	claims := []struct{ what, t string }{{"stored", stored}, {"declared", declared}, {"extension's", extensionType(key)}}
	for _, t := range downloadTypes(info) {
		claims = append(claims, struct{ what, t string }{"download name's", t})
	}
	for _, c := range claims {
		if c.t != "" && !rules.Allows(c.t) {
			return v.rejected(ReasonTypeNotAllowed, c.what+" type "+c.t+" is not allowed"), rules, false
		}
	}
	return v, rules, true
}

// extendedParam matches the name of an RFC 8187 extended parameter
// ("filename*"), so that it can be renamed away and the plain parameter
// it would hide read too.
var extendedParam = regexp.MustCompile(`(?i)filename\*`)

// downloadTypes returns the types claimed by the file names a
// Content-Disposition gives the object when a browser downloads it: the
// filename parameter, and filename* (RFC 6266 §4.3: a browser that knows
// filename* uses it, an older one uses filename, so both count; Go's
// mime.ParseMediaType reports only filename*). A name's last path segment
// (after / or \) is what a browser saves, and nameType judges it as it
// judges a key. A Content-Disposition that does not parse is refused by
// headerProblem first.
func downloadTypes(info ObjectInfo) []string {
	d := strings.TrimSpace(info.ContentDisposition)
	if d == "" {
		return nil
	}
	var out []string
	for _, h := range []string{d, extendedParam.ReplaceAllString(d, "x-ignored*")} {
		_, params, err := mime.ParseMediaType(h)
		if err != nil {
			continue
		}
		name, ok := params["filename"]
		if !ok {
			continue
		}
		if i := strings.LastIndexAny(name, `/\`); i >= 0 {
			name = name[i+1:]
		}
		if t := nameType(name); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// keyProblem says what makes a key unacceptable ("" when nothing): invalid
// UTF-8 (OSS keys are UTF-8), control characters (C0, DEL, C1: NUL, newline,
// escape sequences break logs, URLs and file systems downstream) and the
// bidirectional controls that make a name display differently from what it
// is ("invoice\u202Egpj.exe"), and the backslash, which Windows tools read
// as a path separator (`uploads/u/..\..\x` copied to a Windows disk
// climbs out of its folder; OSS only refuses a leading one). Keys made by
// the sign function never hold any of these; an STS upload can.
func keyProblem(key string) string {
	if !utf8.ValidString(key) {
		return "key is not valid UTF-8"
	}
	for _, c := range key {
		switch {
		case unicode.IsControl(c):
			return "key holds a control character"
		case c == '\\':
			return "key holds a backslash"
		case c == 0x061C, c == 0x200E, c == 0x200F, 0x202A <= c && c <= 0x202E, 0x2066 <= c && c <= 0x2069:
			return "key holds a bidirectional control character"
		}
	}
	return ""
}

// plainObject accepts the object types of a plain upload. HeadObject's
// x-oss-object-type is Normal (PutObject, PostObject, CopyObject),
// Multipart (CompleteMultipartUpload), Appendable (AppendObject: it can
// still grow after the check) or Symlink (PutSymlink: HEAD and GET answer
// with the target's data, which may change or be someone else's).
// https://www.alibabacloud.com/help/en/oss/developer-reference/headobject
func plainObject(t string) bool { return t == "Normal" || t == "Multipart" }

// readableClass accepts storage classes whose objects can be read at once:
// Standard and IA (and no header). Archive, ColdArchive and DeepColdArchive
// objects must be restored before GetObject works.
// https://www.alibabacloud.com/help/en/oss/user-guide/overview-53
func readableClass(c string) bool { return c == "" || c == "Standard" || c == "IA" }

// asciiCompatible are the charsets a text object may declare: those in
// which '<' and the markup the scan looks for are the ASCII bytes. UTF-16,
// UTF-32 and UTF-7 are refused: the byte scan cannot read them.
var asciiCompatible = map[string]bool{
	"utf-8": true, "utf8": true, "us-ascii": true, "iso-8859-1": true, "windows-1252": true,
	"gbk": true, "gb2312": true, "gb18030": true, "big5": true,
}

// headerProblem judges the stored headers an uploader with STS credentials
// can set and that change how OSS serves the object ("" when all are safe):
//
//   - Content-Encoding must be absent or identity: a gzip or br encoding
//     makes the browser decode bytes the check never saw.
//   - Content-Disposition must be absent or attachment (any filename
//     parameters): inline or anything unparsable is refused, so an upload
//     cannot ask to be rendered.
//   - Content-Type must parse as one media type; its only parameter may be
//     a charset from asciiCompatible, and only on text/* and
//     application/json. "text/html; x=image/png" and "image/png;
//     charset=utf-8" are refused.
func headerProblem(info ObjectInfo) string {
	if e := strings.TrimSpace(info.ContentEncoding); e != "" && !strings.EqualFold(e, "identity") {
		return "Content-Encoding " + strconv.Quote(e)
	}
	if d := strings.TrimSpace(info.ContentDisposition); d != "" {
		if dt, _, err := mime.ParseMediaType(d); err != nil || dt != "attachment" {
			return "Content-Disposition " + strconv.Quote(d) + " is not attachment"
		}
	}
	ct := strings.TrimSpace(info.ContentType)
	if ct == "" {
		return ""
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "Content-Type " + strconv.Quote(ct) + " is not one media type"
	}
	for k, v := range params {
		textual := strings.HasPrefix(mt, "text/") || mt == "application/json"
		if k != "charset" || !textual || !asciiCompatible[strings.ToLower(v)] {
			return "Content-Type " + strconv.Quote(ct) + " has a parameter other than an ASCII-compatible charset on text"
		}
	}
	return ""
}

// contentCheck applies the type rules to the sniffed type: type-mismatch
// (sniffed type disagrees with the stored type, the declared type or the
// key's extension) before type-not-allowed (sniffed type, see
// sniffAllowed and narrowsTo, not in the allow-list), because a lie about
// the type is the more specific finding. The claimed types themselves were
// judged strictly by precheck (uploadrules.Rules.Allows).
func contentCheck(r uploadrules.Rules, key string, info ObjectInfo, sniffed string, v Verdict) Verdict {
	v.SniffedType = sniffed
	stored, declared, ext := storedType(info), declaredType(info), extensionType(key)
	claims := []struct{ what, t string }{{"stored type", stored}, {"declared", declared}, {"extension says", ext}}
	for _, t := range downloadTypes(info) {
		claims = append(claims, struct{ what, t string }{"download name says", t})
	}
	for _, c := range claims {
		if !consistent(c.t, sniffed) {
			v.Status, v.Reason, v.Detail = StatusRejected, ReasonTypeMismatch, "content is "+sniffed+", "+c.what+" "+c.t
			return v
		}
	}
	claimed := declared
	if claimed == "" {
		claimed = stored
	}
	if claimed == "" {
		claimed = ext
	}
	if !sniffAllowed(r, sniffed) && !narrowsTo(sniffed, claimed, r) {
		v.Status, v.Reason, v.Detail = StatusRejected, ReasonTypeNotAllowed, "content type "+sniffed+" is not allowed"
		return v
	}
	return v
}

// needsScan reports whether the object is text a browser could read as
// markup: its stored type is text/*, or the sniffer saw text (text/plain or
// a kind of it: CSV, JSON, ...). Such objects are scanned whole, unless
// they are markup the operator allowed by name (text/html in the
// allow-list: an HTML page is expected to hold tags).
func needsScan(info ObjectInfo, sniffed string) bool {
	if uploadrules.IsActive(sniffed) || uploadrules.IsActive(storedType(info)) {
		return false
	}
	if strings.HasPrefix(storedType(info), "text/") || sniffed == "text/plain" {
		return true
	}
	s, p := mimetype.Lookup(sniffed), mimetype.Lookup("text/plain")
	return s != nil && descends(s, p)
}

// Check applies every rule to an object given its HEAD answer and its
// content: the first SniffLimit bytes are sniffed, and text is scanned
// whole (content shorter than info.Size is scanned as far as it goes). It
// is pure: the verifier applies the metadata rules first and reads bytes
// only when they pass; Check is the same logic in one call for callers
// that already hold the bytes.
//
// Check judges by the default route made from r (uploadroutes.Default), as
// a verifier without UPLOAD_ROUTES and without UPLOAD_HOOK_SECRET does.
func Check(r uploadrules.Rules, key string, info ObjectInfo, content []byte) Verdict {
	return defaultJudge(r).check(key, info, content)
}

func (j judge) check(key string, info ObjectInfo, content []byte) Verdict {
	v, r, ok := precheck(j, key, info)
	if !ok {
		return v
	}
	head := content
	if len(head) > SniffLimit {
		head = head[:SniffLimit]
	}
	v = contentCheck(r, key, info, Sniff(head), v)
	if v.Rejected() || !needsScan(info, v.SniffedType) {
		return v
	}
	if info.Size > TextScanLimit {
		return textTooBig(v)
	}
	found, err := ScanText(bytes.NewReader(content))
	return scanVerdict(v, found, err)
}

func textTooBig(v Verdict) Verdict {
	v.Status, v.Reason, v.Detail = StatusRejected, ReasonUnverifiable, "text larger than the scan limit "+strconv.Itoa(TextScanLimit)+" bytes"
	return v
}

// scanVerdict turns a ScanText result into the verdict.
func scanVerdict(v Verdict, found string, err error) Verdict {
	switch {
	case err == errNotASCIICompatible:
		v.Status, v.Reason, v.Detail = StatusRejected, ReasonUnverifiable, "text in UTF-16 or UTF-32"
	case found != "":
		v.Status, v.Reason, v.Detail = StatusRejected, ReasonActiveContent, "text holds markup "+strconv.Quote(found)
	}
	return v
}

// sniffAllowed applies the allow-list to the sniffed type: what the
// content looks like, not a type the object is stored, declared or named
// as (those precheck judges strictly with uploadrules.Rules.Allows). The
// sniffed type may be a more specific kind of an allowed type: a text
// file that happens to parse as CSV or JSON when text/plain is allowed,
// a docx or jar when application/zip is allowed. Where the object makes a
// claim, consistent has already tied the sniffed type to it (equal, a
// more specific kind, or the family the sniffer could see), and every
// claim is allowed literally, so a family admits only content that
// agrees with an allowed claim. With no claim at all (no stored or
// declared type, no extension that names one) the object is served as
// unknown binary and downloaded; the family rule there is the one verify
// always had. Active content is never admitted through a
// family: it must be allowed by name (Allows; a kind of active content is
// active itself, see uploadrules.IsActive).
func sniffAllowed(r uploadrules.Rules, sniffed string) bool {
	if r.Allows(sniffed) {
		return true
	}
	if sniffed == "" || uploadrules.IsActive(sniffed) {
		return false
	}
	m := mimetype.Lookup(sniffed)
	if m == nil {
		return false
	}
	for p := m.Parent(); p != nil && p.String() != octetStream; p = p.Parent() {
		if r.Allows(p.String()) {
			return true
		}
	}
	return false
}

// narrowsTo reports whether the sniffer saw only a container or family
// (application/zip, text/plain) that the claimed type is a specific,
// allowed, non-active kind of: the first 3 KiB of a docx can look like any
// zip.
func narrowsTo(sniffed, claimed string, r uploadrules.Rules) bool {
	if claimed == "" || claimed == sniffed || uploadrules.IsActive(claimed) {
		return false
	}
	c, s := mimetype.Lookup(claimed), mimetype.Lookup(sniffed)
	if c == nil || s == nil || !descends(c, s) {
		return false
	}
	return r.TypeAllowed(claimed)
}
