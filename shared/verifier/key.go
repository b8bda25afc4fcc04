package verifier

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// DecodeKey interprets an object key taken from an event. OSS documents plain
// keys in event payloads, but URL-encoded keys have been seen in notification
// channels, and a real key may itself contain '%' (a file named "100%.txt").
// Both readings cannot always be told apart, so the rule is:
//
// The key is read as percent-encoded only when it looks like the output of a
// percent-encoder: it contains at least one %XX escape, every '%' starts a
// valid %XX escape, it contains no byte an encoder would have escaped
// (controls, space, DEL, non-ASCII), and the decoded bytes are valid UTF-8
// without control characters. '+' is kept literal (path encoding, not form
// encoding). Then key = the decoded form and alt = the raw form; otherwise
// key = raw and alt = "".
//
// Callers try key first and fall back to alt when key does not exist, so a
// literal key that happens to look encoded ("a%20b.txt") is still found.
func DecodeKey(raw string) (key, alt string) {
	if !strings.Contains(raw, "%") || !looksEncoded(raw) {
		return raw, ""
	}
	dec, err := url.PathUnescape(raw)
	if err != nil || dec == raw || !utf8.ValidString(dec) || hasControl(dec) {
		return raw, ""
	}
	return dec, raw
}

// looksEncoded reports whether s consists only of characters an encoder
// leaves literal and well-formed %XX escapes, with at least one escape.
func looksEncoded(s string) bool {
	escapes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			escapes++
			i += 2
		case c <= 0x20 || c >= 0x7f:
			return false
		}
	}
	return escapes > 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
