// Package baseconfig reads and checks the settings every function shares
// (Base: OSS_BUCKET, OSS_REGION, UPLOAD_PREFIX, UPLOAD_MAX_BYTES,
// UPLOAD_ALLOWED_TYPES, UPLOAD_ROUTES, LOG_LEVEL) and writes the one log line with which
// every function refuses a configuration. Two sibling packages hold what
// only some functions share: browserconfig (sign, sts: OSS_UPLOAD_URL,
// AUTH_*, CORS_ALLOWED_ORIGINS) and verdictconfig (sign, verify:
// OSS_ENDPOINT, QUARANTINE_PREFIX, SWEEP_MIN_AGE_SECONDS). They are apart
// because a function reads every variable of each package it links (the
// deployment tests scan packages), so each function's Config embeds the
// ones it needs and adds only its own settings.
//
// Every problem is one line "VARIABLE: what to fix" (config.Problems), and
// no message echoes a secret's value.
package baseconfig

import (
	"io"
	"log/slog"
	"os"

	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/logging"
	"github.com/ossupload/ossupload/shared/uploadroutes"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// Base is what every function reads.
type Base struct {
	Bucket string            // OSS_BUCKET
	Region string            // OSS_REGION, e.g. "cn-hangzhou"
	Rules  uploadrules.Rules // UPLOAD_PREFIX, UPLOAD_MAX_BYTES, UPLOAD_ALLOWED_TYPES
	// Routes (UPLOAD_ROUTES) are the named rule sets callers pick from;
	// without UPLOAD_ROUTES one route, "default", made from Rules.
	Routes   uploadroutes.Set
	LogLevel slog.Level // LOG_LEVEL: debug|info|warn|error
}

// Read reads Base from env, recording in env what cannot be read.
func Read(env *config.Env) Base {
	b := Base{
		Bucket: env.Required("OSS_BUCKET"),
		Region: env.Required("OSS_REGION"),
		Rules:  uploadrules.FromEnv(env),
	}
	b.Routes = uploadroutes.FromEnv(env, b.Rules)
	b.LogLevel = logging.LevelFromEnv(env)
	return b
}

// Check adds what is wrong with b to p.
func (b Base) Check(p *config.Problems) {
	switch {
	case b.Bucket == "":
		p.Add("OSS_BUCKET", "required (the bucket's name, e.g. ossupload-dev)")
	case !config.ValidBucket(b.Bucket):
		p.Add("OSS_BUCKET", "%q is not a bucket name (3-63 lower-case letters, digits, hyphens)", b.Bucket)
	}
	switch {
	case b.Region == "":
		p.Add("OSS_REGION", "required (a region id, e.g. cn-hangzhou)")
	case !config.ValidRegion(b.Region):
		p.Add("OSS_REGION", "%q is not a region id like cn-hangzhou or ap-southeast-1 (without oss-)", b.Region)
	}
	// Rules.Validate names no variable: check each variable's part alone.
	r := b.Rules
	if err := (uploadrules.Rules{Prefix: r.Prefix, MaxBytes: 1, AllowedTypes: []string{"*/*"}}).Validate(); err != nil {
		p.Add("UPLOAD_PREFIX", "%v", err)
	}
	if r.MaxBytes <= 0 {
		p.Add("UPLOAD_MAX_BYTES", "must be a positive number of bytes")
	}
	if err := (uploadrules.Rules{Prefix: "x/", MaxBytes: 1, AllowedTypes: r.AllowedTypes}).Validate(); err != nil {
		p.Add("UPLOAD_ALLOWED_TYPES", "must list media types like image/png, image/* or */*")
	}
}

// DefaultUploadURL is https://<bucket>.oss-<region>.aliyuncs.com.
func (b Base) DefaultUploadURL() string {
	return "https://" + b.Bucket + ".oss-" + b.Region + ".aliyuncs.com"
}

// NewLogger is every function's logger: JSON lines on w (nil: os.Stderr)
// at level.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	if w == nil {
		w = os.Stderr
	}
	return logging.New(w, level)
}

// RefusalMessage is the message of the one log line a function writes when
// its configuration or setup is refused; the line's "problems" array holds
// the problem lines.
const RefusalMessage = "invalid configuration, not starting"

// LogRefusal writes that line: every function's main calls it, then exits
// with status 1, before it serves anything.
func LogRefusal(logger *slog.Logger, err error) {
	logger.Error(RefusalMessage, "problems", config.Lines(err))
}
