package faultset

import "testing"

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
