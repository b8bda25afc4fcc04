package uploadpolicy

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ossupload/ossupload/shared/auth"
	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/logging"
	"github.com/ossupload/ossupload/shared/sweepage"
	"github.com/ossupload/ossupload/shared/uploadrules"
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

// MinJWTSecretBytes is the shortest AUTH_JWT_SECRET accepted.
const MinJWTSecretBytes = 32

// Config is the sign function's configuration, one field per environment
// variable (see FromEnv).
type Config struct {
	Bucket    string // OSS_BUCKET
	Region    string // OSS_REGION, e.g. "cn-hangzhou"
	Endpoint  string // OSS_ENDPOINT: how the function reaches OSS (GET /status)
	UploadURL string // OSS_UPLOAD_URL: where browsers post the form

	Rules uploadrules.Rules // UPLOAD_PREFIX, UPLOAD_MAX_BYTES, UPLOAD_ALLOWED_TYPES
	// QuarantinePrefix (QUARANTINE_PREFIX) is where the verify function
	// moves rejected uploads; GET /status looks there for a verdict when the
	// upload itself is gone.
	QuarantinePrefix string
	// SweepMinAge (SWEEP_MIN_AGE_SECONDS, read as verify reads it): GET
	// /status calls an upload without a verdict this old overdue.
	SweepMinAge time.Duration

	SignatureVersion string        // SIGNATURE_VERSION: "v4" (default) or "v1"
	PolicyExpiry     time.Duration // POLICY_EXPIRY_SECONDS

	JWTSecret      []byte // AUTH_JWT_SECRET
	JWKSURL        string // AUTH_JWKS_URL
	Issuer         string // AUTH_ISSUER
	Audience       string // AUTH_AUDIENCE
	AllowAnonymous bool   // AUTH_ALLOW_ANONYMOUS

	CORSAllowedOrigins []string   // CORS_ALLOWED_ORIGINS
	LogLevel           slog.Level // LOG_LEVEL

	parseErr error // problems found while reading the environment
}

// FromEnv reads the configuration from getenv (os.Getenv in main). Problems
// are kept and reported, together with the others, by Validate.
func FromEnv(getenv func(string) string) Config {
	env := config.NewEnv(getenv)
	c := Config{
		Bucket: env.Required("OSS_BUCKET"),
		Region: env.Required("OSS_REGION"),
	}
	c.Endpoint = env.URL("OSS_ENDPOINT", "https://oss-"+c.Region+".aliyuncs.com")
	c.UploadURL = env.URL("OSS_UPLOAD_URL", "https://"+c.Bucket+".oss-"+c.Region+".aliyuncs.com")
	c.Rules = uploadrules.FromEnv(env)
	c.QuarantinePrefix = env.String("QUARANTINE_PREFIX", uploadrules.DefaultQuarantinePrefix)
	c.SweepMinAge = sweepage.FromEnv(env)
	c.SignatureVersion = env.Enum("SIGNATURE_VERSION", SignatureV4, SignatureV4, SignatureV1)
	c.PolicyExpiry = time.Duration(env.Int("POLICY_EXPIRY_SECONDS", int64(DefaultPolicyExpiry/time.Second),
		int64(MinPolicyExpiry/time.Second), int64(MaxPolicyExpiry/time.Second))) * time.Second
	if s := env.String("AUTH_JWT_SECRET", ""); s != "" {
		c.JWTSecret = []byte(s)
	}
	if env.String("AUTH_JWKS_URL", "") != "" {
		c.JWKSURL = env.URL("AUTH_JWKS_URL", "")
	}
	c.Issuer = env.String("AUTH_ISSUER", "")
	c.Audience = env.String("AUTH_AUDIENCE", "")
	c.AllowAnonymous = env.Bool("AUTH_ALLOW_ANONYMOUS", false)
	c.CORSAllowedOrigins = env.List("CORS_ALLOWED_ORIGINS", nil)
	c.LogLevel = logging.LevelFromEnv(env)
	c.parseErr = env.Err()
	return c
}

// Validate reports every problem of c at once, one per line: those found
// by FromEnv and the rules that span several variables.
func (c Config) Validate() error {
	var errs []error
	if c.parseErr != nil {
		errs = append(errs, c.parseErr)
	}
	problem := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	fromEnv := c.parseErr != nil
	if c.Bucket != "" && !config.ValidBucket(c.Bucket) {
		problem("OSS_BUCKET %q is not a bucket name (3-63 lower-case letters, digits, hyphens)", c.Bucket)
	} else if c.Bucket == "" && !fromEnv {
		problem("OSS_BUCKET is required")
	}
	if c.Region != "" && (strings.HasPrefix(c.Region, "oss-") || !config.ValidRegion(c.Region)) {
		problem("OSS_REGION %q must be a region id like cn-hangzhou (without oss-)", c.Region)
	} else if c.Region == "" && !fromEnv {
		problem("OSS_REGION is required")
	}
	for name, u := range map[string]string{"OSS_ENDPOINT": c.Endpoint, "OSS_UPLOAD_URL": c.UploadURL} {
		if !fromEnv && !config.ValidHTTPURL(u) {
			problem("%s must be an http(s) URL", name)
		}
	}
	if err := c.Rules.Validate(); err != nil && !fromEnv {
		problem("upload rules: %w", err)
	}
	if err := c.Rules.CheckQuarantinePrefix(c.QuarantinePrefix); err != nil {
		problem("QUARANTINE_PREFIX %q: %w", c.QuarantinePrefix, err)
	}
	if !sweepage.Valid(c.SweepMinAge) {
		problem("SWEEP_MIN_AGE_SECONDS must be whole seconds from %d to %d", int64(sweepage.Min/time.Second), int64(sweepage.Max/time.Second))
	}
	if c.SignatureVersion != SignatureV4 && c.SignatureVersion != SignatureV1 {
		problem("SIGNATURE_VERSION must be v4 or v1")
	}
	if c.PolicyExpiry < MinPolicyExpiry || c.PolicyExpiry > MaxPolicyExpiry {
		problem("POLICY_EXPIRY_SECONDS must be between %d and %d", int(MinPolicyExpiry/time.Second), int(MaxPolicyExpiry/time.Second))
	}
	switch {
	case len(c.JWTSecret) > 0 && c.JWKSURL != "":
		problem("set only one of AUTH_JWT_SECRET and AUTH_JWKS_URL")
	case len(c.JWTSecret) == 0 && c.JWKSURL == "" && !c.AllowAnonymous:
		problem("set AUTH_JWT_SECRET or AUTH_JWKS_URL (or AUTH_ALLOW_ANONYMOUS=true to allow anonymous callers)")
	}
	if len(c.JWTSecret) > 0 && len(c.JWTSecret) < MinJWTSecretBytes {
		problem("AUTH_JWT_SECRET must be at least %d bytes", MinJWTSecretBytes)
	}
	for _, o := range c.CORSAllowedOrigins {
		if o != "*" && !config.ValidOrigin(o) {
			problem("CORS_ALLOWED_ORIGINS entry %q is not an origin like https://app.example.com", o)
		}
	}
	return errors.Join(errs...)
}

// AuthConfig returns the authenticator configuration (the clock and HTTP
// client are the caller's).
func (c Config) AuthConfig() auth.Config {
	return auth.Config{
		JWTSecret:      c.JWTSecret,
		JWKSURL:        c.JWKSURL,
		Issuer:         c.Issuer,
		Audience:       c.Audience,
		AllowAnonymous: c.AllowAnonymous,
	}
}
