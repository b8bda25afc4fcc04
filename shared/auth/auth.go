// Package auth authenticates browser callers by a bearer JWT, verified either
// with a shared HS256 secret (AUTH_JWT_SECRET) or with the public keys of a
// JWKS endpoint (AUTH_JWKS_URL; RS*, PS*, ES*, EdDSA; cached, and refreshed
// when a token names an unknown key id so rotated keys are picked up). The
// algorithm list is fixed per mode, so "alg":"none" and HS/RS confusion are
// refused. Failures are *httpapi.Error 401 "unauthorized" with a message that
// says what is wrong and never echoes the token.
package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"

	"github.com/ossupload/ossupload/shared/httpapi"
)

// UserIDPattern is what a token's sub must look like to become a user id
// (it becomes an object key segment). "." and ".." and any ".." are refused
// separately.
var UserIDPattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// AnonymousUserID is the user id of unauthenticated callers when allowed.
const AnonymousUserID = "anonymous"

const (
	// DefaultLeeway is the clock skew tolerated on exp/nbf/iat.
	DefaultLeeway = 30 * time.Second
	// MaxLeeway bounds Config.Leeway.
	MaxLeeway = 5 * time.Minute
	// MinSecretBytes is the shortest accepted HS256 secret.
	MinSecretBytes = 32
	// maxTokenBytes bounds the Authorization header we try to parse.
	maxTokenBytes = 8 << 10
	// DefaultJWKSRefreshInterval is the minimum time between JWKS refreshes
	// triggered by unknown key ids.
	DefaultJWKSRefreshInterval = 30 * time.Second
)

// Algorithms accepted in each mode.
var (
	hsMethods   = []string{"HS256"}
	jwksMethods = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

// Config selects and tunes the verifier. Exactly one of JWTSecret and
// JWKSURL must be set, unless AllowAnonymous (then neither is fine: every
// request without Authorization is anonymous and any token is refused).
type Config struct {
	JWTSecret      []byte
	JWKSURL        string
	Issuer         string // checked when non-empty
	Audience       string // checked when non-empty
	AllowAnonymous bool   // requests without an Authorization header become "anonymous"
	Leeway         time.Duration
	Now            func() time.Time
	HTTPClient     *http.Client // for the JWKS fetch; nil = a client with a 5 s timeout

	// JWKSRefreshInterval is the minimum time between refreshes caused by
	// unknown key ids (default DefaultJWKSRefreshInterval).
	JWKSRefreshInterval time.Duration
}

// Identity is the authenticated caller.
type Identity struct {
	UserID    string
	Anonymous bool
}

// Authenticator verifies bearer tokens. It is safe for concurrent use.
type Authenticator struct {
	cfg     Config
	keyfunc jwt.Keyfunc
	parser  *jwt.Parser
	methods []string
}

// New validates cfg and builds an Authenticator. In JWKS mode it starts the
// background refresh, which stops when ctx ends; an unreachable JWKS
// endpoint at start is not fatal (keys are fetched on first use).
func New(ctx context.Context, cfg Config) (*Authenticator, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	}
	if cfg.Leeway < 0 || cfg.Leeway > MaxLeeway {
		return nil, fmt.Errorf("auth: leeway must be between 0 and %s", MaxLeeway)
	}
	if cfg.JWKSRefreshInterval <= 0 {
		cfg.JWKSRefreshInterval = DefaultJWKSRefreshInterval
	}
	a := &Authenticator{cfg: cfg}
	var methods []string
	switch {
	case len(cfg.JWTSecret) > 0 && cfg.JWKSURL != "":
		return nil, errors.New("auth: set only one of AUTH_JWT_SECRET and AUTH_JWKS_URL")
	case len(cfg.JWTSecret) > 0:
		if len(cfg.JWTSecret) < MinSecretBytes {
			return nil, fmt.Errorf("auth: AUTH_JWT_SECRET must be at least %d bytes", MinSecretBytes)
		}
		// Boxed once: a []byte returned as any would allocate per token.
		var key any = append([]byte(nil), cfg.JWTSecret...)
		a.keyfunc = func(*jwt.Token) (any, error) { return key, nil }
		methods = hsMethods
	case cfg.JWKSURL != "":
		u, err := url.Parse(cfg.JWKSURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, errors.New("auth: AUTH_JWKS_URL must be an absolute http(s) URL")
		}
		client := cfg.HTTPClient
		if client == nil {
			client = &http.Client{Timeout: 5 * time.Second}
		}
		kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{cfg.JWKSURL}, keyfunc.Override{
			Client:            client,
			HTTPTimeout:       5 * time.Second,
			RefreshUnknownKID: rate.NewLimiter(rate.Every(cfg.JWKSRefreshInterval), 1),
			// This bounds both the wait for the limiter and the refresh
			// request itself. rate.Limiter.Wait fails at once when the next
			// token is further away than the deadline, so with the default
			// 30 s interval an unknown kid inside the interval is refused
			// immediately instead of parking the request.
			RateLimitWaitMax: 5 * time.Second,
		})
		if err != nil {
			return nil, fmt.Errorf("auth: JWKS: %w", err)
		}
		a.keyfunc = kf.KeyfuncCtx(ctx)
		methods = jwksMethods
	case cfg.AllowAnonymous:
		a.keyfunc = func(*jwt.Token) (any, error) { return nil, errNoVerifier }
		methods = hsMethods
	default:
		return nil, errors.New("auth: set AUTH_JWT_SECRET or AUTH_JWKS_URL, or AUTH_ALLOW_ANONYMOUS=true")
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(methods),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(cfg.Now),
		jwt.WithIssuedAt(),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	a.parser = jwt.NewParser(opts...)
	a.methods = methods
	return a, nil
}

var errNoVerifier = errors.New("no token verifier configured")

// Authenticate returns the caller's identity, or a *httpapi.Error 401
// "unauthorized".
func (a *Authenticator) Authenticate(r *http.Request) (Identity, error) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		if a.cfg.AllowAnonymous {
			return Identity{UserID: AnonymousUserID, Anonymous: true}, nil
		}
		return Identity{}, unauthorized("missing Authorization header; send Authorization: Bearer <JWT>")
	}
	if len(values) > 1 {
		return Identity{}, unauthorized("send exactly one Authorization header")
	}
	header := strings.TrimSpace(values[0])
	if strings.EqualFold(header, "Bearer") {
		return Identity{}, unauthorized("bearer token is empty")
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return Identity{}, unauthorized("Authorization header must use the Bearer scheme: Authorization: Bearer <JWT>")
	}
	token = strings.TrimSpace(token)
	switch {
	case token == "":
		return Identity{}, unauthorized("bearer token is empty")
	case len(token) > maxTokenBytes:
		return Identity{}, unauthorized(fmt.Sprintf("bearer token is longer than %d bytes", maxTokenBytes))
	case strings.Count(token, ".") != 2 || strings.ContainsAny(token, " \t"):
		return Identity{}, unauthorized("bearer token is not a JWT (expected three dot-separated parts)")
	}
	var claims tokenClaims
	tok, err := a.parser.ParseWithClaims(token, &claims, a.keyfunc)
	if err != nil {
		return Identity{}, unauthorized(a.reason(tok, &claims, err))
	}
	sub := claims.Subject
	switch {
	case sub == "":
		return Identity{}, unauthorized("token has no sub claim")
	case !UserIDPattern.MatchString(sub):
		return Identity{}, unauthorized("token sub must be 1-64 characters of A-Z a-z 0-9 . _ @ -")
	case sub == "." || strings.Contains(sub, ".."):
		return Identity{}, unauthorized(`token sub must not be "." or contain ".."`)
	}
	return Identity{UserID: sub}, nil
}

func unauthorized(msg string) *httpapi.Error {
	return &httpapi.Error{Code: httpapi.CodeUnauthorized, Message: msg}
}

// reason maps a jwt error to a client-safe sentence (never the token).
func (a *Authenticator) reason(tok *jwt.Token, claims *tokenClaims, err error) string {
	if !errors.Is(err, jwt.ErrTokenMalformed) && tok != nil &&
		(tok.Method == nil || !slices.Contains(a.methods, tok.Method.Alg())) {
		return "token algorithm is not accepted"
	}
	if errors.Is(err, jwt.ErrTokenRequiredClaimMissing) {
		switch {
		case !claims.ExpiresAt.set:
			return "token has no exp claim"
		case a.cfg.Issuer != "" && claims.Issuer == "":
			return "token has no iss claim; the issuer is not accepted"
		case a.cfg.Audience != "" && len(claims.Audience.list) == 0:
			return "token has no aud claim; the audience is not accepted"
		}
		return "token lacks a required claim"
	}
	switch {
	case errors.Is(err, errNumericDate):
		return "token " + errNumericDate.Error()
	case errors.Is(err, errNoVerifier):
		return "this function accepts anonymous callers only; send no Authorization header"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "token is malformed"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "token signature is invalid"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "token cannot be verified: its algorithm or key id is not accepted"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token has expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "token is not valid yet (nbf)"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "token is issued in the future (iat)"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "token issuer is not accepted"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "token audience is not accepted"
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		return "token claims are invalid"
	}
	return "token is invalid"
}

// IssueHS256 mints an HS256 token for sub, valid from now for ttl (used by
// the local stack to mint dev tokens and by tests).
func IssueHS256(secret []byte, sub, issuer, audience string, now time.Time, ttl time.Duration) (string, error) {
	if len(secret) < MinSecretBytes {
		return "", fmt.Errorf("auth: secret must be at least %d bytes", MinSecretBytes)
	}
	if !UserIDPattern.MatchString(sub) || sub == "." || strings.Contains(sub, "..") {
		return "", errors.New("auth: sub is not a valid user id")
	}
	if ttl <= 0 {
		return "", errors.New("auth: ttl must be positive")
	}
	claims := jwt.RegisteredClaims{
		Subject:   sub,
		Issuer:    issuer,
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}
	if audience != "" {
		claims.Audience = jwt.ClaimStrings{audience}
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	return s, nil
}
