package uploadrules

import (
	"errors"
	"strings"
	"testing"
)

func TestSanitizeFilename(t *testing.T) {
	ok := []struct{ in, want string }{
		{"photo.jpg", "photo.jpg"},
		{"My Holiday Photo.JPG", "My-Holiday-Photo.JPG"},
		{"report_2024-final.pdf", "report_2024-final.pdf"},
		{"résumé.pdf", "résumé.pdf"},
		{"照片 001.png", "照片-001.png"},
		{"naïve\u00a0file.txt", "naïve-file.txt"},    // no-break space is a space
		{"a(1)+b&c#d%e?f.txt", "a_1__b_c_d_e_f.txt"}, // URL-hostile punctuation
		{"x∕y.txt", "x_y.txt"},                       // U+2215 DIVISION SLASH
		{"x／y.txt", "x_y.txt"},                       // U+FF0F FULLWIDTH SOLIDUS
		{"x＼y.txt", "x_y.txt"},                       // U+FF3C FULLWIDTH REVERSE SOLIDUS
		{"．．", "__"},                                 // U+FF0E FULLWIDTH FULL STOP, not ".."
		{"ab:c.txt", "ab_c.txt"},
		{"😀.png", "_.png"},
		{"${filename}.png", "__filename_.png"}, // no PostObject ${filename} expansion
		{"file.", "file."},
		{"-", "-"},
		{strings.Repeat("a", 200), strings.Repeat("a", 200)},
	}
	for _, tc := range ok {
		got, err := SanitizeFilename(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("SanitizeFilename(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	bad := []struct{ name, in string }{
		{"empty", ""},
		{"dot", "."},
		{"dotdot", ".."},
		{"traversal", "../../etc/passwd"},
		{"traversal backslash", `..\..\windows\win.ini`},
		{"embedded traversal", "a/../../b"},
		{"absolute", "/etc/passwd"},
		{"unc path", `\\server\share\x`},
		{"subdir", "dir/file.txt"},
		{"drive letter", "C:evil.txt"},
		{"drive letter path", `C:\Windows\x`},
		{"hidden", ".htaccess"},
		{"dots inside", "a..b"},
		{"nul", "a\x00.txt"},
		{"newline", "a\nb.txt"},
		{"tab", "a\tb.txt"},
		{"del", "a\x7fb"},
		{"c1 control", "a\u0085b"},
		{"rtl override", "invoice\u202egpj.exe"},
		{"rtl isolate", "a\u2067b"},
		{"zero width space", "a\u200bb.txt"},
		{"zero width joiner", "a\u200db.txt"},
		{"bom", "\ufeffa.txt"},
		{"soft hyphen", "a\u00adb"},
		{"line separator", "a\u2028b"},
		{"paragraph separator", "a\u2029b"},
		{"private use", "a\ue000b"},
		{"unassigned", "a\U000E0080b"},
		{"invalid utf8", "a\xffb"},
		{"overlong utf8 slash", "a\xc0\xafb"},
		{"too long", strings.Repeat("a", 201)},
		{"too long multibyte", strings.Repeat("é", 101)},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SanitizeFilename(tc.in)
			if !errors.Is(err, ErrInvalidFilename) {
				t.Fatalf("SanitizeFilename(%q) = %q, %v; want invalid_filename", tc.in, got, err)
			}
			var re *Error
			if !errors.As(err, &re) || re.Message == "" {
				t.Fatalf("error %v has no message", err)
			}
		})
	}
}

// FuzzSanitizeFilename checks the invariants whatever the input: an accepted
// name is a single, non-hidden, printable key segment no longer than the input.
func FuzzSanitizeFilename(f *testing.F) {
	for _, s := range []string{"photo.jpg", "../x", "a\u202eb", "照片 1.png", "C:x", "．．"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := SanitizeFilename(in)
		if err != nil {
			return
		}
		if out == "" || len(out) > len(in) ||
			strings.ContainsAny(out, "/\\ ") || strings.Contains(out, "..") || out[0] == '.' {
			t.Fatalf("SanitizeFilename(%q) = %q", in, out)
		}
		for _, r := range out {
			if mapRune(r) != r {
				t.Fatalf("SanitizeFilename(%q) = %q keeps %U", in, out, r)
			}
		}
		if again, err := SanitizeFilename(out); err != nil || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, out, again, err)
		}
	})
}
