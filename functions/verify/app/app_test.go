package app

import (
	"bytes"
	"slices"
	"testing"

	"github.com/ossupload/ossupload/shared/config/configtest"
)

func getenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// A valid environment gives the event handler; a timer event with nothing
// to sweep would need OSS, so only the construction is checked here (the
// binary tests in tests/verify run it against the emulator).
func TestSetupBuildsTheHandler(t *testing.T) {
	env := map[string]string{"OSS_BUCKET": "ossupload-dev", "OSS_REGION": "cn-hangzhou", "REJECT_ACTION": "delete"}
	var logs bytes.Buffer
	h, logger, err := Setup(getenv(env), Options{Log: &logs})
	if err != nil || h == nil || logger == nil {
		t.Fatalf("Setup = %v, %v, %v", h, logger, err)
	}
}

// verify refuses what sign and sts refuse (it once took OSS_BUCKET=x,
// My_Bucket and OSS_REGION=hangzhou), in the same format, without echoing
// the webhook secret.
func TestSetupListsEveryProblem(t *testing.T) {
	const secret = "tooshort-SECRET-value"
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"bucket and region", map[string]string{"OSS_BUCKET": "My_Bucket", "OSS_REGION": "hangzhou"}, []string{"OSS_BUCKET", "OSS_REGION"}},
		{"one-letter bucket, endpoint host as region", map[string]string{"OSS_BUCKET": "x", "OSS_REGION": "oss-cn-hangzhou"}, []string{"OSS_BUCKET", "OSS_REGION"}},
		{"own settings", map[string]string{"OSS_REGION": "cn-hangzhou", "QUARANTINE_PREFIX": "uploads/q/", "REJECT_ACTION": "shred",
			"WEBHOOK_URL": "https://app.example/hook", "WEBHOOK_SECRET": secret, "SWEEP_MIN_AGE_SECONDS": "0"},
			[]string{"OSS_BUCKET", "QUARANTINE_PREFIX", "REJECT_ACTION", "WEBHOOK_SECRET", "SWEEP_MIN_AGE_SECONDS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, logger, err := Setup(getenv(tc.env), Options{Log: &bytes.Buffer{}})
			if err == nil || h != nil || logger == nil {
				t.Fatalf("Setup = %v, %v; want a refusal and a logger", err, logger)
			}
			names := configtest.Names(t, err, secret)
			slices.Sort(names)
			slices.Sort(tc.want)
			if !slices.Equal(names, tc.want) {
				t.Errorf("problems about %q, want %q:\n%v", names, tc.want, err)
			}
		})
	}
}

// Variables is what FromEnv reads: verify is no browser-facing function.
func TestVariables(t *testing.T) {
	v := Variables()
	for _, want := range []string{"OSS_BUCKET", "OSS_REGION", "OSS_ENDPOINT", "UPLOAD_PREFIX", "LOG_LEVEL", "QUARANTINE_PREFIX",
		"SWEEP_MIN_AGE_SECONDS", "REJECT_ACTION", "WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_TIMEOUT_SECONDS"} {
		if !slices.Contains(v, want) {
			t.Errorf("Variables lacks %s: %q", want, v)
		}
	}
	for _, not := range []string{"OSS_UPLOAD_URL", "AUTH_JWT_SECRET", "CORS_ALLOWED_ORIGINS"} {
		if slices.Contains(v, not) {
			t.Errorf("Variables has %s: %q", not, v)
		}
	}
}
