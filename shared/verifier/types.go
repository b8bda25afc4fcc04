package verifier

import (
	"path"
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"github.com/ossupload/ossupload/shared/uploadrules"
)

// SniffLimit is how many leading bytes are read for content sniffing: the
// default read limit of github.com/gabriel-vasile/mimetype.
const SniffLimit = 3072

// octetStream is what the sniffer answers for content it does not recognise,
// and the root of its type tree.
const octetStream = uploadrules.OctetStream

// extTypes maps file extensions to the type they claim. Only extensions
// listed here (or the sniffed type's own extensions) make a claim; an
// unknown extension is not evidence either way.
var extTypes = map[string]string{
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg", ".jfif": "image/jpeg",
	".png": "image/png", ".apng": "image/png", ".gif": "image/gif", ".webp": "image/webp",
	".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff", ".ico": "image/x-icon",
	".heic": "image/heic", ".heif": "image/heif", ".avif": "image/avif", ".svg": "image/svg+xml",
	".pdf": "application/pdf", ".txt": "text/plain", ".text": "text/plain", ".log": "text/plain",
	".md": "text/plain", ".csv": "text/csv", ".tsv": "text/tab-separated-values",
	".json": "application/json", ".xml": "text/xml", ".html": "text/html", ".htm": "text/html",
	".js": "text/javascript", ".zip": "application/zip", ".gz": "application/gzip",
	".tar": "application/x-tar", ".7z": "application/x-7z-compressed", ".rar": "application/x-rar-compressed",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".doc":  "application/msword", ".xls": "application/vnd.ms-excel", ".ppt": "application/vnd.ms-powerpoint",
	".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm",
	".mkv": "video/x-matroska", ".avi": "video/x-msvideo", ".mp3": "audio/mpeg", ".wav": "audio/wav",
	".ogg": "audio/ogg", ".flac": "audio/flac", ".m4a": "audio/x-m4a",
	".exe": "application/vnd.microsoft.portable-executable", ".dll": "application/vnd.microsoft.portable-executable",
	// Extensions of active content (see uploadrules.IsActive): a server or CDN in front
	// of the bucket may derive the type from them.
	".shtml": "text/html", ".xhtml": "application/xhtml+xml", ".xht": "application/xhtml+xml",
	".svgz": "image/svg+xml", ".mjs": "text/javascript", ".cjs": "text/javascript",
	".xsl": "text/xsl", ".xslt": "application/xslt+xml", ".rss": "application/rss+xml", ".atom": "application/atom+xml",
	".mht": "multipart/related", ".mhtml": "multipart/related", ".swf": "application/x-shockwave-flash",
	".hta": "application/hta", ".htc": "text/x-component",
}

// NormalizeType is uploadrules.NormalizeType: sign and verify spell a
// type one way.
func NormalizeType(t string) string { return uploadrules.NormalizeType(t) }

// Sniff detects the content type of the leading bytes of an object. It
// returns the normalised type (no parameters).
func Sniff(head []byte) string {
	return NormalizeType(mimetype.Detect(head).String())
}

// consistent reports whether a claimed type (declared by the client, or
// implied by the extension) agrees with the sniffed type. Both are
// normalised. Agreement means: equal; or the content is a more specific
// kind of what was claimed (sniffed docx, claimed application/zip); or the
// sniffer saw only a generic family the claim belongs to (sniffed text/plain,
// claimed text/csv; sniffed application/zip, claimed a docx when the first
// 3 KiB did not reveal the document). "Unknown binary" (application/octet-
// stream) agrees only with a claim the sniffer cannot recognise, because a
// recognisable format would have been recognised.
func consistent(claimed, sniffed string) bool {
	if claimed == "" || claimed == sniffed {
		return true
	}
	c := mimetype.Lookup(claimed)
	if c == nil {
		// A type the sniffer does not know: only "unknown binary" agrees.
		return sniffed == octetStream
	}
	if sniffed == octetStream {
		return claimed == octetStream
	}
	s := mimetype.Lookup(sniffed)
	if s == nil {
		return false
	}
	return descends(s, c) || descends(c, s)
}

// descends reports whether m is a strict descendant of anc in the sniffer's
// type tree, never counting the root (everything descends from it).
func descends(m, anc *mimetype.MIME) bool {
	if anc.String() == octetStream {
		return false
	}
	for p := m.Parent(); p != nil; p = p.Parent() {
		if p.String() == anc.String() {
			return true
		}
	}
	return false
}

// extensionType returns the type a key's file extension claims ("" when the
// extension makes no claim). See nameType.
func extensionType(key string) string { return nameType(key) }

// nameType returns the type a file name's extension claims ("" when it
// makes no claim): the extension is compared without letter case, and
// after trailing dots and spaces are dropped, because Windows drops them
// when it names a file ("x.html." and "x.html " are saved as "x.html", per
// Microsoft's "Naming Files, Paths, and Namespaces": "Do not end a file or
// directory name with a space or a period"), so a browser downloading the
// object may store it under the extension they seem to hide.
func nameType(name string) string {
	name = strings.TrimRight(name, ". ")
	ext := strings.ToLower(path.Ext(name))
	if ext == "" {
		return ""
	}
	if t, ok := extTypes[ext]; ok {
		return NormalizeType(t)
	}
	return ""
}
