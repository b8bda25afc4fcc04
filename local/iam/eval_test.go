package iam

import "testing"

func mustPolicy(t *testing.T, doc string) Policy {
	t.Helper()
	p, err := ParsePolicy([]byte(doc))
	if err != nil {
		t.Fatalf("ParsePolicy(%s): %v", doc, err)
	}
	return p
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything/at/all", true},
		{"a*", "a", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a?c", "aéc", true}, // ? is one character, not one byte
		{"*/*", "dir/file", true},
		{"*/*", "file", false},
		{"b/u/*", "b/u/x/y", true},
		{"b/u/*", "b/u", false},
		{"b/u/*", "b/U/x", false}, // case-sensitive
		{"**a", "bbba", true},
		{"*a*b*c*", "xxaxxbxxc", true},
		{"*a*b*c*", "xxaxxcxxb", false},
		{"", "", true},
		{"", "x", false},
	} {
		if got := Match(c.pattern, c.s); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	putUser42 := mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject","oss:AbortMultipartUpload"],"Resource":"acs:oss:*:*:bkt/uploads/user-42/*"}]}`)
	ossAll := mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"acs:oss:*:*:bkt/*"}]}`)
	denySecret := mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"oss:Get*","Resource":"acs:oss:*:*:bkt/secret/*"}]}`)
	question := mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"acs:oss:*:*:bkt/log-20??.txt"}]}`)
	ipOnly := mustPolicy(t, docPolicy)
	tlsOnly := mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"true"}}}]}`)
	prefixList := mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:ListObjects","Resource":"acs:oss:*:*:bkt","Condition":{"StringLike":{"oss:Prefix":["uploads/user-42/*"]},"StringEquals":{"oss:Delimiter":["/",""]}}}]}`)
	notHome := mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"},{"Effect":"Deny","Action":"oss:*","Resource":"*","Condition":{"StringNotEquals":{"acs:UserAgent":"uploader"}}}]}`)
	notLike := mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"StringNotLike":{"oss:Prefix":"private/*"}}}]}`)

	const obj = "acs:oss:*:1234567890123456:bkt/uploads/user-42/a.png"
	// A realistic resource names the owner uid; policies with "*" for it must match.
	for _, c := range []struct {
		name             string
		groups           [][]Policy
		action, resource string
		ctx              map[string]string
		want             Decision
	}{
		{"no groups", nil, "oss:PutObject", obj, nil, ImplicitDeny},
		{"empty group", [][]Policy{{}}, "oss:PutObject", obj, nil, ImplicitDeny},
		{"allowed", [][]Policy{{putUser42}}, "oss:PutObject", obj, nil, Allowed},
		{"action case-insensitive", [][]Policy{{putUser42}}, "OSS:putobject", obj, nil, Allowed},
		{"resource case-sensitive", [][]Policy{{putUser42}}, "oss:PutObject", "acs:oss:*:1234567890123456:bkt/Uploads/user-42/a.png", nil, ImplicitDeny},
		{"other user's prefix", [][]Policy{{putUser42}}, "oss:PutObject", "acs:oss:*:1234567890123456:bkt/uploads/user-43/a.png", nil, ImplicitDeny},
		{"action not listed", [][]Policy{{putUser42}}, "oss:GetObject", obj, nil, ImplicitDeny},
		{"action wildcard", [][]Policy{{ossAll}}, "oss:DeleteObject", obj, nil, Allowed},
		{"action wildcard other service", [][]Policy{{ossAll}}, "ram:CreateUser", obj, nil, ImplicitDeny},
		{"deny wins in same policy", [][]Policy{{denySecret}}, "oss:GetObject", "acs:oss:*:1:bkt/secret/k", nil, ExplicitDeny},
		{"deny wins over other group's allow", [][]Policy{{ossAll}, {denySecret}}, "oss:GetObjectMeta", "acs:oss:*:1:bkt/secret/k", nil, ExplicitDeny},
		{"deny not matching", [][]Policy{{denySecret}}, "oss:PutObject", "acs:oss:*:1:bkt/secret/k", nil, Allowed},
		{"? one char", [][]Policy{{question}}, "oss:GetObject", "acs:oss:*:1:bkt/log-2026.txt", nil, Allowed},
		{"? not two", [][]Policy{{question}}, "oss:GetObject", "acs:oss:*:1:bkt/log-20266.txt", nil, ImplicitDeny},
		{"session ∩ role: both allow", [][]Policy{{ossAll}, {putUser42}}, "oss:PutObject", obj, nil, Allowed},
		{"session ∩ role: session narrower", [][]Policy{{ossAll}, {putUser42}}, "oss:DeleteObject", obj, nil, ImplicitDeny},
		{"session ∩ role: role narrower", [][]Policy{{putUser42}, {ossAll}}, "oss:DeleteObject", obj, nil, ImplicitDeny},
		{"session cannot widen role", [][]Policy{{putUser42}, {denySecret}}, "oss:GetObject", obj, nil, ImplicitDeny},
		{"ip in range", [][]Policy{{ipOnly}}, "oss:PutObject", "acs:oss:*:*:examplebucket/uploads/user-42/x", map[string]string{"acs:SourceIp": "203.0.113.9"}, Allowed},
		{"ip out of range", [][]Policy{{ipOnly}}, "oss:PutObject", "acs:oss:*:*:examplebucket/uploads/user-42/x", map[string]string{"acs:SourceIp": "198.51.100.1"}, ImplicitDeny},
		{"ip missing from context", [][]Policy{{ipOnly}}, "oss:PutObject", "acs:oss:*:*:examplebucket/uploads/user-42/x", nil, ImplicitDeny},
		{"context key case-insensitive", [][]Policy{{ipOnly}}, "oss:PutObject", "acs:oss:*:*:examplebucket/uploads/user-42/x", map[string]string{"ACS:sourceip": "203.0.113.9"}, Allowed},
		{"bool true", [][]Policy{{tlsOnly}}, "oss:GetObject", obj, map[string]string{"acs:SecureTransport": "true"}, Allowed},
		{"bool false", [][]Policy{{tlsOnly}}, "oss:GetObject", obj, map[string]string{"acs:SecureTransport": "false"}, ImplicitDeny},
		{"keys AND: both match", [][]Policy{{prefixList}}, "oss:ListObjects", "acs:oss:*:*:bkt", map[string]string{"oss:Prefix": "uploads/user-42/2026/", "oss:Delimiter": "/"}, Allowed},
		{"values OR: second value", [][]Policy{{prefixList}}, "oss:ListObjects", "acs:oss:*:*:bkt", map[string]string{"oss:Prefix": "uploads/user-42/", "oss:Delimiter": ""}, Allowed},
		{"keys AND: one fails", [][]Policy{{prefixList}}, "oss:ListObjects", "acs:oss:*:*:bkt", map[string]string{"oss:Prefix": "uploads/user-42/", "oss:Delimiter": "|"}, ImplicitDeny},
		{"string like fails", [][]Policy{{prefixList}}, "oss:ListObjects", "acs:oss:*:*:bkt", map[string]string{"oss:Prefix": "uploads/", "oss:Delimiter": "/"}, ImplicitDeny},
		{"not equals: deny fires", [][]Policy{{notHome}}, "oss:GetObject", obj, map[string]string{"acs:UserAgent": "curl"}, ExplicitDeny},
		{"not equals: key missing denies", [][]Policy{{notHome}}, "oss:GetObject", obj, nil, ExplicitDeny},
		{"not equals: value equal", [][]Policy{{notHome}}, "oss:GetObject", obj, map[string]string{"acs:UserAgent": "uploader"}, Allowed},
		{"not like: outside", [][]Policy{{notLike}}, "oss:ListObjects", "acs:oss:*:*:bkt", map[string]string{"oss:Prefix": "public/x"}, Allowed},
		{"not like: inside", [][]Policy{{notLike}}, "oss:ListObjects", "acs:oss:*:*:bkt", map[string]string{"oss:Prefix": "private/x"}, ImplicitDeny},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Evaluate(c.groups, c.action, c.resource, c.ctx); got != c.want {
				t.Fatalf("Evaluate = %v, want %v", got, c.want)
			}
		})
	}
}

func TestConditionOperators(t *testing.T) {
	for _, c := range []struct {
		op, policyValue, requestValue string
		want                          bool
	}{
		{"StringEqualsIgnoreCase", "Uploader", "uPLOADER", true},
		{"StringNotEqualsIgnoreCase", "Uploader", "uPLOADER", false},
		{"StringEquals", "Uploader", "uploader", false},
		{"NotIpAddress", "10.0.0.0/8", "10.1.2.3", false},
		{"NotIpAddress", "10.0.0.0/8", "192.168.1.1", true},
		{"IpAddress", "192.168.1.1", "192.168.1.1", true},
		{"IpAddress", "2001:db8::/32", "2001:db8::1", true},
		{"NumericEquals", "10", "10.0", true},
		{"NumericNotEquals", "10", "11", true},
		{"NumericLessThan", "10", "9", true},
		{"NumericLessThan", "10", "10", false},
		{"NumericLessThanEquals", "10", "10", true},
		{"NumericGreaterThan", "10", "11", true},
		{"NumericGreaterThanEquals", "10", "9", false},
		{"NumericEquals", "10", "ten", false},
		{"DateLessThan", "2026-01-01T00:00:00Z", "2025-12-31T23:59:59Z", true},
		{"DateGreaterThan", "2026-01-01T00:00:00Z", "2025-12-31T23:59:59Z", false},
		{"DateEquals", "2026-01-01T00:00:00Z", "2026-01-01T08:00:00+08:00", true},
		{"DateNotEquals", "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", true},
		{"DateLessThanEquals", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", true},
		{"DateGreaterThanEquals", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", true},
	} {
		doc := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"` + c.op + `":{"k":"` + c.policyValue + `"}}}]}`
		p := mustPolicy(t, doc)
		got := Evaluate([][]Policy{{p}}, "oss:GetObject", "acs:oss:*:*:b/k", map[string]string{"k": c.requestValue}) == Allowed
		if got != c.want {
			t.Errorf("%s %q vs %q = %v, want %v", c.op, c.policyValue, c.requestValue, got, c.want)
		}
	}
}
