// Package configtest checks, for the tests of every function's wiring, that
// a refused configuration is reported in the one problems format.
package configtest

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ossupload/ossupload/shared/config"
)

// problemLine is the one problems format: "VARIABLE: what to fix".
var problemLine = regexp.MustCompile(`^[A-Z][A-Z0-9_]*: \S`)

// Names checks that err lists its problems one "VARIABLE: what to fix" line
// each, none of them echoing secret, and returns the variables named, in
// the order of the lines.
func Names(t testing.TB, err error, secret string) []string {
	t.Helper()
	var names []string
	for _, l := range config.Lines(err) {
		if !problemLine.MatchString(l) {
			t.Errorf("line %q is not \"VARIABLE: what to fix\"", l)
			continue
		}
		if secret != "" && strings.Contains(l, secret) {
			t.Errorf("line %q echoes the secret", l)
		}
		names = append(names, l[:strings.Index(l, ":")])
	}
	return names
}
