// Package uploadrules holds the upload rules every function applies: where a
// user's objects live (key layout and ownership), which filenames are
// acceptable, and the size cap and content-type allow-list.
//
// The rules are plain values with no I/O; sign uses them before signing,
// sts to scope credentials, and verify to judge finished uploads.
package uploadrules

import (
	"errors"
	"fmt"
	"strings"
)

// Defaults of the UPLOAD_* variables.
const (
	DefaultPrefix   = "uploads/"
	DefaultMaxBytes = 100 << 20 // 100 MiB
)

// DefaultAllowedTypes is the default of UPLOAD_ALLOWED_TYPES.
var DefaultAllowedTypes = []string{"image/*", "application/pdf", "text/plain", "video/mp4"}

// Rules are the upload rules of one deployment.
type Rules struct {
	// Prefix is the root of user uploads, e.g. "uploads/"; a user's
	// objects live under Prefix + userID + "/".
	Prefix string
	// MaxBytes caps the size of one object.
	MaxBytes int64
	// AllowedTypes lists media types ("image/png"), type wildcards
	// ("image/*") or "*/*" for any type.
	AllowedTypes []string
}

// Default returns the rules with every default.
func Default() Rules {
	return Rules{Prefix: DefaultPrefix, MaxBytes: DefaultMaxBytes, AllowedTypes: DefaultAllowedTypes}
}

// Validate reports every problem with r at once.
func (r Rules) Validate() error {
	var errs []error
	if err := checkPrefix(r.Prefix); err != nil {
		errs = append(errs, err)
	}
	if r.MaxBytes <= 0 {
		errs = append(errs, fmt.Errorf("max bytes must be > 0, got %d", r.MaxBytes))
	}
	if len(r.AllowedTypes) == 0 {
		errs = append(errs, errors.New("the allowed types list is empty"))
	}
	for _, p := range r.AllowedTypes {
		if !validPattern(p) {
			errs = append(errs, fmt.Errorf("allowed type %q is not a media type, type/* or */*", p))
		}
	}
	return errors.Join(errs...)
}

func checkPrefix(p string) error {
	switch {
	case p == "":
		return errors.New(`prefix must not be empty (e.g. "uploads/")`)
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("prefix %q must not start with /", p)
	case !strings.HasSuffix(p, "/"):
		return fmt.Errorf("prefix %q must end with /", p)
	case strings.Contains(p, "//"):
		return fmt.Errorf("prefix %q has an empty path segment", p)
	}
	for _, seg := range strings.Split(strings.TrimSuffix(p, "/"), "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("prefix %q has a %q segment", p, seg)
		}
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return fmt.Errorf("prefix %q has a control character or backslash", p)
		}
	}
	return nil
}

// DefaultQuarantinePrefix is where rejected uploads are moved
// (QUARANTINE_PREFIX).
const DefaultQuarantinePrefix = "quarantine/"

// CheckQuarantinePrefix reports what is wrong with q as the quarantine
// prefix next to r's upload prefix: it must be a folder ("x/") that neither
// contains nor lies inside the upload prefix, or quarantined objects would be
// checked again, or mixed with uploads.
func (r Rules) CheckQuarantinePrefix(q string) error {
	switch {
	case q == "":
		return errors.New("must not be empty")
	case !strings.HasSuffix(q, "/") || strings.HasPrefix(q, "/"):
		return errors.New(`must end with "/" and not start with "/" (e.g. quarantine/)`)
	case r.Prefix != "" && (strings.HasPrefix(q, r.Prefix) || strings.HasPrefix(r.Prefix, q)):
		return errors.New("must not overlap UPLOAD_PREFIX (quarantined objects would be checked again or mixed with uploads)")
	}
	return nil
}
