package osspolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Condition operators, lower case as OSS writes them.
const (
	OpEq                 = "eq"
	OpStartsWith         = "starts-with"
	OpContentLengthRange = "content-length-range"
	OpIn                 = "in"
	OpNotIn              = "not-in"
)

// Policy is a parsed PostObject policy document.
type Policy struct {
	Expiration time.Time
	Conditions []Condition
}

// Condition is one policy condition. A simple condition {"field": "value"}
// is an OpEq condition with Simple set.
type Condition struct {
	Op       string   // one of the Op constants
	Field    string   // the form field as written, without "$"; empty for content-length-range
	Value    string   // OpEq, OpStartsWith
	Values   []string // OpIn, OpNotIn
	Min, Max int64    // OpContentLengthRange
	Simple   bool     // written as {"field": "value"}
}

// String renders the condition the way OSS echoes a failed one, e.g.
// ["starts-with", "$key", "user/eric/"].
func (c Condition) String() string {
	switch c.Op {
	case OpContentLengthRange:
		return fmt.Sprintf("[%q, %d, %d]", c.Op, c.Min, c.Max)
	case OpIn, OpNotIn:
		vs := make([]string, len(c.Values))
		for i, v := range c.Values {
			vs[i] = jsonString(v)
		}
		return "[" + jsonString(c.Op) + ", " + jsonString("$"+c.Field) + ", [" + strings.Join(vs, ", ") + "]]"
	default:
		return "[" + jsonString(c.Op) + ", " + jsonString("$"+c.Field) + ", " + jsonString(c.Value) + "]"
	}
}

// jsonString encodes s as a JSON string without HTML escaping.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil { // a string always encodes
		return strconv.Quote(s)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// maxDepth bounds nesting so a hostile document cannot exhaust the stack.
const maxDepth = 32

// member is one name/value pair of a JSON object, in document order.
type member struct {
	name  string
	value any
}

// object is a JSON object as read by readValue: members in order, names unique.
type object []member

func (o object) get(name string) (any, bool) {
	for _, m := range o {
		if m.name == name {
			return m.value, true
		}
	}
	return nil, false
}

var errDepth = errors.New("nesting too deep")

// readValue reads one JSON value from the token stream. Objects come back as
// object (duplicate names refused), arrays as []any, numbers as json.Number.
func readValue(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	if depth >= maxDepth {
		return nil, errDepth
	}
	switch d {
	case '{':
		var obj object
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			name, ok := kt.(string)
			if !ok {
				return nil, fmt.Errorf("object key is %T", kt)
			}
			if _, dup := obj.get(name); dup {
				return nil, fmt.Errorf("duplicate key %s", jsonString(name))
			}
			v, err := readValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			obj = append(obj, member{name, v})
		}
		if _, err := dec.Token(); err != nil { // '}'
			return nil, err
		}
		if obj == nil {
			obj = object{}
		}
		return obj, nil
	case '[':
		arr := []any{}
		for dec.More() {
			v, err := readValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		if _, err := dec.Token(); err != nil { // ']'
			return nil, err
		}
		return arr, nil
	}
	return nil, fmt.Errorf("unexpected %v", d)
}

// decodeStrict parses doc as exactly one JSON value.
func decodeStrict(doc []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(unescapeDollar(doc)))
	dec.UseNumber()
	v, err := readValue(dec, 0)
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid character after top-level value")
	}
	return v, nil
}

// isoUTC is the shape OSS accepts for expiration: ISO-8601 in UTC ("Z").
var isoUTC = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$`)

// ParseStrict parses a decoded policy document. Malformed JSON, a duplicate
// key at any level, a missing or malformed expiration or conditions member,
// and every condition grammar error give a 400 InvalidPolicyDocument *Error.
// Members other than expiration and conditions are ignored.
func ParseStrict(doc []byte) (Policy, error) {
	v, err := decodeStrict(doc)
	if err != nil {
		return Policy{}, invalidPolicy("", "Invalid JSON: "+err.Error())
	}
	top, ok := v.(object)
	if !ok {
		return Policy{}, invalidPolicy("", "Invalid JSON: the policy must be a JSON object.")
	}
	expV, hasExp := top.get("expiration")
	condV, hasCond := top.get("conditions")
	switch {
	case !hasExp && !hasCond:
		return Policy{}, invalidPolicy(ECMissingBoth, "Policy missing expiration and conditions.")
	case !hasExp:
		return Policy{}, invalidPolicy(ECMissingExpiration, "Policy missing expiration.")
	case !hasCond:
		return Policy{}, invalidPolicy("", "Policy missing conditions.")
	}
	var p Policy
	exp, ok := expV.(string)
	switch {
	case !ok:
		return Policy{}, invalidPolicy(ECExpirationNotString, "Invalid 'expiration' value: it must be a string.")
	case exp == "":
		return Policy{}, invalidPolicy(ECExpirationEmpty, "Invalid 'expiration' value: it must not be empty.")
	}
	if !isoUTC.MatchString(exp) {
		return Policy{}, invalidPolicy("", "Invalid 'expiration' value: "+jsonString(exp)+" is not an ISO-8601 UTC time.")
	}
	if p.Expiration, err = time.Parse(time.RFC3339Nano, exp); err != nil {
		return Policy{}, invalidPolicy("", "Invalid 'expiration' value: "+jsonString(exp)+" is not an ISO-8601 UTC time.")
	}
	conds, ok := condV.([]any)
	if !ok {
		return Policy{}, invalidPolicy("", "Invalid 'conditions' value: it must be an array.")
	}
	for _, c := range conds {
		cond, err := parseCondition(c)
		if err != nil {
			return Policy{}, err
		}
		p.Conditions = append(p.Conditions, cond)
	}
	return p, nil
}

func parseCondition(v any) (Condition, error) {
	switch c := v.(type) {
	case object:
		if len(c) != 1 {
			return Condition{}, invalidPolicy("", "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
		}
		val, ok := c[0].value.(string)
		if !ok {
			return Condition{}, invalidPolicy("", "Invalid Simple-Condition: the value of "+jsonString(c[0].name)+" must be a string.")
		}
		return Condition{Op: OpEq, Field: c[0].name, Value: val, Simple: true}, nil
	case []any:
		return parseArrayCondition(c)
	default:
		return Condition{}, invalidPolicy(ECConditionType, "Invalid Condition: each condition must be an object or an array.")
	}
}

func parseArrayCondition(c []any) (Condition, error) {
	if len(c) == 0 {
		return Condition{}, invalidPolicy("", "Invalid Condition: an array condition must not be empty.")
	}
	op, ok := c[0].(string)
	if !ok {
		return Condition{}, invalidPolicy("", "Invalid Condition: the operator must be a string.")
	}
	op = asciiLower(op)
	if op == OpContentLengthRange {
		if len(c) != 3 {
			return Condition{}, invalidPolicy(ECContentLengthRange, "Invalid content-length-range: it needs exactly a minimum and a maximum.")
		}
		lo, okLo := integer(c[1])
		hi, okHi := integer(c[2])
		if !okLo || !okHi {
			return Condition{}, invalidPolicy(ECContentLengthRange, "Invalid content-length-range: minimum and maximum must be non-negative integers.")
		}
		if hi < lo {
			return Condition{}, invalidPolicy(ECContentLengthMinMax, "Invalid content-length-range: the maximum must not be smaller than the minimum.")
		}
		return Condition{Op: op, Min: lo, Max: hi}, nil
	}
	switch op {
	case OpEq, OpStartsWith, OpIn, OpNotIn:
	default:
		return Condition{}, invalidPolicy("", "Invalid Condition: unknown operator "+jsonString(op)+".")
	}
	if len(c) != 3 {
		return Condition{}, invalidPolicy("", "Invalid Condition: "+jsonString(op)+" takes exactly a field and a value.")
	}
	ref, ok := c[1].(string)
	if !ok || len(ref) < 2 || ref[0] != '$' {
		return Condition{}, invalidPolicy("", "Invalid Condition: the field of "+jsonString(op)+" must be a string starting with '$'.")
	}
	cond := Condition{Op: op, Field: ref[1:]}
	if op == OpIn || op == OpNotIn {
		list, ok := c[2].([]any)
		if !ok {
			return Condition{}, invalidPolicy(ECInListNotArray, "Invalid Condition: the third element of "+jsonString(op)+" must be an array.")
		}
		cond.Values = []string{}
		for _, e := range list {
			s, ok := e.(string)
			if !ok {
				return Condition{}, invalidPolicy(ECInListNotArray, "Invalid Condition: the values of "+jsonString(op)+" must be strings.")
			}
			cond.Values = append(cond.Values, s)
		}
		return cond, nil
	}
	if cond.Value, ok = c[2].(string); !ok {
		return Condition{}, invalidPolicy("", "Invalid Condition: the value of "+jsonString(op)+" must be a string.")
	}
	return cond, nil
}

// integer accepts a JSON number that is a non-negative integer.
func integer(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	return i, err == nil && i >= 0
}

// asciiLower folds ASCII letters only, so that no Unicode case mapping
// (such as KELVIN SIGN to "k") can make two different names equal.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// unescapeDollar turns the policy escape \$ (a literal dollar, allowed by
// OSS but not by JSON) into $ inside strings, leaving \\$ (an escaped
// backslash followed by a dollar) alone.
func unescapeDollar(doc []byte) []byte {
	if !bytes.Contains(doc, []byte(`\$`)) {
		return doc
	}
	out := make([]byte, 0, len(doc))
	inString := false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch {
		case c == '"':
			inString = !inString
		case inString && c == '\\' && i+1 < len(doc):
			if doc[i+1] == '$' {
				out = append(out, '$')
			} else {
				out = append(out, c, doc[i+1])
			}
			i++
			continue
		}
		out = append(out, c)
	}
	return out
}
