// Package postpolicy builds, parses and signs OSS PostObject policy documents.
//
// A policy is built from typed values, encoded to exactly the bytes
// encoding/json.Marshal would write (without its reflection, see encode.go)
// and parsed back with encoding/json; it is signed either with V1 (base64 HMAC-SHA1 over the base64 policy) or V4
// (OSS4-HMAC-SHA256: hex HMAC-SHA256 with a derived signing key). Every
// function is pure: the time is always passed in.
package postpolicy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ExpirationLayout is the ISO-8601 UTC form OSS expects in "expiration".
const ExpirationLayout = "2006-01-02T15:04:05.000Z"

// ErrInvalid is wrapped by every error Parse returns.
var ErrInvalid = errors.New("invalid policy document")

// Policy is a PostObject policy document.
type Policy struct {
	// Expiration is written in UTC with millisecond precision.
	Expiration time.Time
	Conditions []Condition
}

// MarshalJSON writes the compact policy document, expiration first (see
// AppendJSON).
func (p Policy) MarshalJSON() ([]byte, error) {
	return p.AppendJSON(make([]byte, 0, 128+96*len(p.Conditions)))
}

// Marshal returns the compact JSON of p.
func (p Policy) Marshal() ([]byte, error) { return p.MarshalJSON() }

// Encode returns the base64 policy, the value of the form field "policy"
// and the string every signature is computed over.
func (p Policy) Encode() (string, error) {
	b, err := p.AppendBase64(nil)
	return string(b), err
}

// AppendBase64 appends the base64 policy to dst; signing code can hash the
// bytes without another copy.
func (p Policy) AppendBase64(dst []byte) ([]byte, error) {
	var buf [2048]byte
	doc, err := p.AppendJSON(buf[:0])
	if err != nil {
		return dst, err
	}
	return base64.StdEncoding.AppendEncode(dst, doc), nil
}

// Equal reports whether p and q describe the same document (a nil and an
// empty condition list are the same, times compare as instants).
func (p Policy) Equal(q Policy) bool {
	return p.Expiration.Equal(q.Expiration) &&
		slices.EqualFunc(p.Conditions, q.Conditions, Condition.Equal)
}

// Parse decodes a policy document (JSON, not base64). It accepts the forms
// Marshal writes, an RFC 3339 expiration, and rejects anything else with an
// error wrapping ErrInvalid.
func Parse(b []byte) (Policy, error) {
	var raw struct {
		Expiration *string           `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Policy{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if dec.More() {
		return Policy{}, fmt.Errorf("%w: data after the document", ErrInvalid)
	}
	if raw.Expiration == nil {
		return Policy{}, fmt.Errorf("%w: missing expiration", ErrInvalid)
	}
	exp, err := parseExpiration(*raw.Expiration)
	if err != nil {
		return Policy{}, err
	}
	p := Policy{Expiration: exp}
	for i, rc := range raw.Conditions {
		c, err := parseCondition(rc)
		if err != nil {
			return Policy{}, fmt.Errorf("condition %d: %w", i, err)
		}
		p.Conditions = append(p.Conditions, c)
	}
	return p, nil
}

// ParseBase64 decodes the base64 form value and then the document.
func ParseBase64(s string) (Policy, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return Policy{}, fmt.Errorf("%w: base64: %v", ErrInvalid, err)
	}
	return Parse(b)
}

func parseExpiration(s string) (time.Time, error) {
	if t, err := time.Parse(ExpirationLayout, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: expiration %q is not ISO-8601 UTC", ErrInvalid, s)
	}
	return t.UTC().Truncate(time.Millisecond), nil
}
