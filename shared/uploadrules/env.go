package uploadrules

import (
	"strings"

	"github.com/ossupload/ossupload/shared/config"
)

// FromEnv reads UPLOAD_PREFIX, UPLOAD_MAX_BYTES and UPLOAD_ALLOWED_TYPES,
// recording every problem in env (read them with env.Err).
func FromEnv(env *config.Env) Rules {
	r := Rules{
		Prefix:       env.String("UPLOAD_PREFIX", DefaultPrefix),
		MaxBytes:     env.Int("UPLOAD_MAX_BYTES", DefaultMaxBytes, 1, 5<<30), // OSS caps a PostObject at 5 GB
		AllowedTypes: env.List("UPLOAD_ALLOWED_TYPES", DefaultAllowedTypes),
	}
	if err := checkPrefix(r.Prefix); err != nil {
		env.Problem("UPLOAD_PREFIX: %v", err)
	}
	var bad []string
	for _, p := range r.AllowedTypes {
		if !validPattern(p) {
			bad = append(bad, p)
		}
	}
	if len(bad) > 0 {
		env.Problem("UPLOAD_ALLOWED_TYPES: %q are not media types like image/png, image/* or */*", strings.Join(bad, ","))
	}
	return r
}
