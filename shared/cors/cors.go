// Package cors is the CORS middleware for the browser-facing functions. Only
// listed origins get Access-Control-Allow-Origin (the origin is echoed, never
// "*"); a preflight from any other origin is refused with 403 before it
// reaches the handler.
package cors

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ossupload/ossupload/shared/httpapi"
)

// DefaultMaxAge is how long browsers may cache a preflight answer.
const DefaultMaxAge = 10 * time.Minute

// Policy decides which cross-origin requests a handler accepts.
type Policy struct {
	anyOrigin bool
	origins   map[string]bool // lower-cased
	methods   []string        // upper-cased
	headers   map[string]string
	// MaxAge is sent as Access-Control-Max-Age on preflight answers.
	MaxAge time.Duration
	// ExposeHeaders are listed in Access-Control-Expose-Headers on actual
	// responses (default: X-Request-Id).
	ExposeHeaders []string
}

// New returns a policy. "*" in allowedOrigins admits any origin (the origin
// is still echoed, not "*"). allowedMethods defaults to GET, POST;
// allowedHeaders always includes Authorization and Content-Type. Matching of
// origins, methods and header names is case-insensitive.
func New(allowedOrigins []string, allowedMethods []string, allowedHeaders []string) *Policy {
	p := &Policy{origins: map[string]bool{}, headers: map[string]string{}, MaxAge: DefaultMaxAge,
		ExposeHeaders: []string{"X-Request-Id"}}
	for _, o := range allowedOrigins {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "*" {
			p.anyOrigin = true
		} else if o != "" {
			p.origins[strings.ToLower(o)] = true
		}
	}
	if len(allowedMethods) == 0 {
		allowedMethods = []string{http.MethodGet, http.MethodPost}
	}
	for _, m := range allowedMethods {
		if m = strings.ToUpper(strings.TrimSpace(m)); m != "" && !slices.Contains(p.methods, m) {
			p.methods = append(p.methods, m)
		}
	}
	for _, h := range append([]string{"Authorization", "Content-Type"}, allowedHeaders...) {
		if h = strings.TrimSpace(h); h != "" {
			p.headers[strings.ToLower(h)] = http.CanonicalHeaderKey(h)
		}
	}
	return p
}

// AllowOrigin reports whether origin may call the handler.
func (p *Policy) AllowOrigin(origin string) bool {
	if origin == "" || origin == "null" {
		return false // "null" (sandboxed/file pages) is never trusted, even with "*"
	}
	return p.anyOrigin || p.origins[strings.ToLower(origin)]
}

func (p *Policy) allowMethod(m string) bool { return slices.Contains(p.methods, strings.ToUpper(m)) }

var varyOrigin = []string{"Origin"}

// Wrap returns h behind the policy. ExposeHeaders is read once, here.
func (p *Policy) Wrap(h http.Handler) http.Handler {
	// Values every response carries, built once and assigned as shared
	// slices (see httpapi.NoStore for why that is safe).
	var expose []string
	if len(p.ExposeHeaders) > 0 {
		expose = []string{strings.Join(p.ExposeHeaders, ", ")}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wh := w.Header()
		if _, ok := wh["Vary"]; ok {
			wh.Add("Vary", "Origin")
		} else {
			wh["Vary"] = varyOrigin
		}
		origin := r.Header.Get("Origin")
		if r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
			p.preflight(w, r, origin)
			return
		}
		if origin != "" && p.AllowOrigin(origin) {
			if v := r.Header["Origin"]; len(v) == 1 {
				// The request's own one-value slice, capped so that an
				// Add copies: no allocation, and nothing writes into it.
				wh["Access-Control-Allow-Origin"] = v[:1:1]
			} else {
				wh.Set("Access-Control-Allow-Origin", origin)
			}
			if expose != nil {
				wh["Access-Control-Expose-Headers"] = expose
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (p *Policy) preflight(w http.ResponseWriter, r *http.Request, origin string) {
	w.Header().Add("Vary", "Access-Control-Request-Method")
	w.Header().Add("Vary", "Access-Control-Request-Headers")
	if !p.AllowOrigin(origin) {
		httpapi.WriteError(w, r, httpapi.Errorf(httpapi.CodeForbidden, "origin is not allowed to call this function"))
		return
	}
	method := r.Header.Get("Access-Control-Request-Method")
	if !p.allowMethod(method) {
		httpapi.WriteError(w, r, httpapi.Errorf(httpapi.CodeForbidden,
			"method is not allowed cross-origin; allowed: %s", strings.Join(p.methods, ", ")))
		return
	}
	var allowed []string
	for _, line := range r.Header.Values("Access-Control-Request-Headers") {
		for name := range strings.SplitSeq(line, ",") {
			if c, ok := p.headers[strings.ToLower(strings.TrimSpace(name))]; ok && !slices.Contains(allowed, c) {
				allowed = append(allowed, c)
			}
		}
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", strings.Join(p.methods, ", "))
	if len(allowed) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(allowed, ", "))
	}
	if p.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(int(p.MaxAge/time.Second)))
	}
	w.WriteHeader(http.StatusNoContent)
}
