package uploadrules

import "testing"

// TestTypeAllowedAliases: an alias spelling matches on either side of the
// allow-list.
func TestTypeAllowedAliases(t *testing.T) {
	r := Rules{AllowedTypes: []string{"image/*", "application/pdf", " Text/Plain "}}
	for typ, want := range map[string]bool{
		"image/png": true, "image/jpg": true, "IMAGE/GIF": true, "application/pdf": true, "application/x-pdf": true,
		"text/plain; charset=utf-8": true, "text/html": false, "application/zip": false, "": false, "imagex/png": false,
		"application/octet-stream": false, "image/pjpeg": true,
	} {
		if got := r.TypeAllowed(typ); got != want {
			t.Errorf("TypeAllowed(%q) = %v, want %v", typ, got, want)
		}
	}
	// The list may use the alias; the canonical name matches it.
	if r := (Rules{AllowedTypes: []string{"image/jpg", "application/x-pdf"}}); !r.TypeAllowed("image/jpeg") || !r.TypeAllowed("application/pdf") || r.TypeAllowed("image/png") {
		t.Error("an alias in the allow-list does not admit its canonical type")
	}
}

// TestNormalizeType: the one spelling every rule compares.
func TestNormalizeType(t *testing.T) {
	for in, want := range map[string]string{
		"image/jpg": "image/jpeg", "IMAGE/PJPEG": "image/jpeg", "text/plain; charset=utf-8": "text/plain",
		"application/x-pdf": "application/pdf", "": "", "not a type": "", "application/x-ossupload": "application/x-ossupload",
	} {
		if got := NormalizeType(in); got != want {
			t.Errorf("NormalizeType(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAllowsIsLiteral: a type an object will be is admitted by the
// allow-list itself (aliases, wildcards), never as a more specific kind
// of a listed type, and active content only by name; CheckDeclared (sign)
// decides the same.
func TestAllowsIsLiteral(t *testing.T) {
	const docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	for _, tc := range []struct {
		list []string
		typ  string
		want bool
	}{
		{[]string{"text/plain"}, "text/csv", false},
		{[]string{"text/plain"}, "application/json", false},
		{[]string{"application/zip"}, docx, false},
		{[]string{"application/zip"}, "application/java-archive", false},
		{[]string{"application/zip"}, "application/vnd.android.package-archive", false},
		{[]string{"text/plain"}, "text/html", false},
		{[]string{"text/*"}, "text/html", false},
		{[]string{"*/*"}, "image/svg+xml", false},
		{[]string{"image/svg+xml"}, "image/svg+xml", true},
		{[]string{"text/*"}, "text/csv", true},
		{[]string{"*/*"}, docx, true},
		{[]string{"image/jpeg"}, "image/jpg", true},
		{[]string{"image/jpg"}, "image/jpeg", true},
		{[]string{"application/zip"}, "application/zip", true},
		{[]string{"text/plain"}, "text/plain", true},
	} {
		r := Rules{AllowedTypes: tc.list}
		if got := r.Allows(tc.typ); got != tc.want {
			t.Errorf("allow-list %q: Allows(%q) = %v, want %v", tc.list, tc.typ, got, tc.want)
		}
		if got := r.CheckDeclared(0, tc.typ) == nil; got != tc.want {
			t.Errorf("allow-list %q: CheckDeclared(%q) accepts %v, want %v", tc.list, tc.typ, got, tc.want)
		}
	}
}
