package verifier

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// TextScanLimit is the largest text object the verifier scans for markup:
// every byte of a text object is read (streamed, in constant memory), so
// the cap bounds the time and traffic of one check. Text above it is
// rejected as unverifiable rather than verified unread: markup hidden after
// the first few KiB is exactly what a sniffing browser would find.
const TextScanLimit = 16 << 20

// markupTags are the element names whose start (or end) tag makes a
// browser that sniffs a text response render it as HTML or XML: the
// WHATWG MIME Sniffing "identify an unknown MIME type" HTML patterns
// (https://mimesniff.spec.whatwg.org/#identifying-a-resource-with-an-unknown-mime-type:
// HTML HEAD SCRIPT IFRAME H1 DIV FONT TABLE A STYLE TITLE B BODY BR P), and
// the elements that run script, load content or submit forms.
var markupTags = []string{
	"html", "head", "script", "iframe", "h1", "div", "font", "table", "a", "style", "title", "b", "body", "br", "p",
	"svg", "math", "img", "image", "object", "embed", "applet", "frame", "frameset", "link", "meta", "base",
	"form", "input", "button", "textarea", "select", "video", "audio", "source", "template", "xml", "xmp",
	"plaintext", "noscript", "isindex", "marquee", "details", "dialog", "span", "bgsound", "xss",
}

// markupOpeners are sequences that start markup whatever follows: comments,
// doctype, CDATA, XML declarations and processing instructions.
var markupOpeners = []string{"<!--", "<!doctype", "<![cdata[", "<?xml", "<?xml-stylesheet"}

// maxMarkupPeek is how many bytes after '<' the scan looks at.
const maxMarkupPeek = 32

var errNotASCIICompatible = errors.New("text is UTF-16 or UTF-32")

// ScanText reads r to its end and returns the first markup found that a
// browser sniffing the text could render ("" when none), in a bounded
// buffer. Matching is ASCII case-insensitive: "<" then an optional "/",
// a name from markupTags and a tag-ending byte (white space, "/", ">" or
// the end), a namespaced name ("<x:script"), or one of markupOpeners.
// Text starting with a UTF-16 or UTF-32 byte-order mark is refused with an
// error: its markup would not be the bytes the scan looks for.
func ScanText(r io.Reader) (found string, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(4); bytes.HasPrefix(bom, []byte{0xFE, 0xFF}) || bytes.HasPrefix(bom, []byte{0xFF, 0xFE}) ||
		bytes.HasPrefix(bom, []byte{0, 0, 0xFE, 0xFF}) {
		return "", errNotASCIICompatible
	}
	for {
		_, err := br.ReadSlice('<')
		switch {
		case err == bufio.ErrBufferFull:
			continue // no '<' in a full buffer: skip it
		case err == io.EOF:
			return "", nil
		case err != nil:
			return "", err
		}
		next, _ := br.Peek(maxMarkupPeek) // shorter at the end: fine
		if m := markupAt(next); m != "" {
			return m, nil
		}
	}
}

// markupAt reports the markup that s (the bytes after a '<') starts, if any.
func markupAt(s []byte) string {
	low := bytes.ToLower(s)
	for _, o := range markupOpeners {
		if bytes.HasPrefix(append([]byte{'<'}, low...), []byte(o)) {
			return o
		}
	}
	name := low
	if len(name) > 0 && name[0] == '/' {
		name = name[1:]
	}
	n := 0
	for n < len(name) && ('a' <= name[n] && name[n] <= 'z' || n > 0 && '0' <= name[n] && name[n] <= '9') {
		n++
	}
	if n == 0 {
		return ""
	}
	if n < len(name) && name[n] == ':' {
		return "<" + string(name[:n+1]) // a namespaced element
	}
	if n < len(name) && !tagEnd(name[n]) {
		return ""
	}
	for _, t := range markupTags {
		if string(name[:n]) == t {
			return "<" + t
		}
	}
	return ""
}

func tagEnd(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\f', '/', '>':
		return true
	}
	return false
}
