// Package faultset keeps the armed faults of an emulator's fault switch
// (local/oss, local/sts): in order of arming, each matched by operation and
// a path.Match pattern on a subject (an object key, an STS session name),
// counted, and retired after its number of hits. What a fault does is the
// emulator's own business.
package faultset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"sync"
	"time"
)

// Fault is what a set needs to know of a fault: the operation it matches
// ("" or "*" for all), the pattern on the subject ("" for all) and how many
// hits it takes before it retires (0: until Clear).
type Fault interface {
	Selector() (op, pattern string, times int)
}

// Set is a set of armed faults; the zero value is empty and ready, and it
// is safe for concurrent use.
type Set[F Fault] struct {
	mu     sync.Mutex
	active []*armed[F]
	hits   int
}

type armed[F Fault] struct {
	fault F
	left  int
}

// Add arms ft after the ones already armed.
func (s *Set[F]) Add(ft F) {
	_, _, times := ft.Selector()
	s.mu.Lock()
	s.active = append(s.active, &armed[F]{fault: ft, left: times})
	s.mu.Unlock()
}

// Clear retires every fault.
func (s *Set[F]) Clear() {
	s.mu.Lock()
	s.active = nil
	s.mu.Unlock()
}

// Hits is how many requests faults have hit so far.
func (s *Set[F]) Hits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

// Armed reports whether any fault is armed.
func (s *Set[F]) Armed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.active) > 0
}

// List returns the armed faults, in order.
func (s *Set[F]) List() []F {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]F, 0, len(s.active))
	for _, a := range s.active {
		out = append(out, a.fault)
	}
	return out
}

// Match finds the first armed fault for op and subject and uses up one of
// its hits.
func (s *Set[F]) Match(op, subject string) (F, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, a := range s.active {
		fop, pattern, times := a.fault.Selector()
		if fop != "" && fop != "*" && fop != op {
			continue
		}
		if pattern != "" {
			if ok, _ := path.Match(pattern, subject); !ok {
				continue
			}
		}
		s.hits++
		if times > 0 {
			a.left--
			if a.left <= 0 {
				s.active = append(s.active[:i:i], s.active[i+1:]...)
			}
		}
		return a.fault, true
	}
	var none F
	return none, false
}

// Admin serves an emulator's fault endpoint: GET lists the armed faults,
// POST arms one (add validates it), DELETE clears them all. On the wire a
// fault is F's own JSON plus "delay" as text ("30s"), read from and
// written to the time.Duration that delay points into.
func Admin[F Fault](w http.ResponseWriter, r *http.Request, s *Set[F], add func(F) error, delay func(*F) *time.Duration) {
	switch r.Method {
	case http.MethodGet:
		out := []json.RawMessage{}
		for _, ft := range s.List() {
			b, err := wire(ft, *delay(&ft))
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			out = append(out, b)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	case http.MethodPost:
		var fields map[string]json.RawMessage
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&fields); err != nil {
			http.Error(w, "fault: "+err.Error(), http.StatusBadRequest)
			return
		}
		var text string
		if raw, ok := fields["delay"]; ok {
			if err := json.Unmarshal(raw, &text); err != nil {
				http.Error(w, "fault delay: "+err.Error(), http.StatusBadRequest)
				return
			}
			delete(fields, "delay")
		}
		rest, _ := json.Marshal(fields)
		var ft F
		dec := json.NewDecoder(bytes.NewReader(rest))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ft); err != nil {
			http.Error(w, "fault: "+err.Error(), http.StatusBadRequest)
			return
		}
		if text != "" {
			d, err := time.ParseDuration(text)
			if err != nil {
				http.Error(w, "fault delay: "+err.Error(), http.StatusBadRequest)
				return
			}
			*delay(&ft) = d
		}
		if err := add(ft); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		s.Clear()
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// wire is ft's JSON with its delay, when set, as "delay": "30s".
func wire[F any](ft F, d time.Duration) (json.RawMessage, error) {
	b, err := json.Marshal(ft)
	if err != nil || d <= 0 {
		return b, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	fields["delay"], _ = json.Marshal(d.String())
	return json.Marshal(fields)
}

// Fill applies the defaults every emulator's faults share and checks them:
// an error fault answers 503 unless it asks for 500 or 503, a slow fault
// without a delay waits a minute, and the pattern (named what in the
// error) must be a path.Match pattern.
func Fill(isError bool, status *int, isSlow bool, delay *time.Duration, what, pattern string) error {
	if isError {
		switch *status {
		case 0:
			*status = http.StatusServiceUnavailable
		case http.StatusServiceUnavailable, http.StatusInternalServerError:
		default:
			return fmt.Errorf("fault status %d: want 500 or 503", *status)
		}
	}
	if isSlow && *delay <= 0 {
		*delay = time.Minute
	}
	if _, err := path.Match(pattern, ""); err != nil {
		return fmt.Errorf("fault %s pattern %q: %w", what, pattern, err)
	}
	return nil
}
