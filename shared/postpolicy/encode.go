package postpolicy

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// The policy is encoded by appending, without reflection: signing sits on
// every request's hot path and encoding/json's reflective walk with one
// MarshalJSON call per condition cost about 80 allocations per policy.
// The output is byte for byte what encoding/json.Marshal writes for the same
// document (same member order, same string escaping, HTML-safe); the tests
// and FuzzEncodeMatchesEncodingJSON compare the two.

// AppendJSON appends the compact JSON document of p to dst.
func (p Policy) AppendJSON(dst []byte) ([]byte, error) {
	t := p.Expiration.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return dst, fmt.Errorf("postpolicy: expiration year %d out of range", y)
	}
	dst = append(dst, `{"expiration":"`...)
	dst = t.AppendFormat(dst, ExpirationLayout)
	dst = append(dst, `","conditions":[`...)
	for i, c := range p.Conditions {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = c.AppendJSON(dst); err != nil {
			return dst, err
		}
	}
	return append(dst, "]}"...), nil
}

// AppendJSON appends the JSON of c: the object form for OpExact, an array
// otherwise.
func (c Condition) AppendJSON(dst []byte) ([]byte, error) {
	switch c.Op {
	case OpExact:
		dst = append(dst, '{')
		dst = appendString(dst, c.Field)
		dst = append(dst, ':')
		dst = appendString(dst, c.Value)
		return append(dst, '}'), nil
	case OpEq, OpStartsWith:
		dst = appendOpField(dst, c)
		dst = appendString(dst, c.Value)
		return append(dst, ']'), nil
	case OpContentLengthRange:
		dst = append(dst, `["content-length-range",`...)
		dst = strconv.AppendInt(dst, c.Min, 10)
		dst = append(dst, ',')
		dst = strconv.AppendInt(dst, c.Max, 10)
		return append(dst, ']'), nil
	case OpIn, OpNotIn:
		dst = appendOpField(dst, c)
		dst = append(dst, '[')
		for i, v := range c.Values {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, v)
		}
		return append(dst, "]]"...), nil
	}
	return dst, fmt.Errorf("postpolicy: unknown condition op %q", c.Op)
}

// appendOpField appends `["<op>","$<field>",`.
func appendOpField(dst []byte, c Condition) []byte {
	dst = append(dst, '[', '"')
	dst = append(dst, c.Op...) // a constant of this package: no escaping needed
	dst = append(dst, `","$`...)
	dst = appendEscaped(dst, c.Field)
	return append(dst, `",`...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does with
// HTML escaping on: \" \\ \b \f \n \r \t, \u00XX for other control bytes and
// for < > &, \ufffd for invalid UTF-8, \u2028 and \u2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s)
	return append(dst, '"')
}

// appendEscaped appends the escaped content of s, without quotes.
func appendEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(dst, s[start:]...)
}
