package postpolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Op is the kind of a condition.
type Op string

// The condition forms of OSS PostObject policies.
const (
	OpExact              Op = ""                     // {"field": "value"}
	OpEq                 Op = "eq"                   // ["eq", "$field", "value"]
	OpStartsWith         Op = "starts-with"          // ["starts-with", "$field", "prefix"]
	OpContentLengthRange Op = "content-length-range" // ["content-length-range", min, max]
	OpIn                 Op = "in"                   // ["in", "$field", ["v1", ...]]
	OpNotIn              Op = "not-in"               // ["not-in", "$field", ["v1", ...]]
)

// Condition is one entry of a policy's "conditions". Field is the form field
// name without the "$" the array forms put in front of it.
type Condition struct {
	Op       Op
	Field    string
	Value    string   // OpExact, OpEq, OpStartsWith
	Values   []string // OpIn, OpNotIn
	Min, Max int64    // OpContentLengthRange
}

// Exact returns {"field": "value"}.
func Exact(field, value string) Condition { return Condition{Field: field, Value: value} }

// Eq returns ["eq", "$field", "value"].
func Eq(field, value string) Condition { return Condition{Op: OpEq, Field: field, Value: value} }

// StartsWith returns ["starts-with", "$field", "prefix"].
func StartsWith(field, prefix string) Condition {
	return Condition{Op: OpStartsWith, Field: field, Value: prefix}
}

// ContentLengthRange returns ["content-length-range", min, max].
func ContentLengthRange(minBytes, maxBytes int64) Condition {
	return Condition{Op: OpContentLengthRange, Min: minBytes, Max: maxBytes}
}

// In returns ["in", "$field", [values...]].
func In(field string, values ...string) Condition {
	return Condition{Op: OpIn, Field: field, Values: values}
}

// NotIn returns ["not-in", "$field", [values...]].
func NotIn(field string, values ...string) Condition {
	return Condition{Op: OpNotIn, Field: field, Values: values}
}

// Equal reports whether c and d are the same condition (nil and empty
// value lists are the same).
func (c Condition) Equal(d Condition) bool {
	if c.Op != d.Op {
		return false
	}
	switch c.Op {
	case OpContentLengthRange:
		return c.Min == d.Min && c.Max == d.Max
	case OpIn, OpNotIn:
		return c.Field == d.Field && slices.Equal(c.Values, d.Values)
	default:
		return c.Field == d.Field && c.Value == d.Value
	}
}

// MarshalJSON writes the object form for OpExact and the array forms
// otherwise (see AppendJSON).
func (c Condition) MarshalJSON() ([]byte, error) { return c.AppendJSON(nil) }

func parseCondition(b json.RawMessage) (Condition, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return Condition{}, fmt.Errorf("%w: empty condition", ErrInvalid)
	}
	switch b[0] {
	case '{':
		return parseExact(b)
	case '[':
		return parseArray(b)
	}
	return Condition{}, fmt.Errorf("%w: a condition must be an object or an array", ErrInvalid)
}

// parseExact reads {"field":"value"}, refusing zero or several properties
// (duplicates included, which a map would silently merge).
func parseExact(b []byte) (Condition, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // '{'
		return Condition{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var c Condition
	n := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return Condition{}, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		field, _ := tok.(string)
		var value *string
		if err := dec.Decode(&value); err != nil || value == nil {
			return Condition{}, fmt.Errorf("%w: value of %q must be a string", ErrInvalid, field)
		}
		n++
		c = Exact(field, *value)
	}
	if n != 1 {
		return Condition{}, fmt.Errorf("%w: a simple condition must have exactly one property, got %d", ErrInvalid, n)
	}
	return c, nil
}

func parseArray(b []byte) (Condition, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return Condition{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(items) != 3 {
		return Condition{}, fmt.Errorf("%w: an array condition has 3 elements, got %d", ErrInvalid, len(items))
	}
	var op string
	if err := json.Unmarshal(items[0], &op); err != nil {
		return Condition{}, fmt.Errorf("%w: the operator must be a string", ErrInvalid)
	}
	c := Condition{Op: Op(strings.ToLower(op))}
	switch c.Op {
	case OpContentLengthRange:
		if err := unmarshalInt(items[1], &c.Min); err != nil {
			return Condition{}, err
		}
		if err := unmarshalInt(items[2], &c.Max); err != nil {
			return Condition{}, err
		}
		if c.Min < 0 || c.Max < c.Min {
			return Condition{}, fmt.Errorf("%w: content-length-range needs 0 <= min <= max, got %d, %d", ErrInvalid, c.Min, c.Max)
		}
		return c, nil
	case OpEq, OpStartsWith, OpIn, OpNotIn:
	default:
		return Condition{}, fmt.Errorf("%w: unknown operator %q", ErrInvalid, op)
	}
	var field *string
	if err := json.Unmarshal(items[1], &field); err != nil || field == nil || !strings.HasPrefix(*field, "$") {
		return Condition{}, fmt.Errorf("%w: the field of %q must be a string starting with $", ErrInvalid, op)
	}
	c.Field = (*field)[1:]
	if c.Op == OpIn || c.Op == OpNotIn {
		if err := json.Unmarshal(items[2], &c.Values); err != nil || c.Values == nil {
			return Condition{}, fmt.Errorf("%w: the third element of %q must be an array of strings", ErrInvalid, op)
		}
		return c, nil
	}
	var value *string
	if err := json.Unmarshal(items[2], &value); err != nil || value == nil {
		return Condition{}, fmt.Errorf("%w: the value of %q must be a string", ErrInvalid, op)
	}
	c.Value = *value
	return c, nil
}

func unmarshalInt(b json.RawMessage, dst *int64) error {
	if bytes.Equal(b, []byte("null")) || json.Unmarshal(b, dst) != nil {
		return fmt.Errorf("%w: content-length-range bounds must be integers", ErrInvalid)
	}
	return nil
}
