package osspolicy

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Form is what a PostObject request submitted before its file part.
type Form struct {
	Fields   map[string]string // form fields; names are compared case-insensitively (ASCII)
	FileSize int64             // size of the file part in bytes
	FileName string            // filename of the file part (for ${filename}; not used by conditions)
}

// Messages OSS answers with (OSS/STS protocol reference §1.3).
const (
	msgExpired  = "Invalid according to Policy: Policy expired."
	msgFailed   = "Invalid according to Policy: Policy Condition failed: "
	msgTooSmall = "Your proposed upload smaller than the minimum allowed size."
	msgTooLarge = "Your proposed upload exceeds the maximum allowed size."
)

// Decode base64-decodes the policy form value and parses it strictly.
func Decode(policyB64 string) (Policy, error) {
	doc, err := base64.StdEncoding.DecodeString(policyB64)
	if err != nil {
		return Policy{}, invalidPolicy("", "Invalid Base64 Encoding: the policy is not valid base64.")
	}
	return ParseStrict(doc)
}

// Evaluate decodes the policy form value and checks it against the form of
// a PostObject request to bucket at time now. It returns nil or an *Error:
// 400 InvalidPolicyDocument for an undecodable or ungrammatical policy,
// 403 AccessDenied for an expired policy or a failed condition, 400
// EntityTooSmall/EntityTooLarge for a file outside content-length-range.
//
// Like OSS, it does not require every form field to be named by a
// condition (V4 forms must cover their signing fields: CheckV4Coverage).
func Evaluate(policyB64 string, form Form, bucket string, now time.Time) error {
	p, err := Decode(policyB64)
	if err != nil {
		return err
	}
	return p.Check(form, bucket, now)
}

// Check evaluates a parsed policy: expiration first, then each condition in
// document order; the first failure is returned.
func (p Policy) Check(form Form, bucket string, now time.Time) error {
	if !now.Before(p.Expiration) {
		return &Error{Status: http.StatusForbidden, Code: CodeAccessDenied, Message: msgExpired, EC: ECPolicyExpired}
	}
	fields := foldFields(form.Fields)
	fields["bucket"] = bucket // the bucket is always the one addressed
	for _, c := range p.Conditions {
		if c.Op == OpContentLengthRange {
			switch {
			case form.FileSize < c.Min:
				return &Error{Status: http.StatusBadRequest, Code: CodeEntityTooSmall, Message: msgTooSmall, Condition: c.String()}
			case form.FileSize > c.Max:
				return &Error{Status: http.StatusBadRequest, Code: CodeEntityTooLarge, Message: msgTooLarge, Condition: c.String()}
			}
			continue
		}
		v, ok := fields[asciiLower(c.Field)]
		if !ok || !c.holds(v) {
			echo := c.String()
			ec := ECConditionFailed
			if !ok {
				ec = ECConditionFieldAbsent
			}
			return &Error{Status: http.StatusForbidden, Code: CodeAccessDenied, Message: msgFailed + echo, EC: ec, Condition: echo}
		}
	}
	return nil
}

// holds reports whether the present field value v satisfies c.
func (c Condition) holds(v string) bool {
	switch c.Op {
	case OpEq:
		return v == c.Value
	case OpStartsWith:
		return strings.HasPrefix(v, c.Value)
	case OpIn:
		return slices.Contains(c.Values, v)
	case OpNotIn:
		return !slices.Contains(c.Values, v)
	}
	return false
}

// foldFields returns the fields keyed by ASCII-lower-cased name. Two fields
// whose names fold to the same name with different values are ambiguous and
// both dropped, so any condition naming them fails.
func foldFields(in map[string]string) map[string]string {
	out := make(map[string]string, len(in)+1)
	ambiguous := map[string]bool{}
	for k, v := range in {
		lk := asciiLower(k)
		if old, dup := out[lk]; dup && old != v {
			ambiguous[lk] = true
		}
		out[lk] = v
	}
	for k := range ambiguous {
		delete(out, k)
	}
	return out
}
