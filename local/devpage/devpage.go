// Package devpage serves the local stack's demo page: the static files of
// web/, the browser build of ali-oss from web/node_modules and the Uppy
// bundle from web/dist (no CDN), the page's configuration, and a
// development sign-in that mints a JWT for any well-formed user id, for JSON
// requests from the page's own origin only. It exists only in the local
// stack; nothing deployed imports it.
package devpage

import (
	"encoding/json"
	"errors"
	"mime"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Config is what the page needs to know.
type Config struct {
	// Root is the web/ folder.
	Root string
	// SignURL and STSURL are the HTTP trigger URLs of the functions.
	SignURL, STSURL string
	Bucket, Region  string
	// MintToken returns a development JWT for user.
	MintToken func(user string) (string, error)
	// Routes are the upload routes the functions enforce (UPLOAD_ROUTES),
	// in their configured order; nil when none are configured, and the
	// page then offers no route choice and sends no route.
	Routes []Route
	// RouteProblems say why the functions will refuse UPLOAD_ROUTES; the
	// page shows them.
	RouteProblems []string
}

// Route is what the page shows of an upload route and sends back as its
// name: the limits sign, sts and verify apply to it.
type Route struct {
	Name         string   `json:"name"`
	AllowedTypes []string `json:"allowedTypes"`
	MinBytes     int64    `json:"minBytes"`
	MaxBytes     int64    `json:"maxBytes"`
	Paths        []string `json:"paths"`
}

// vendored are the page's npm packages, served from under Root (no CDN):
// the browser build of ali-oss that `npm ci --prefix web` installs, and the
// Uppy bundle and its CSS that `make web-deps` builds with esbuild from
// web/uppy-bundle.mjs. A missing one answers 404 with a comment saying how
// to get it; the page then says which part is disabled.
var vendored = map[string]struct{ file, contentType, missing string }{
	"/vendor/aliyun-oss-sdk.min.js": {"node_modules/ali-oss/dist/aliyun-oss-sdk.min.js", "text/javascript; charset=utf-8",
		"ali-oss is not installed: run `npm ci --prefix web` (make run does it when Node.js is present)"},
	"/vendor/uppy.js": {"dist/uppy.js", "text/javascript; charset=utf-8",
		"Uppy is not built: run `make web-deps` (make run does it when Node.js is present)"},
	"/vendor/uppy.css": {"dist/uppy.css", "text/css; charset=utf-8",
		"Uppy is not built: run `make web-deps` (make run does it when Node.js is present)"},
}

var userID = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// New returns the page's handler.
func New(cfg Config) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		page := map[string]any{
			"signUrl":    cfg.SignURL,
			"stsUrl":     cfg.STSURL,
			"bucket":     cfg.Bucket,
			"region":     cfg.Region,
			"aliOSSPath": "/vendor/aliyun-oss-sdk.min.js",
		}
		if cfg.Routes != nil {
			page["routes"] = cfg.Routes
		}
		if cfg.RouteProblems != nil {
			page["routeProblems"] = cfg.RouteProblems
		}
		writeJSON(w, http.StatusOK, page)
	})
	mux.HandleFunc("POST /dev/token", func(w http.ResponseWriter, r *http.Request) {
		if !sameOrigin(r) {
			writeError(w, http.StatusForbidden, "forbidden", "the development sign-in answers only the demo page's own origin")
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "send Content-Type: application/json")
			return
		}
		var req struct {
			User string `json:"user"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
		if err := dec.Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request", "send JSON {\"user\":\"<id>\"}")
			return
		}
		if !userID.MatchString(req.User) || req.User == "." || req.User == ".." {
			writeError(w, http.StatusBadRequest, "invalid_request", "user ids are 1 to 64 of A-Z a-z 0-9 . _ @ -")
			return
		}
		tok, err := cfg.MintToken(req.User)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "internal", "could not mint a development token")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, map[string]string{"token": tok, "user": req.User})
	})
	for route, v := range vendored {
		mux.HandleFunc("GET "+route, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", v.contentType)
			p := filepath.Join(cfg.Root, v.file)
			if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte("/* " + v.missing + " */\n"))
				return
			}
			http.ServeFile(w, r, p)
		})
	}
	static := http.FileServer(http.Dir(cfg.Root))
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/", "/index.html", "/app.js", "/style.css", "/favicon.svg":
			static.ServeHTTP(w, r)
		case "/favicon.ico": // asked for by browsers that skip the page's SVG icon
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r) // node_modules and package files are not the page's business
		}
	})
	return mux
}

// sameOrigin reports whether r may come from the demo page itself. The
// sign-in mints a token for any user, so another site must not be able to
// trigger it (a cross-site form POST needs no preflight). Browsers mark
// every fetch with Sec-Fetch-Site and every POST with Origin; a request
// with either must show the page's own origin. A request with neither does
// not come from a browser page (curl, tests) and is not cross-site.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Values("Sec-Fetch-Site"); len(site) > 0 && (len(site) != 1 || site[0] != "same-origin") {
		return false
	}
	origins := r.Header.Values("Origin")
	if len(origins) == 0 {
		return true
	}
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return len(origins) == 1 && origins[0] != "" && strings.EqualFold(origins[0], scheme+r.Host) && notRebound(r.Host)
}

// notRebound reports whether a browser that sent Host can only have
// reached this server by its own address: an IP literal, or localhost
// (which browsers resolve to loopback themselves, WHATWG URL/Fetch
// "localhost" and RFC 6761 §6.3). A page on any other name can make that
// name resolve to 127.0.0.1 (DNS rebinding); it is then "same-origin" with
// itself, Origin and Host agree, and it could read a token minted for any
// user.
func notRebound(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
	return net.ParseIP(h) != nil || h == "localhost" || strings.HasSuffix(h, ".localhost")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
