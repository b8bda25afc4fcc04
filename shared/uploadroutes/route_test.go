package uploadroutes_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ossupload/ossupload/shared/uploadhook"
	"github.com/ossupload/ossupload/shared/uploadroutes"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// configured is avatar (images, 100 B..2 MB, form and STS only) and
// document (PDF) in nested-looking but distinct dirs.
func configured(t *testing.T) uploadroutes.Set {
	t.Helper()
	s, problems := fromEnv(`{"avatar":{"dir":"avatars","allowedTypes":["image/png","image/jpeg"],"minBytes":100,"maxBytes":2000000,"paths":["form","sts"]},
		"document":{"dir":"docs/pdf","allowedTypes":["application/pdf"],"maxBytes":50000000}}`)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	return s
}

func route(t *testing.T, s uploadroutes.Set, name string) uploadroutes.Route {
	t.Helper()
	r, ok := s.Route(name)
	if !ok {
		t.Fatalf("no route %q", name)
	}
	return r
}

func TestCheckDeclared(t *testing.T) {
	avatar := route(t, configured(t), "avatar")
	for _, tc := range []struct {
		name string
		size int64
		typ  string
		want error
	}{
		{"in range", 100, "image/png", nil},
		{"at max", 2000000, "image/jpeg; q=1", nil},
		{"size not declared", 0, "image/png", nil},
		{"type not declared", 500, "", nil},
		{"over max", 2000001, "image/png", uploadrules.ErrTooLarge},
		{"under min", 99, "image/png", uploadrules.ErrTooSmall},
		{"negative", -1, "image/png", uploadrules.ErrInvalidRequest},
		{"other route's type", 500, "application/pdf", uploadrules.ErrTypeNotAllowed},
		{"deployment allows it, route does not", 500, "image/gif", uploadrules.ErrTypeNotAllowed},
		{"malformed type", 500, "image", uploadrules.ErrInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := avatar.CheckDeclared(tc.size, tc.typ)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("CheckDeclared(%d, %q) = %v, want %v", tc.size, tc.typ, err, tc.want)
			}
			var re *uploadrules.Error
			if err != nil && (!errors.As(err, &re) || re.Message == "") {
				t.Errorf("not an *uploadrules.Error with a message: %#v", err)
			}
		})
	}
}

// Active content that only a wildcard admits is refused, and the message
// names the route, not UPLOAD_ALLOWED_TYPES.
func TestCheckDeclaredActiveContent(t *testing.T) {
	s, problems := fromEnv(`{"pics":{"allowedTypes":["image/*"]},"vector":{"allowedTypes":["image/svg+xml"]}}`)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	err := route(t, s, "pics").CheckDeclared(10, "image/svg+xml")
	var re *uploadrules.Error
	if !errors.As(err, &re) || re.Code != uploadrules.CodeTypeNotAllowed || !strings.Contains(re.Message, `route "pics"`) || strings.Contains(re.Message, "UPLOAD_") {
		t.Errorf("SVG through image/*: %v", err)
	}
	if err := route(t, s, "vector").CheckDeclared(10, "image/svg+xml"); err != nil {
		t.Errorf("SVG listed exactly: %v", err)
	}
	if err := route(t, s, "vector").CheckDeclared(10, "text/html"); err == nil || strings.Contains(err.Error(), "active content") {
		t.Errorf("a type the route does not allow at all: %v", err)
	}
}

func TestAllows(t *testing.T) {
	s := configured(t)
	avatar, document := route(t, s, "avatar"), route(t, s, "document")
	if !avatar.Allows("form") || !avatar.Allows("sts") || avatar.Allows("presign") || avatar.Allows("") || avatar.Allows("FORM") {
		t.Errorf("avatar with paths %q", avatar.Paths)
	}
	for _, p := range uploadroutes.AllPaths {
		if !document.Allows(p) {
			t.Errorf("document (default paths) does not allow %q", p)
		}
	}
}

func TestUserDirAndNewKey(t *testing.T) {
	document := route(t, configured(t), "document")
	if d := document.UserDir(base, "bob"); d != "tenant/up/bob/docs/pdf/" {
		t.Errorf("UserDir = %q", d)
	}
	now := time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC)
	key, err := document.NewKey(base, "bob", "Q4 report.pdf", now, bytes.NewReader([]byte{9, 8, 7, 6, 5, 4, 3, 2}))
	if want := "tenant/up/bob/docs/pdf/2026/12/01/0908070605040302-Q4-report.pdf"; err != nil || key != want {
		t.Fatalf("NewKey = %q, %v; want %q", key, err, want)
	}
	if _, r, ok := configured(t).ForKey(base, key); !ok || r.Name != "document" {
		t.Errorf("ForKey(NewKey) = %+v, %v", r, ok)
	}
}

func TestJudge(t *testing.T) {
	routes := configured(t)
	def := uploadroutes.Default(base)
	meta := func(route string) map[string]string { return map[string]string{"owner": "bob", "route": route} }
	noRoute := map[string]string{"owner": "bob"}
	for _, tc := range []struct {
		name       string
		set        uploadroutes.Set
		key        string
		meta       map[string]string
		wantRoute  string
		wantReason string
	}{
		{"pinned route matches the dir", routes, "tenant/up/bob/avatars/2026/x.png", meta("avatar"), "avatar", ""},
		{"nested dir", routes, "tenant/up/bob/docs/pdf/2026/x.pdf", meta("document"), "document", ""},
		{"forged: another route's name", routes, "tenant/up/bob/avatars/x.pdf", meta("document"), "avatar", "route-mismatch"},
		{"key under another route's dir", routes, "tenant/up/bob/docs/pdf/x.png", meta("avatar"), "document", "route-mismatch"},
		{"no metadata", routes, "tenant/up/bob/avatars/x.png", noRoute, "avatar", "route-mismatch"},
		{"nil metadata", routes, "tenant/up/bob/avatars/x.png", nil, "avatar", "route-mismatch"},
		{"empty metadata", routes, "tenant/up/bob/avatars/x.png", meta(""), "avatar", "route-mismatch"},
		{"metadata in another case", routes, "tenant/up/bob/avatars/x.png", meta("Avatar"), "avatar", "route-mismatch"},
		{"metadata names no route", routes, "tenant/up/bob/avatars/x.png", meta("video"), "avatar", "route-mismatch"},
		{"metadata says default", routes, "tenant/up/bob/avatars/x.png", meta("default"), "avatar", "route-mismatch"},
		{"key at the user root", routes, "tenant/up/bob/2026/12/01/x.png", meta("avatar"), "", "unknown-route"},
		{"key at the user root named like a dir", routes, "tenant/up/bob/avatars", meta("avatar"), "", "unknown-route"},
		{"dir without a name after it", routes, "tenant/up/bob/avatars/", meta("avatar"), "", "outside-prefix"},
		{"dir sharing a leading string", routes, "tenant/up/bob/avatars2/x.png", meta("avatar"), "", "unknown-route"},
		{"half of a nested dir", routes, "tenant/up/bob/docs/x.pdf", meta("document"), "", "unknown-route"},
		{"the route name is not its dir", routes, "tenant/up/bob/avatar/x.png", meta("avatar"), "", "unknown-route"},
		{"outside the prefix", routes, "other/bob/avatars/x.png", meta("avatar"), "", "outside-prefix"},
		{"dot-dot after the user", routes, "tenant/up/bob/../alice/avatars/x.png", meta("avatar"), "", "outside-prefix"},
		{"default: no metadata", def, "tenant/up/bob/2026/x.png", noRoute, "default", ""},
		{"default: pinned", def, "tenant/up/bob/2026/x.png", meta("default"), "default", ""},
		{"default: forged", def, "tenant/up/bob/2026/x.png", meta("avatar"), "default", "route-mismatch"},
		{"default: outside the prefix", def, "elsewhere/x.png", noRoute, "", "outside-prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, reason := tc.set.Judge(base, tc.key, tc.meta)
			if r.Name != tc.wantRoute || reason != tc.wantReason {
				t.Errorf("Judge(%q, %v) = %q, %q; want %q, %q", tc.key, tc.meta, r.Name, reason, tc.wantRoute, tc.wantReason)
			}
		})
	}
}

func TestForKeyOwner(t *testing.T) {
	user, r, ok := configured(t).ForKey(base, "tenant/up/a.b@c/avatars/x.png")
	if user != "a.b@c" || r.Name != "avatar" || !ok {
		t.Errorf("ForKey = %q, %+v, %v", user, r, ok)
	}
	if user, _, ok := configured(t).ForKey(base, "tenant/up/a.b@c/x.png"); user != "a.b@c" || ok {
		t.Errorf("ForKey at the root = %q, %v; want the owner and no route", user, ok)
	}
}

func TestSizeReasonAndRules(t *testing.T) {
	avatar := route(t, configured(t), "avatar")
	for size, want := range map[int64]string{99: "too-small", 100: "", 2000000: "", 2000001: "too-large"} {
		if got := avatar.SizeReason(size); got != want {
			t.Errorf("SizeReason(%d) = %q, want %q", size, got, want)
		}
	}
	rules := avatar.Rules(base)
	if rules.Prefix != base.Prefix || rules.MaxBytes != 2000000 || !rules.TypeAllowed("image/png") || rules.TypeAllowed("image/gif") {
		t.Errorf("Rules = %+v", rules)
	}
}

// The app's pre-sign hook must not be able to pin a route: the name that
// Judge trusts is one uploadhook refuses in an answer.
func TestTheHookCannotPinARoute(t *testing.T) {
	if !uploadhook.ReservedMetadata(uploadroutes.MetaName) || uploadroutes.MetaHeader != "x-oss-meta-route" {
		t.Errorf("%q is not reserved from the hook (header %q)", uploadroutes.MetaName, uploadroutes.MetaHeader)
	}
}
