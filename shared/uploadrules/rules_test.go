package uploadrules

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestNewKey(t *testing.T) {
	r := Default()
	// 23:30 in UTC-5 is the next day in UTC: the key date must be UTC.
	now := time.Date(2024, 2, 29, 23, 30, 0, 0, time.FixedZone("EST", -5*3600))
	rnd := bytes.NewReader([]byte{0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03})
	key, err := r.NewKey("alice@example.com", "My Photo.jpg", now, rnd)
	if err != nil {
		t.Fatal(err)
	}
	if want := "uploads/alice@example.com/2024/03/01/deadbeef00010203-My-Photo.jpg"; key != want {
		t.Fatalf("NewKey = %q, want %q", key, want)
	}
	if u, ok := r.OwnerOf(key); !ok || u != "alice@example.com" {
		t.Fatalf("OwnerOf(%q) = %q, %v", key, u, ok)
	}
	if _, err := r.NewKey("alice", "x.jpg", now, iotest.ErrReader(io.ErrUnexpectedEOF)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("random failure: %v", err)
	}
	if _, err := r.NewKey("alice", "../x", now, rnd); !errors.Is(err, ErrInvalidFilename) {
		t.Fatalf("bad filename: %v", err)
	}
	for _, u := range []string{"", ".", "..", "a..b", "a/b", "a b", strings.Repeat("u", 65), "ü"} {
		if _, err := r.NewKey(u, "x.jpg", now, rnd); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("user %q: %v", u, err)
		}
	}
}

func TestOwnerOf(t *testing.T) {
	r := Rules{Prefix: "tenant/uploads/"}
	cases := []struct {
		key, user string
		ok        bool
	}{
		{"tenant/uploads/bob/2024/01/01/0123456789abcdef-a.jpg", "bob", true},
		{"tenant/uploads/bob/anything", "bob", true},
		{"tenant/uploads/bob/", "", false},
		{"tenant/uploads/bob", "", false},
		{"tenant/uploads//x", "", false},
		{"tenant/uploads/../x/y", "", false},
		{"tenant/uploads/./x", "", false},
		{"tenant/uploads/bob/../alice/x", "", false},
		{"tenant/uploads/bob/./x", "", false},
		{"tenant/uploads/bob//x", "", false},
		{"tenant/uploads/bob/x/", "", false},
		{"tenant/uploads/bob/x/..", "", false},
		{"tenant/uploads/bob/a.b/c..d", "bob", true},
		{"other/bob/x", "", false},
		{"tenant/uploadsbob/x", "", false},
		{"quarantine/tenant/uploads/bob/x", "", false},
	}
	for _, tc := range cases {
		u, ok := r.OwnerOf(tc.key)
		if u != tc.user || ok != tc.ok {
			t.Errorf("OwnerOf(%q) = %q, %v; want %q, %v", tc.key, u, ok, tc.user, tc.ok)
		}
	}
}

func TestTypeAllowed(t *testing.T) {
	r := Rules{AllowedTypes: []string{"image/*", "application/pdf", " Text/Plain "}}
	cases := []struct {
		ct string
		ok bool
	}{
		{"image/png", true},
		{"IMAGE/JPEG", true},
		{"image/svg+xml", true},
		{"application/pdf", true},
		{"text/plain", true},
		{"text/plain; charset=utf-8", true},
		{"text/html", false},
		{"imagex/png", false},
		{"image", false},
		{"image/", false},
		{"/png", false},
		{"", false},
		{"application/pdfx", false},
		{"image/png\r\nX-Evil: 1", false},
		{"text/plain; charset", false},
	}
	for _, tc := range cases {
		if got := r.TypeAllowed(tc.ct); got != tc.ok {
			t.Errorf("TypeAllowed(%q) = %v, want %v", tc.ct, got, tc.ok)
		}
	}
	if r.AllowsAnyType() || !(Rules{AllowedTypes: []string{"*/*"}}).TypeAllowed("x/y") {
		t.Error("*/* handling")
	}
}

func TestCheckDeclared(t *testing.T) {
	r := Rules{Prefix: "uploads/", MaxBytes: 1000, AllowedTypes: []string{"image/*"}}
	cases := []struct {
		size int64
		ct   string
		want error
	}{
		{1, "image/png", nil},
		{1000, "image/png", nil},
		{0, "", nil},
		{1001, "image/png", ErrTooLarge},
		{-1, "image/png", ErrInvalidRequest},
		{10, "text/html", ErrTypeNotAllowed},
		{10, "not a type", ErrInvalidRequest},
	}
	for _, tc := range cases {
		err := r.CheckDeclared(tc.size, tc.ct)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("CheckDeclared(%d, %q) = %v, want %v", tc.size, tc.ct, err, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	err := Rules{Prefix: "/abs", MaxBytes: 0, AllowedTypes: []string{"image", "*/png"}}.Validate()
	if err == nil {
		t.Fatal("bad rules validated")
	}
	for _, want := range []string{"must not start with /", "max bytes", `"image"`, `"*/png"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error %q lacks %q", err, want)
		}
	}
	for _, p := range []string{"", "uploads", "a//b/", "a/../", "./", "a\\b/", "a\nb/"} {
		if (Rules{Prefix: p, MaxBytes: 1, AllowedTypes: []string{"*/*"}}).Validate() == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
}

// TestCheckDeclaredActiveContent: sign refuses what verify would reject as
// active content, so a wildcard never signs an SVG or an XML type.
func TestCheckDeclaredActiveContent(t *testing.T) {
	cases := []struct {
		name    string
		allowed []string
		ct      string
		want    error
	}{
		{"svg under image/*", []string{"image/*"}, "image/svg+xml", ErrTypeNotAllowed},
		{"svg in upper case under image/*", []string{"image/*"}, "Image/SVG+XML", ErrTypeNotAllowed},
		{"xml kind under application/*", []string{"application/*"}, "application/rss+xml", ErrTypeNotAllowed},
		{"javascript under */*", []string{"*/*"}, "text/javascript", ErrTypeNotAllowed},
		{"html under */*", []string{"*/*"}, "text/html", ErrTypeNotAllowed},
		{"svg listed by name", []string{"image/*", "image/svg+xml"}, "image/svg+xml", nil},
		{"html listed by name", []string{"text/html"}, "text/html", nil},
		{"png under image/*", []string{"image/*"}, "image/png", nil},
		{"pdf under */*", []string{"*/*"}, "application/pdf", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Rules{Prefix: "uploads/", MaxBytes: 1000, AllowedTypes: tc.allowed}
			err := r.CheckDeclared(10, tc.ct)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("CheckDeclared(%q) with %v = %v, want %v", tc.ct, tc.allowed, err, tc.want)
			}
		})
	}
}
