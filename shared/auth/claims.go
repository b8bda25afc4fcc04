package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// tokenClaims is the part of a token's claim set the authenticator reads. It
// implements jwt.Claims, so golang-jwt's Validator checks exp, nbf, iat, iss
// and aud exactly as it does for jwt.RegisteredClaims; it differs only in
// how the JSON is decoded (and in refusing dates of the wrong type or
// range, see numericDate). jwt.RegisteredClaims decodes each date through a
// json.Number and a separate json.Unmarshal and the audience through an
// interface{}, about twenty allocations per token; these fields decode in
// place, which is most of what keeps the sign path under its allocation
// budget (BenchmarkSign in shared/uploadpolicy). FuzzClaimsMatchRegistered
// pins the two decoders to the same results wherever the dates are valid.
type tokenClaims struct {
	Subject   string      `json:"sub"`
	Issuer    string      `json:"iss"`
	Audience  audience    `json:"aud"`
	ExpiresAt numericDate `json:"exp"`
	NotBefore numericDate `json:"nbf"`
	IssuedAt  numericDate `json:"iat"`
}

func (c *tokenClaims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt.get(), nil }
func (c *tokenClaims) GetNotBefore() (*jwt.NumericDate, error)      { return c.NotBefore.get(), nil }
func (c *tokenClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return c.IssuedAt.get(), nil }
func (c *tokenClaims) GetIssuer() (string, error)                   { return c.Issuer, nil }
func (c *tokenClaims) GetSubject() (string, error)                  { return c.Subject, nil }
func (c *tokenClaims) GetAudience() (jwt.ClaimStrings, error)       { return c.Audience.list, nil }

// numericDate is an RFC 7519 NumericDate: seconds since the epoch, possibly
// fractional, truncated to jwt.TimePrecision like jwt.NumericDate.
//
// It is stricter than jwt.NumericDate in two ways that matter for a
// security decision: the value must be a JSON number (RFC 7519 §2 defines
// NumericDate as a number; jwt.NumericDate also takes a quoted one), and it
// must lie between the epoch and MaxNumericDate. jwt.NumericDate converts
// 1e300 to a time.Time whose seconds overflow int64 into the distant past,
// so such an nbf never blocks and such an exp would never expire.
type numericDate struct {
	date jwt.NumericDate
	set  bool
}

// MaxNumericDate is the latest exp, nbf or iat accepted:
// 9999-12-31T23:59:59Z, the last second RFC 3339 can write. Later values
// (and negative ones) are refused, not clamped.
const MaxNumericDate = 253402300799

// errNumericDate is the error a date claim of the wrong type or range gives.
var errNumericDate = errors.New("exp, nbf and iat must be numbers of seconds between 1970 and 9999")

func (n *numericDate) UnmarshalJSON(b []byte) error {
	// null means absent, as for a *jwt.NumericDate field. Anything but a
	// bare JSON number is refused; a JSON number is always valid ParseFloat
	// syntax, and parsing it here allocates nothing.
	if string(b) == "null" {
		*n = numericDate{}
		return nil
	}
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return errNumericDate
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > MaxNumericDate {
		return errNumericDate
	}
	sec, frac := math.Modf(f)
	n.date = jwt.NumericDate{Time: time.Unix(int64(sec), int64(frac*1e9)).Truncate(jwt.TimePrecision)}
	n.set = true
	return nil
}

func (n *numericDate) get() *jwt.NumericDate {
	if !n.set {
		return nil
	}
	return &n.date
}

// audience is the aud claim: one string or an array of strings (RFC 7519
// §4.1.3). A single string, the common case, lives in one so that list can
// point at it without another allocation.
type audience struct {
	one  [1]string
	list []string
}

var errAudience = errors.New("the aud claim must be a string or an array of strings")

func (a *audience) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		a.list = nil
		return nil
	case plainString(b):
		a.one[0] = string(b[1 : len(b)-1])
		a.list = a.one[:]
		return nil
	case len(b) > 1 && b[0] == '[' && b[len(b)-1] == ']' && plainString(b[1:len(b)-1]):
		// ["one"], what golang-jwt and most issuers write for one audience.
		a.one[0] = string(b[2 : len(b)-2])
		a.list = a.one[:]
		return nil
	case len(b) > 0 && b[0] == '"':
		if err := json.Unmarshal(b, &a.one[0]); err != nil {
			return errAudience
		}
		a.list = a.one[:]
		return nil
	case len(b) > 0 && b[0] == '[' && !bytes.Contains(b, []byte("null")):
		// No null anywhere, so every element that decodes into a string
		// was a string (a number or an object fails the decode).
		var list []string
		if err := json.Unmarshal(b, &list); err != nil {
			return errAudience
		}
		a.list = list
		return nil
	case len(b) > 0 && b[0] == '[':
		// A null element would decode as "" into []string; look at each
		// element to refuse it, as jwt.ClaimStrings does.
		var raw []json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return errAudience
		}
		list := make([]string, len(raw))
		for i, r := range raw {
			// Each element must itself be a string: null or a number is
			// refused, as by jwt.ClaimStrings.
			if len(r) == 0 || r[0] != '"' {
				return errAudience
			}
			if err := json.Unmarshal(r, &list[i]); err != nil {
				return errAudience
			}
		}
		a.list = list
		return nil
	}
	return errAudience
}

// plainString reports whether b is a JSON string without escapes and in
// valid UTF-8, so that its value is the bytes between the quotes.
// encoding/json has already checked the syntax of the value it hands to
// UnmarshalJSON, so a quote or backslash inside means an escape or a second
// string; those, and invalid UTF-8 (which encoding/json replaces with
// U+FFFD), go to the general decoder instead.
func plainString(b []byte) bool {
	return len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' &&
		bytes.IndexAny(b[1:len(b)-1], `"\`) < 0 && utf8.Valid(b)
}
