package osspolicy

import (
	"reflect"
	"testing"
	"time"
)

func bad(ec, msg string) want {
	return want{400, "InvalidPolicyDocument", "Invalid Policy: " + msg, ec}
}

const exp = `"expiration":"2023-12-03T13:00:00.000Z"`

// Grammar errors of the OSS/STS protocol reference §1.3, each a 400
// InvalidPolicyDocument with the EC the reference names (messages OSS does
// not document are this package's wording).
func TestParseStrictErrors(t *testing.T) {
	simple := bad("", "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
	tests := []struct {
		name, doc string
		want      want
	}{
		{"malformed JSON", `{"expiration":`, bad("", "Invalid JSON: unexpected EOF")},
		{"empty document", ``, bad("", "Invalid JSON: unexpected EOF")},
		{"trailing garbage", `{` + exp + `,"conditions":[]} x`, bad("", "Invalid JSON: invalid character after top-level value")},
		{"two documents", `{` + exp + `,"conditions":[]}{}`, bad("", "Invalid JSON: invalid character after top-level value")},
		{"not an object", `[]`, bad("", "Invalid JSON: the policy must be a JSON object.")},
		{"duplicate top-level key", `{` + exp + `,` + exp + `,"conditions":[]}`, bad("", `Invalid JSON: duplicate key "expiration"`)},
		{"duplicate conditions smuggling a weaker list", `{` + exp + `,"conditions":[["starts-with","$key","u/"]],"conditions":[]}`, bad("", `Invalid JSON: duplicate key "conditions"`)},
		{"duplicate key in a simple condition", `{` + exp + `,"conditions":[{"key":"a","key":"b"}]}`, bad("", `Invalid JSON: duplicate key "key"`)},
		{"duplicate key deep inside an ignored member", `{` + exp + `,"conditions":[],"x":{"a":{"b":1,"b":2}}}`, bad("", `Invalid JSON: duplicate key "b"`)},
		{"missing both", `{}`, bad("0006-00000209", "Policy missing expiration and conditions.")},
		{"missing expiration", `{"conditions":[]}`, bad("0006-00000208", "Policy missing expiration.")},
		{"missing conditions", `{` + exp + `}`, bad("", "Policy missing conditions.")},
		{"Expiration is not expiration", `{"Expiration":"2023-12-03T13:00:00.000Z","conditions":[]}`, bad("0006-00000208", "Policy missing expiration.")},
		{"expiration number", `{"expiration":1701608400,"conditions":[]}`, bad("0006-00000210", "Invalid 'expiration' value: it must be a string.")},
		{"expiration empty", `{"expiration":"","conditions":[]}`, bad("0006-00000211", "Invalid 'expiration' value: it must not be empty.")},
		{"expiration with offset", `{"expiration":"2023-12-03T21:00:00+08:00","conditions":[]}`, bad("", `Invalid 'expiration' value: "2023-12-03T21:00:00+08:00" is not an ISO-8601 UTC time.`)},
		{"expiration date only", `{"expiration":"2023-12-03","conditions":[]}`, bad("", `Invalid 'expiration' value: "2023-12-03" is not an ISO-8601 UTC time.`)},
		{"expiration impossible date", `{"expiration":"2023-02-30T00:00:00Z","conditions":[]}`, bad("", `Invalid 'expiration' value: "2023-02-30T00:00:00Z" is not an ISO-8601 UTC time.`)},
		{"conditions not an array", `{` + exp + `,"conditions":{"key":"a"}}`, bad("", "Invalid 'conditions' value: it must be an array.")},
		{"condition a string", `{` + exp + `,"conditions":["key"]}`, bad("0006-00000222", "Invalid Condition: each condition must be an object or an array.")},
		{"condition a number", `{` + exp + `,"conditions":[1]}`, bad("0006-00000222", "Invalid Condition: each condition must be an object or an array.")},
		{"condition null", `{` + exp + `,"conditions":[null]}`, bad("0006-00000222", "Invalid Condition: each condition must be an object or an array.")},
		{"simple with two properties", `{` + exp + `,"conditions":[{"key":"a","bucket":"b"}]}`, simple},
		{"simple with no property", `{` + exp + `,"conditions":[{}]}`, simple},
		{"simple value a number", `{` + exp + `,"conditions":[{"success_action_status":201}]}`, bad("", `Invalid Simple-Condition: the value of "success_action_status" must be a string.`)},
		{"empty array condition", `{` + exp + `,"conditions":[[]]}`, bad("", "Invalid Condition: an array condition must not be empty.")},
		{"operator not a string", `{` + exp + `,"conditions":[[1,"$key","a"]]}`, bad("", "Invalid Condition: the operator must be a string.")},
		{"unknown operator", `{` + exp + `,"conditions":[["ends-with","$key","a"]]}`, bad("", `Invalid Condition: unknown operator "ends-with".`)},
		{"eq with two elements", `{` + exp + `,"conditions":[["eq","$key"]]}`, bad("", `Invalid Condition: "eq" takes exactly a field and a value.`)},
		{"starts-with with four elements", `{` + exp + `,"conditions":[["starts-with","$key","a","b"]]}`, bad("", `Invalid Condition: "starts-with" takes exactly a field and a value.`)},
		{"field without dollar", `{` + exp + `,"conditions":[["eq","key","a"]]}`, bad("", `Invalid Condition: the field of "eq" must be a string starting with '$'.`)},
		{"field only a dollar", `{` + exp + `,"conditions":[["eq","$","a"]]}`, bad("", `Invalid Condition: the field of "eq" must be a string starting with '$'.`)},
		{"eq value a number", `{` + exp + `,"conditions":[["eq","$key",1]]}`, bad("", `Invalid Condition: the value of "eq" must be a string.`)},
		{"content-length-range strings", `{` + exp + `,"conditions":[["content-length-range","1","10"]]}`, bad("0006-00000219", "Invalid content-length-range: minimum and maximum must be non-negative integers.")},
		{"content-length-range fraction", `{` + exp + `,"conditions":[["content-length-range",1.5,10]]}`, bad("0006-00000219", "Invalid content-length-range: minimum and maximum must be non-negative integers.")},
		{"content-length-range negative", `{` + exp + `,"conditions":[["content-length-range",-1,10]]}`, bad("0006-00000219", "Invalid content-length-range: minimum and maximum must be non-negative integers.")},
		{"content-length-range overflow", `{` + exp + `,"conditions":[["content-length-range",0,99999999999999999999]]}`, bad("0006-00000219", "Invalid content-length-range: minimum and maximum must be non-negative integers.")},
		{"content-length-range one bound", `{` + exp + `,"conditions":[["content-length-range",1]]}`, bad("0006-00000219", "Invalid content-length-range: it needs exactly a minimum and a maximum.")},
		{"content-length-range max below min", `{` + exp + `,"conditions":[["content-length-range",10,1]]}`, bad("0006-00000221", "Invalid content-length-range: the maximum must not be smaller than the minimum.")},
		{"in with a string", `{` + exp + `,"conditions":[["in","$content-type","image/png"]]}`, bad("0006-00000224", `Invalid Condition: the third element of "in" must be an array.`)},
		{"not-in with an object", `{` + exp + `,"conditions":[["not-in","$content-type",{"a":"b"}]]}`, bad("0006-00000224", `Invalid Condition: the third element of "not-in" must be an array.`)},
		{"in with a number inside", `{` + exp + `,"conditions":[["in","$content-type",["a",1]]]}`, bad("0006-00000224", `Invalid Condition: the values of "in" must be strings.`)},
		{"deep nesting refused, not a crash", `{` + exp + `,"conditions":[],"x":` + deep(100) + `}`, bad("", "Invalid JSON: nesting too deep")},
		{"invalid escape", `{"expiration":"\q","conditions":[]}`, bad("", "Invalid JSON: invalid character 'q' in string escape code")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseStrict([]byte(tt.doc))
			check(t, err, tt.want)
			if !reflect.DeepEqual(p, Policy{}) {
				t.Fatalf("a refused document returned %+v", p)
			}
		})
	}
}

func deep(n int) string {
	s := ""
	for range n {
		s += "["
	}
	for range n {
		s += "]"
	}
	return s
}

func TestParseStrictPolicy(t *testing.T) {
	doc := `{"expiration":"2023-12-03T13:00:00Z","extra":{"ignored":[1,2]},"conditions":[
		{"bucket":"b"},["EQ","$Key","k"],["starts-with","$x-oss-meta-a","\\$"],["content-length-range",0,10],
		["in","$content-type",["a","b"]],["not-in","$cache-control",[]],["eq","$x-oss-meta-d","\$1"]]}`
	p, err := ParseStrict([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	wantP := Policy{Expiration: time.Date(2023, 12, 3, 13, 0, 0, 0, time.UTC), Conditions: []Condition{
		{Op: OpEq, Field: "bucket", Value: "b", Simple: true},
		{Op: OpEq, Field: "Key", Value: "k"},
		{Op: OpStartsWith, Field: "x-oss-meta-a", Value: `\$`}, // "\\$" is an escaped backslash then a dollar
		{Op: OpContentLengthRange, Min: 0, Max: 10},
		{Op: OpIn, Field: "content-type", Values: []string{"a", "b"}},
		{Op: OpNotIn, Field: "cache-control", Values: []string{}},
		{Op: OpEq, Field: "x-oss-meta-d", Value: "$1"},
	}}
	if !reflect.DeepEqual(p, wantP) {
		t.Fatalf("got  %+v\nwant %+v", p, wantP)
	}
}
