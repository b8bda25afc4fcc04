package uploadrules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxFilenameBytes caps the length of a filename as sent by the caller.
const MaxFilenameBytes = 200

// SanitizeFilename turns a caller's filename into the last part of an object
// key, or refuses it with an *Error of code invalid_filename.
//
// Refused: empty or over-long (> MaxFilenameBytes bytes) names, invalid
// UTF-8, path separators (/ and \), "..", a leading dot, drive letters
// ("C:"), control and format characters (including bidirectional overrides
// such as U+202E and zero-width characters), line/paragraph separators and
// anything else that is not printable. Kept: letters, marks, digits, '.', '_'
// and '-'. Mapped: spaces to '-', other printable punctuation and symbols
// (including slash look-alikes such as U+2215 or U+FF0F) to '_'.
func SanitizeFilename(name string) (string, error) {
	switch {
	case name == "":
		return "", newError(CodeInvalidFilename, "filename is empty")
	case len(name) > MaxFilenameBytes:
		return "", newError(CodeInvalidFilename, "filename is longer than 200 bytes")
	case !utf8.ValidString(name):
		return "", newError(CodeInvalidFilename, "filename is not valid UTF-8")
	case strings.ContainsAny(name, `/\`):
		return "", newError(CodeInvalidFilename, "filename must not contain a path separator")
	case strings.Contains(name, ".."):
		return "", newError(CodeInvalidFilename, `filename must not contain ".."`)
	case name[0] == '.':
		return "", newError(CodeInvalidFilename, "filename must not start with a dot")
	case len(name) >= 2 && name[1] == ':' && isASCIILetter(name[0]):
		return "", newError(CodeInvalidFilename, "filename must not start with a drive letter")
	}
	clean := true
	for _, r := range name {
		if m := mapRune(r); m < 0 {
			return "", newError(CodeInvalidFilename, "filename contains a control, format or non-printable character")
		} else if m != r {
			clean = false
		}
	}
	if clean {
		return name, nil // the common case: no copy
	}
	return strings.Map(mapRune, name), nil
}

// mapRune returns the rune to keep, its replacement, or -1 to refuse it.
func mapRune(r rune) rune {
	switch {
	case r < utf8.RuneSelf:
		switch {
		case isASCIILetter(byte(r)) || '0' <= r && r <= '9' || r == '.' || r == '_' || r == '-':
			return r
		case r == ' ':
			return '-'
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return '_' // ASCII punctuation and symbols
	case unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.In(r, unicode.Zl, unicode.Zp):
		return -1
	case unicode.IsSpace(r):
		return '-'
	case unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r):
		return r
	case unicode.IsPrint(r):
		return '_'
	}
	return -1 // unassigned, private use, surrogates
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
