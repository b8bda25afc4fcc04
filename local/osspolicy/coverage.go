package osspolicy

import "net/http"

// V4Covered lists, in the order OSS reports them, the V4 form fields a V4
// PostObject policy must name in a condition when the form carries them.
//
// Source: OSS error 0006-00000228 (https://help.aliyun.com/zh/oss/user-guide/0006-00000228):
// the V4 signing fields must be restricted by the policy, otherwise 403
// AccessDenied "Invalid according to Policy: Extra input fields: <field>".
// The page's example form lacks conditions for x-oss-date (sent first) and
// x-oss-credential, and OSS names x-oss-credential: the fields are checked
// in name order, not form order. x-oss-signature cannot be in the policy it
// signs and is exempt; x-oss-security-token is the fourth field the page
// counts (ali-oss's V4 PostObject test and the official V4 samples always
// put it in the policy when they send it).
//
// No other field needs a condition, in V4 or in V1: the official V4 sample
// of alibabacloud-oss-go-sdk-v2 (sample/post_object.go) posts a "key" no
// condition names, and ali-oss's V1 test ("calculatePostSignature", test/
// node/object.test.js) posts a "key" under a policy that only pins the
// bucket; both succeed against OSS. So a signer cannot exclude a field by
// leaving it out of the policy: it must pin the field with a condition and
// send it.
var V4Covered = []string{"x-oss-credential", "x-oss-date", "x-oss-security-token", "x-oss-signature-version"}

// ECExtraInputFields is OSS's error-center code for an uncovered V4 field.
const ECExtraInputFields = "0006-00000228"

// CheckV4Coverage decodes the policy form value and returns 403
// AccessDenied (EC 0006-00000228) for the first V4Covered field present in
// fields that no condition of the policy names. An undecodable policy gives
// the error Decode gives.
func CheckV4Coverage(policyB64 string, fields map[string]string) error {
	p, err := Decode(policyB64)
	if err != nil {
		return err
	}
	sent := make(map[string]bool, len(fields))
	for k := range fields {
		sent[asciiLower(k)] = true
	}
	named := make(map[string]bool, len(p.Conditions))
	for _, c := range p.Conditions {
		named[asciiLower(c.Field)] = true
	}
	for _, f := range V4Covered {
		if sent[f] && !named[f] {
			return &Error{Status: http.StatusForbidden, Code: CodeAccessDenied,
				Message: "Invalid according to Policy: Extra input fields: " + f, EC: ECExtraInputFields}
		}
	}
	return nil
}
