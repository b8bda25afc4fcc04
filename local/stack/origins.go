package stack

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ossupload/ossupload/shared/config"
)

// corsOrigins returns the origins of extra (a comma-separated list, as
// CORS_ALLOWED_ORIGINS is written; "*" admits any origin) that the functions
// and the bucket's CORS rule admit besides the demo page's own. An entry
// that is not an origin is an error naming both ways to set it, so a
// frontend developer sees the typo at start-up rather than as a refused
// preflight later.
func corsOrigins(extra string) ([]string, error) {
	var out, bad []string
	for o := range strings.SplitSeq(extra, ",") {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		switch {
		case o == "":
		case o != "*" && !config.ValidOrigin(o):
			bad = append(bad, fmt.Sprintf("%q", o))
		case !slices.Contains(out, o):
			out = append(out, o)
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("-cors-origins (or CORS_ALLOWED_ORIGINS): %s is not an origin: write each as the browser sends it, "+
			"scheme, host and port without a path, e.g. http://localhost:5173 (or * for any origin)", strings.Join(bad, ", "))
	}
	return out, nil
}
