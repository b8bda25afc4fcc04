package configtest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// recorder is a testing.TB that keeps what Names reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestNames(t *testing.T) {
	r := &recorder{TB: t}
	names := Names(r, errors.New("OSS_BUCKET: required\nAUTH_JWT_SECRET: must be at least 32 bytes"), "s3cret")
	if len(r.errs) != 0 || !slices.Equal(names, []string{"OSS_BUCKET", "AUTH_JWT_SECRET"}) {
		t.Fatalf("good lines: names %q, reports %q", names, r.errs)
	}
	r = &recorder{TB: t}
	Names(r, errors.New("invalid configuration:\n  OSS_BUCKET: required\nAUTH_JWT_SECRET: got s3cret"), "s3cret")
	if len(r.errs) != 3 { // the header, the indented line, the echoed secret
		t.Fatalf("bad lines: reports %q, want 3", r.errs)
	}
}
