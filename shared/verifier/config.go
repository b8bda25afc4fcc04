package verifier

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/logging"
	"github.com/ossupload/ossupload/shared/stdwebhook"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// Config is the verify function's configuration, read from the environment.
type Config struct {
	Bucket           string            // OSS_BUCKET
	Region           string            // OSS_REGION, e.g. cn-hangzhou
	Endpoint         string            // OSS_ENDPOINT, default https://oss-<region>.aliyuncs.com
	Rules            uploadrules.Rules // UPLOAD_PREFIX, UPLOAD_MAX_BYTES, UPLOAD_ALLOWED_TYPES
	QuarantinePrefix string            // QUARANTINE_PREFIX, default "quarantine/"
	RejectAction     string            // REJECT_ACTION: quarantine (default) | delete | tag
	WebhookURL       string            // WEBHOOK_URL; "" = no webhook
	WebhookSecret    string            // WEBHOOK_SECRET, whsec_<base64> (stdwebhook.ParseSecret); required with WEBHOOK_URL
	WebhookTimeout   time.Duration     // WEBHOOK_TIMEOUT_SECONDS, default 5
	LogLevel         slog.Level        // LOG_LEVEL: debug|info|warn|error
}

// String prints the configuration without the webhook secret.
func (c Config) String() string {
	secret := ""
	if c.WebhookSecret != "" {
		secret = "[REDACTED]"
	}
	return fmt.Sprintf("{Bucket:%s Region:%s Endpoint:%s Rules:%+v QuarantinePrefix:%s RejectAction:%s WebhookURL:%t WebhookSecret:%s WebhookTimeout:%s LogLevel:%s}",
		c.Bucket, c.Region, c.Endpoint, c.Rules, c.QuarantinePrefix, c.RejectAction, c.WebhookURL != "", secret, c.WebhookTimeout, c.LogLevel)
}

// GoString is String, so %#v cannot print the secret either.
func (c Config) GoString() string { return c.String() }

// LogValue keeps the secret out of slog output.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// FromEnv reads the configuration through getenv and validates it. The
// error, if any, lists every problem, one per line, naming the variable
// (and never echoing a secret's value).
func FromEnv(getenv func(string) string) (Config, error) {
	env := config.NewEnv(getenv)
	var c Config
	c.Bucket = env.Required("OSS_BUCKET")
	c.Region = env.Required("OSS_REGION")
	c.Endpoint = env.URL("OSS_ENDPOINT", "")
	if c.Endpoint == "" && c.Region != "" {
		c.Endpoint = "https://oss-" + c.Region + ".aliyuncs.com"
	}
	c.Rules = uploadrules.FromEnv(env)
	c.QuarantinePrefix = env.String("QUARANTINE_PREFIX", uploadrules.DefaultQuarantinePrefix)
	c.RejectAction = env.Enum("REJECT_ACTION", ActionQuarantine, ActionQuarantine, ActionDelete, ActionTag)
	c.WebhookURL = env.URL("WEBHOOK_URL", "")
	c.WebhookSecret = env.String("WEBHOOK_SECRET", "")
	c.WebhookTimeout = time.Duration(env.Int("WEBHOOK_TIMEOUT_SECONDS", 5, 1, 60)) * time.Second
	c.LogLevel = logging.LevelFromEnv(env)
	for _, p := range c.verifyProblems() {
		env.Problem("%s", p)
	}
	return c, env.Err()
}

// Validate reports every problem with c at once (nil when there is none).
func (c Config) Validate() error {
	p := c.problems()
	if len(p) == 0 {
		return nil
	}
	return errors.New("invalid configuration:\n" + strings.Join(p, "\n"))
}

// problems lists everything wrong with c.
func (c Config) problems() []string {
	var p []string
	if c.Bucket == "" {
		p = append(p, "OSS_BUCKET: required")
	}
	if c.Region == "" {
		p = append(p, "OSS_REGION: required (e.g. cn-hangzhou)")
	}
	if err := c.Rules.Validate(); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				p = append(p, "UPLOAD_*: "+line)
			}
		}
	}
	return append(p, c.verifyProblems()...)
}

// verifyProblems checks the verify-specific settings (FromEnv has the
// common ones checked by config.Env and uploadrules already).
func (c Config) verifyProblems() []string {
	var p []string
	if err := c.Rules.CheckQuarantinePrefix(c.QuarantinePrefix); err != nil {
		p = append(p, "QUARANTINE_PREFIX: "+err.Error())
	}
	switch c.RejectAction {
	case ActionQuarantine, ActionDelete, ActionTag:
	default:
		p = append(p, "REJECT_ACTION: must be quarantine, delete or tag")
	}
	if c.WebhookURL != "" {
		// A plain secret from before the Standard Webhooks format is refused
		// rather than guessed at: receivers' libraries need the whsec_ form.
		if _, err := stdwebhook.ParseSecret(c.WebhookSecret); err != nil {
			p = append(p, "WEBHOOK_SECRET: required when WEBHOOK_URL is set; "+err.Error()+
				"; make one with: echo \"whsec_$(openssl rand -base64 32)\" and give receivers the same value")
		}
	}
	if c.WebhookTimeout <= 0 {
		p = append(p, "WEBHOOK_TIMEOUT_SECONDS: must be a positive number of seconds")
	}
	return p
}
