package verifier

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/ossupload/ossupload/shared/baseconfig"
	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/stdwebhook"
	"github.com/ossupload/ossupload/shared/uploadpin"
	"github.com/ossupload/ossupload/shared/verdictconfig"
)

// Config is the verify function's configuration: the settings it shares
// with the other functions (package baseconfig) and its own.
type Config struct {
	baseconfig.Base        // OSS_BUCKET, OSS_REGION, UPLOAD_*, LOG_LEVEL
	verdictconfig.Verdicts // OSS_ENDPOINT, QUARANTINE_PREFIX (default "quarantine/"), SWEEP_MIN_AGE_SECONDS

	RejectAction   string        // REJECT_ACTION: quarantine (default) | delete | tag
	WebhookURL     string        // WEBHOOK_URL; "" = no webhook
	WebhookSecret  string        // WEBHOOK_SECRET, whsec_<base64> (stdwebhook.ParseSecret); required with WEBHOOK_URL
	WebhookTimeout time.Duration // WEBHOOK_TIMEOUT_SECONDS, default 5
	// HookSecret (UPLOAD_HOOK_SECRET) is the pre-sign hook's secret that
	// sign and sts share; verify derives from it the key of the pins that
	// vouch for the hook's metadata (package uploadpin). "" = no hook: the
	// app's metadata is never passed on.
	HookSecret string

	read config.Problems // problems found while reading the environment
}

// String prints the configuration without the webhook secret.
func (c Config) String() string {
	secret := ""
	if c.WebhookSecret != "" {
		secret = "[REDACTED]"
	}
	hook := ""
	if c.HookSecret != "" {
		hook = "[REDACTED]"
	}
	return fmt.Sprintf("{Bucket:%s Region:%s Endpoint:%s Rules:%+v QuarantinePrefix:%s SweepMinAge:%s RejectAction:%s WebhookURL:%t WebhookSecret:%s WebhookTimeout:%s HookSecret:%s Routes:%d LogLevel:%s}",
		c.Bucket, c.Region, c.Endpoint, c.Rules, c.QuarantinePrefix, c.SweepMinAge, c.RejectAction, c.WebhookURL != "", secret, c.WebhookTimeout, hook, len(c.Routes.Routes()), c.LogLevel)
}

// GoString is String, so %#v cannot print the secret either.
func (c Config) GoString() string { return c.String() }

// LogValue keeps the secret out of slog output.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// FromEnv reads the configuration through getenv (os.Getenv in main).
// Problems are kept and reported, together with the others, by Validate.
func FromEnv(getenv func(string) string) Config {
	env := config.NewEnv(getenv)
	c := Config{Base: baseconfig.Read(env)}
	c.Verdicts = verdictconfig.Read(env, c.Base)
	c.RejectAction = env.Enum("REJECT_ACTION", ActionQuarantine, ActionQuarantine, ActionDelete, ActionTag)
	c.WebhookURL = env.URL("WEBHOOK_URL", "")
	c.WebhookSecret = env.String("WEBHOOK_SECRET", "")
	c.WebhookTimeout = time.Duration(env.Int("WEBHOOK_TIMEOUT_SECONDS", 5, 1, 60)) * time.Second
	c.HookSecret = env.String("UPLOAD_HOOK_SECRET", "")
	c.read = env.Problems()
	return c
}

// Validate reports every problem of c at once, one "VARIABLE: what to fix"
// line each (a config.Problems; nil when there is none), naming the
// variable and never echoing a secret's value.
func (c Config) Validate() error {
	var p config.Problems
	c.Base.Check(&p)
	c.Verdicts.Check(&p, c.Base)
	switch c.RejectAction {
	case ActionQuarantine, ActionDelete, ActionTag:
	default:
		p.Add("REJECT_ACTION", "must be quarantine, delete or tag")
	}
	if c.WebhookURL != "" {
		// A plain secret from before the Standard Webhooks format is refused
		// rather than guessed at: receivers' libraries need the whsec_ form.
		if _, err := stdwebhook.ParseSecret(c.WebhookSecret); err != nil {
			p.Add("WEBHOOK_SECRET", "required when WEBHOOK_URL is set; %v"+
				"; make one with: echo \"whsec_$(openssl rand -base64 32)\" and give receivers the same value", err)
		}
	}
	if c.HookSecret != "" {
		if _, err := stdwebhook.ParseSecret(c.HookSecret); err != nil {
			p.Add("UPLOAD_HOOK_SECRET", "%v; use the value sign and sts have", err)
		}
	}
	if c.WebhookTimeout <= 0 {
		p.Add("WEBHOOK_TIMEOUT_SECONDS", "must be a positive number of seconds")
	}
	return c.read.Merge(p).Err()
}

// PinKey is the key of the hook metadata pins (package uploadpin), or nil
// without UPLOAD_HOOK_SECRET.
func (c Config) PinKey() []byte {
	key, err := stdwebhook.ParseSecret(c.HookSecret)
	if err != nil {
		return nil
	}
	return uploadpin.Key(key)
}
