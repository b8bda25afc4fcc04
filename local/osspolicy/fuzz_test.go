package osspolicy

import (
	"encoding/base64"
	"errors"
	"testing"
)

func FuzzParseStrict(f *testing.F) {
	f.Add([]byte(refPolicy))
	f.Add([]byte(`{"expiration":"2023-12-03T13:00:00Z","conditions":[["in","$a",["x"]],{"a":"\$b"},["content-length-range",0,1]]}`))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Add([]byte(`[[[[[`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := ParseStrict(doc)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != 400 || e.Code != CodeInvalidPolicyDocument {
				t.Fatalf("error %v is not a 400 InvalidPolicyDocument", err)
			}
			return
		}
		for _, c := range p.Conditions {
			_ = c.String()
			if c.Op == OpContentLengthRange && c.Max < c.Min {
				t.Fatalf("accepted range %v", c)
			}
		}
	})
}

func FuzzEvaluate(f *testing.F) {
	f.Add(refPolicy, "key", "user/eric/a", "Content-Type", "image/png", int64(10))
	f.Add(`{"expiration":"2099-01-01T00:00:00Z","conditions":[["not-in","$K",[]]]}`, "k", "", "K", "x", int64(-1))
	f.Fuzz(func(t *testing.T, doc, k1, v1, k2, v2 string, size int64) {
		fm := Form{Fields: map[string]string{k1: v1, k2: v2}, FileSize: size}
		for _, p := range []string{doc, base64.StdEncoding.EncodeToString([]byte(doc))} {
			err := Evaluate(p, fm, "examplebucket", now)
			var e *Error
			if err != nil && !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
		}
	})
}
