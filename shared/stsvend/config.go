package stsvend

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/ossupload/ossupload/shared/auth"
	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/logging"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// Credential lifetime bounds (STS_DURATION_SECONDS; the AssumeRole API
// reference's 15 min .. 1 h, OSS/STS protocol reference §5.1).
const (
	DefaultDuration = 900 * time.Second
	MinDuration     = 900 * time.Second
	MaxDuration     = 3600 * time.Second
)

// DefaultCacheSize is the default of STS_CACHE_SIZE: how many users'
// credentials are kept.
const DefaultCacheSize = 10000

// MinJWTSecretBytes is the shortest AUTH_JWT_SECRET accepted.
const MinJWTSecretBytes = 32

// Config is the sts function's configuration, one field per environment
// variable (see FromEnv).
type Config struct {
	Bucket    string // OSS_BUCKET
	Region    string // OSS_REGION, e.g. "cn-hangzhou"
	UploadURL string // OSS_UPLOAD_URL: where browsers upload; decides endpoint/sldEnable/cname

	Rules uploadrules.Rules // UPLOAD_PREFIX (the others are read for the shared contract)

	RoleARN     string        // STS_ROLE_ARN: the uploader role
	STSEndpoint string        // STS_ENDPOINT: "" = https://sts.<region>.aliyuncs.com
	Duration    time.Duration // STS_DURATION_SECONDS
	CacheSize   int           // STS_CACHE_SIZE

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
	c.UploadURL = env.URL("OSS_UPLOAD_URL", c.DefaultUploadURL())
	c.Rules = uploadrules.FromEnv(env)
	c.RoleARN = env.Required("STS_ROLE_ARN")
	if env.String("STS_ENDPOINT", "") != "" {
		c.STSEndpoint = env.URL("STS_ENDPOINT", "")
	}
	c.Duration = time.Duration(env.Int("STS_DURATION_SECONDS", int64(DefaultDuration/time.Second),
		int64(MinDuration/time.Second), int64(MaxDuration/time.Second))) * time.Second
	c.CacheSize = int(env.Int("STS_CACHE_SIZE", DefaultCacheSize, 1, 10_000_000))
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

// DefaultUploadURL is https://<bucket>.oss-<region>.aliyuncs.com.
func (c Config) DefaultUploadURL() string {
	return "https://" + c.Bucket + ".oss-" + c.Region + ".aliyuncs.com"
}

// Validate reports every problem of c at once, one per line: those found by
// FromEnv and the rules that span several variables (among them: the
// session policy for the longest user id must fit STS's 1024 bytes).
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
	if c.Bucket != "" && c.Region != "" {
		if _, err := ClientOptionsFor(c.UploadURL, c.Bucket, c.Region); err != nil {
			problem("OSS_UPLOAD_URL %w", err)
		}
	}
	if err := c.Rules.Validate(); err != nil && !fromEnv {
		problem("upload rules: %w", err)
	}
	if strings.ContainsAny(c.Rules.Prefix, "*?") {
		problem(`UPLOAD_PREFIX must not contain "*" or "?" (wildcards in RAM policies)`)
	} else if c.Bucket != "" {
		dir := c.Rules.UserPrefix(strings.Repeat("x", uploadrules.MaxUserIDLen))
		if _, err := SessionPolicy(c.Bucket, dir); err != nil {
			problem("UPLOAD_PREFIX is too long: the session policy for a %d-character user id would exceed STS's %d bytes",
				uploadrules.MaxUserIDLen, MaxPolicyBytes)
		}
	}
	if c.RoleARN != "" && !validRoleARN(c.RoleARN) {
		problem("STS_ROLE_ARN %q is not a role ARN like acs:ram::<account id>:role/<name>", c.RoleARN)
	} else if c.RoleARN == "" && !fromEnv {
		problem("STS_ROLE_ARN is required")
	}
	if _, _, err := STSEndpoint(c.STSEndpoint, c.Region); err != nil {
		problem("STS_ENDPOINT must be http(s)://host[:port]")
	}
	if c.Duration < MinDuration || c.Duration > MaxDuration || c.Duration%time.Second != 0 {
		problem("STS_DURATION_SECONDS must be between %d and %d", int(MinDuration/time.Second), int(MaxDuration/time.Second))
	}
	if c.CacheSize < 1 {
		problem("STS_CACHE_SIZE must be at least 1")
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
	return auth.Config{JWTSecret: c.JWTSecret, JWKSURL: c.JWKSURL, Issuer: c.Issuer, Audience: c.Audience,
		AllowAnonymous: c.AllowAnonymous}
}

// validRoleARN: acs:ram::<digits>:role/<name> (OSS/STS protocol reference §5.1).
func validRoleARN(s string) bool {
	rest, ok := strings.CutPrefix(s, "acs:ram::")
	if !ok {
		return false
	}
	acct, name, ok := strings.Cut(rest, ":role/")
	if !ok || acct == "" || name == "" || strings.ContainsAny(name, " /*?") {
		return false
	}
	for i := 0; i < len(acct); i++ {
		if acct[i] < '0' || acct[i] > '9' {
			return false
		}
	}
	return true
}

// parseUploadURL checks an OSS_UPLOAD_URL value.
func parseUploadURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("must be an http(s) URL without query, e.g. https://<bucket>.oss-<region>.aliyuncs.com")
	}
	return u, nil
}
