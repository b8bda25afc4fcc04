package stsvend

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkCacheHit is the whole handler path (CORS, HS256 token check,
// cache hit, JSON response) on a warm cache. Target: under 50 µs per
// request in-process (go test -bench CacheHit -cpu 1).
func BenchmarkCacheHit(b *testing.B) {
	f := newFixture(b, nil)
	tok := token(b, testUser)
	if w := serve(f.handler, request(http.MethodPost, tok)); w.Code != 200 {
		b.Fatal(w.Code, w.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("Origin", testOrigin)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		f.handler.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
	if f.sts.calls.Load() != 1 {
		b.Fatalf("%d AssumeRole calls, want 1", f.sts.calls.Load())
	}
}
