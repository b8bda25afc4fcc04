package uploadpolicy

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzPresign drives POST /presign with arbitrary bodies for user alice.
// Whatever the body, the handler must not panic, must answer 200 or a 4xx
// JSON error (never a 5xx: the fake part lister never fails), and a 200
// must sign only inside alice's own prefix, on the upload host.
func FuzzPresign(f *testing.F) {
	for _, s := range []string{
		`{"method":"POST","key":"cat.png","filename":"cat.png","contentType":"image/png","size":307200}`,
		`{"method":"PUT","key":"` + multipartTestKey + `","uploadId":"u1","partNumber":1}`,
		`{"method":"PUT","key":"` + multipartTestKey + `","uploadId":"u1","partNumber":10001}`,
		`{"method":"GET","key":"` + multipartTestKey + `","uploadId":"u1"}`,
		`{"method":"POST","key":"` + multipartTestKey + `","uploadId":"u1"}`,
		`{"method":"DELETE","key":"` + multipartTestKey + `","uploadId":"u1"}`,
		`{"method":"PUT","key":"uploads/bob/2026/11/23/abababababababab.307200-cat.png","uploadId":"u1","partNumber":1}`,
		`{"method":"PUT","key":"uploads/alice/../bob/x.307200-cat.png","uploadId":"u1","partNumber":1}`,
		`{"method":"DELETE","key":"uploads/alice/../bob/x","uploadId":"u1"}`,
		`{"method":"DELETE","key":"uploads/alice/00..","uploadId":"u1"}`,
		`{"method":"POST","filename":"x.html","contentType":"text/html","size":10}`,
		`{"method":"POST","filename":"a.png","contentType":"image/png","size":-1,"expiresIn":-5}`,
		`{"method":"PATCH"}`, `[]`, `null`, `{"method":1}`,
	} {
		f.Add(s)
	}
	parts := &fakeParts{parts: map[string][]UploadedPart{"u1": {{Number: 1, Size: 204800}, {Number: 2, Size: 102400}}}}
	fx := newPresignFixture(f, nil, parts)
	f.Fuzz(func(t *testing.T, body string) {
		w := postPresign(t, fx.handler, "alice", body)
		switch {
		case w.Code == http.StatusOK:
		case w.Code >= 400 && w.Code < 500:
			var e errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" {
				t.Fatalf("%d without a JSON error: %q", w.Code, w.Body)
			}
			return
		default:
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
		var resp PresignResponse
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
			t.Fatalf("200 that is not a presign answer: %q", w.Body)
		}
		u, err := url.Parse(resp.URL)
		if err != nil || u.Host == "" {
			t.Fatalf("URL %q", resp.URL)
		}
		key := resp.Key
		if key == "" {
			key = resp.Fields["key"]
		}
		if key == "" {
			// A part, list, complete or abort URL names its key in the path.
			key = strings.TrimPrefix(u.Path, "/")
			if k, err := url.PathUnescape(key); err == nil {
				key = k
			}
			key = strings.TrimPrefix(key, fx.cfg.Bucket+"/")
		}
		// Inside alice's prefix, with no empty, "." or ".." segment (a
		// name such as "00.." is a name: OSS keys are not paths).
		traverses := false
		for seg := range strings.SplitSeq(strings.TrimPrefix(key, "uploads/alice/"), "/") {
			traverses = traverses || seg == "" || seg == "." || seg == ".."
		}
		if !strings.HasPrefix(key, "uploads/alice/") || traverses {
			t.Fatalf("signed %q for alice (body %q)", key, body)
		}
	})
}
