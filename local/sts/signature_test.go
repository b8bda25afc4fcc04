package sts

import (
	"net/url"
	"testing"
)

// The RAM API signature example (AlibabaCloudDocs/ram, "Request signatures":
// CreateUser signed with AccessKeySecret "testsecret"), as copied into the
// OSS/STS protocol reference §5.3.
func TestSignatureRAMDocVector(t *testing.T) {
	params := url.Values{
		"AccessKeyId":      {"testid"},
		"Action":           {"CreateUser"},
		"Format":           {"JSON"},
		"SignatureMethod":  {"HMAC-SHA1"},
		"SignatureNonce":   {"6a6e0ca6-4557-11e5-86a2-b8e8563dc8d2"},
		"SignatureVersion": {"1.0"},
		"Timestamp":        {"2015-08-18T03:15:45Z"},
		"UserName":         {"test"},
		"Version":          {"2015-05-01"},
		"Signature":        {"ignored: never part of the string to sign"},
	}
	const wantSTS = "GET&%2F&AccessKeyId%3Dtestid%26Action%3DCreateUser%26Format%3DJSON%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D6a6e0ca6-4557-11e5-86a2-b8e8563dc8d2%26SignatureVersion%3D1.0%26Timestamp%3D2015-08-18T03%253A15%253A45Z%26UserName%3Dtest%26Version%3D2015-05-01"
	sts := StringToSign("GET", params)
	if sts != wantSTS {
		t.Fatalf("StringToSign\n got %s\nwant %s", sts, wantSTS)
	}
	if got := Sign(sts, "testsecret"); got != "kRA2cnpJVacIhDMzXnoNZG9tDCI=" {
		t.Fatalf("Sign = %s, want kRA2cnpJVacIhDMzXnoNZG9tDCI=", got)
	}
}

func TestPercentEncodeRFC3986(t *testing.T) {
	for in, want := range map[string]string{
		"AZaz09-_.~": "AZaz09-_.~",
		" ":          "%20",
		"*":          "%2A",
		"+":          "%2B",
		"/":          "%2F",
		":=&%":       "%3A%3D%26%25",
		"é":          "%C3%A9",
		`{"a":1}`:    "%7B%22a%22%3A1%7D",
	} {
		if got := PercentEncode(in); got != want {
			t.Errorf("PercentEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCanonicalQueryKeepsEmptyValues(t *testing.T) {
	// The SDK always sends SignatureType= (empty) and signs it (reference §5.3).
	got := CanonicalQuery(url.Values{"b": {"2"}, "SignatureType": {""}, "a": {"x y"}, "Signature": {"s"}})
	if want := "SignatureType=&a=x%20y&b=2"; got != want {
		t.Fatalf("CanonicalQuery = %q, want %q", got, want)
	}
}
