package iam

import (
	"errors"
	"strings"
	"testing"
)

// The example policy of the OSS/STS protocol reference §5.4 (RAM policy
// language, from the Alibaba Cloud RAM policy grammar docs).
const docPolicy = `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],
  "Resource":["acs:oss:*:*:examplebucket/uploads/user-42/*"],
  "Condition":{"IpAddress":{"acs:SourceIp":["203.0.113.0/24"]}}}]}`

func TestParsePolicyAccepts(t *testing.T) {
	for name, doc := range map[string]string{
		"doc example":         docPolicy,
		"string action":       `{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:*","Resource":"*"}]}`,
		"bool and numbers":    `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":true},"NumericLessThan":{"oss:max-keys":100}}}]}`,
		"several statements":  `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"acs:oss:*:*:b/*"},{"Effect":"Deny","Action":"oss:GetObject","Resource":"acs:oss:*:*:b/secret/*"}]}`,
		"string like":         `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:ListObjects","Resource":"acs:oss:*:*:b","Condition":{"StringLike":{"oss:Prefix":["u/*"]}}}]}`,
		"whitespace tolerant": "\n {\"Version\" : \"1\", \"Statement\" : [ {\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"} ] } \n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParsePolicy([]byte(doc)); err != nil {
				t.Fatalf("ParsePolicy: %v", err)
			}
		})
	}
	p, err := ParsePolicy([]byte(docPolicy))
	if err != nil {
		t.Fatal(err)
	}
	st := p.Statement[0]
	if st.Effect != Allow || st.Action[0] != "oss:PutObject" || st.Resource[0] != "acs:oss:*:*:examplebucket/uploads/user-42/*" ||
		st.Condition["IpAddress"]["acs:SourceIp"][0] != "203.0.113.0/24" {
		t.Fatalf("parsed %+v", p)
	}
}

func TestParsePolicyRejects(t *testing.T) {
	stmt := func(s string) string { return `{"Version":"1","Statement":[` + s + `]}` }
	for name, doc := range map[string]string{
		"empty":               ``,
		"not json":            `{"Version":"1",`,
		"array top":           `[]`,
		"trailing data":       stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`) + `{}`,
		"version 2012":        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		"version number":      `{"Version":1,"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		"no version":          `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		"no statement":        `{"Version":"1"}`,
		"empty statement":     `{"Version":"1","Statement":[]}`,
		"statement object":    `{"Version":"1","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		"unknown top key":     `{"Version":"1","Id":"x","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		"lower-case key":      `{"version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		"duplicate key":       `{"Version":"1","Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		"duplicate inner key": stmt(`{"Effect":"Deny","Effect":"Allow","Action":"*","Resource":"*"}`),
		"effect lower":        stmt(`{"Effect":"allow","Action":"*","Resource":"*"}`),
		"no action":           stmt(`{"Effect":"Allow","Resource":"*"}`),
		"no resource":         stmt(`{"Effect":"Allow","Action":"*"}`),
		"empty action":        stmt(`{"Effect":"Allow","Action":[],"Resource":"*"}`),
		"empty action string": stmt(`{"Effect":"Allow","Action":"","Resource":"*"}`),
		"numeric action":      stmt(`{"Effect":"Allow","Action":[1],"Resource":"*"}`),
		"action no service":   stmt(`{"Effect":"Allow","Action":"PutObject","Resource":"*"}`),
		"resource not acs":    stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b"}`),
		"principal":           stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}`),
		"not action":          stmt(`{"Effect":"Allow","NotAction":"*","Resource":"*"}`),
		"unknown operator":    stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringSortOf":{"a":"b"}}}`),
		"empty operator":      stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{}}}`),
		"empty values":        stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a":[]}}}`),
		"object value":        stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a":{"b":"c"}}}}`),
		"bad bool":            stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"yes"}}}`),
		"bad ip":              stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"300.1.1.1"}}}`),
		"bad number":          stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericEquals":{"n":"ten"}}}`),
		"bad date":            stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"acs:CurrentTime":"tomorrow"}}}`),
		"deep nesting":        strings.Repeat("[", 100) + strings.Repeat("]", 100),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(doc))
			var e *Error
			if !errors.As(err, &e) || e.Code != CodePolicyGrammar || e.Status != 400 {
				t.Fatalf("ParsePolicy(%s) = %v, want %s", doc, err, CodePolicyGrammar)
			}
		})
	}
}

func TestParseSessionPolicy(t *testing.T) {
	if p, err := ParseSessionPolicy(""); p != nil || err != nil {
		t.Fatalf("empty: %v %v", p, err)
	}
	// Exactly 1024 bytes is accepted, 1025 refused (limit: reference §5.1).
	base := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:PutObject","Resource":"acs:oss:*:*:b/`
	tail := `*"}]}`
	pad := func(n int) string { return base + strings.Repeat("a", n-len(base)-len(tail)) + tail }
	if _, err := ParseSessionPolicy(pad(1024)); err != nil {
		t.Fatalf("1024 bytes: %v", err)
	}
	_, err := ParseSessionPolicy(pad(1025))
	var e *Error
	if !errors.As(err, &e) || e.Code != CodePolicySize {
		t.Fatalf("1025 bytes: %v", err)
	}
	if _, err := ParseSessionPolicy(`{"Version":"1"}`); !errors.As(err, &e) || e.Code != CodePolicyGrammar {
		t.Fatalf("grammar: %v", err)
	}
}
