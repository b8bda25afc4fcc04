package uploadpolicy

import (
	"time"

	"github.com/ossupload/ossupload/shared/baseconfig"
	"github.com/ossupload/ossupload/shared/browserconfig"
	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/verdictconfig"
)

// Signature versions (SIGNATURE_VERSION).
const (
	SignatureV4 = "v4"
	SignatureV1 = "v1"
)

// Policy lifetime bounds (POLICY_EXPIRY_SECONDS).
const (
	DefaultPolicyExpiry = 900 * time.Second
	MinPolicyExpiry     = 60 * time.Second
	MaxPolicyExpiry     = 3600 * time.Second
)

// Config is the sign function's configuration: the settings it shares with
// the other functions (package baseconfig) and its own.
type Config struct {
	baseconfig.Base       // OSS_BUCKET, OSS_REGION, UPLOAD_*, LOG_LEVEL
	browserconfig.Browser // OSS_UPLOAD_URL (where browsers post the form), AUTH_*, CORS_ALLOWED_ORIGINS
	// OSS_ENDPOINT: how GET /status reaches OSS; QUARANTINE_PREFIX: where
	// it looks for a verdict when the upload itself is gone;
	// SWEEP_MIN_AGE_SECONDS: it calls an upload without a verdict this old
	// overdue.
	verdictconfig.Verdicts

	SignatureVersion string        // SIGNATURE_VERSION: "v4" (default) or "v1"
	PolicyExpiry     time.Duration // POLICY_EXPIRY_SECONDS

	read config.Problems // problems found while reading the environment
}

// FromEnv reads the configuration from getenv (os.Getenv in main). Problems
// are kept and reported, together with the others, by Validate.
func FromEnv(getenv func(string) string) Config {
	env := config.NewEnv(getenv)
	c := Config{Base: baseconfig.Read(env)}
	c.Verdicts = verdictconfig.Read(env, c.Base)
	c.Browser = browserconfig.Read(env, c.Base)
	c.SignatureVersion = env.Enum("SIGNATURE_VERSION", SignatureV4, SignatureV4, SignatureV1)
	c.PolicyExpiry = time.Duration(env.Int("POLICY_EXPIRY_SECONDS", int64(DefaultPolicyExpiry/time.Second),
		int64(MinPolicyExpiry/time.Second), int64(MaxPolicyExpiry/time.Second))) * time.Second
	c.read = env.Problems()
	return c
}

// Validate reports every problem of c at once, one "VARIABLE: what to fix"
// line each (a config.Problems): those found by FromEnv and those of the
// values c holds.
func (c Config) Validate() error {
	var p config.Problems
	c.Base.Check(&p)
	c.Verdicts.Check(&p, c.Base)
	c.Browser.Check(&p)
	if c.SignatureVersion != SignatureV4 && c.SignatureVersion != SignatureV1 {
		p.Add("SIGNATURE_VERSION", "must be v4 or v1")
	}
	if c.PolicyExpiry < MinPolicyExpiry || c.PolicyExpiry > MaxPolicyExpiry {
		p.Add("POLICY_EXPIRY_SECONDS", "must be between %d and %d", int(MinPolicyExpiry/time.Second), int(MaxPolicyExpiry/time.Second))
	}
	return c.read.Merge(p).Err()
}
