package postpolicy

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// referenceJSON marshals p with encoding/json from plain values: what
// AppendJSON must reproduce byte for byte.
func referenceJSON(p Policy) ([]byte, error) {
	conds := make([]any, len(p.Conditions))
	for i, c := range p.Conditions {
		switch c.Op {
		case OpExact:
			conds[i] = map[string]string{c.Field: c.Value}
		case OpEq, OpStartsWith:
			conds[i] = [3]string{string(c.Op), "$" + c.Field, c.Value}
		case OpContentLengthRange:
			conds[i] = [3]any{string(c.Op), c.Min, c.Max}
		default:
			vals := c.Values
			if vals == nil {
				vals = []string{}
			}
			conds[i] = [3]any{string(c.Op), "$" + c.Field, vals}
		}
	}
	return json.Marshal(struct {
		Expiration string `json:"expiration"`
		Conditions []any  `json:"conditions"`
	}{p.Expiration.UTC().Format(ExpirationLayout), conds})
}

func TestEncodeMatchesEncodingJSON(t *testing.T) {
	tricky := "a\"b\\c\b\f\n\r\t\x00\x1f\x7f<>&\u2028\u2029\xff\xc0\xaf é 照 😀 \ufffd $"
	p := Policy{
		Expiration: time.Date(2024, 5, 6, 7, 8, 9, 10e6, time.UTC),
		Conditions: []Condition{
			Exact(tricky, tricky), Eq(tricky, tricky), StartsWith("key", tricky),
			ContentLengthRange(0, 1<<62), In(tricky, tricky, ""), NotIn("x"), In("y"),
		},
	}
	got, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want, err := referenceJSON(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendJSON differs from encoding/json:\n got %s\nwant %s", got, want)
	}
	if !json.Valid(got) {
		t.Fatal("invalid JSON")
	}
	// Wrapped in another encoding/json document it is unchanged.
	outer, err := json.Marshal(map[string]Policy{"p": p})
	if err != nil || !bytes.Equal(outer, append(append([]byte(`{"p":`), want...), '}')) {
		t.Fatalf("nested: %s %v", outer, err)
	}
	if _, err := (Condition{Op: "bogus"}).MarshalJSON(); err == nil {
		t.Fatal("unknown op marshalled")
	}
}

func FuzzEncodeMatchesEncodingJSON(f *testing.F) {
	f.Add("key", "user/eric/", "image/png", int64(1), int64(1024), uint8(0), int64(1701608400000))
	f.Add("a\"<>&\u2028", "\xff\x00\\", "", int64(-1), int64(5), uint8(4), int64(0))
	f.Fuzz(func(t *testing.T, field, value, item string, lo, hi int64, op uint8, ms int64) {
		if ms < 0 || ms > 253402300799999 {
			return
		}
		c := []Condition{
			Exact(field, value), Eq(field, value), StartsWith(field, value),
			ContentLengthRange(lo, hi), In(field, value, item), NotIn(field, item),
		}[int(op)%6]
		p := Policy{Expiration: time.UnixMilli(ms), Conditions: []Condition{c, Exact(value, item)}}
		got, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		want, err := referenceJSON(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("differs from encoding/json:\n got %s\nwant %s", got, want)
		}
	})
}
