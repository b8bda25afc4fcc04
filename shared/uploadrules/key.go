package uploadrules

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxUserIDLen caps a user id, which must match ^[A-Za-z0-9._@-]{1,64}$ and
// be neither "." nor contain "..".
const MaxUserIDLen = 64

// ValidUserID reports whether id is a safe key segment.
func ValidUserID(id string) bool {
	if id == "" || len(id) > MaxUserIDLen || id == "." || strings.Contains(id, "..") {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(isASCIILetter(c) || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '@' || c == '-') {
			return false
		}
	}
	return true
}

// UserPrefix returns the prefix of every object of userID:
// Prefix + userID + "/".
func (r Rules) UserPrefix(userID string) string { return r.Prefix + userID + "/" }

// NewKey returns a fresh object key for userID:
// <Prefix><userID>/<yyyy>/<mm>/<dd>/<16 hex>-<sanitised filename>, with the
// UTC date of now and 8 bytes from random (crypto/rand.Reader in production).
// Errors are *Error (invalid_request for the user id, invalid_filename) or a
// failure to read random.
func (r Rules) NewKey(userID, filename string, now time.Time, random io.Reader) (string, error) {
	return r.NewKeyIn(userID, "", filename, now, random)
}

// NewKeyIn is NewKey with the key in dir under the user's prefix:
// <Prefix><userID>/<dir>/<yyyy>/<mm>/<dd>/<16 hex>-<sanitised filename>, or
// exactly NewKey's layout for dir "". dir is a route's directory, validated
// with the route configuration ("avatars", "docs/pdf"): no leading or
// trailing "/", no empty, "." or ".." segment; one that is not is
// invalid_request, so a key never escapes the user's prefix.
func (r Rules) NewKeyIn(userID, dir, filename string, now time.Time, random io.Reader) (string, error) {
	if !ValidDir(dir) {
		return "", newError(CodeInvalidRequest, "not a route directory")
	}
	if !ValidUserID(userID) {
		return "", newError(CodeInvalidRequest, "user id is not a safe key segment")
	}
	name, err := SanitizeFilename(filename)
	if err != nil {
		return "", err
	}
	var rnd [8]byte
	if _, err := io.ReadFull(random, rnd[:]); err != nil {
		return "", fmt.Errorf("uploadrules: read random: %w", err)
	}
	var b strings.Builder
	b.Grow(len(r.Prefix) + len(userID) + len(dir) + 30 + len(name))
	b.WriteString(r.Prefix)
	b.WriteString(userID)
	b.WriteByte('/')
	if dir != "" {
		b.WriteString(dir)
		b.WriteByte('/')
	}
	var date [11]byte // "2006/01/02/"
	b.Write(now.UTC().AppendFormat(date[:0], "2006/01/02/"))
	var hx [16]byte
	hex.Encode(hx[:], rnd[:])
	b.Write(hx[:])
	b.WriteByte('-')
	b.WriteString(name)
	return b.String(), nil
}

// OwnerOf returns the user whose prefix holds key: the segment after Prefix,
// when it is a valid user id followed by "/" and a non-empty rest. Keys with
// an empty, "." or ".." segment after the prefix belong to nobody: OSS keys
// are literal, but anything that normalises paths downstream would read
// "uploads/alice/../bob/x" as bob's.
func (r Rules) OwnerOf(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, r.Prefix)
	if !ok {
		return "", false
	}
	user, tail, ok := strings.Cut(rest, "/")
	if !ok || tail == "" || !ValidUserID(user) {
		return "", false
	}
	for seg := range strings.SplitSeq(tail, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", false
		}
	}
	return user, true
}

// MaxDirLen caps a route directory.
const MaxDirLen = 128

// ValidDir reports whether dir may hold a user's keys below the user's
// prefix: "" (the prefix itself), or path segments of A-Z a-z 0-9 . _ -
// joined by "/", none empty, "." or "..", at most MaxDirLen bytes. It
// excludes "*" and "?", which RAM reads as wildcards in the session
// policy's resource.
func ValidDir(dir string) bool {
	if dir == "" {
		return true
	}
	if len(dir) > MaxDirLen {
		return false
	}
	for seg := range strings.SplitSeq(dir, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(isASCIILetter(c) || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}
