package stsvend

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/ossupload/ossupload/shared/auth"
	"github.com/ossupload/ossupload/shared/cors"
	"github.com/ossupload/ossupload/shared/credentials"
	"github.com/ossupload/ossupload/shared/httpapi"
	"github.com/ossupload/ossupload/shared/logging"
	"github.com/ossupload/ossupload/shared/uploadhook"
	"github.com/ossupload/ossupload/shared/uploadroutes"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// MaxRequestBytes caps a request body (a small JSON object: the route and
// what the app's hook is told).
const MaxRequestBytes = 16 << 10

// Authenticator identifies the caller of a request (*auth.Authenticator).
type Authenticator interface {
	Authenticate(r *http.Request) (auth.Identity, error)
}

// Asker asks the app whether an upload may go ahead (*uploadhook.Client).
type Asker interface {
	Ask(ctx context.Context, r uploadhook.Request) (uploadhook.Decision, error)
}

// Deps are the handler's collaborators.
type Deps struct {
	Auth   Authenticator    // required
	STS    AssumeRoler      // required (*SDK in production)
	Now    func() time.Time // nil: time.Now; the cache's clock
	Logger *slog.Logger     // nil: discard
	// Hook is the app's pre-sign hook (Config.HookClient), asked before
	// every vend; required exactly when UPLOAD_HOOK_URL is set.
	Hook Asker
	// PinKey signs x-oss-meta-upload-pin (Config.PinKey); required with Hook.
	PinKey []byte
}

// Handler serves POST / and GET /: temporary upload credentials for the
// authenticated caller.
type Handler struct {
	cfg   Config
	deps  Deps
	opts  ClientOptions
	cache *Cache
	log   *slog.Logger
	cors  *cors.Policy
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
	if deps.Auth == nil || deps.STS == nil {
		return nil, errors.New("stsvend: Deps.Auth and Deps.STS are required")
	}
	if (cfg.HookURL != "") != (deps.Hook != nil) || (deps.Hook != nil && len(deps.PinKey) == 0) {
		return nil, errors.New("stsvend: Deps.Hook and Deps.PinKey are required exactly when UPLOAD_HOOK_URL is set")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	opts, err := ClientOptionsFor(cfg.UploadURL, cfg.Bucket, cfg.Region)
	if err != nil {
		return nil, err
	}
	return &Handler{cfg: cfg, deps: deps, opts: opts, cache: NewCache(cfg.CacheSize, deps.Now), log: deps.Logger,
		cors: cors.New(cfg.CORSAllowedOrigins, []string{http.MethodGet, http.MethodPost}, nil)}, nil
}

// ServeHTTP answers "/" (GET or POST).
//
// A request whose Origin header names an origin outside
// CORS_ALLOWED_ORIGINS is refused (403) before anything else: a page on
// another site must not obtain credentials with a user's stolen token.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && !h.cors.AllowOrigin(o) {
		h.fail(w, r, httpapi.Errorf(httpapi.CodeForbidden, "origin not allowed"))
		return
	}
	if r.URL.Path != "/" && r.URL.Path != "" {
		h.fail(w, r, httpapi.Errorf(httpapi.CodeNotFound, "no such endpoint"))
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		h.fail(w, r, httpapi.Errorf(httpapi.CodeMethodNotAllowed, "use POST or GET"))
		return
	}
	h.vend(w, r)
}

func (h *Handler) vend(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := h.deps.Auth.Authenticate(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !uploadrules.ValidUserID(id.UserID) {
		h.fail(w, r, httpapi.Errorf(httpapi.CodeUnauthorized, "the token's subject is not a valid user id"))
		return
	}
	req, err := readRequest(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	route, err := resolveRoute(h.cfg.Routes, req.Route)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	dir := route.UserDir(h.cfg.Rules, id.UserID)
	var headers map[string]string
	var key string
	if h.deps.Hook != nil {
		meta, err := h.ask(ctx, id.UserID, route.Name, req)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		headers = UploadHeaders(h.deps.PinKey, route.Name, id.UserID, dir, meta)
		key = CacheKey(id.UserID, route.Name, headers)
	} else {
		headers = UploadHeaders(nil, route.Name, id.UserID, dir, nil)
		key = CacheKey(id.UserID, route.Name, nil)
	}
	creds, hit, err := h.cache.Get(ctx, key, func(ctx context.Context) (Temporary, error) {
		return h.assume(ctx, id.UserID, dir)
	})
	if err != nil {
		h.fail(w, r, h.stsFailure(ctx, id.UserID, err))
		return
	}
	h.log.LogAttrs(ctx, slog.LevelInfo, "vended upload credentials",
		logging.RequestID(httpapi.RequestID(ctx)), slog.String("user", id.UserID), slog.String("route", route.Name),
		slog.String("access_key_id", credentials.MaskID(creds.AccessKeyID)), slog.Bool("cached", hit),
		slog.Time("expiration", creds.Expiration))
	resp := newResponse(creds, h.cfg.Bucket, h.cfg.Region, h.opts)
	resp.Route, resp.Dir, resp.Headers = route.Name, dir, headers
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, resp)
}

// ask calls the app's hook for this request and returns the metadata it
// answered, or the caller's error: 403 upload_denied with the app's
// message, 503 hook_unavailable (why is logged: the error names no secret
// and no URL, see uploadhook).
func (h *Handler) ask(ctx context.Context, user, route string, req vendRequest) (map[string]string, error) {
	d, err := h.deps.Hook.Ask(ctx, uploadhook.Request{
		User: user, Via: uploadroutes.PathSTS, Route: route, Filename: req.Filename,
		ContentType: req.ContentType, Size: req.Size, ClientPayload: req.ClientPayload,
	})
	switch {
	case err != nil:
		h.log.LogAttrs(ctx, slog.LevelWarn, "upload hook unavailable, answering 503",
			logging.RequestID(httpapi.RequestID(ctx)), slog.String("user", user), slog.String("route", route),
			slog.String("error", err.Error()))
		return nil, uploadhook.HTTPError(d, err)
	case !d.Allow:
		h.log.LogAttrs(ctx, slog.LevelInfo, "upload hook denied",
			logging.RequestID(httpapi.RequestID(ctx)), slog.String("user", user), slog.String("route", route))
		return nil, uploadhook.HTTPError(d, nil)
	}
	return d.Metadata, nil
}

// assume is one AssumeRole for userID, scoped to dir.
func (h *Handler) assume(ctx context.Context, userID, dir string) (Temporary, error) {
	policy, err := SessionPolicy(h.cfg.Bucket, dir)
	if err != nil {
		return Temporary{}, err
	}
	return h.deps.STS.AssumeRole(ctx, AssumeRoleInput{
		RoleARN:     h.cfg.RoleARN,
		SessionName: SessionName(userID),
		Policy:      policy,
		Duration:    h.cfg.Duration,
	})
}

// stsFailure maps an AssumeRole failure to the wire: throttling, STS 5xx,
// transport failures and missing function credentials are 503 (retry
// later); anything else is a 500 whose details stay in the log. Only the
// STS error code is logged, never upstream text.
func (h *Handler) stsFailure(ctx context.Context, user string, err error) error {
	var se *STSError
	// An *STSError prints codes only, never upstream text; other errors
	// (function credentials, client setup) hold no upstream text either.
	attrs := []slog.Attr{logging.RequestID(httpapi.RequestID(ctx)), slog.String("user", user),
		slog.String("error", err.Error())}
	if errors.As(err, &se) {
		attrs = append(attrs, slog.String("sts_code", se.Code), slog.Int("sts_status", se.Status))
	}
	switch {
	case errors.Is(err, ErrThrottled), errors.Is(err, ErrUnavailable):
		h.log.LogAttrs(ctx, slog.LevelWarn, "AssumeRole failed, answering 503", attrs...)
		return &retryError{httpapi.Errorf(httpapi.CodeUnavailable,
			"credentials are temporarily unavailable, try again later"), retryAfter(err)}
	case errors.Is(err, credentials.ErrNotFound):
		h.log.LogAttrs(ctx, slog.LevelError, "the function has no credentials to call STS with", attrs...)
		return &retryError{httpapi.Errorf(httpapi.CodeUnavailable,
			"credentials are temporarily unavailable, try again later"), "1"}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &retryError{httpapi.Errorf(httpapi.CodeUnavailable, "request ended before credentials were ready"), "1"}
	}
	h.log.LogAttrs(ctx, slog.LevelError, "AssumeRole refused", attrs...)
	return httpapi.Errorf(httpapi.CodeInternal, "could not issue credentials; quote the request id when reporting it")
}

// retryError is a 503 with its Retry-After value.
type retryError struct {
	err   *httpapi.Error
	after string
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// fail writes err through httpapi.WriteError with the handler's logger in
// the context.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var re *retryError
	if errors.As(err, &re) {
		w.Header().Set("Retry-After", re.after)
	}
	httpapi.WriteError(w, r.WithContext(httpapi.WithLogger(r.Context(), h.log)), err)
}
