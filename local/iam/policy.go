package iam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxSessionPolicyBytes is the largest session policy AssumeRole accepts
// (OSS/STS protocol reference §5.1: "≤ 1024 bytes per the docs read"),
// counted over the raw parameter bytes.
const MaxSessionPolicyBytes = 1024

// StringList is a JSON value that may be a single string or an array.
type StringList []string

// UnmarshalJSON accepts a string, a number, a boolean or an array of these.
func (l *StringList) UnmarshalJSON(b []byte) error {
	vals, err := scalars(b)
	if err != nil {
		return err
	}
	*l = vals
	return nil
}

// Statement is one RAM policy statement.
type Statement struct {
	Effect    string
	Action    StringList
	Resource  StringList
	Condition map[string]map[string]StringList `json:",omitempty"`
}

// Policy is a RAM policy document.
type Policy struct {
	Version   string
	Statement []Statement
}

// Effects.
const (
	Allow = "Allow"
	Deny  = "Deny"
)

// ParsePolicy parses a RAM policy strictly: exact key names, no unknown or
// duplicate keys, Version "1", Effect Allow|Deny, non-empty Action and
// Resource (string or array), known condition operators with well-formed
// values. Errors are *Error with code InvalidParameter.PolicyGrammar.
func ParsePolicy(b []byte) (Policy, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return Policy{}, grammarError("empty document")
	}
	if err := checkDuplicateKeys(b); err != nil {
		return Policy{}, grammarError(err.Error())
	}
	top, err := object(b, "policy", "Version", "Statement")
	if err != nil {
		return Policy{}, grammarError(err.Error())
	}
	var p Policy
	if err := json.Unmarshal(top["Version"], &p.Version); err != nil || p.Version != "1" {
		return Policy{}, grammarError(`Version must be "1"`)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(top["Statement"], &raws); err != nil || raws == nil {
		return Policy{}, grammarError("Statement must be an array")
	}
	if len(raws) == 0 {
		return Policy{}, grammarError("Statement must not be empty")
	}
	for i, raw := range raws {
		st, err := parseStatement(raw)
		if err != nil {
			return Policy{}, grammarError(fmt.Sprintf("Statement[%d]: %v", i, err))
		}
		p.Statement = append(p.Statement, st)
	}
	return p, nil
}

// ParseSessionPolicy checks an AssumeRole Policy parameter: "" means none
// (nil, nil); larger than MaxSessionPolicyBytes is InvalidParameter.PolicySize;
// otherwise ParsePolicy.
func ParseSessionPolicy(raw string) (*Policy, error) {
	if raw == "" {
		return nil, nil
	}
	if len(raw) > MaxSessionPolicyBytes {
		return nil, &Error{Status: http.StatusBadRequest, Code: CodePolicySize,
			Message: fmt.Sprintf("The size of parameter Policy is %d bytes, the maximum is %d bytes.", len(raw), MaxSessionPolicyBytes)}
	}
	p, err := ParsePolicy([]byte(raw))
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// object decodes an object that must have exactly the listed keys.
func object(b []byte, what string, required ...string) (map[string]json.RawMessage, error) {
	return objectWith(b, what, required, nil)
}

func objectWith(b []byte, what string, required, optional []string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, fmt.Errorf("%s must be an object", what)
	}
	for k := range m {
		if !contains(required, k) && !contains(optional, k) {
			return nil, fmt.Errorf("unknown key %q in %s", k, what)
		}
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			return nil, fmt.Errorf("%s is missing %s", what, k)
		}
	}
	return m, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func parseStatement(raw json.RawMessage) (Statement, error) {
	m, err := objectWith(raw, "statement", []string{"Effect", "Action", "Resource"}, []string{"Condition"})
	if err != nil {
		return Statement{}, err
	}
	var st Statement
	if err := json.Unmarshal(m["Effect"], &st.Effect); err != nil || (st.Effect != Allow && st.Effect != Deny) {
		return Statement{}, errors.New(`Effect must be "Allow" or "Deny"`)
	}
	if st.Action, err = nonEmptyStrings(m["Action"], "Action"); err != nil {
		return Statement{}, err
	}
	for _, a := range st.Action {
		if a != "*" && !strings.Contains(a, ":") {
			return Statement{}, fmt.Errorf("Action %q must be \"*\" or \"<service>:<action>\"", a)
		}
	}
	if st.Resource, err = nonEmptyStrings(m["Resource"], "Resource"); err != nil {
		return Statement{}, err
	}
	for _, r := range st.Resource {
		if r != "*" && !strings.HasPrefix(r, "acs:") {
			return Statement{}, fmt.Errorf("Resource %q must be \"*\" or start with \"acs:\"", r)
		}
	}
	if c, ok := m["Condition"]; ok {
		if st.Condition, err = parseCondition(c); err != nil {
			return Statement{}, err
		}
	}
	return st, nil
}

// nonEmptyStrings accepts a non-empty string or a non-empty array of
// non-empty strings (no numbers or booleans).
func nonEmptyStrings(raw json.RawMessage, name string) (StringList, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == "" {
			return nil, fmt.Errorf("%s must not be empty", name)
		}
		return StringList{s}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
		return nil, fmt.Errorf("%s must be a string or a non-empty array of strings", name)
	}
	for _, v := range list {
		if v == "" {
			return nil, fmt.Errorf("%s must not contain empty strings", name)
		}
	}
	return list, nil
}

func parseCondition(raw json.RawMessage) (map[string]map[string]StringList, error) {
	var ops map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ops); err != nil || ops == nil {
		return nil, errors.New("Condition must be an object of operator -> {key: values}")
	}
	out := make(map[string]map[string]StringList, len(ops))
	for op, keys := range ops {
		o, ok := operators[op]
		if !ok {
			return nil, fmt.Errorf("unknown condition operator %q", op)
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("condition operator %s has no keys", op)
		}
		out[op] = make(map[string]StringList, len(keys))
		for k, v := range keys {
			if k == "" {
				return nil, fmt.Errorf("condition operator %s has an empty key", op)
			}
			vals, err := scalars(v)
			if err != nil || len(vals) == 0 {
				return nil, fmt.Errorf("condition %s %q needs a value or a non-empty array of values", op, k)
			}
			for _, val := range vals {
				if err := o.validate(val); err != nil {
					return nil, fmt.Errorf("condition %s %q: %v", op, k, err)
				}
			}
			out[op][k] = vals
		}
	}
	return out, nil
}

// scalars decodes a string, number or boolean, or an array of these, into
// their string forms.
func scalars(b []byte) ([]string, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			return nil, err
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			s, err := scalar(it)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(b)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func scalar(b []byte) (string, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", errors.New("expected a string, number or boolean")
}

// checkDuplicateKeys walks the document and refuses an object that repeats
// a key (encoding/json would silently keep the last one).
func checkDuplicateKeys(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := walk(d, 0); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("trailing data after the document")
	}
	return nil
}

const maxDepth = 32

func walk(d *json.Decoder, depth int) error {
	if depth > maxDepth {
		return errors.New("document nested too deeply")
	}
	t, err := d.Token()
	if err != nil {
		return errors.New("malformed JSON")
	}
	delim, ok := t.(json.Delim)
	if !ok {
		return nil
	}
	switch delim {
	case '{':
		seen := map[string]bool{}
		for d.More() {
			kt, err := d.Token()
			if err != nil {
				return errors.New("malformed JSON")
			}
			k, _ := kt.(string)
			if seen[k] {
				return fmt.Errorf("duplicate key %q", k)
			}
			seen[k] = true
			if err := walk(d, depth+1); err != nil {
				return err
			}
		}
	case '[':
		for d.More() {
			if err := walk(d, depth+1); err != nil {
				return err
			}
		}
	}
	if _, err := d.Token(); err != nil {
		return errors.New("malformed JSON")
	}
	return nil
}

// operator is one condition operator: how to validate a policy value and
// how to compare a request value with it.
type operator struct {
	negated  bool
	validate func(policyValue string) error
	match    func(requestValue, policyValue string) bool
}

func noCheck(string) error { return nil }

func checkBool(v string) error {
	if v != "true" && v != "false" {
		return fmt.Errorf("%q is not true or false", v)
	}
	return nil
}

func checkNumber(v string) error {
	if _, err := strconv.ParseFloat(v, 64); err != nil {
		return fmt.Errorf("%q is not a number", v)
	}
	return nil
}

func checkDate(v string) error {
	if _, err := time.Parse(time.RFC3339, v); err != nil {
		return fmt.Errorf("%q is not an RFC 3339 date", v)
	}
	return nil
}

func checkIP(v string) error {
	if _, err := parseNet(v); err != nil {
		return fmt.Errorf("%q is not an IP address or CIDR block", v)
	}
	return nil
}

func parseNet(v string) (*net.IPNet, error) {
	if strings.Contains(v, "/") {
		_, n, err := net.ParseCIDR(v)
		return n, err
	}
	ip := net.ParseIP(v)
	if ip == nil {
		return nil, errors.New("bad ip")
	}
	bits := 128
	if ip4 := ip.To4(); ip4 != nil {
		ip, bits = ip4, 32
	}
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, nil
}

func ipIn(req, pol string) bool {
	ip := net.ParseIP(req)
	n, err := parseNet(pol)
	return ip != nil && err == nil && n.Contains(ip)
}

func numCmp(f func(a, b float64) bool) func(string, string) bool {
	return func(req, pol string) bool {
		a, err1 := strconv.ParseFloat(req, 64)
		b, err2 := strconv.ParseFloat(pol, 64)
		return err1 == nil && err2 == nil && f(a, b)
	}
}

func dateCmp(f func(a, b time.Time) bool) func(string, string) bool {
	return func(req, pol string) bool {
		a, err1 := time.Parse(time.RFC3339, req)
		b, err2 := time.Parse(time.RFC3339, pol)
		return err1 == nil && err2 == nil && f(a, b)
	}
}

func strEq(a, b string) bool { return a == b }

// operators is the closed set of condition operators this emulator knows
// (OSS/STS protocol reference §5.4). A negated operator matches when no
// policy value matches the request value, including when the request has no
// value for the key.
var operators = map[string]operator{
	"StringEquals":              {validate: noCheck, match: strEq},
	"StringNotEquals":           {negated: true, validate: noCheck, match: strEq},
	"StringEqualsIgnoreCase":    {validate: noCheck, match: strings.EqualFold},
	"StringNotEqualsIgnoreCase": {negated: true, validate: noCheck, match: strings.EqualFold},
	"StringLike":                {validate: noCheck, match: func(r, p string) bool { return Match(p, r) }},
	"StringNotLike":             {negated: true, validate: noCheck, match: func(r, p string) bool { return Match(p, r) }},
	"Bool":                      {validate: checkBool, match: strings.EqualFold},
	"IpAddress":                 {validate: checkIP, match: ipIn},
	"NotIpAddress":              {negated: true, validate: checkIP, match: ipIn},
	"NumericEquals":             {validate: checkNumber, match: numCmp(func(a, b float64) bool { return a == b })},
	"NumericNotEquals":          {negated: true, validate: checkNumber, match: numCmp(func(a, b float64) bool { return a == b })},
	"NumericLessThan":           {validate: checkNumber, match: numCmp(func(a, b float64) bool { return a < b })},
	"NumericLessThanEquals":     {validate: checkNumber, match: numCmp(func(a, b float64) bool { return a <= b })},
	"NumericGreaterThan":        {validate: checkNumber, match: numCmp(func(a, b float64) bool { return a > b })},
	"NumericGreaterThanEquals":  {validate: checkNumber, match: numCmp(func(a, b float64) bool { return a >= b })},
	"DateEquals":                {validate: checkDate, match: dateCmp(time.Time.Equal)},
	"DateNotEquals":             {negated: true, validate: checkDate, match: dateCmp(time.Time.Equal)},
	"DateLessThan":              {validate: checkDate, match: dateCmp(time.Time.Before)},
	"DateLessThanEquals":        {validate: checkDate, match: dateCmp(func(a, b time.Time) bool { return !a.After(b) })},
	"DateGreaterThan":           {validate: checkDate, match: dateCmp(time.Time.After)},
	"DateGreaterThanEquals":     {validate: checkDate, match: dateCmp(func(a, b time.Time) bool { return !a.Before(b) })},
}
