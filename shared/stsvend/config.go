package stsvend

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/ossupload/ossupload/shared/baseconfig"
	"github.com/ossupload/ossupload/shared/browserconfig"
	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/uploadroutes"
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

// Config is the sts function's configuration: the settings it shares with
// the other functions (package baseconfig; sts never calls OSS, so it has
// no OSS_ENDPOINT) and its own.
type Config struct {
	baseconfig.Base // OSS_BUCKET, OSS_REGION, UPLOAD_PREFIX (the other UPLOAD_* are read for the shared contract), LOG_LEVEL

	// OSS_UPLOAD_URL (where browsers upload; decides
	// endpoint/sldEnable/cname), AUTH_*, CORS_ALLOWED_ORIGINS
	browserconfig.Browser

	RoleARN     string        // STS_ROLE_ARN: the uploader role
	STSEndpoint string        // STS_ENDPOINT: "" = https://sts.<region>.aliyuncs.com
	Duration    time.Duration // STS_DURATION_SECONDS
	CacheSize   int           // STS_CACHE_SIZE

	read config.Problems // problems found while reading the environment
}

// FromEnv reads the configuration from getenv (os.Getenv in main). Problems
// are kept and reported, together with the others, by Validate.
func FromEnv(getenv func(string) string) Config {
	env := config.NewEnv(getenv)
	c := Config{Base: baseconfig.Read(env)}
	c.Browser = browserconfig.Read(env, c.Base)
	c.RoleARN = env.Required("STS_ROLE_ARN")
	if env.String("STS_ENDPOINT", "") != "" {
		c.STSEndpoint = env.URL("STS_ENDPOINT", "")
	}
	c.Duration = time.Duration(env.Int("STS_DURATION_SECONDS", int64(DefaultDuration/time.Second),
		int64(MinDuration/time.Second), int64(MaxDuration/time.Second))) * time.Second
	c.CacheSize = int(env.Int("STS_CACHE_SIZE", DefaultCacheSize, 1, 10_000_000))
	c.read = env.Problems()
	return c
}

// Validate reports every problem of c at once, one "VARIABLE: what to fix"
// line each (a config.Problems): those found by FromEnv and those of the
// values c holds (among them: the session policy for the longest user id
// and each route's directory must fit STS's 1024 bytes).
func (c Config) Validate() error {
	var p config.Problems
	c.Base.Check(&p)
	c.Browser.Check(&p)
	if config.ValidBucket(c.Bucket) && config.ValidRegion(c.Region) && !p.About("OSS_UPLOAD_URL") {
		if _, err := ClientOptionsFor(c.UploadURL, c.Bucket, c.Region); err != nil {
			p.Add("OSS_UPLOAD_URL", "%v", err)
		}
	}
	if strings.ContainsAny(c.Rules.Prefix, "*?") {
		p.Add("UPLOAD_PREFIX", `must not contain "*" or "?" (wildcards in RAM policies)`)
	} else if c.Bucket != "" {
		longest := strings.Repeat("x", uploadrules.MaxUserIDLen)
		if _, err := SessionPolicy(c.Bucket, c.Rules.UserPrefix(longest)); err != nil {
			p.Add("UPLOAD_PREFIX", "too long: the session policy for a %d-character user id would exceed STS's %d bytes",
				uploadrules.MaxUserIDLen, MaxPolicyBytes)
		} else {
			// Each route's session is scoped to its own directory under the
			// user's prefix, so the route with the longest dir decides.
			for _, r := range c.Routes.Routes() {
				if _, err := SessionPolicy(c.Bucket, r.UserDir(c.Rules, longest)); err != nil {
					p.Add(uploadroutes.EnvName, "route %q: dir %q is too long: with UPLOAD_PREFIX and a %d-character user id its session policy would exceed STS's %d bytes",
						r.Name, r.Dir, uploadrules.MaxUserIDLen, MaxPolicyBytes)
				}
			}
		}
	}
	switch {
	case c.RoleARN == "":
		p.Add("STS_ROLE_ARN", "required (the uploader role, acs:ram::<account id>:role/<name>)")
	case !validRoleARN(c.RoleARN):
		p.Add("STS_ROLE_ARN", "%q is not a role ARN like acs:ram::<account id>:role/<name>", c.RoleARN)
	}
	if _, _, err := STSEndpoint(c.STSEndpoint, c.Region); err != nil {
		p.Add("STS_ENDPOINT", "must be http(s)://host[:port]")
	}
	if c.Duration < MinDuration || c.Duration > MaxDuration || c.Duration%time.Second != 0 {
		p.Add("STS_DURATION_SECONDS", "must be between %d and %d", int(MinDuration/time.Second), int(MaxDuration/time.Second))
	}
	if c.CacheSize < 1 {
		p.Add("STS_CACHE_SIZE", "must be at least 1")
	}
	return c.read.Merge(p).Err()
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
