package uploadrules

import "strings"

// Verdict tags: the verify function writes them on each checked object and
// the sign function's GET /status reads them.
const (
	TagStatus = "upload-status" // verified | rejected
	TagReason = "upload-reason" // a reason code, only when rejected
	TagETag   = "upload-etag"   // the ETag of the bytes the verdict was computed on
)

// NormalizeETag returns an ETag as OSS events carry it: upper-case, no
// quotes, no weak prefix. HEAD answers `"ABC…"`; events carry `ABC…`.
func NormalizeETag(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "W/")
	s = strings.Trim(s, `"`)
	return strings.ToUpper(s)
}

// VerdictFor returns the verdict that tags record for the object whose
// current ETag is etag: "verified" or "rejected" (with its reason) only
// when the tags' upload-etag is that ETag; otherwise "pending", because a
// verdict describes exactly the bytes it was computed on, never an
// overwrite of them.
func VerdictFor(tags map[string]string, etag string) (status, reason string) {
	if etag == "" || NormalizeETag(tags[TagETag]) != NormalizeETag(etag) {
		return "pending", ""
	}
	switch tags[TagStatus] {
	case "verified":
		return "verified", ""
	case "rejected":
		return "rejected", tags[TagReason]
	}
	return "pending", ""
}
