package uploadpolicy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ossupload/ossupload/shared/uploadrules"
)

// fakeTags maps keys to tags; every object's current ETag is etagNow
// unless its tags say otherwise under the key "etag-now" (not a tag: the
// fake's way to give one object other bytes), and it was last modified a
// minute before testNow unless "modified" (RFC 3339, "" for unknown) says
// otherwise.
type fakeTags map[string]map[string]string

const etagNow = "5EB63BBBE01EEED093CB22BB8F5ACDC3"

func (f fakeTags) ObjectTags(ctx context.Context, key string) (map[string]string, error) {
	if !strings.HasPrefix(key, "quarantine/") {
		return nil, errors.New("status reads an upload's tags without its ETag")
	}
	st, err := f.ObjectState(ctx, key)
	return st.Tags, err
}

func (f fakeTags) ObjectState(_ context.Context, key string) (ObjectState, error) {
	if strings.HasSuffix(key, "broken") {
		return ObjectState{}, errors.New("connection refused")
	}
	tags, ok := f[key]
	if !ok {
		return ObjectState{}, ErrObjectNotFound
	}
	st := ObjectState{ETag: etagNow, LastModified: testNow.Add(-time.Minute), Tags: map[string]string{}}
	for k, v := range tags {
		switch k {
		case "etag-now":
			st.ETag = v
		case "modified":
			st.LastModified, _ = time.Parse(time.RFC3339, v)
		default:
			st.Tags[k] = v
		}
	}
	return st, nil
}

func TestStatus(t *testing.T) {
	tags := fakeTags{
		"uploads/alice/2026/11/23/0123456789abcdef-a.png": {TagStatus: "verified", TagETag: etagNow},
		"uploads/alice/2026/11/23/0123456789abcdef-b.exe": {TagStatus: "rejected", TagReason: "type-mismatch", TagETag: etagNow},
		// Verdicts computed on other bytes than the object now holds.
		"uploads/alice/2026/11/23/0123456789abcdef-o.png": {TagStatus: "verified", TagETag: etagNow, "etag-now": "0CC175B9C0F1B6A831C399E269772661"},
		"uploads/alice/2026/11/23/0123456789abcdef-p.exe": {TagStatus: "rejected", TagReason: "type-mismatch", TagETag: "0CC175B9C0F1B6A831C399E269772661"},
		"uploads/alice/2026/11/23/0123456789abcdef-n.png": {TagStatus: "verified"},
		"uploads/alice/2026/11/23/0123456789abcdef-c.png": {},
		"uploads/bob/2026/11/23/0123456789abcdef-a.png":   {TagStatus: "verified"},
		// Moved by the verify function: only the quarantined copy is left.
		"quarantine/uploads/alice/2026/11/23/0123456789abcdef-q.png": {TagStatus: "rejected", TagReason: "type-mismatch"},
		// Something under quarantine without a rejection says nothing.
		"quarantine/uploads/alice/2026/11/23/0123456789abcdef-r.png": {TagStatus: "verified"},
	}
	// A key too long to keep its name under the quarantine prefix: its
	// copy lives under the hashed name both functions compute.
	longKey := "uploads/alice/" + strings.Repeat("l", 1000)
	tags[uploadrules.QuarantineKey("quarantine/", longKey)] = map[string]string{TagStatus: "rejected", TagReason: "type-mismatch"}
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
		{"verified tags on overwritten bytes", "uploads/alice/2026/11/23/0123456789abcdef-o.png", tok, 200, StatusResponse{Status: "pending"}, ""},
		{"rejected tags of other bytes", "uploads/alice/2026/11/23/0123456789abcdef-p.exe", tok, 200, StatusResponse{Status: "pending"}, ""},
		{"verified tag without etag", "uploads/alice/2026/11/23/0123456789abcdef-n.png", tok, 200, StatusResponse{Status: "pending"}, ""},
		{"long key quarantined", longKey, tok, 200, StatusResponse{Status: "rejected", Reason: "type-mismatch", Quarantined: true}, ""},
		{"key over 1023 bytes", "uploads/alice/" + strings.Repeat("k", 1010), tok, 400, StatusResponse{}, "invalid_request"},
		{"key at 1023 bytes", "uploads/alice/" + strings.Repeat("k", 1009), tok, 404, StatusResponse{}, "not_found"},
		{"key not UTF-8", "uploads/alice/\xff.png", tok, 400, StatusResponse{}, "invalid_request"},
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

// TestStatusOverdue: an upload without a verdict for its current bytes is
// pending while younger than SWEEP_MIN_AGE_SECONDS and overdue from the
// moment the sweep would judge it (Last-Modified at or before now minus the
// age); a verdict always wins, and an unknown age is never overdue.
func TestStatusOverdue(t *testing.T) {
	at := func(d time.Duration) string { return testNow.Add(-d).Format(time.RFC3339) }
	const p = "uploads/alice/2026/11/23/0123456789abcdef-"
	tags := fakeTags{
		p + "young.png":      {"modified": at(2*time.Hour - time.Second)},
		p + "edge.png":       {"modified": at(2 * time.Hour)},
		p + "old.png":        {"modified": at(3 * time.Hour)},
		p + "unknown.png":    {"modified": ""},
		p + "verified.png":   {"modified": at(30 * time.Hour), TagStatus: "verified", TagETag: etagNow},
		p + "rejected.png":   {"modified": at(30 * time.Hour), TagStatus: "rejected", TagReason: "too-large", TagETag: etagNow},
		p + "overwrite.png":  {"modified": at(3 * time.Hour), TagStatus: "verified", TagETag: "0CC175B9C0F1B6A831C399E269772661"},
		p + "ninety.png":     {"modified": at(90 * time.Second)},
		p + "fifty-nine.png": {"modified": at(59 * time.Second)},
	}
	tok := token(t, testUser)
	for _, c := range []struct {
		env  map[string]string
		want map[string]StatusResponse
	}{
		{nil, map[string]StatusResponse{ // the default age, two hours
			"young.png": {Status: "pending"}, "edge.png": {Status: "overdue"}, "old.png": {Status: "overdue"},
			"unknown.png": {Status: "pending"}, "verified.png": {Status: "verified"},
			"rejected.png": {Status: "rejected", Reason: "too-large"}, "overwrite.png": {Status: "overdue"},
			"ninety.png": {Status: "pending"},
		}},
		{map[string]string{"SWEEP_MIN_AGE_SECONDS": "60"}, map[string]StatusResponse{
			"young.png": {Status: "overdue"}, "ninety.png": {Status: "overdue"}, "fifty-nine.png": {Status: "pending"},
			"verified.png": {Status: "verified"},
		}},
	} {
		f := newFixture(t, c.env, tags)
		for name, want := range c.want {
			r := httptest.NewRequest(http.MethodGet, "/status?key="+url.QueryEscape(p+name), nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			w := serve(f.handler, r)
			if w.Code != http.StatusOK {
				t.Fatalf("%s (%v): HTTP %d %s", name, c.env, w.Code, w.Body)
			}
			want.Key = p + name
			if got := decode[StatusResponse](t, w.Body); got != want {
				t.Errorf("%s (%v): got %+v, want %+v", name, c.env, got, want)
			}
		}
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
