package stsvend

import (
	"strings"
	"testing"
	"time"
)

func TestFromEnvDefaults(t *testing.T) {
	cfg := FromEnv(testEnv(map[string]string{"OSS_UPLOAD_URL": "", "STS_ENDPOINT": ""}))
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Duration != 900*time.Second || cfg.CacheSize != DefaultCacheSize || cfg.Rules.Prefix != "uploads/" ||
		cfg.UploadURL != "https://ossupload-dev.oss-cn-hangzhou.aliyuncs.com" || cfg.STSEndpoint != "" {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	secret := "short-secret-value"
	cfg := FromEnv(testEnv(map[string]string{
		"OSS_BUCKET":           "",
		"STS_ROLE_ARN":         "",
		"STS_DURATION_SECONDS": "3601",
		"UPLOAD_PREFIX":        "/abs",
		"AUTH_JWT_SECRET":      secret,
		"STS_CACHE_SIZE":       "0",
	}))
	err := cfg.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, name := range []string{"OSS_BUCKET", "STS_ROLE_ARN", "STS_DURATION_SECONDS", "UPLOAD_PREFIX", "AUTH_JWT_SECRET", "STS_CACHE_SIZE"} {
		if !strings.Contains(msg, name) {
			t.Errorf("problem with %s not reported in:\n%s", name, msg)
		}
	}
	if strings.Contains(msg, secret) {
		t.Fatalf("the secret's value is in the error:\n%s", msg)
	}
}

func TestValidateRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"duration too short", map[string]string{"STS_DURATION_SECONDS": "899"}, "STS_DURATION_SECONDS"},
		{"duration not a number", map[string]string{"STS_DURATION_SECONDS": "15m"}, "STS_DURATION_SECONDS"},
		{"wildcard prefix", map[string]string{"UPLOAD_PREFIX": "up*/"}, "UPLOAD_PREFIX"},
		{"prefix too long for the policy", map[string]string{"UPLOAD_PREFIX": strings.Repeat("p", 900) + "/"}, "1024"},
		{"role arn", map[string]string{"STS_ROLE_ARN": "uploader"}, "STS_ROLE_ARN"},
		{"sts endpoint with path", map[string]string{"STS_ENDPOINT": "http://127.0.0.1:9001/x"}, "STS_ENDPOINT"},
		{"upload url", map[string]string{"OSS_UPLOAD_URL": "ftp://x"}, "OSS_UPLOAD_URL"},
		{"both auth modes", map[string]string{"AUTH_JWKS_URL": "https://issuer.test/jwks"}, "only one"},
		{"no auth", map[string]string{"AUTH_JWT_SECRET": ""}, "AUTH_ALLOW_ANONYMOUS"},
		{"region with oss-", map[string]string{"OSS_REGION": "oss-cn-hangzhou"}, "OSS_REGION"},
		{"bad origin", map[string]string{"CORS_ALLOWED_ORIGINS": "app.example.com"}, "CORS_ALLOWED_ORIGINS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := FromEnv(testEnv(tc.env)).Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a problem mentioning %q", err, tc.want)
			}
		})
	}
	if err := FromEnv(testEnv(map[string]string{"AUTH_JWT_SECRET": "", "AUTH_ALLOW_ANONYMOUS": "true"})).Validate(); err != nil {
		t.Fatalf("anonymous: %v", err)
	}
	// One line per variable: a URL both checks refuse is named once.
	c := FromEnv(testEnv(nil))
	c.UploadURL = "ftp://x"
	if err := c.Validate(); err == nil || strings.Count(err.Error(), "OSS_UPLOAD_URL") != 1 {
		t.Fatalf("UploadURL ftp://x: %v", err)
	}
	if err := (Config{}).Validate(); err == nil || !strings.Contains(err.Error(), "OSS_BUCKET: required") {
		t.Fatalf("zero Config: %v", err)
	}
}

// The session policy must fit for the longest user id on every route: a
// prefix that fits alone can be too long with a route's directory, and
// the problem then names UPLOAD_ROUTES and that route only.
func TestValidateRouteDirFitsThePolicy(t *testing.T) {
	prefix := strings.Repeat("p", 699) + "/" // fits alone: the 1024-byte check passes without routes
	if err := FromEnv(testEnv(map[string]string{"UPLOAD_PREFIX": prefix})).Validate(); err != nil {
		t.Fatalf("prefix alone: %v", err)
	}
	long := strings.Repeat("d", 128)
	routes := `{"short": {"dir": "s", "allowedTypes": ["image/png"]}, "long": {"dir": "` + long + `", "allowedTypes": ["image/png"]}}`
	err := FromEnv(testEnv(map[string]string{"UPLOAD_PREFIX": prefix, "UPLOAD_ROUTES": routes})).Validate()
	if err == nil || !strings.Contains(err.Error(), `UPLOAD_ROUTES: route "long"`) || strings.Contains(err.Error(), `"short"`) ||
		strings.Contains(err.Error(), "UPLOAD_PREFIX:") {
		t.Fatalf("got %v, want one UPLOAD_ROUTES problem naming route \"long\"", err)
	}
	// The same routes under the usual prefix fit.
	if err := FromEnv(testEnv(map[string]string{"UPLOAD_ROUTES": routes})).Validate(); err != nil {
		t.Fatalf("usual prefix: %v", err)
	}
}
