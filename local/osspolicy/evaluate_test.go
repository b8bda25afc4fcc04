package osspolicy

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"
)

var now = time.Date(2023, 12, 3, 12, 20, 0, 0, time.UTC)

// b64 wraps conditions in a policy that expires after now and encodes it.
func b64(conditions string) string {
	return base64.StdEncoding.EncodeToString([]byte(`{"expiration":"2023-12-03T13:00:00.000Z","conditions":[` + conditions + `]}`))
}

func form(size int64, kv ...string) Form {
	f := Form{Fields: map[string]string{}, FileSize: size, FileName: "a.jpg"}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Fields[kv[i]] = kv[i+1]
	}
	return f
}

// want is the expected outcome; zero Status means success.
type want struct {
	status        int
	code, message string
	ec            string
}

func check(t *testing.T, err error, w want) {
	t.Helper()
	if w.status == 0 {
		if err != nil {
			t.Fatalf("want success, got %v", err)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *Error %d %s, got %v", w.status, w.code, err)
	}
	if e.Status != w.status || e.Code != w.code || e.Message != w.message || e.EC != w.ec {
		t.Fatalf("got  %d %s %q EC %q\nwant %d %s %q EC %q", e.Status, e.Code, e.Message, e.EC, w.status, w.code, w.message, w.ec)
	}
}

func denied(cond string) want {
	return want{403, "AccessDenied", "Invalid according to Policy: Policy Condition failed: " + cond, "0006-00000227"}
}

// absent is a condition naming a field the form lacks: OSS's own EC
// 0006-00000226 (https://help.aliyun.com/en/oss/user-guide/0006-00000226).
func absent(cond string) want {
	w := denied(cond)
	w.ec = "0006-00000226"
	return w
}

var (
	ok       = want{}
	tooSmall = want{400, "EntityTooSmall", "Your proposed upload smaller than the minimum allowed size.", ""}
	tooLarge = want{400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.", ""}
)

// Every condition form of the OSS/STS protocol reference §1.3, passing and
// failing, with the status, code and message OSS answers.
func TestEvaluateConditions(t *testing.T) {
	tests := []struct {
		name  string
		conds string
		form  Form
		want  want
	}{
		{"exact passes", `{"key":"user/eric/a.jpg"}`, form(1, "key", "user/eric/a.jpg"), ok},
		{"exact fails", `{"key":"user/eric/a.jpg"}`, form(1, "key", "user/eric/b.jpg"), denied(`["eq", "$key", "user/eric/a.jpg"]`)},
		{"exact bucket is the addressed bucket", `{"bucket":"examplebucket"}`, form(1), ok},
		{"exact bucket other bucket fails", `{"bucket":"otherbucket"}`, form(1), denied(`["eq", "$bucket", "otherbucket"]`)},
		{"eq passes", `["eq","$success_action_status","201"]`, form(1, "success_action_status", "201"), ok},
		{"eq fails", `["eq","$success_action_status","201"]`, form(1, "success_action_status", "204"), denied(`["eq", "$success_action_status", "201"]`)},
		{"starts-with passes", `["starts-with","$key","user/eric/"]`, form(1, "key", "user/eric/x"), ok},
		{"starts-with fails (reference message)", `["starts-with","$key","user/eric/"]`, form(1, "key", "user/bob/x"), denied(`["starts-with", "$key", "user/eric/"]`)},
		{"content-length-range inside", `["content-length-range",1,1024]`, form(1024), ok},
		{"content-length-range at min", `["content-length-range",1,1024]`, form(1), ok},
		{"content-length-range too small", `["content-length-range",1,1024]`, form(0), tooSmall},
		{"content-length-range too large", `["content-length-range",1,1024]`, form(1025), tooLarge},
		{"in passes", `["in","$content-type",["image/jpeg","image/png"]]`, form(1, "content-type", "image/png"), ok},
		{"in fails", `["in","$content-type",["image/jpeg","image/png"]]`, form(1, "content-type", "text/html"), denied(`["in", "$content-type", ["image/jpeg", "image/png"]]`)},
		{"not-in passes", `["not-in","$cache-control",["no-cache"]]`, form(1, "cache-control", "max-age=60"), ok},
		{"not-in fails", `["not-in","$cache-control",["no-cache"]]`, form(1, "cache-control", "no-cache"), denied(`["not-in", "$cache-control", ["no-cache"]]`)},
		{"absent field fails exact", `{"x-oss-meta-owner":"u1"}`, form(1), absent(`["eq", "$x-oss-meta-owner", "u1"]`)},
		{"absent field fails starts-with", `["starts-with","$key",""]`, form(1), absent(`["starts-with", "$key", ""]`)},
		{"absent field fails not-in", `["not-in","$content-type",["text/html"]]`, form(1), absent(`["not-in", "$content-type", ["text/html"]]`)},
		{"first failing condition is reported", `["starts-with","$key","a/"],{"x-oss-meta-a":"1"},["content-length-range",5,9]`,
			form(1, "key", "b/x"), denied(`["starts-with", "$key", "a/"]`)},
		{"conditions in document order: size before key", `["content-length-range",5,9],["starts-with","$key","a/"]`, form(1, "key", "b/x"), tooSmall},
		{"empty conditions allow anything before expiry", ``, form(1), ok},
		{"operator case-insensitive", `["STARTS-WITH","$key","a/"]`, form(1, "key", "a/x"), ok},
		{"field name case-insensitive in form", `["eq","$content-type","image/jpeg"]`, form(1, "Content-Type", "image/jpeg"), ok},
		{"value case-sensitive", `["eq","$content-type","image/jpeg"]`, form(1, "content-type", "Image/JPEG"), denied(`["eq", "$content-type", "image/jpeg"]`)},
		{"escaped dollar is a literal value", `["eq","$x-oss-meta-p","\$5"]`, form(1, "x-oss-meta-p", "$5"), ok},
		{"unicode escape in value", `{"x-oss-meta-name":"caf\u00e9"}`, form(1, "x-oss-meta-name", "café"), ok},
		{"unicode echoed unescaped", `["starts-with","$key","写真/"]`, form(1, "key", "x"), denied(`["starts-with", "$key", "写真/"]`)},
		{"html characters echoed as sent", `["eq","$key","<a>&"]`, form(1, "key", "x"), denied(`["eq", "$key", "<a>&"]`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, Evaluate(b64(tt.conds), tt.form, "examplebucket", now), tt.want)
		})
	}
}

// Security regressions: each row is a way a lax evaluator lets a form
// through that real OSS refuses, or refuses one it accepts.
func TestEvaluateSecurityRegressions(t *testing.T) {
	tests := []struct {
		name  string
		conds string
		form  Form
		want  want
	}{
		{"starts-with empty prefix allows any key", `["starts-with","$key",""]`, form(1, "key", "../../etc"), ok},
		{"starts-with prefix is not a substring test", `["starts-with","$key","user/eric/"]`, form(1, "key", "x/user/eric/"), denied(`["starts-with", "$key", "user/eric/"]`)},
		{"$Key in the policy names the key field", `["starts-with","$Key","user/eric/"]`, form(1, "key", "user/bob/x"), denied(`["starts-with", "$Key", "user/eric/"]`)},
		{"Key in the form is the key field", `["starts-with","$key","user/eric/"]`, form(1, "KEY", "user/bob/x"), denied(`["starts-with", "$key", "user/eric/"]`)},
		{"Key and key with different values are ambiguous", `["starts-with","$key","user/eric/"]`,
			form(1, "key", "user/eric/x", "Key", "user/bob/x"), absent(`["starts-with", "$key", "user/eric/"]`)},
		{"bucket form field cannot override the request bucket", `{"bucket":"examplebucket"}`, form(1, "bucket", "examplebucket"), ok},
		{"bucket form field cannot satisfy another bucket", `{"bucket":"otherbucket"}`, form(1, "bucket", "otherbucket"), denied(`["eq", "$bucket", "otherbucket"]`)},
		{"KELVIN SIGN does not fold to k", `["starts-with","$\u212aey","user/eric/"]`, form(1, "key", "user/eric/x"), absent("[\"starts-with\", \"$\u212aey\", \"user/eric/\"]")},
		{"form field with KELVIN SIGN is not key", `["starts-with","$key","user/eric/"]`, form(1, "\u212aey", "user/eric/x"), absent(`["starts-with", "$key", "user/eric/"]`)},
		{"NUL in value is compared exactly", `["eq","$key","a"]`, form(1, "key", "a\x00"), denied(`["eq", "$key", "a"]`)},
		{"decomposed unicode is not equal to precomposed", `{"x-oss-meta-n":"caf\u00e9"}`, form(1, "x-oss-meta-n", "cafe\u0301"), denied(`["eq", "$x-oss-meta-n", "café"]`)},
		{"negative size is too small", `["content-length-range",0,10]`, form(-1), tooSmall},
		{"zero-length range pins an empty file", `["content-length-range",0,0]`, form(1), tooLarge},
		{"in with empty list fails", `["in","$content-type",[]]`, form(1, "content-type", ""), denied(`["in", "$content-type", []]`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, Evaluate(b64(tt.conds), tt.form, "examplebucket", now), tt.want)
		})
	}
}

func TestEvaluateExpiration(t *testing.T) {
	p := b64(`{"bucket":"examplebucket"}`) // expires 2023-12-03T13:00:00Z
	expired := want{403, "AccessDenied", "Invalid according to Policy: Policy expired.", "0006-00000213"}
	check(t, Evaluate(p, form(1), "examplebucket", time.Date(2023, 12, 3, 12, 59, 59, 999e6, time.UTC)), ok)
	check(t, Evaluate(p, form(1), "examplebucket", time.Date(2023, 12, 3, 13, 0, 0, 0, time.UTC)), expired)
	check(t, Evaluate(p, form(1), "examplebucket", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)), expired)
	// Expiry is checked before the conditions: an expired policy reports expiry.
	check(t, Evaluate(b64(`{"bucket":"x"}`), form(1), "examplebucket", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)), expired)
	// A non-UTC clock reading is the same instant.
	cst := time.FixedZone("CST", 8*3600)
	check(t, Evaluate(p, form(1), "examplebucket", time.Date(2023, 12, 3, 20, 59, 0, 0, cst)), ok)
}

func TestEvaluateBadBase64(t *testing.T) {
	check(t, Evaluate("not base64!", form(1), "b", now),
		want{400, "InvalidPolicyDocument", "Invalid Policy: Invalid Base64 Encoding: the policy is not valid base64.", ""})
}

// The §1.7 policy of the OSS/STS protocol reference (cross-checked there
// against ali-oss signPostObjectPolicyV4) evaluated against the form that
// accompanies it.
func TestEvaluateReferencePolicy(t *testing.T) {
	doc := `{"expiration":"2023-12-03T13:00:00.000Z","conditions":[{"bucket":"examplebucket"},{"x-oss-signature-version":"OSS4-HMAC-SHA256"},{"x-oss-credential":"LTAI5tEXAMPLE/20231203/cn-hangzhou/oss/aliyun_v4_request"},{"x-oss-date":"20231203T121212Z"},["content-length-range",1,1024],["starts-with","$key","user/eric/"]]}`
	f := form(5, "key", "user/eric/${filename}", "x-oss-signature-version", "OSS4-HMAC-SHA256",
		"x-oss-credential", "LTAI5tEXAMPLE/20231203/cn-hangzhou/oss/aliyun_v4_request", "x-oss-date", "20231203T121212Z",
		"policy", "ignored", "x-oss-signature", "ignored", "file-extra", "not covered by any condition")
	p := base64.StdEncoding.EncodeToString([]byte(doc))
	// Fields no condition names (file-extra) are accepted: OSS does not
	// require every field to be covered.
	check(t, Evaluate(p, f, "examplebucket", now), ok)
	f.Fields["x-oss-date"] = "20231203T121213Z"
	check(t, Evaluate(p, f, "examplebucket", now), denied(`["eq", "$x-oss-date", "20231203T121212Z"]`))
}

func TestErrorCondition(t *testing.T) {
	err := Evaluate(b64(`["starts-with","$key","user/eric/"]`), form(1, "key", "x"), "b", now)
	var e *Error
	if !errors.As(err, &e) || e.Condition != `["starts-with", "$key", "user/eric/"]` {
		t.Fatalf("%#v", err)
	}
	if e.Error() != "AccessDenied: "+e.Message {
		t.Fatalf("Error() = %q", e.Error())
	}
}
