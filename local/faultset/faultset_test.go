package faultset

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type fault struct {
	op, pattern string
	times       int
	name        string
}

func (f fault) Selector() (string, string, int) { return f.op, f.pattern, f.times }

func TestMatch(t *testing.T) {
	var s Set[fault]
	if _, ok := s.Match("PutObject", "a/b"); ok || s.Armed() {
		t.Fatal("an empty set matched")
	}
	s.Add(fault{op: "PutObject", pattern: "uploads/*/x.png", times: 2, name: "twice"})
	s.Add(fault{op: "*", name: "any"})
	// The pattern's * does not cross '/': this key falls through to "any".
	if f, ok := s.Match("PutObject", "uploads/a/b/x.png"); !ok || f.name != "any" {
		t.Fatalf("deeper key: %+v %v", f, ok)
	}
	for i := 0; i < 2; i++ {
		if f, ok := s.Match("PutObject", "uploads/a/x.png"); !ok || f.name != "twice" {
			t.Fatalf("hit %d: %+v %v", i, f, ok)
		}
	}
	// Retired after two hits; the catch-all stays until Clear.
	if f, ok := s.Match("PutObject", "uploads/a/x.png"); !ok || f.name != "any" {
		t.Fatalf("after retiring: %+v %v", f, ok)
	}
	if got := s.Hits(); got != 4 {
		t.Errorf("hits %d, want 4", got)
	}
	if l := s.List(); len(l) != 1 || l[0].name != "any" {
		t.Errorf("list %+v", l)
	}
	s.Clear()
	if _, ok := s.Match("GetObject", "k"); ok || s.Armed() {
		t.Error("matched after Clear")
	}
}

func TestMatchOperation(t *testing.T) {
	var s Set[fault]
	s.Add(fault{op: "AssumeRole", pattern: "alice*", name: "throttle"})
	if _, ok := s.Match("GetCallerIdentity", "alice-1"); ok {
		t.Error("another operation matched")
	}
	if _, ok := s.Match("AssumeRole", "bob"); ok {
		t.Error("another subject matched")
	}
	if f, ok := s.Match("AssumeRole", "alice-1"); !ok || f.name != "throttle" {
		t.Errorf("%+v %v", f, ok)
	}
}

type timedFault struct {
	Op    string        `json:"op,omitempty"`
	Key   string        `json:"key,omitempty"`
	Delay time.Duration `json:"-"`
}

func (f timedFault) Selector() (string, string, int) { return f.Op, f.Key, 0 }

// TestAdmin: the endpoint arms, lists (delay as text), refuses unknown
// fields and bad delays with 400, and clears.
func TestAdmin(t *testing.T) {
	var s Set[timedFault]
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Admin(w, r, &s, func(f timedFault) error { s.Add(f); return nil }, func(f *timedFault) *time.Duration { return &f.Delay })
	})
	do := func(method, body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, "/_emulator/faults", strings.NewReader(body)))
		return w
	}
	if w := do(http.MethodPost, `{"op":"GetObject","key":"a/*","delay":"2s"}`); w.Code != http.StatusNoContent {
		t.Fatalf("POST: %d %s", w.Code, w.Body)
	}
	if l := s.List(); len(l) != 1 || l[0].Delay != 2*time.Second || l[0].Op != "GetObject" {
		t.Fatalf("armed %+v", l)
	}
	if w := do(http.MethodGet, ""); strings.TrimSpace(w.Body.String()) != `[{"delay":"2s","key":"a/*","op":"GetObject"}]` {
		t.Errorf("GET: %s", w.Body)
	}
	for _, bad := range []string{`{"op":"x","nope":1}`, `{"op":"x","delay":"soon"}`, `{"op":"x","delay":5}`, `not json`} {
		if w := do(http.MethodPost, bad); w.Code != http.StatusBadRequest {
			t.Errorf("POST %s: %d, want 400", bad, w.Code)
		}
	}
	if w := do(http.MethodDelete, ""); w.Code != http.StatusNoContent || s.Armed() {
		t.Errorf("DELETE: %d, armed %v", w.Code, s.Armed())
	}
	if w := do(http.MethodGet, ""); strings.TrimSpace(w.Body.String()) != `[]` {
		t.Errorf("GET after DELETE: %s", w.Body)
	}
	if w := do(http.MethodPut, ""); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d", w.Code)
	}
}

func TestFill(t *testing.T) {
	status, delay := 0, time.Duration(0)
	if err := Fill(true, &status, true, &delay, "key", "uploads/*"); err != nil || status != http.StatusServiceUnavailable || delay != time.Minute {
		t.Fatalf("defaults: status %d, delay %s, %v", status, delay, err)
	}
	status, delay = http.StatusInternalServerError, time.Second
	if err := Fill(true, &status, true, &delay, "key", ""); err != nil || status != 500 || delay != time.Second {
		t.Fatalf("given values changed: status %d, delay %s, %v", status, delay, err)
	}
	status = http.StatusTeapot
	if err := Fill(true, &status, false, &delay, "key", ""); err == nil {
		t.Fatal("status 418 accepted")
	}
	status = http.StatusTeapot // not an error fault: the status is not its business
	if err := Fill(false, &status, false, &delay, "key", ""); err != nil {
		t.Fatalf("a non-error fault with a status: %v", err)
	}
	if err := Fill(false, &status, false, &delay, "session", "["); err == nil || !strings.Contains(err.Error(), "session pattern") {
		t.Fatalf("bad pattern: %v", err)
	}
}
