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
//	pin = "v1." + base64url-nopad(HMAC-SHA256(k, f(route) f(owner) f(scope) u64(n) f(name1) f(value1) ...))
func TestSignVectors(t *testing.T) {
	k := Key(hookKey)
	for _, tc := range []struct {
		name string
		pin  Pin
		want string
	}{
		{"sts directory with metadata", Pin{Route: "avatar", Owner: "alice", Scope: "uploads/alice/avatars/",
			Metadata: map[string]string{"team": "blue", "project-id": "p-7"}}, "v1.97m3gkaVBQGtP8p2R0GfX-j1lGc62Sl66ZJ5wWTsn8A"},
		{"exact key without metadata", Pin{Route: "default", Owner: "bob", Scope: "uploads/bob/x.png"},
			"v1.w_lG3CdhD_ACAZvFZ7Bpw0uAjoD7dpOPZlPOgN98VEE"},
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
