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
// the end), a namespaced name ("<x:script"), one of markupOpeners, or a
// start tag of any name with an event handler attribute ("<x onclick=").
// Text starting with a UTF-16 or UTF-32 byte-order mark is refused with an
// error: its markup would not be the bytes the scan looks for.
func ScanText(r io.Reader) (found string, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(4); bytes.HasPrefix(bom, []byte{0xFE, 0xFF}) || bytes.HasPrefix(bom, []byte{0xFF, 0xFE}) ||
		bytes.HasPrefix(bom, []byte{0, 0, 0xFE, 0xFF}) {
		return "", errNotASCIICompatible
	}
	covered := 0 // bytes ahead that lie inside a start tag already scanned for handlers
	for {
		line, err := br.ReadSlice('<')
		covered -= len(line)
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
		if covered > 0 || len(next) == 0 || !isLetter(next[0]) {
			continue
		}
		// A start tag of any other name ("<x onclick=…>", a custom
		// element) runs script through an event handler attribute: read
		// the tag to its end, a window at a time.
		ts, discarded := tagScanner{}, 0
		for {
			win, _ := br.Peek(maxTagBytes) // shorter at the end: fine
			found, n, done := ts.feed(win)
			if found != "" {
				return found, nil
			}
			if done || len(win) < maxTagBytes {
				// Later '<' inside this tag were read by the tag scan;
				// the markup check still looks at them, the tag scan not.
				covered = n - discarded
				break
			}
			// A tag longer than the window: its rest is attributes,
			// read on without stopping at each '<' inside it.
			if _, err := br.Discard(len(win)); err != nil {
				return "", err
			}
			discarded += len(win)
		}
	}
}

// maxTagBytes is how much of a start tag the scan reads at a time.
const maxTagBytes = 32 << 10

func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// tagScanner follows a start tag as the HTML tokenizer does (WHATWG HTML
// "tag name", "before/after attribute name", "attribute value (double-
// quoted, single-quoted, unquoted)" states) and finds the first event
// handler attribute: a name of three or more letters starting with "on",
// given a value. It is fed the bytes after '<'.
type tagScanner struct {
	state     int
	quote     byte
	attrLen   int
	attrStart [2]byte
	seen      int // bytes fed so far
}

const (
	tsName = iota
	tsBetween
	tsAttr
	tsAfterAttr
	tsBeforeValue
	tsQuoted
	tsUnquoted
)

// feed reads b. It returns the handler found (found != ""), or done when
// the tag ended (n is then the offset, from the tag's start, of its '>'),
// or neither when b ended inside the tag (n is then the bytes fed in all).
func (t *tagScanner) feed(b []byte) (found string, n int, done bool) {
	for i, c := range b {
		ws := c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
		switch t.state {
		case tsName:
			switch {
			case c == '>':
				return "", t.seen + i, true
			case ws || c == '/':
				t.state = tsBetween
			}
		case tsBetween:
			switch {
			case c == '>':
				return "", t.seen + i, true
			case ws || c == '/':
			default:
				t.startAttr(c)
			}
		case tsAttr, tsAfterAttr:
			switch {
			case c == '>':
				return "", t.seen + i, true
			case c == '=':
				if t.attrLen > 2 && t.attrStart == [2]byte{'o', 'n'} {
					return "an event handler attribute", 0, false
				}
				t.state = tsBeforeValue
			case c == '/':
				t.state = tsBetween
			case ws:
				t.state = tsAfterAttr
			case t.state == tsAfterAttr:
				t.startAttr(c)
			default:
				if t.attrLen == 1 {
					t.attrStart[1] = c | 0x20
				}
				t.attrLen++
			}
		case tsBeforeValue:
			switch {
			case c == '>':
				return "", t.seen + i, true
			case c == '"' || c == '\'':
				t.state, t.quote = tsQuoted, c
			case !ws:
				t.state = tsUnquoted
			}
		case tsQuoted:
			if c == t.quote {
				t.state = tsBetween
			}
		case tsUnquoted:
			switch {
			case c == '>':
				return "", t.seen + i, true
			case ws:
				t.state = tsBetween
			}
		}
	}
	t.seen += len(b)
	return "", t.seen, false
}

func (t *tagScanner) startAttr(c byte) {
	t.state, t.attrLen, t.attrStart = tsAttr, 1, [2]byte{c | 0x20, 0}
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
