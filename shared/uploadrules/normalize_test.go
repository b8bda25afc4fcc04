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
