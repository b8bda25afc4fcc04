package verifier

import (
	"regexp"
	"strings"
)

// Rules is the upload configuration shared with the signer.
type Rules struct {
	Prefix       string   // UPLOAD_PREFIX, ends with "/"
	MaxBytes     int64    // UPLOAD_MAX_BYTES
	AllowedTypes []string // UPLOAD_ALLOWED_TYPES, wildcards like image/*
}

var userIDPattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// OwnerOf returns the user id whose prefix holds key.
func (r Rules) OwnerOf(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, r.Prefix)
	if !ok {
		return "", false
	}
	owner, name, ok := strings.Cut(rest, "/")
	if !ok || name == "" || owner == "." || owner == ".." || strings.Contains(owner, "..") || !userIDPattern.MatchString(owner) {
		return "", false
	}
	return owner, true
}

// TypeAllowed reports whether a media type matches the allow-list.
func (r Rules) TypeAllowed(t string) bool {
	t = NormalizeType(t)
	if t == "" {
		return false
	}
	for _, a := range r.AllowedTypes {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "*/*" || a == t || NormalizeType(a) == t {
			return true
		}
		if major, ok := strings.CutSuffix(a, "/*"); ok && strings.HasPrefix(t, major+"/") {
			return true
		}
	}
	return false
}
