package iam

import (
	"encoding/json"
	"testing"
)

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(docPolicy))
	f.Add([]byte(`{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"a":true}}}]}`))
	f.Add([]byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:*"],"Resource":["acs:oss:*:*:b/?*"],"Condition":{"NumericLessThan":{"n":[1,2.5]}}}]}`))
	f.Add([]byte(`{"Version":"1","Version":"1"}`))
	f.Add([]byte(`[[[[[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePolicy(b)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		// An accepted policy survives a round trip through its JSON form
		// and evaluates without panicking.
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParsePolicy(out); err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		Evaluate([][]Policy{{p}}, "oss:PutObject", "acs:oss:*:*:b/k", map[string]string{"acs:SourceIp": "127.0.0.1", "n": "1"})
	})
}
