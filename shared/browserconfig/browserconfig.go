// Package browserconfig reads and checks what the functions browsers call
// (sign, sts) share: OSS_UPLOAD_URL, the AUTH_* block, the pre-sign hook
// (UPLOAD_HOOK_*) and CORS_ALLOWED_ORIGINS. See package baseconfig for the
// rest.
package browserconfig

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"time"

	"github.com/ossupload/ossupload/shared/auth"
	"github.com/ossupload/ossupload/shared/baseconfig"
	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/stdwebhook"
	"github.com/ossupload/ossupload/shared/uploadhook"
	"github.com/ossupload/ossupload/shared/uploadpin"
)

// MinJWTSecretBytes is the shortest AUTH_JWT_SECRET accepted (the
// authenticator's own minimum).
const MinJWTSecretBytes = auth.MinSecretBytes

// Auth is the AUTH_* block: how callers of sign and sts prove who they are.
type Auth struct {
	JWTSecret      []byte // AUTH_JWT_SECRET (HS256)
	JWKSURL        string // AUTH_JWKS_URL (RS256/ES256 keys)
	Issuer         string // AUTH_ISSUER
	Audience       string // AUTH_AUDIENCE
	AllowAnonymous bool   // AUTH_ALLOW_ANONYMOUS
}

// ReadAuth reads the AUTH_* block.
func ReadAuth(env *config.Env) Auth {
	var a Auth
	if s := env.String("AUTH_JWT_SECRET", ""); s != "" {
		a.JWTSecret = []byte(s)
	}
	if env.String("AUTH_JWKS_URL", "") != "" {
		a.JWKSURL = env.URL("AUTH_JWKS_URL", "")
	}
	a.Issuer = env.String("AUTH_ISSUER", "")
	a.Audience = env.String("AUTH_AUDIENCE", "")
	a.AllowAnonymous = env.Bool("AUTH_ALLOW_ANONYMOUS", false)
	return a
}

// Check adds what is wrong with a to p, never quoting the secret.
func (a Auth) Check(p *config.Problems) {
	switch {
	case len(a.JWTSecret) > 0 && a.JWKSURL != "":
		p.Add("AUTH_JWKS_URL", "set only one of AUTH_JWT_SECRET and AUTH_JWKS_URL")
	case len(a.JWTSecret) == 0 && a.JWKSURL == "" && !a.AllowAnonymous:
		p.Add("AUTH_JWT_SECRET", "set AUTH_JWT_SECRET or AUTH_JWKS_URL (or AUTH_ALLOW_ANONYMOUS=true to allow anonymous callers)")
	}
	if len(a.JWTSecret) > 0 && len(a.JWTSecret) < MinJWTSecretBytes {
		p.Add("AUTH_JWT_SECRET", "must be at least %d bytes (make one with: openssl rand -base64 48)", MinJWTSecretBytes)
	}
}

// AuthConfig returns the authenticator configuration (the clock and HTTP
// client are the caller's).
func (a Auth) AuthConfig() auth.Config {
	return auth.Config{JWTSecret: a.JWTSecret, JWKSURL: a.JWKSURL, Issuer: a.Issuer, Audience: a.Audience,
		AllowAnonymous: a.AllowAnonymous}
}

// Authenticator builds the authenticator a describes, with now as its
// clock (and auth's default client for the JWKS fetch).
func (a Auth) Authenticator(now func() time.Time) (*auth.Authenticator, error) {
	ac := a.AuthConfig()
	ac.Now = now
	authn, err := auth.New(context.Background(), ac)
	if err != nil {
		return nil, fmt.Errorf("authentication setup failed: %w", err)
	}
	return authn, nil
}

// Browser is what the browser-facing functions (sign, sts) share.
type Browser struct {
	UploadURL string // OSS_UPLOAD_URL: where browsers upload
	Auth
	Hook
	CORSAllowedOrigins []string // CORS_ALLOWED_ORIGINS
}

// Hook timeout bounds (UPLOAD_HOOK_TIMEOUT_SECONDS): the caller waits for
// the hook before anything is signed, so it must answer fast.
const (
	DefaultHookTimeout = 3 * time.Second
	MaxHookTimeout     = 10 * time.Second
)

// Hook is the app's pre-sign hook (package uploadhook).
type Hook struct {
	HookURL     string        // UPLOAD_HOOK_URL; "" = no hook
	HookSecret  string        // UPLOAD_HOOK_SECRET: whsec_<base64>, required with the URL
	HookTimeout time.Duration // UPLOAD_HOOK_TIMEOUT_SECONDS
}

// ReadHook reads the UPLOAD_HOOK_* settings.
func ReadHook(env *config.Env) Hook {
	return Hook{
		HookURL:     env.URL("UPLOAD_HOOK_URL", ""),
		HookSecret:  env.String("UPLOAD_HOOK_SECRET", ""),
		HookTimeout: time.Duration(env.Int("UPLOAD_HOOK_TIMEOUT_SECONDS", int64(DefaultHookTimeout/time.Second), 1, int64(MaxHookTimeout/time.Second))) * time.Second,
	}
}

// Check adds what is wrong with h to p, never quoting the secret.
func (h Hook) Check(p *config.Problems) {
	if h.HookURL == "" && h.HookSecret == "" {
		return
	}
	if h.HookURL == "" {
		p.Add("UPLOAD_HOOK_URL", "required when UPLOAD_HOOK_SECRET is set (or remove the secret)")
	} else if !hookTransportOK(h.HookURL) {
		p.Add("UPLOAD_HOOK_URL", "must be https:// (the hook's answer is not signed and decides what is signed and pinned; "+
			"http:// is accepted only for a loopback or private-network address, e.g. an app in the same VPC)")
	}
	if _, err := stdwebhook.ParseSecret(h.HookSecret); err != nil {
		p.Add("UPLOAD_HOOK_SECRET", "required with UPLOAD_HOOK_URL and given to verify too; %v; make one with: "+
			"echo \"whsec_$(openssl rand -base64 32)\"", err)
	}
}

// hookTransportOK reports whether the hook's answer travels where an
// attacker on the path cannot change it: https, or http to a loopback or
// private (RFC 1918 / RFC 4193) IP address. The call is signed (the app can
// tell it came from us) but the answer is not, and it decides allow, deny
// and the metadata verify later passes on as pinned.
func hookTransportOK(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	ip, err := netip.ParseAddr(u.Hostname())
	return u.Scheme == "http" && err == nil && (ip.IsLoopback() || ip.IsPrivate())
}

// HookClient returns the hook's client, or nil when no hook is configured.
func (h Hook) HookClient(now func() time.Time) *uploadhook.Client {
	if h.HookURL == "" {
		return nil
	}
	return &uploadhook.Client{URL: h.HookURL, Secret: h.HookSecret, Timeout: h.HookTimeout, Now: now}
}

// PinKey is the key of the pins that bind the hook's metadata to an upload
// (package uploadpin), or nil when no hook is configured.
func (h Hook) PinKey() []byte {
	key, err := stdwebhook.ParseSecret(h.HookSecret)
	if h.HookURL == "" || err != nil {
		return nil
	}
	return uploadpin.Key(key)
}

// Read reads Browser; OSS_UPLOAD_URL defaults to b's bucket URL.
func Read(env *config.Env, b baseconfig.Base) Browser {
	return Browser{
		UploadURL:          env.URL("OSS_UPLOAD_URL", b.DefaultUploadURL()),
		Auth:               ReadAuth(env),
		Hook:               ReadHook(env),
		CORSAllowedOrigins: env.List("CORS_ALLOWED_ORIGINS", nil),
	}
}

// Check adds what is wrong with w to p.
func (w Browser) Check(p *config.Problems) {
	if !config.ValidHTTPURL(w.UploadURL) {
		p.Add("OSS_UPLOAD_URL", "must be an http(s) URL, e.g. https://<bucket>.oss-<region>.aliyuncs.com")
	}
	w.Auth.Check(p)
	w.Hook.Check(p)
	for _, o := range w.CORSAllowedOrigins {
		if o != "*" && !config.ValidOrigin(o) {
			p.Add("CORS_ALLOWED_ORIGINS", "entry %q is not an origin like https://app.example.com", o)
		}
	}
}
