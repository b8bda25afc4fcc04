package verifier

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnvDefaults(t *testing.T) {
	c := FromEnv(envOf(map[string]string{"OSS_BUCKET": "ossupload-dev", "OSS_REGION": "cn-hangzhou"}))
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Endpoint != "https://oss-cn-hangzhou.aliyuncs.com" || c.QuarantinePrefix != "quarantine/" || c.RejectAction != ActionQuarantine ||
		c.WebhookURL != "" || c.WebhookTimeout != 5*time.Second || c.LogLevel != slog.LevelInfo || c.Rules.Prefix != "uploads/" || c.Rules.MaxBytes != 100<<20 ||
		c.SweepMinAge != DefaultSweepMinAge {
		t.Errorf("defaults: %v", c)
	}
}

// verify refuses the bucket and region names sign and sts refuse (it once
// took OSS_BUCKET=x, My_Bucket and OSS_REGION=hangzhou), in the same
// "VARIABLE: what to fix" lines.
func TestValidateRefusesWhatTheOtherFunctionsRefuse(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"OSS_BUCKET", "x"},
		{"OSS_BUCKET", "My_Bucket"},
		{"OSS_REGION", "hangzhou"},
		{"OSS_REGION", "oss-cn-hangzhou"},
		{"SWEEP_MIN_AGE_SECONDS", "0"},
	} {
		env := map[string]string{"OSS_BUCKET": "ossupload-dev", "OSS_REGION": "cn-hangzhou", tc.name: tc.value}
		err := FromEnv(envOf(env)).Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.name+": ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s=%s: Validate = %v, want one line starting %q", tc.name, tc.value, err, tc.name+": ")
		}
	}
}

func TestFromEnvEveryProblem(t *testing.T) {
	secret := "short-secret"
	err := FromEnv(envOf(map[string]string{
		"OSS_ENDPOINT":            "ftp://x",
		"UPLOAD_PREFIX":           "uploads/",
		"QUARANTINE_PREFIX":       "uploads/quarantine/",
		"REJECT_ACTION":           "explode",
		"WEBHOOK_URL":             "https://app.example/hook",
		"WEBHOOK_SECRET":          secret,
		"WEBHOOK_TIMEOUT_SECONDS": "0",
		"LOG_LEVEL":               "loud",
	})).Validate()
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, name := range []string{"OSS_BUCKET", "OSS_REGION", "OSS_ENDPOINT", "QUARANTINE_PREFIX", "REJECT_ACTION", "WEBHOOK_SECRET", "WEBHOOK_TIMEOUT_SECONDS", "LOG_LEVEL"} {
		if !strings.Contains(msg, name) {
			t.Errorf("problem with %s not reported:\n%s", name, msg)
		}
	}
	if strings.Contains(msg, secret) {
		t.Errorf("the secret's value leaked into the error:\n%s", msg)
	}
}

func TestConfigValidateAndRedaction(t *testing.T) {
	c := FromEnv(envOf(map[string]string{"OSS_BUCKET": "ossupload-dev", "OSS_REGION": "cn-hangzhou", "WEBHOOK_URL": "http://127.0.0.1:1/h", "WEBHOOK_SECRET": "whsec_dmVyeS1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZg=="}))
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{c.String(), fmt.Sprintf("%v %+v %#v", c, c, c)} {
		if strings.Contains(s, "dmVyeS1zZWNyZXQ") {
			t.Errorf("secret printed: %s", s)
		}
	}
	c.QuarantinePrefix = "/q"
	c.RejectAction = "nope"
	c.Bucket = ""
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "QUARANTINE_PREFIX") || !strings.Contains(err.Error(), "REJECT_ACTION") || !strings.Contains(err.Error(), "OSS_BUCKET") {
		t.Errorf("Validate = %v", err)
	}
}

// A plain secret from before the Standard Webhooks format stops the start
// with a message that says what to set instead, without echoing it.
func TestFromEnvRefusesAPlainWebhookSecret(t *testing.T) {
	const old = "0123456789abcdef-very-secret-old-style"
	err := FromEnv(envOf(map[string]string{"OSS_BUCKET": "ossupload-dev", "OSS_REGION": "cn-hangzhou", "WEBHOOK_URL": "http://127.0.0.1:1/h", "WEBHOOK_SECRET": old})).Validate()
	if err == nil || !strings.Contains(err.Error(), "WEBHOOK_SECRET") || !strings.Contains(err.Error(), "whsec_$(openssl rand -base64 32)") {
		t.Fatalf("FromEnv = %v, want a WEBHOOK_SECRET problem saying how to make a whsec_ secret", err)
	}
	if strings.Contains(err.Error(), old) {
		t.Errorf("the secret leaked: %v", err)
	}
	// Without a URL the secret is not used, so it is not checked.
	if err := FromEnv(envOf(map[string]string{"OSS_BUCKET": "ossupload-dev", "OSS_REGION": "cn-hangzhou", "WEBHOOK_SECRET": old})).Validate(); err != nil {
		t.Errorf("no WEBHOOK_URL: %v", err)
	}
}
