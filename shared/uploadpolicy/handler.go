// Package uploadpolicy is the sign function's HTTP handler: it authenticates
// the caller, checks the declared upload against the rules, and answers with
// a PostObject form (V4 or V1 policy and signature) that pins the bucket, the
// exact server-chosen key, the size range, the content type, the owner
// metadata, the security token and every other form field that changes how
// OSS stores or serves the object (see Fields). GET /status reports the verdict the
// verify function recorded on one of the caller's own uploads.
package uploadpolicy

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/ossupload/ossupload/shared/auth"
	"github.com/ossupload/ossupload/shared/cors"
	"github.com/ossupload/ossupload/shared/credentials"
	"github.com/ossupload/ossupload/shared/httpapi"
	"github.com/ossupload/ossupload/shared/uploadroutes"
)

// MaxRequestBytes caps a request body.
const MaxRequestBytes = 16 << 10

// Authenticator identifies the caller of a request (*auth.Authenticator).
type Authenticator interface {
	Authenticate(r *http.Request) (auth.Identity, error)
}

// CredentialSource returns the credentials to sign with, per request, so
// that FC's per-invocation role credentials are used (credentials.Chain).
type CredentialSource interface {
	Resolve(ctx context.Context) (credentials.Credentials, error)
}

// Deps are the handler's collaborators.
type Deps struct {
	Auth        Authenticator    // required
	Credentials CredentialSource // required
	Tags        TagReader        // nil: GET /status answers 503
	Parts       PartLister       // nil: POST /presign refuses to sign a complete (503)
	Now         func() time.Time // nil: time.Now
	Random      io.Reader        // nil: crypto/rand.Reader
	Logger      *slog.Logger     // nil: discard
	// Hook and PinKey: the app's pre-sign hook (Config.HookClient) and
	// the key of the pins that bind its metadata (Config.PinKey);
	// required exactly when UPLOAD_HOOK_URL is set.
	Hook   Hook
	PinKey []byte
}

// Handler serves POST / and GET / (sign), POST /presign and GET /status.
type Handler struct {
	cfg    Config
	deps   Deps
	keys   keyCache
	log    *slog.Logger
	expiry time.Duration
	cors   *cors.Policy // CORS_ALLOWED_ORIGINS
	hook   Hook         // nil: no hook
	pinKey []byte       // nil: no hook, no pin
}

// New returns the handler wrapped in the CORS policy of cfg (preflights
// answered for the allowed origins, refused with 403 for others).
func New(cfg Config, deps Deps) (http.Handler, error) {
	h, err := NewHandler(cfg, deps)
	if err != nil {
		return nil, err
	}
	return h.cors.Wrap(h), nil
}

// NewHandler returns the handler without the CORS middleware (it still
// refuses requests from origins outside CORS_ALLOWED_ORIGINS).
func NewHandler(cfg Config, deps Deps) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Auth == nil || deps.Credentials == nil {
		return nil, errors.New("uploadpolicy: Deps.Auth and Deps.Credentials are required")
	}
	// A hook configured but not wired would sign without asking the app.
	if hooked := cfg.HookURL != ""; hooked != (deps.Hook != nil) || hooked != (len(deps.PinKey) > 0) {
		return nil, errors.New("uploadpolicy: Deps.Hook and Deps.PinKey are required exactly when UPLOAD_HOOK_URL is set")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Random == nil {
		deps.Random = rand.Reader
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg, deps: deps, log: deps.Logger, expiry: cfg.PolicyExpiry,
		cors: cors.New(cfg.CORSAllowedOrigins, []string{http.MethodGet, http.MethodPost}, nil),
		hook: deps.Hook, pinKey: deps.PinKey}, nil
}

// expiryOf is how long a form or presigned URL for route stays valid: the
// route's own expiry, else POLICY_EXPIRY_SECONDS.
func (h *Handler) expiryOf(route uploadroutes.Route) time.Duration {
	if route.PolicyExpiry > 0 {
		return route.PolicyExpiry
	}
	return h.expiry
}

// ServeHTTP routes: "/" to sign (GET or POST), "/presign" to presign
// (POST), "/status" to the verdict (GET).
//
// A request whose Origin header names an origin outside
// CORS_ALLOWED_ORIGINS is refused (403) before anything else: a browser on
// another site must not obtain a signed form with a user's stolen token.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && !h.cors.AllowOrigin(o) {
		h.fail(w, r, httpapi.Errorf(httpapi.CodeForbidden, "origin not allowed"))
		return
	}
	switch r.URL.Path {
	case "/", "":
		if r.Method != http.MethodPost && r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			h.fail(w, r, httpapi.Errorf(httpapi.CodeMethodNotAllowed, "use POST or GET"))
			return
		}
		h.sign(w, r)
	case "/presign":
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST, OPTIONS")
			h.fail(w, r, httpapi.Errorf(httpapi.CodeMethodNotAllowed, "use POST"))
			return
		}
		h.presign(w, r)
	case "/status":
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET, OPTIONS")
			h.fail(w, r, httpapi.Errorf(httpapi.CodeMethodNotAllowed, "use GET"))
			return
		}
		h.status(w, r)
	default:
		h.fail(w, r, httpapi.Errorf(httpapi.CodeNotFound, "no such endpoint"))
	}
}

// fail writes err through httpapi.WriteError with the handler's logger in
// the context, so an unexpected error is logged with the request id.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.WriteError(w, r.WithContext(httpapi.WithLogger(r.Context(), h.log)), err)
}
