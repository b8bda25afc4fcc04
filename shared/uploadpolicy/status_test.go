package uploadpolicy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

type fakeTags map[string]map[string]string

func (f fakeTags) ObjectTags(_ context.Context, key string) (map[string]string, error) {
	if strings.HasSuffix(key, "broken") {
		return nil, errors.New("connection refused")
	}
	tags, ok := f[key]
	if !ok {
		return nil, ErrObjectNotFound
	}
	return tags, nil
}

func TestStatus(t *testing.T) {
	tags := fakeTags{
		"uploads/alice/2026/11/23/0123456789abcdef-a.png": {TagStatus: "verified"},
		"uploads/alice/2026/11/23/0123456789abcdef-b.exe": {TagStatus: "rejected", TagReason: "type-mismatch"},
		"uploads/alice/2026/11/23/0123456789abcdef-c.png": {},
		"uploads/bob/2026/11/23/0123456789abcdef-a.png":   {TagStatus: "verified"},
		// Moved by the verify function: only the quarantined copy is left.
		"quarantine/uploads/alice/2026/11/23/0123456789abcdef-q.png": {TagStatus: "rejected", TagReason: "type-mismatch"},
		// Something under quarantine without a rejection says nothing.
		"quarantine/uploads/alice/2026/11/23/0123456789abcdef-r.png": {TagStatus: "verified"},
	}
	f := newFixture(t, nil, tags)
	tok := token(t, testUser)
	rows := []struct {
		name, key, tok string
		status         int
		want           StatusResponse
		code           string
	}{
		{"verified", "uploads/alice/2026/11/23/0123456789abcdef-a.png", tok, 200, StatusResponse{Status: "verified"}, ""},
		{"rejected", "uploads/alice/2026/11/23/0123456789abcdef-b.exe", tok, 200, StatusResponse{Status: "rejected", Reason: "type-mismatch"}, ""},
		{"pending", "uploads/alice/2026/11/23/0123456789abcdef-c.png", tok, 200, StatusResponse{Status: "pending"}, ""},
		{"not found", "uploads/alice/2026/11/23/0123456789abcdef-zzz.png", tok, 404, StatusResponse{}, "not_found"},
		{"another user's key", "uploads/bob/2026/11/23/0123456789abcdef-a.png", tok, 403, StatusResponse{}, "forbidden"},
		{"traversal out of own prefix", "uploads/alice/../bob/2026/11/23/0123456789abcdef-a.png", tok, 403, StatusResponse{}, "forbidden"},
		{"outside the upload prefix", "quarantine/uploads/alice/x.png", tok, 403, StatusResponse{}, "forbidden"},
		{"no key", "", tok, 400, StatusResponse{}, "invalid_request"},
		{"no token", "uploads/alice/2026/11/23/0123456789abcdef-a.png", "", 401, StatusResponse{}, "unauthorized"},
		{"store failure", "uploads/alice/broken", tok, 503, StatusResponse{}, "unavailable"},
		{"rejected and quarantined", "uploads/alice/2026/11/23/0123456789abcdef-q.png", tok, 200, StatusResponse{Status: "rejected", Reason: "type-mismatch", Quarantined: true}, ""},
		{"quarantine copy without a rejection", "uploads/alice/2026/11/23/0123456789abcdef-r.png", tok, 404, StatusResponse{}, "not_found"},
		{"quarantine lookup failure", "uploads/alice/2026/11/23/0123456789abcdef-qbroken", tok, 503, StatusResponse{}, "unavailable"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/status?key="+url.QueryEscape(row.key), nil)
			if row.tok != "" {
				r.Header.Set("Authorization", "Bearer "+row.tok)
			}
			w := serve(f.handler, r)
			if w.Code != row.status {
				t.Fatalf("status %d, want %d: %s", w.Code, row.status, w.Body)
			}
			if row.code != "" {
				if e := decode[errorBody](t, w.Body); e.Error.Code != row.code {
					t.Fatalf("code %q, want %q", e.Error.Code, row.code)
				}
				return
			}
			got := decode[StatusResponse](t, w.Body)
			row.want.Key = row.key
			if got != row.want {
				t.Fatalf("got %+v, want %+v", got, row.want)
			}
		})
	}
}

// TestAnonymous: only with AUTH_ALLOW_ANONYMOUS=true does a request without
// a token get a form, under the "anonymous" prefix; /status without a tag
// reader is unavailable rather than guessing.
func TestAnonymous(t *testing.T) {
	f := newFixture(t, map[string]string{"AUTH_ALLOW_ANONYMOUS": "true", "AUTH_JWT_SECRET": ""}, nil)
	w := serve(f.handler, postSign(t, "", `{"filename":"a.png","contentType":"image/png"}`))
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if resp := decode[Response](t, w.Body); resp.Dir != "uploads/anonymous/" || resp.Fields.Owner != "anonymous" {
		t.Fatalf("anonymous answer %+v", resp)
	}
	r := httptest.NewRequest(http.MethodGet, "/status?key=uploads/anonymous/2026/11/23/0123456789abcdef-a.png", nil)
	if w := serve(f.handler, r); w.Code != 503 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("status without a tag reader: %d %v", w.Code, w.Header())
	}
}
