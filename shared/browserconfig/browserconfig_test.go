package browserconfig

import (
	"strings"
	"testing"

	"github.com/ossupload/ossupload/shared/baseconfig"
	"github.com/ossupload/ossupload/shared/config"
)

func check(env map[string]string) (Browser, config.Problems) {
	e := config.NewEnv(func(k string) string { return env[k] })
	w := Read(e, baseconfig.Base{Bucket: "ossupload-dev", Region: "cn-hangzhou"})
	var p config.Problems
	w.Check(&p)
	return w, e.Problems().Merge(p)
}

func TestReadAndCheck(t *testing.T) {
	secret := strings.Repeat("s", MinJWTSecretBytes)
	w, p := check(map[string]string{"AUTH_JWT_SECRET": secret, "AUTH_ISSUER": "i", "CORS_ALLOWED_ORIGINS": "https://a.example, *"})
	ac := w.AuthConfig()
	if len(p) != 0 || w.UploadURL != "https://ossupload-dev.oss-cn-hangzhou.aliyuncs.com" || string(ac.JWTSecret) != secret || ac.Issuer != "i" ||
		len(w.CORSAllowedOrigins) != 2 {
		t.Fatalf("Read = %+v, problems %q", w, p)
	}
	const short = "short-secret-value"
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "AUTH_JWT_SECRET: set AUTH_JWT_SECRET or AUTH_JWKS_URL"},
		{map[string]string{"AUTH_JWT_SECRET": short}, "AUTH_JWT_SECRET: must be at least 32 bytes"},
		{map[string]string{"AUTH_JWT_SECRET": secret, "AUTH_JWKS_URL": "https://issuer.example/jwks"}, "AUTH_JWKS_URL: set only one"},
		{map[string]string{"AUTH_ALLOW_ANONYMOUS": "true", "CORS_ALLOWED_ORIGINS": "app.example.com"}, "CORS_ALLOWED_ORIGINS: entry"},
		{map[string]string{"AUTH_ALLOW_ANONYMOUS": "true", "OSS_UPLOAD_URL": "ftp://x"}, "OSS_UPLOAD_URL: must be"},
	} {
		_, p := check(tc.env)
		if len(p) != 1 || !strings.HasPrefix(p[0], tc.want) {
			t.Errorf("%v: problems %q, want one starting %q", tc.env, p, tc.want)
		}
		if strings.Contains(p.Error(), short) {
			t.Errorf("the secret is echoed: %q", p)
		}
	}
}

// The hook's answer is not signed and decides what is signed: it must come
// over https, or over http from an address an attacker on the internet
// cannot sit in front of.
func TestHookURLTransport(t *testing.T) {
	const secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	for url, ok := range map[string]bool{
		"https://app.example.com/hook":    true,
		"http://127.0.0.1:3000/hook":      true,
		"http://[::1]:3000/hook":          true,
		"http://10.0.3.7/hook":            true,
		"http://192.168.1.20:8080/hook":   true,
		"http://app.example.com/hook":     false,
		"http://203.0.113.9/hook":         false,
		"http://localhost.example.com/h":  false,
		"http://169.254.169.254/metadata": false,
	} {
		_, p := check(map[string]string{"AUTH_ALLOW_ANONYMOUS": "true", "UPLOAD_HOOK_URL": url, "UPLOAD_HOOK_SECRET": secret})
		if got := !p.About("UPLOAD_HOOK_URL"); got != ok {
			t.Errorf("%s: accepted %v, want %v (problems %q)", url, got, ok, p)
		}
	}
}
