package uploadrules

import "testing"

func TestVerdictFor(t *testing.T) {
	const e1, e2 = "5EB63BBBE01EEED093CB22BB8F5ACDC3", "0CC175B9C0F1B6A831C399E269772661"
	cases := []struct {
		name           string
		tags           map[string]string
		etag           string
		status, reason string
	}{
		{"verified, same bytes", map[string]string{TagStatus: "verified", TagETag: e1}, `"` + e1 + `"`, "verified", ""},
		{"verified, etag in lower case", map[string]string{TagStatus: "verified", TagETag: "5eb63bbbe01eeed093cb22bb8f5acdc3"}, e1, "verified", ""},
		{"rejected, same bytes", map[string]string{TagStatus: "rejected", TagReason: "type-mismatch", TagETag: e1}, e1, "rejected", "type-mismatch"},
		{"verified for other bytes", map[string]string{TagStatus: "verified", TagETag: e2}, e1, "pending", ""},
		{"rejected for other bytes", map[string]string{TagStatus: "rejected", TagReason: "too-large", TagETag: e2}, e1, "pending", ""},
		{"verdict without etag", map[string]string{TagStatus: "verified"}, e1, "pending", ""},
		{"no current etag", map[string]string{TagStatus: "verified", TagETag: e1}, "", "pending", ""},
		{"odd status", map[string]string{TagStatus: "maybe", TagETag: e1}, e1, "pending", ""},
		{"no tags", nil, e1, "pending", ""},
	}
	for _, tc := range cases {
		if s, r := VerdictFor(tc.tags, tc.etag); s != tc.status || r != tc.reason {
			t.Errorf("%s: VerdictFor = %q, %q; want %q, %q", tc.name, s, r, tc.status, tc.reason)
		}
	}
}
