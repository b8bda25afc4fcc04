package uploadrules

import (
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// activeTypes are content a browser may execute or render as a document
// with script when served from the bucket's origin. They are verified only
// when the allow-list names them exactly: never through a wildcard
// (image/* does not admit SVG) or a more generic family (text/plain does
// not admit HTML).
var activeTypes = map[string]bool{
	"text/html": true, "application/xhtml+xml": true, "image/svg+xml": true,
	"text/xml": true, "application/xml": true, "text/xsl": true, "application/xslt+xml": true,
	"text/javascript": true, "application/javascript": true, "application/x-javascript": true,
	"application/ecmascript": true, "text/ecmascript": true,
	"application/x-shockwave-flash": true, "text/x-component": true, "application/hta": true,
	"multipart/related": true, "message/rfc822": true, "multipart/x-mixed-replace": true,
}

// IsActive reports whether a normalised media type is active content: a
// listed type, any XML (*/xml, *+xml), any JavaScript, or a kind of one of
// them in the sniffer's type tree (application/rss+xml under text/xml).
func IsActive(t string) bool {
	if activeTypes[t] || strings.HasSuffix(t, "/xml") || strings.HasSuffix(t, "+xml") ||
		strings.Contains(t, "javascript") || strings.Contains(t, "ecmascript") {
		return true
	}
	for m := mimetype.Lookup(t); m != nil; m = m.Parent() {
		if activeTypes[m.String()] {
			return true
		}
	}
	return false
}

// AllowedByName reports whether the allow-list names the media type t
// itself, not through a wildcard (both compared normalised, so an alias
// spelling on either side counts).
func (r Rules) AllowedByName(t string) bool {
	t = NormalizeType(t)
	for _, p := range r.AllowedTypes {
		if t != "" && !strings.Contains(p, "*") && NormalizeType(p) == t {
			return true
		}
	}
	return false
}
