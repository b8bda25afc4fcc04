package uploadpin

import (
	"maps"
	"testing"
)

// hookKey is a 32-byte hook key (what stdwebhook.ParseSecret returns).
var hookKey = []byte("0123456789abcdef0123456789abcdef")

// The vectors were computed outside this code, with Python's hmac and
// hashlib from the construction in the package comment:
//
//	k = HMAC-SHA256(hookKey, "ossupload upload pin v1")
//	f(s) = 8-byte big-endian len(s) || s
//	pin = "v1." + base64url-nopad(HMAC-SHA256(k, f(route) f(owner) f(scope) f(declaredType) f(declaredSize)
//	                                           u64(n) f(name1) f(value1) ...))
func TestSignVectors(t *testing.T) {
	k := Key(hookKey)
	for _, tc := range []struct {
		name string
		pin  Pin
		want string
	}{
		{"sts directory with metadata", Pin{Route: "avatar", Owner: "alice", Scope: "uploads/alice/avatars/",
			Metadata: map[string]string{"team": "blue", "project-id": "p-7"}}, "v1.H71tlZ3v5LdWUSCOwotrxmAx2iGxHQuSnWmjucW4nI4"},
		{"exact key without metadata", Pin{Route: "default", Owner: "bob", Scope: "uploads/bob/x.png"},
			"v1.ef_LvLIMp4WtRzJcr6lHV4Xrzj1OqpNeG9iyJbKM8zw"},
		{"exact key with declared type and size", Pin{Route: "document", Owner: "carol",
			Scope:        "uploads/carol/documents/2026/12/01/00112233aabbccdd.300000-cv.pdf",
			DeclaredType: "application/pdf", DeclaredSize: "300000", Metadata: map[string]string{"project-id": "p-7"}},
			"v1.qWAatz1QZKEairK7x-Z-UCh4HHcw56VDJ3g2BcZV9fo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sign(k, tc.pin); got != tc.want {
				t.Fatalf("Sign = %s, want %s", got, tc.want)
			}
			if !Valid(k, tc.pin, tc.want) {
				t.Fatal("Valid refused its own vector")
			}
		})
	}
}

// TestValidRefusesEveryChange changes one thing at a time, including
// changes that keep the concatenation of the fields the same.
func TestValidRefusesEveryChange(t *testing.T) {
	k := Key(hookKey)
	base := Pin{Route: "avatar", Owner: "alice", Scope: "uploads/alice/avatars/", Metadata: map[string]string{"project-id": "p-7"}}
	good := Sign(k, base)
	with := func(f func(p *Pin)) Pin {
		p := base
		p.Metadata = maps.Clone(base.Metadata)
		f(&p)
		return p
	}
	for name, p := range map[string]Pin{
		"other route":            with(func(p *Pin) { p.Route = "document" }),
		"other owner":            with(func(p *Pin) { p.Owner = "mallory" }),
		"other scope":            with(func(p *Pin) { p.Scope = "uploads/alice/documents/" }),
		"field boundary moved":   with(func(p *Pin) { p.Route, p.Owner = "avatara", "lice" }),
		"a declared size":        with(func(p *Pin) { p.DeclaredSize = "50" }),
		"a declared type":        with(func(p *Pin) { p.DeclaredType = "image/png" }),
		"declared type as size":  with(func(p *Pin) { p.DeclaredSize = "image/png" }),
		"metadata value changed": with(func(p *Pin) { p.Metadata["project-id"] = "p-8" }),
		"metadata added":         with(func(p *Pin) { p.Metadata["team"] = "blue" }),
		"metadata removed":       with(func(p *Pin) { p.Metadata = nil }),
		"name and value swapped": with(func(p *Pin) { p.Metadata = map[string]string{"p-7": "project-id"} }),
		"pair boundary moved":    with(func(p *Pin) { p.Metadata = map[string]string{"project-idp": "-7"} }),
	} {
		t.Run(name, func(t *testing.T) {
			if Valid(k, p, good) {
				t.Fatal("a pin for other facts was accepted")
			}
		})
	}
	for name, v := range map[string]string{
		"empty":          "",
		"no version":     good[len("v1."):],
		"other version":  "v2." + good[len("v1."):],
		"truncated":      good[:len(good)-2],
		"not base64":     "v1.!!!!",
		"other key":      Sign(Key([]byte("another 32-byte hook key ........")), base),
		"hook key as is": Sign(hookKey, base),
	} {
		t.Run(name, func(t *testing.T) {
			if Valid(k, base, v) {
				t.Fatalf("value %q was accepted", v)
			}
		})
	}
}
