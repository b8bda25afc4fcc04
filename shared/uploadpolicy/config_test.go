package uploadpolicy

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestFromEnvDefaults(t *testing.T) {
	vars := map[string]string{"OSS_BUCKET": "b-1", "OSS_REGION": "cn-shanghai", "AUTH_JWT_SECRET": testSecret,
		"OSS_ENDPOINT": "", "OSS_UPLOAD_URL": " "} // s.yaml passes empty values for "use the default"
	c := FromEnv(func(k string) string { return vars[k] })
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"endpoint", c.Endpoint, "https://oss-cn-shanghai.aliyuncs.com"},
		{"upload url", c.UploadURL, "https://b-1.oss-cn-shanghai.aliyuncs.com"},
		{"prefix", c.Rules.Prefix, "uploads/"},
		{"quarantine prefix", c.QuarantinePrefix, "quarantine/"},
		{"signature version", c.SignatureVersion, "v4"},
		{"expiry", c.PolicyExpiry.String(), (15 * time.Minute).String()},
		{"sweep age", c.SweepMinAge.String(), (2 * time.Hour).String()},
		{"log level", c.LogLevel.String(), slog.LevelInfo.String()},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %q, want %q", ck.name, ck.got, ck.want)
		}
	}
	if c.AllowAnonymous || len(c.CORSAllowedOrigins) != 0 || c.Rules.MaxBytes != 100<<20 {
		t.Errorf("defaults %+v", c)
	}
}

func TestFromEnvAll(t *testing.T) {
	vars := map[string]string{
		"OSS_BUCKET": "ossupload-dev", "OSS_REGION": "cn-hangzhou",
		"OSS_ENDPOINT": "http://127.0.0.1:9000", "OSS_UPLOAD_URL": "http://127.0.0.1:9000/ossupload-dev",
		"UPLOAD_PREFIX": "in/", "UPLOAD_MAX_BYTES": "10", "UPLOAD_ALLOWED_TYPES": "image/png", "QUARANTINE_PREFIX": "bad/",
		"SIGNATURE_VERSION": "V1", "POLICY_EXPIRY_SECONDS": "120",
		"AUTH_JWKS_URL": "https://idp.example/jwks.json", "AUTH_ISSUER": "i", "AUTH_AUDIENCE": "a",
		"CORS_ALLOWED_ORIGINS": "https://a.example, http://localhost:8080", "LOG_LEVEL": "debug",
		"SWEEP_MIN_AGE_SECONDS": "90",
	}
	c := FromEnv(func(k string) string { return vars[k] })
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Endpoint != vars["OSS_ENDPOINT"] || c.UploadURL != vars["OSS_UPLOAD_URL"] || c.Rules.Prefix != "in/" || c.QuarantinePrefix != "bad/" ||
		c.Rules.MaxBytes != 10 || c.SignatureVersion != "v1" || c.PolicyExpiry != 2*time.Minute ||
		c.JWKSURL != vars["AUTH_JWKS_URL"] || c.Issuer != "i" || c.Audience != "a" ||
		len(c.CORSAllowedOrigins) != 2 || c.LogLevel != slog.LevelDebug || c.SweepMinAge != 90*time.Second {
		t.Fatalf("FromEnv = %+v", c)
	}
	ac := c.AuthConfig()
	if ac.JWKSURL != c.JWKSURL || ac.Issuer != "i" || ac.Audience != "a" || ac.AllowAnonymous {
		t.Fatalf("AuthConfig = %+v", ac)
	}
}

// TestValidateListsEveryProblem: one error naming every bad variable, and
// never the value of a secret.
// TestQuarantinePrefix: the prefix GET /status looks in must be a folder
// apart from the uploads, as the verify function requires.
func TestQuarantinePrefix(t *testing.T) {
	for q, want := range map[string]string{
		"quarantine/": "", "rejected/uploads/": "",
		"":           "", // empty means the default
		"quarantine": "must end with", "/q/": "must end with",
		"uploads/q/": "must not overlap", "up": "must end with", "u/": "",
	} {
		vars := map[string]string{"OSS_BUCKET": "bkt", "OSS_REGION": "cn-hangzhou", "AUTH_JWT_SECRET": testSecret, "QUARANTINE_PREFIX": q}
		err := FromEnv(func(k string) string { return vars[k] }).Validate()
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), "QUARANTINE_PREFIX") || !strings.Contains(err.Error(), want)) {
			t.Errorf("QUARANTINE_PREFIX=%q: %v, want %q", q, err, want)
		}
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	vars := map[string]string{
		"OSS_REGION": "oss-cn-hangzhou", "OSS_UPLOAD_URL": "ftp://x",
		"UPLOAD_PREFIX": "/root", "UPLOAD_MAX_BYTES": "0", "UPLOAD_ALLOWED_TYPES": "png", "QUARANTINE_PREFIX": "q",
		"SIGNATURE_VERSION": "v3", "POLICY_EXPIRY_SECONDS": "5",
		"AUTH_JWT_SECRET": "short-secret-value", "AUTH_JWKS_URL": "https://idp.example/jwks",
		"CORS_ALLOWED_ORIGINS": "https://ok.example,not an origin", "LOG_LEVEL": "loud",
		"SWEEP_MIN_AGE_SECONDS": "0",
	}
	err := FromEnv(func(k string) string { return vars[k] }).Validate()
	if err == nil {
		t.Fatal("invalid configuration accepted")
	}
	msg := err.Error()
	for _, name := range []string{"OSS_BUCKET", "OSS_REGION", "OSS_UPLOAD_URL", "UPLOAD_PREFIX", "UPLOAD_MAX_BYTES",
		"UPLOAD_ALLOWED_TYPES", "SIGNATURE_VERSION", "POLICY_EXPIRY_SECONDS", "AUTH_JWT_SECRET", "AUTH_JWKS_URL",
		"CORS_ALLOWED_ORIGINS", "LOG_LEVEL", "QUARANTINE_PREFIX", "SWEEP_MIN_AGE_SECONDS"} {
		if !strings.Contains(msg, name) {
			t.Errorf("problems do not name %s:\n%s", name, msg)
		}
	}
	if strings.Contains(msg, "short-secret-value") {
		t.Errorf("the secret's value is echoed:\n%s", msg)
	}
}

func TestValidateAuthChoice(t *testing.T) {
	base := map[string]string{"OSS_BUCKET": "bkt", "OSS_REGION": "cn-hangzhou"}
	get := func(extra map[string]string) error {
		return FromEnv(func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return base[k]
		}).Validate()
	}
	if get(nil) == nil {
		t.Error("no authentication configured, accepted")
	}
	if err := get(map[string]string{"AUTH_ALLOW_ANONYMOUS": "true"}); err != nil {
		t.Errorf("anonymous: %v", err)
	}
	if get(map[string]string{"AUTH_JWT_SECRET": testSecret, "AUTH_JWKS_URL": "https://x/jwks"}) == nil {
		t.Error("both secret and JWKS accepted")
	}
	// A programmatic Config is checked too.
	if (Config{}).Validate() == nil {
		t.Error("zero Config accepted")
	}
	// Without a sweep age every upload would be overdue at once.
	c := FromEnv(func(k string) string {
		return map[string]string{"OSS_BUCKET": "bkt", "OSS_REGION": "cn-hangzhou", "AUTH_JWT_SECRET": testSecret}[k]
	})
	c.SweepMinAge = 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "SWEEP_MIN_AGE_SECONDS") {
		t.Errorf("Config without a sweep age: %v", err)
	}
}
