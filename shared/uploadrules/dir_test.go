package uploadrules

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNewKeyIn(t *testing.T) {
	r := Rules{Prefix: "tenant/uploads/"}
	now := time.Date(2024, 2, 29, 23, 30, 0, 0, time.UTC)
	rnd := func() *bytes.Reader { return bytes.NewReader([]byte{1, 2, 3, 4, 5, 6, 7, 8}) }
	key, err := r.NewKeyIn("bob", "docs/pdf", "Report.pdf", now, rnd())
	if want := "tenant/uploads/bob/docs/pdf/2024/02/29/0102030405060708-Report.pdf"; err != nil || key != want {
		t.Fatalf("NewKeyIn = %q, %v; want %q", key, err, want)
	}
	if u, ok := r.OwnerOf(key); !ok || u != "bob" {
		t.Fatalf("OwnerOf(%q) = %q, %v", key, u, ok)
	}
	plain, err := r.NewKey("bob", "Report.pdf", now, rnd())
	if in, _ := r.NewKeyIn("bob", "", "Report.pdf", now, rnd()); err != nil || in != plain {
		t.Fatalf(`NewKeyIn with dir "" = %q, NewKey = %q, %v`, in, plain, err)
	}
	for _, dir := range []string{"/a", "a/", "a//b", "..", "a/../b", "a/./b", "a*", "a?", "a b", "ä"} {
		if k, err := r.NewKeyIn("bob", dir, "x.pdf", now, rnd()); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("dir %q: %q, %v; want invalid_request", dir, k, err)
		}
	}
}

func TestValidDir(t *testing.T) {
	for _, d := range []string{"", "avatars", "docs/pdf", "A.b_c-d/e", strings.Repeat("d", MaxDirLen)} {
		if !ValidDir(d) {
			t.Errorf("ValidDir(%q) = false", d)
		}
	}
	for _, d := range []string{"/", "/a", "a/", "a//b", ".", "..", "a/..", "./a", "a*", "a?b", "a\\b", "a b", "a\x00", "ü", strings.Repeat("d", MaxDirLen+1)} {
		if ValidDir(d) {
			t.Errorf("ValidDir(%q) = true", d)
		}
	}
}
