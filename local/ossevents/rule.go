package ossevents

import "strings"

// Rule is an OSS trigger's filter: event names as in a trigger
// configuration ("oss:ObjectCreated:PutObject", wildcards such as
// "oss:ObjectCreated:*") and an optional key prefix and suffix. ID is the
// ruleId carried in the payload; Dispatcher.Add derives one when empty.
type Rule struct {
	ID     string
	Events []string
	Prefix string
	Suffix string
}

// Match reports whether an event named eventName (with or without the
// "oss:" prefix) on key passes the rule. Names are case-sensitive, as OSS
// event names are; a rule with no events matches nothing.
func (r Rule) Match(eventName, key string) bool {
	if !strings.HasPrefix(key, r.Prefix) || !strings.HasSuffix(key, r.Suffix) {
		return false
	}
	name := strings.TrimPrefix(eventName, "oss:")
	for _, pattern := range r.Events {
		if glob(strings.TrimPrefix(pattern, "oss:"), name) {
			return true
		}
	}
	return false
}

// glob matches name against pattern where '*' stands for any run of
// characters (including none) and every other character for itself.
func glob(pattern, name string) bool {
	star, resume := -1, 0
	p, n := 0, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, resume = p, n
			p++
		case p < len(pattern) && pattern[p] == name[n]:
			p++
			n++
		case star >= 0:
			resume++
			p, n = star+1, resume
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
