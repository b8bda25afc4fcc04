package iam

import "strings"

// Decision is the outcome of policy evaluation.
type Decision int

// Decisions.
const (
	ImplicitDeny Decision = iota // nothing allowed it (the default)
	ExplicitDeny                 // a Deny statement matched
	Allowed                      // every group allowed it and nothing denied it
)

func (d Decision) String() string {
	switch d {
	case ExplicitDeny:
		return "ExplicitDeny"
	case Allowed:
		return "Allowed"
	}
	return "ImplicitDeny"
}

// Evaluate decides action on resource for a principal whose policies come
// in groups (see Principal.Policies): a matching Deny anywhere wins;
// otherwise each group needs a matching Allow; no groups means deny.
// Actions match case-insensitively, resources case-sensitively, both with
// the `*` and `?` wildcards. ctx holds condition keys such as acs:SourceIp
// (looked up exactly, then case-insensitively).
func Evaluate(groups [][]Policy, action, resource string, ctx map[string]string) Decision {
	if len(groups) == 0 {
		return ImplicitDeny
	}
	allowedAll := true
	for _, group := range groups {
		allowed := false
		for _, p := range group {
			for _, st := range p.Statement {
				if !st.matches(action, resource, ctx) {
					continue
				}
				if st.Effect == Deny {
					return ExplicitDeny
				}
				if st.Effect == Allow {
					allowed = true
				}
			}
		}
		if !allowed {
			allowedAll = false
		}
	}
	if allowedAll {
		return Allowed
	}
	return ImplicitDeny
}

func (st Statement) matches(action, resource string, ctx map[string]string) bool {
	if !matchAny(st.Action, action, true) || !matchAny(st.Resource, resource, false) {
		return false
	}
	for op, keys := range st.Condition {
		o, ok := operators[op]
		if !ok {
			return false // unknown operators never match (ParsePolicy refuses them)
		}
		for key, vals := range keys {
			if !o.eval(ctxValue(ctx, key), vals) {
				return false
			}
		}
	}
	return true
}

func (o operator) eval(req *string, vals []string) bool {
	hit := false
	if req != nil {
		for _, v := range vals {
			if o.match(*req, v) {
				hit = true
				break
			}
		}
	}
	if o.negated {
		return !hit
	}
	return hit
}

func ctxValue(ctx map[string]string, key string) *string {
	if v, ok := ctx[key]; ok {
		return &v
	}
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return &v
		}
	}
	return nil
}

func matchAny(patterns []string, s string, fold bool) bool {
	if fold {
		s = strings.ToLower(s)
	}
	for _, p := range patterns {
		if fold {
			p = strings.ToLower(p)
		}
		if Match(p, s) {
			return true
		}
	}
	return false
}

// Match reports whether s matches pattern, where `*` matches any run of
// characters (also empty, also "/") and `?` exactly one character.
// Comparison is case-sensitive. It runs in O(len(pattern)*len(s)) at worst.
func Match(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
