package postpolicy

import (
	"bytes"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzPolicyRoundTrip checks both directions: a policy built from arbitrary
// values survives Marshal then Parse, and any document Parse accepts
// marshals to a fixed point.
func FuzzPolicyRoundTrip(f *testing.F) {
	f.Add([]byte(vectorJSON), int64(1701608400000), "key", "user/eric/", "image/*", int64(1), int64(1024), uint8(0))
	f.Add([]byte(`{"expiration":"2013-12-01T12:00:00Z","conditions":[["in","$content-type",["a","b"]],{"k":"\u0000\"\\"}]}`),
		int64(0), "x-oss-meta-owner", "<&>", "", int64(0), int64(0), uint8(3))
	f.Add([]byte(`{"expiration":"2013-12-01T12:00:00.000Z","conditions":[["not-in","$cache-control",[]]]}`),
		int64(253402300799999), "\xff", "\u202e", "a,b", int64(5), int64(4), uint8(5))
	f.Fuzz(func(t *testing.T, doc []byte, ms int64, field, value, list string, lo, hi int64, op uint8) {
		// Direction 1: Parse(Marshal(p)) == p.
		if ms >= 0 && ms <= 253402300799999 { // years 1970..9999
			p := Policy{
				Expiration: time.UnixMilli(ms).UTC(),
				Conditions: []Condition{
					[]Condition{
						Exact(field, value), Eq(field, value), StartsWith(field, value),
						ContentLengthRange(lo, hi), In(field, value, list), NotIn(field, list),
					}[int(op)%6],
					Exact("bucket", value),
				},
			}
			b, err := p.Marshal()
			if err != nil {
				t.Fatalf("Marshal(%+v): %v", p, err)
			}
			q, err := Parse(b)
			valid := p.Conditions[0].Op != OpContentLengthRange || (lo >= 0 && hi >= lo)
			switch {
			case err != nil && valid && validUTF8(field, value, list):
				t.Fatalf("Parse(Marshal(p)) failed: %v\n%s", err, b)
			case err == nil && !valid:
				t.Fatalf("Parse accepted an invalid range: %s", b)
			case err == nil && validUTF8(field, value, list) && !q.Equal(p):
				t.Fatalf("round trip changed the policy:\n%+v\n%+v", p, q)
			}
		}
		// Direction 2: Marshal(Parse(b)) is a fixed point.
		p, err := Parse(doc)
		if err != nil {
			return
		}
		b1, err := p.Marshal()
		if err != nil {
			return // e.g. an RFC 3339 expiration beyond year 9999
		}
		p2, err := Parse(b1)
		if err != nil {
			t.Fatalf("Parse(Marshal(Parse(doc))) failed: %v\n%s", err, b1)
		}
		b2, err := p2.Marshal()
		if err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("not stable:\n%s\n%s (%v)", b1, b2, err)
		}
	})
}

// validUTF8 reports whether every string survives JSON unchanged
// (encoding/json replaces invalid UTF-8 with U+FFFD).
func validUTF8(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
