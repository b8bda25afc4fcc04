package verifier

import (
	"strings"
	"testing"

	"github.com/ossupload/ossupload/shared/uploadrules"
)

// signAccepts is the type decision sign makes on a declared contentType
// (uploadpolicy's check: one concrete media type, then CheckDeclared),
// and the type sign pins in the policy. A declared type with parameters is
// refused for its syntax alone; its bare type, what the client sends
// next, is the one judged.
func signAccepts(r uploadrules.Rules, ct string) (pinned string, ok bool) {
	mt, concrete := uploadrules.ConcreteMediaType(ct)
	if !concrete {
		mt = uploadrules.MediaType(ct)
	}
	return mt, r.CheckDeclared(0, mt) == nil
}

// verifyAccepts is the decision verify makes, from HEAD alone, on an object
// stored with that type (as the browser spelled it, parameters dropped) and
// the x-oss-meta-declared-type sign pinned; the key's extension makes no
// claim.
func verifyAccepts(r uploadrules.Rules, ct, pinned string) (Verdict, bool) {
	stored := strings.TrimSpace(strings.Split(ct, ";")[0])
	info := ObjectInfo{
		Size: 10, ContentType: stored, ObjectType: "Normal", StorageClass: "Standard",
		Meta: map[string]string{"owner": "u1", "declared-type": pinned},
	}
	v, _, ok := precheck(defaultJudge(r), "uploads/u1/2026/file.bin", info)
	return v, ok
}

// TestSignAndVerifyAgreeOnTypes: for every allow-list and declared type
// below, sign signs exactly when verify would accept the object for its
// type. The rows are where the two used to differ: aliases only verify
// knew (image/jpg, image/pjpeg, text/x-csv), names the sniffer
// canonicalises (application/x-pdf, application/xml -> text/xml,
// application/rtf -> text/rtf), families (text/csv under text/plain, a
// docx, jar or apk under application/zip: both refuse them), active
// content under wildcards, letter case and parameters. Both sides moving
// together keeps this green; TestSignAndVerifyStrictTypes pins what they
// must decide.
func TestSignAndVerifyAgreeOnTypes(t *testing.T) {
	lists := [][]string{
		{"image/jpeg"}, {"image/jpg"}, {"image/*"}, {"IMAGE/PNG", " text/csv "}, {"text/plain"},
		{"application/*"}, {"text/xml"}, {"application/xml"}, {"application/x-pdf"}, {"application/pdf"},
		{"*/*"}, {"application/zip"}, {"image/svg+xml"}, {"video/*"}, {"audio/mp4"}, {"text/*"},
		{"application/x-msdownload"}, {"x-custom/*"}, {"application/x-ossupload"},
	}
	types := []string{
		"image/jpeg", "image/jpg", "image/pjpeg", "IMAGE/JPG", "Image/Jpeg", "image/jpg; q=1",
		"image/png", "image/x-png", "IMAGE/PNG", "image/x-icon", "image/vnd.microsoft.icon", "image/gif",
		"image/svg+xml", "IMAGE/SVG+XML", "image/svg+xml; charset=utf-8",
		"text/plain", "text/plain; charset=utf-8", "TEXT/PLAIN", "text/csv", "text/x-csv", "application/json",
		"text/html", "text/xml", "application/xml", "application/rss+xml", "application/xhtml+xml",
		"application/javascript", "application/x-javascript", "text/javascript",
		"application/pdf", "application/x-pdf", "application/rtf", "text/rtf",
		"application/zip", "application/x-zip-compressed",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"video/mp4", "video/x-m4v", "audio/mp4", "audio/x-m4a",
		"application/x-msdownload", "application/vnd.microsoft.portable-executable",
		"application/java-archive", "application/jar", "application/vnd.android.package-archive",
		"application/octet-stream", "application/x-ossupload", "x-custom/thing",
	}
	for _, list := range lists {
		r := uploadrules.Rules{Prefix: "uploads/", MaxBytes: 1 << 20, AllowedTypes: list}
		if err := r.Validate(); err != nil {
			t.Fatalf("allow-list %q: %v", list, err)
		}
		for _, ct := range types {
			pinned, signOK := signAccepts(r, ct)
			v, verifyOK := verifyAccepts(r, ct, pinned)
			if signOK != verifyOK {
				t.Errorf("allow-list %q, type %q: sign accepts %v, verify accepts %v (%s: %s)", list, ct, signOK, verifyOK, v.Reason, v.Detail)
			}
		}
	}
}

// TestSignAndVerifyStrictTypes: agreement alone cannot see a rule that
// both sides loosen together, so these rows pin what sign and verify must
// both decide on a declared type (verify from HEAD, then from the
// content too). A type the object will be is admitted only by the
// allow-list itself (aliases and wildcards count, a family does not);
// only the sniffed type may be a more specific kind of the declared one.
func TestSignAndVerifyStrictTypes(t *testing.T) {
	const docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	rows := []struct {
		list     []string
		declared string
		content  []byte // nil: HEAD alone (sign and precheck)
		want     bool
	}{
		{[]string{"text/plain"}, "application/json", nil, false},
		{[]string{"text/plain"}, "text/csv", nil, false},
		{[]string{"text/plain"}, "text/x-csv", nil, false},
		{[]string{"text/plain"}, "text/plain", nil, true},
		{[]string{"application/zip"}, docx, nil, false},
		{[]string{"application/zip"}, "application/java-archive", nil, false},
		{[]string{"application/zip"}, "application/vnd.android.package-archive", nil, false},
		{[]string{"application/zip"}, "application/zip", nil, true},
		{[]string{"application/zip"}, "application/x-zip-compressed", nil, true},
		{[]string{"image/jpeg"}, "image/jpg", nil, true},
		{[]string{"image/jpg"}, "image/jpeg", nil, true},
		{[]string{"image/jpeg"}, "image/png", nil, false},
		{[]string{docx}, docx, nil, true},
		{[]string{"text/*"}, "text/csv", nil, true},
		// An honest text/plain upload whose bytes look like CSV or JSON.
		{[]string{"text/plain"}, "text/plain", csvBody, true},
		{[]string{"text/plain"}, "text/plain", []byte(`{"a":[1,2,3]}`), true},
		// The same bytes declared as what they look like.
		{[]string{"text/plain"}, "text/csv", csvBody, false},
		{[]string{"image/jpeg"}, "image/jpg", jpegHead, true},
		// Active content never passes through a family.
		{[]string{"text/plain"}, "text/plain", htmlBody, false},
	}
	if got := Sniff(csvBody); got != "text/csv" {
		t.Fatalf("csvBody sniffs as %q, the rows below need text/csv", got)
	}
	for _, row := range rows {
		r := uploadrules.Rules{Prefix: "uploads/", MaxBytes: 1 << 20, AllowedTypes: row.list}
		pinned, signOK := signAccepts(r, row.declared)
		if row.content == nil && signOK != row.want {
			t.Errorf("allow-list %q, declared %q: sign accepts %v, want %v", row.list, row.declared, signOK, row.want)
		}
		info := ObjectInfo{
			Size: int64(len(row.content)), ContentType: row.declared, ObjectType: "Normal", StorageClass: "Standard",
			Meta: map[string]string{"owner": "u1", "declared-type": pinned},
		}
		var v Verdict
		if row.content == nil {
			info.Size = 10
			v, _, _ = precheck(defaultJudge(r), "uploads/u1/2026/file.bin", info)
		} else {
			v = Check(r, "uploads/u1/2026/file.bin", info, row.content)
		}
		if v.Rejected() == row.want {
			t.Errorf("allow-list %q, declared %q, content %.12q: verify %s %s (%s), want accepted %v", row.list, row.declared, row.content, v.Status, v.Reason, v.Detail, row.want)
		}
	}
}

// TestNormalizeTypeIdempotent: verify normalises a type sign has already
// normalised, so a second pass must not move it.
func TestNormalizeTypeIdempotent(t *testing.T) {
	for _, ct := range []string{"image/jpg", "image/pjpeg", "audio/mp4", "image/x-icon", "application/x-msdownload", "application/xml", "application/rtf", "text/x-csv", "video/x-m4v"} {
		n := uploadrules.NormalizeType(ct)
		if again := uploadrules.NormalizeType(n); again != n {
			t.Errorf("NormalizeType(%q) = %q, then %q", ct, n, again)
		}
	}
}
