package auth

import (
	"context"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// Security regressions: date claims that jwt.NumericDate accepts but that
// must not decide anything. A float like 1e300 overflows int64 seconds
// into the distant past (an nbf that never blocks), and a quoted number is
// not an RFC 7519 NumericDate.
func TestDateClaimsOfWrongTypeOrRange(t *testing.T) {
	a, err := New(context.Background(), Config{JWTSecret: secret, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	exp := t0.Unix() + 3600
	tests := []struct {
		name   string
		claims jwt.MapClaims
		want   string // "" = accepted
	}{
		{"numbers in range", jwt.MapClaims{"sub": "u", "exp": exp, "nbf": t0.Unix() - 60, "iat": t0.Unix() - 60}, ""},
		{"last second of year 9999 is a valid exp", jwt.MapClaims{"sub": "u", "exp": MaxNumericDate}, ""},
		{"nbf 1e300 overflows into the past", jwt.MapClaims{"sub": "u", "exp": exp, "nbf": 1e300}, "must be numbers"},
		{"exp 1e300 is refused for its range, not read as a past date", jwt.MapClaims{"sub": "u", "exp": 1e300}, "must be numbers"},
		{"exp one second after year 9999", jwt.MapClaims{"sub": "u", "exp": MaxNumericDate + 1}, "must be numbers"},
		{"iat 1e300", jwt.MapClaims{"sub": "u", "exp": exp, "iat": 1e300}, "must be numbers"},
		{"negative nbf", jwt.MapClaims{"sub": "u", "exp": exp, "nbf": -1}, "must be numbers"},
		{"exp as a string", jwt.MapClaims{"sub": "u", "exp": "1767325445"}, "must be numbers"},
		{"nbf as a string", jwt.MapClaims{"sub": "u", "exp": exp, "nbf": "0"}, "must be numbers"},
		{"exp as a boolean", jwt.MapClaims{"sub": "u", "exp": true}, "must be numbers"},
		{"exp as an array", jwt.MapClaims{"sub": "u", "exp": []int64{exp}}, "must be numbers"},
		{"exp null is no exp", jwt.MapClaims{"sub": "u", "exp": nil}, "no exp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := sign(t, jwt.SigningMethodHS256, secret, "", tc.claims)
			id, err := a.Authenticate(request("Bearer " + tok))
			if tc.want == "" {
				if err != nil || id.UserID != "u" {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			check401(t, err, tc.want, tok)
		})
	}
}
