package cors

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

const app = "https://app.example.com"

func TestPolicy(t *testing.T) {
	listed := New([]string{app, "http://127.0.0.1:8080/"}, []string{"GET", "post"}, []string{"x-oss-meta-owner"})
	star := New([]string{"*"}, nil, nil)
	none := New(nil, nil, nil)
	tests := []struct {
		name       string
		p          *Policy
		method     string
		hdr        map[string]string
		wantStatus int
		wantReach  bool
		wantACAO   string
		want       map[string]string // other headers that must equal
		absent     []string
	}{
		{"simple allowed", listed, "POST", map[string]string{"Origin": app}, 200, true, app,
			map[string]string{"Access-Control-Expose-Headers": "X-Request-Id"}, []string{"Access-Control-Allow-Credentials"}},
		{"origin case-insensitive", listed, "GET", map[string]string{"Origin": "HTTPS://APP.example.com"}, 200, true, "HTTPS://APP.example.com", nil, nil},
		{"trailing slash in config", listed, "GET", map[string]string{"Origin": "http://127.0.0.1:8080"}, 200, true, "http://127.0.0.1:8080", nil, nil},
		{"simple disallowed still served without CORS", listed, "POST", map[string]string{"Origin": "https://evil.example"}, 200, true, "", nil,
			[]string{"Access-Control-Expose-Headers"}},
		{"no origin", listed, "GET", nil, 200, true, "", nil, nil},
		{"lookalike origin", listed, "GET", map[string]string{"Origin": "https://app.example.com.evil.example"}, 200, true, "", nil, nil},
		{"star echoes origin", star, "GET", map[string]string{"Origin": "https://any.example"}, 200, true, "https://any.example", nil, nil},
		{"star refuses null origin", star, "GET", map[string]string{"Origin": "null"}, 200, true, "", nil, nil},
		{"empty list allows nobody", none, "GET", map[string]string{"Origin": app}, 200, true, "", nil, nil},
		{"preflight allowed", listed, "OPTIONS", map[string]string{"Origin": app, "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "authorization, content-type"}, 204, false, app,
			map[string]string{"Access-Control-Allow-Methods": "GET, POST", "Access-Control-Allow-Headers": "Authorization, Content-Type",
				"Access-Control-Max-Age": "600"}, []string{"Access-Control-Allow-Credentials"}},
		{"preflight extra allowed header", listed, "OPTIONS", map[string]string{"Origin": app, "Access-Control-Request-Method": "GET",
			"Access-Control-Request-Headers": "X-OSS-Meta-Owner"}, 204, false, app,
			map[string]string{"Access-Control-Allow-Headers": "X-Oss-Meta-Owner"}, nil},
		{"preflight unlisted header not echoed", listed, "OPTIONS", map[string]string{"Origin": app, "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "content-type,x-evil"}, 204, false, app,
			map[string]string{"Access-Control-Allow-Headers": "Content-Type"}, nil},
		{"preflight no requested headers", listed, "OPTIONS", map[string]string{"Origin": app, "Access-Control-Request-Method": "GET"}, 204, false, app,
			nil, []string{"Access-Control-Allow-Headers"}},
		{"preflight disallowed origin", listed, "OPTIONS", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
			403, false, "", nil, []string{"Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age", "Access-Control-Expose-Headers"}},
		{"preflight disallowed method", listed, "OPTIONS", map[string]string{"Origin": app, "Access-Control-Request-Method": "DELETE"},
			403, false, "", nil, []string{"Access-Control-Allow-Methods"}},
		{"preflight star", star, "OPTIONS", map[string]string{"Origin": "https://x.example", "Access-Control-Request-Method": "POST"}, 204, false,
			"https://x.example", nil, nil},
		{"plain OPTIONS reaches handler", listed, "OPTIONS", map[string]string{"Origin": app}, 200, true, app, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reached := false
			h := tc.p.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached = true
				w.WriteHeader(200)
			}))
			r := httptest.NewRequest(tc.method, "/", nil)
			for k, v := range tc.hdr {
				r.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tc.wantStatus || reached != tc.wantReach {
				t.Fatalf("status %d reached %v, want %d %v", rec.Code, reached, tc.wantStatus, tc.wantReach)
			}
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != tc.wantACAO {
				t.Fatalf("ACAO %q, want %q", got, tc.wantACAO)
			}
			if rec.Header().Get("Access-Control-Allow-Origin") == "*" {
				t.Fatal("never *")
			}
			if !slices.Contains(rec.Header().Values("Vary"), "Origin") {
				t.Fatalf("Vary %v lacks Origin", rec.Header().Values("Vary"))
			}
			for k, v := range tc.want {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			for _, k := range tc.absent {
				if got := rec.Header().Get(k); got != "" {
					t.Errorf("%s = %q, want absent", k, got)
				}
			}
			if tc.wantStatus == 403 && !strings.Contains(rec.Body.String(), `"code":"forbidden"`) {
				t.Errorf("403 body %q", rec.Body.String())
			}
		})
	}
}

func TestVaryKeepsHandlerValues(t *testing.T) {
	h := New([]string{app}, nil, nil).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := rec.Header().Values("Vary"); !slices.Equal(got, []string{"Origin", "Accept-Encoding"}) {
		t.Fatalf("Vary %v", got)
	}
}
