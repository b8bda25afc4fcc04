// Package uploadpin binds the app's metadata to an upload so verify can
// tell metadata the server pinned from metadata an uploader made up.
//
// The pre-sign hook (package uploadhook) may answer metadata to keep on the
// object, which verify passes to the app's completion webhook. A form
// policy and a presigned initiate pin such metadata, but STS credentials
// cannot: a RAM policy has no condition on x-oss-meta-* headers, so the
// holder of a session may send any metadata. So sign and sts also write a
// pin, x-oss-meta-upload-pin, an HMAC over the route, the owner, the scope
// (the exact key with the declared type and size, or for sts the route's
// directory the session may write) and every metadata pair, keyed from the hook secret that sign, sts and
// verify share (UPLOAD_HOOK_SECRET). verify passes metadata on only when the
// pin matches it exactly.
//
// A pin has no expiry. An object's Last-Modified is the time its upload
// completed, which for a multipart upload can be hours after the
// credentials or URLs that started it were issued, so no expiry could be
// checked against it without refusing honest uploads. A form or presign pin
// names one key; an sts pin names the route directory, so on that path the
// app's metadata is bound to the user and route, not to one upload (README,
// "Pre-sign hook").
package uploadpin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"slices"
	"strings"
)

// MetaName is the metadata name of the pin (x-oss-meta-upload-pin). It is
// one of the service's own names, which the hook may not answer.
const MetaName = "upload-pin"

// version prefixes every pin value so the format can change.
const version = "v1."

// Key derives the pin key from the hook's Standard Webhooks key (the bytes
// stdwebhook.ParseSecret returns), so the hook secret itself never signs a
// pin and a pin never verifies as a hook call.
func Key(hookKey []byte) []byte {
	m := hmac.New(sha256.New, hookKey)
	m.Write([]byte("ossupload upload pin v1"))
	return m.Sum(nil)
}

// Pin is what a pin value vouches for.
type Pin struct {
	Route string
	Owner string
	// Scope is the exact object key (form, presign) or the directory,
	// ending in "/", that an sts session may write.
	Scope string
	// DeclaredType and DeclaredSize are the object's
	// x-oss-meta-declared-type and x-oss-meta-declared-size as a form
	// policy or presigned initiate pins them for the file the hook was
	// asked about ("" when not declared, and always "" for an sts pin,
	// whose session sets them itself). A key's pin vouches for that file
	// only: the caller's sts session may write the same key first, and
	// verify holds the object to its declared size and type.
	DeclaredType, DeclaredSize string
	// Metadata are the app's pairs, names without x-oss-meta-, lower case.
	Metadata map[string]string
}

// Sign returns the pin value for p under key.
func Sign(key []byte, p Pin) string {
	return version + base64.RawURLEncoding.EncodeToString(mac(key, p))
}

// Valid reports whether value is the pin of p under key (constant time).
func Valid(key []byte, p Pin, value string) bool {
	rest, ok := strings.CutPrefix(value, version)
	if !ok {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return false
	}
	return hmac.Equal(got, mac(key, p))
}

// mac is HMAC-SHA256 over the fields, each preceded by its length, and the
// metadata pairs in name order: no two different pins share an input.
func mac(key []byte, p Pin) []byte {
	m := hmac.New(sha256.New, key)
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		m.Write(n[:])
		m.Write([]byte(s))
	}
	field(p.Route)
	field(p.Owner)
	field(p.Scope)
	field(p.DeclaredType)
	field(p.DeclaredSize)
	names := make([]string, 0, len(p.Metadata))
	for k := range p.Metadata {
		names = append(names, k)
	}
	slices.Sort(names)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(names)))
	m.Write(n[:])
	for _, k := range names {
		field(k)
		field(p.Metadata[k])
	}
	return m.Sum(nil)
}
