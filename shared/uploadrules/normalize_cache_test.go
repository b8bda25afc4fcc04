package uploadrules

import (
	"strconv"
	"testing"
)

// TestNormalizedCacheIsBounded: callers who send a new type on every
// request cannot grow the cache past its bound, and answers stay right
// once it is full.
func TestNormalizedCacheIsBounded(t *testing.T) {
	for i := 0; i < maxNormalized+500; i++ {
		if got, want := NormalizeType("application/x-test-"+strconv.Itoa(i)), "application/x-test-"+strconv.Itoa(i); got != want {
			t.Fatalf("NormalizeType = %q, want %q", got, want)
		}
	}
	n := 0
	normalized.Range(func(_, _ any) bool { n++; return true })
	if n > maxNormalized {
		t.Fatalf("cache holds %d types, bound %d", n, maxNormalized)
	}
	// Past the bound, aliases and canonical names still apply.
	if got := NormalizeType("image/jpg"); got != "image/jpeg" {
		t.Errorf("NormalizeType(image/jpg) = %q after the cache filled", got)
	}
	if got := NormalizeType("IMAGE/PNG"); got != "image/png" {
		t.Errorf("NormalizeType(IMAGE/PNG) = %q", got)
	}
}
