// Package config reads environment variables and collects every problem it
// finds, so a misconfigured function reports all of them in one message
// instead of failing on the first. Values of variables whose names look
// secret (containing SECRET, TOKEN or KEY) are never echoed.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Problems lists what is wrong with a configuration, one line per problem
// in the form "VARIABLE: what to fix" (no header, no indentation), the one
// format every function logs under "problems" when it refuses to start.
type Problems []string

// Error joins the lines with newlines.
func (p Problems) Error() string { return strings.Join(p, "\n") }

// Add records "name: what to fix".
func (p *Problems) Add(name, format string, args ...any) {
	*p = append(*p, name+": "+fmt.Sprintf(format, args...))
}

// About reports whether some line is about the variable name.
func (p Problems) About(name string) bool {
	return slices.ContainsFunc(p, func(l string) bool { return strings.HasPrefix(l, name+":") })
}

// Merge appends the lines of more about variables p has no line about yet,
// so a value refused while reading is not reported twice when the struct
// holding its default is checked again.
func (p Problems) Merge(more Problems) Problems {
	out := slices.Clone(p)
	for _, l := range more {
		name, _, _ := strings.Cut(l, ":")
		if !p.About(name) {
			out = append(out, l)
		}
	}
	return out
}

// Err returns nil when there is no problem, else p.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}

// Lines returns the problem lines of err: those of a Problems it wraps,
// else its text split at newlines.
func Lines(err error) []string {
	if err == nil {
		return nil
	}
	var p Problems
	if errors.As(err, &p) {
		return slices.Clone(p)
	}
	return strings.Split(err.Error(), "\n")
}

// Env reads variables through getenv and records problems. Each getter
// returns the default (or zero value) when the variable is invalid, so the
// caller can keep reading and call Err once at the end.
type Env struct {
	getenv   func(string) string
	problems Problems
}

// NewEnv returns an Env reading through getenv (usually os.Getenv).
func NewEnv(getenv func(string) string) *Env {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return &Env{getenv: getenv}
}

// Sensitive reports whether the value of the named variable must never be
// printed.
func Sensitive(name string) bool {
	n := strings.ToUpper(name)
	return strings.Contains(n, "SECRET") || strings.Contains(n, "TOKEN") || strings.Contains(n, "KEY")
}

// show renders a value for a problem message, hiding sensitive ones.
func show(name, v string) string {
	if Sensitive(name) {
		return "(value hidden)"
	}
	return strconv.Quote(v)
}

func (e *Env) get(name string) string { return strings.TrimSpace(e.getenv(name)) }

// NamesRead runs read with an empty environment and returns the name of
// every variable it asked for, once each, in reading order: a function's
// list of variables then comes from the code that reads them.
func NamesRead(read func(getenv func(string) string)) []string {
	var names []string
	read(func(name string) string {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
		return ""
	})
	return names
}

// Problem records a custom problem. The message should start with the
// variable's name and a colon ("UPLOAD_PREFIX: ...") and say what to fix.
func (e *Env) Problem(format string, args ...any) {
	e.problems = append(e.problems, fmt.Sprintf(format, args...))
}

// Problems returns a copy of the problems recorded so far.
func (e *Env) Problems() Problems { return slices.Clone(e.problems) }

// Err returns nil, or a Problems listing every problem, one per line.
func (e *Env) Err() error { return e.Problems().Err() }

// String returns the variable, or def when unset or blank.
func (e *Env) String(name, def string) string {
	if v := e.get(name); v != "" {
		return v
	}
	return def
}

// Required returns the variable, recording a problem when it is unset.
func (e *Env) Required(name string) string {
	v := e.get(name)
	if v == "" {
		e.Problem("%s: required but not set", name)
	}
	return v
}

// Int parses a base-10 integer in [min, max]; def when unset.
func (e *Env) Int(name string, def, min, max int64) int64 {
	raw := e.get(name)
	if raw == "" {
		return def
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		e.Problem("%s: must be a whole number between %d and %d, got %s", name, min, max, show(name, raw))
		return def
	}
	if n < min || n > max {
		e.Problem("%s: must be between %d and %d, got %s", name, min, max, show(name, raw))
		return def
	}
	return n
}

// Bool parses true/false (also 1/0, yes/no, on/off); def when unset.
func (e *Env) Bool(name string, def bool) bool {
	raw := e.get(name)
	if raw == "" {
		return def
	}
	switch strings.ToLower(raw) {
	case "true", "1", "yes", "on":
		return true
	case "false", "0", "no", "off":
		return false
	}
	e.Problem("%s: must be true or false, got %s", name, show(name, raw))
	return def
}

// List splits a comma-separated list, trimming blanks and dropping empty
// items; def when unset.
func (e *Env) List(name string, def []string) []string {
	raw := e.get(name)
	if raw == "" {
		return slices.Clone(def)
	}
	var out []string
	for item := range strings.SplitSeq(raw, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	if len(out) == 0 {
		e.Problem("%s: must be a comma-separated list with at least one item", name)
		return slices.Clone(def)
	}
	return out
}

// URL returns an absolute http(s) URL; def when unset (def is not checked).
func (e *Env) URL(name, def string) string {
	raw := e.get(name)
	if raw == "" {
		return def
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		e.Problem("%s: must be an absolute http:// or https:// URL, got %s", name, show(name, raw))
		return def
	}
	if u.User != nil {
		e.Problem("%s: must not carry a user or password in the URL", name)
		return def
	}
	return raw
}

// Enum returns the variable if it is one of allowed (case-insensitive,
// returned in the allowed spelling); def when unset.
func (e *Env) Enum(name, def string, allowed ...string) string {
	raw := e.get(name)
	if raw == "" {
		return def
	}
	for _, a := range allowed {
		if strings.EqualFold(raw, a) {
			return a
		}
	}
	e.Problem("%s: must be one of %s, got %s", name, strings.Join(allowed, "|"), show(name, raw))
	return def
}

// ValidBucket reports whether b is an OSS bucket name: 3-63 characters of
// lower-case letters, digits and hyphens, not starting or ending with one.
func ValidBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 || b[0] == '-' || b[len(b)-1] == '-' {
		return false
	}
	for i := 0; i < len(b); i++ {
		if c := b[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidRegion reports whether r looks like a region id (cn-hangzhou,
// ap-southeast-1, us-west-1): lower-case letters, digits and hyphens with
// at least one hyphen, not at either end, and not the "oss-" of an
// endpoint host (oss-cn-hangzhou).
func ValidRegion(r string) bool {
	if !strings.Contains(r, "-") || r[0] == '-' || r[len(r)-1] == '-' || strings.HasPrefix(r, "oss-") {
		return false
	}
	for i := 0; i < len(r); i++ {
		if c := r[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidOrigin reports whether s is a browser origin such as
// https://app.example.com: http or https, a host, no path, query or user.
func ValidOrigin(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		(u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.User == nil
}

// ValidHTTPURL reports whether s is an absolute http or https URL.
func ValidHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
