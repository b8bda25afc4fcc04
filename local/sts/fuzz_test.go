package sts

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzAuthenticate drives the whole handler with arbitrary query strings
// and form bodies: it must never panic, never answer 5xx, and always answer
// a well-formed JSON document.
func FuzzAuthenticate(f *testing.F) {
	c := &clock{t: time.Date(2026, 11, 22, 21, 14, 11, 0, time.UTC)}
	r := &rig{clock: c}
	valid := signed("POST", r.params(), devSecret).Encode()
	f.Add(valid, "")
	f.Add("", valid)
	f.Add(valid+"&Signature=x", "Policy=%7B")
	f.Add("Action=AssumeRole&Timestamp=2026-11-22T21:14:11Z", "RoleArn=acs:ram::1:role/x")
	store := newStore(f, c.Now)
	h := New(store, c.Now)
	f.Fuzz(func(t *testing.T, query, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.URL.RawQuery = query
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if !strings.Contains(w.Header().Get("Content-Type"), "xml") && !json.Valid(w.Body.Bytes()) {
			t.Fatalf("invalid JSON: %s", w.Body)
		}
	})
}
