package osspolicy

import "testing"

// V4 forms must name their signing fields in the policy (EC 0006-00000228);
// every other field may go uncovered, in V4 as in V1. Security rows: a
// lax evaluator would accept an unrestricted credential or date, a strict
// S3-like one would refuse the forms the official samples send.
func TestCheckV4Coverage(t *testing.T) {
	extra := func(f string) want {
		return want{403, "AccessDenied", "Invalid according to Policy: Extra input fields: " + f, "0006-00000228"}
	}
	signing := `{"x-oss-signature-version":"OSS4-HMAC-SHA256"},{"x-oss-credential":"AK/20231203/cn-hangzhou/oss/aliyun_v4_request"},{"x-oss-date":"20231203T121212Z"}`
	v4 := []string{"x-oss-signature-version", "OSS4-HMAC-SHA256", "x-oss-credential", "AK/20231203/cn-hangzhou/oss/aliyun_v4_request",
		"x-oss-date", "20231203T121212Z", "x-oss-signature", "00", "policy", "p"}
	with := func(kv ...string) map[string]string {
		return form(1, append(append([]string{}, v4...), kv...)...).Fields
	}
	tests := []struct {
		name   string
		conds  string
		fields map[string]string
		want   want
	}{
		{"signing fields covered", signing, with("key", "k"), ok},
		{"key, type and meta need no condition (official V4 sample)", signing, with("key", "k", "x-oss-content-type", "text/html", "x-oss-meta-a", "b"), ok},
		{"nothing covered: credential named first (0006-00000228 example)", `["content-length-range",0,1048576000]`, with("key", "big.img"), extra("x-oss-credential")},
		{"date uncovered", `{"x-oss-signature-version":"OSS4-HMAC-SHA256"},{"x-oss-credential":"c"}`, with(), extra("x-oss-date")},
		{"signature version uncovered", `{"x-oss-credential":"c"},{"x-oss-date":"d"}`, with(), extra("x-oss-signature-version")},
		{"security token sent but uncovered", signing, with("x-oss-security-token", "CAIS"), extra("x-oss-security-token")},
		{"security token covered", signing + `,{"x-oss-security-token":"CAIS"}`, with("x-oss-security-token", "CAIS"), ok},
		{"covered by starts-with counts as named", `["starts-with","$x-oss-credential",""],["eq","$X-OSS-Date","d"],{"x-oss-signature-version":"v"}`, with(), ok},
		{"field name case does not hide a field", signing, map[string]string{"X-Oss-Security-Token": "CAIS"}, extra("x-oss-security-token")},
		{"a field not sent needs no condition", `{"bucket":"b"}`, map[string]string{"key": "k"}, ok},
		{"x-oss-signature is exempt", signing, with(), ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, CheckV4Coverage(b64(tt.conds), tt.fields), tt.want)
		})
	}
	check(t, CheckV4Coverage("not base64!", with()),
		want{400, "InvalidPolicyDocument", "Invalid Policy: Invalid Base64 Encoding: the policy is not valid base64.", ""})
}
