package auth

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzClaimsMatchRegistered pins tokenClaims to jwt.RegisteredClaims: for
// any claim set whose dates are valid (see datesValid) both decode it or
// both refuse it, and every getter the validator calls returns the same
// value; a claim set with an invalid date is always refused by tokenClaims. The seeds run in go test; go test
// -fuzz=FuzzClaimsMatchRegistered explores further.
func FuzzClaimsMatchRegistered(f *testing.F) {
	for _, s := range []string{
		`{"sub":"u1","iss":"https://issuer.example","aud":["ossupload"],"exp":1767225600,"nbf":1767225000,"iat":1767225000}`,
		`{"sub":"u1","aud":"ossupload","exp":1767225600}`,
		`{"aud":["a","b"],"exp":1.5}`,
		`{"aud":[],"exp":0}`,
		`{"aud":null,"exp":null}`,
		`{"aud":["a",null]}`,
		`{"aud":[null]}`,
		`{"aud":["a\"b"]}`,
		`{"aud":["a\\u0041"]}`,
		`{"aud":"\u00e9t\u00e9"}`,
		`{"aud":[ "spaced" ]}`,
		`{"aud":["a", "b"]}`,
		`{"aud":["null"]}`,
		`{"aud":"null"}`,
		`{"aud":1}`,
		`{"aud":[1]}`,
		`{"aud":{"a":1}}`,
		`{"aud":true}`,
		`{"exp":"1767225600"}`,
		`{"nbf":"1"}`,
		`{"nbf":1e300}`,
		`{"exp":253402300800}`,
		`{"exp":253402300799}`,
		`{"Exp":1e300,"exp":5}`,
		`{"exp":5,"EXP":1e300}`,
		`{"iat":-1}`,
		`{"exp":-1.25}`,
		`{"exp":1e3}`,
		`{"exp":1E400}`,
		`{"exp":-0}`,
		`{"exp":1767225600.999999999}`,
		`{"exp":true}`,
		`{"nbf":[]}`,
		`{"iat":{}}`,
		`{"sub":5}`,
		`{"iss":null}`,
		`{"SUB":"upper","Exp":7}`,
		`{"sub":"a","sub":"b"}`,
		`[]`,
		`null`,
		`{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want jwt.RegisteredClaims
		var got tokenClaims
		wantErr := json.Unmarshal(data, &want)
		gotErr := json.Unmarshal(data, &got)
		if !datesValid(data) {
			if gotErr == nil {
				t.Fatalf("%s: an out-of-range or non-number date was accepted: %+v", data, got)
			}
			return
		}
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("%s: RegisteredClaims error %v, tokenClaims error %v", data, wantErr, gotErr)
		}
		if wantErr != nil {
			return
		}
		for _, d := range []struct {
			name      string
			want, got func() (*jwt.NumericDate, error)
		}{
			{"exp", want.GetExpirationTime, got.GetExpirationTime},
			{"nbf", want.GetNotBefore, got.GetNotBefore},
			{"iat", want.GetIssuedAt, got.GetIssuedAt},
		} {
			w, _ := d.want()
			g, _ := d.got()
			if (w == nil) != (g == nil) || (w != nil && !w.Equal(g.Time)) {
				t.Fatalf("%s: %s is %v, RegisteredClaims says %v", data, d.name, g, w)
			}
		}
		if w, g := want.Subject, got.Subject; w != g {
			t.Fatalf("%s: sub %q, want %q", data, g, w)
		}
		if w, g := want.Issuer, got.Issuer; w != g {
			t.Fatalf("%s: iss %q, want %q", data, g, w)
		}
		w, _ := want.GetAudience()
		g, _ := got.GetAudience()
		if !slices.Equal(w, g) {
			t.Fatalf("%s: aud %q, want %q", data, g, w)
		}
	})
}

// datesValid reports whether every exp, nbf and iat member of a JSON object
// (matched case-insensitively, as encoding/json does) is null or a number
// in [0, MaxNumericDate]. Anything that is not an object counts as valid.
func datesValid(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return true
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return true
		}
		key, _ := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return true
		}
		if !strings.EqualFold(key, "exp") && !strings.EqualFold(key, "nbf") && !strings.EqualFold(key, "iat") {
			continue
		}
		if v == nil {
			continue
		}
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		f, err := n.Float64()
		if err != nil || f < 0 || f > MaxNumericDate {
			return false
		}
	}
	return true
}
