package verifier

import (
	"maps"
	"testing"

	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/uploadpin"
	"github.com/ossupload/ossupload/shared/uploadroutes"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// routeBase allows PDF deployment-wide (UPLOAD_ALLOWED_TYPES), so a PDF
// refused under avatars is refused by the route, not by the base rules.
var routeBase = uploadrules.Rules{Prefix: "uploads/", MaxBytes: 100000, AllowedTypes: []string{"image/png", "image/jpeg", "application/pdf"}}

const testRoutes = `{"avatar": {"dir": "avatars", "allowedTypes": ["image/png", "image/jpeg"], "minBytes": 20, "maxBytes": 2000},
                     "document": {"dir": "documents", "allowedTypes": ["application/pdf"], "maxBytes": 50000}}`

func routeSet(t *testing.T, raw string) uploadroutes.Set {
	t.Helper()
	env := config.NewEnv(func(name string) string {
		if name == uploadroutes.EnvName {
			return raw
		}
		return ""
	})
	set := uploadroutes.FromEnv(env, routeBase)
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	return set
}

func kv(pairs ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return m
}

// TestRoutesJudge: with UPLOAD_ROUTES the key's directory names the route,
// x-oss-meta-route must name the same one, and the route's types and sizes
// apply instead of the UPLOAD_* ones; without it nothing changes.
func TestRoutesJudge(t *testing.T) {
	routes := judge{base: routeBase, routes: routeSet(t, testRoutes)}
	plain := defaultJudge(routeBase)
	const avatarKey, docKey = "uploads/u1/avatars/2026/12/01/0011-me.png", "uploads/u1/documents/2026/12/01/0011-cv.pdf"
	cases := []struct {
		name      string
		j         judge
		key       string
		info      ObjectInfo
		content   []byte
		reason    string // "" = verified
		wantRoute string
	}{
		{"avatar pinned", routes, avatarKey, ObjectInfo{Size: 100, ContentType: "image/png", Meta: kv("route", "avatar", "owner", "u1")}, pngHead, "", "avatar"},
		{"document pinned, above the avatar cap", routes, docKey, ObjectInfo{Size: 40000, ContentType: "application/pdf", Meta: kv("route", "document")}, pdfHead, "", "document"},
		{"forged route on an avatar key", routes, avatarKey, ObjectInfo{Size: 100, ContentType: "image/png", Meta: kv("route", "document")}, pngHead, ReasonRouteMismatch, "avatar"},
		{"forged document route for a PDF under avatars", routes, "uploads/u1/avatars/cv.pdf", ObjectInfo{Size: 100, ContentType: "application/pdf", Meta: kv("route", "document")}, pdfHead, ReasonRouteMismatch, "avatar"},
		{"route metadata missing with routes configured", routes, avatarKey, ObjectInfo{Size: 100, ContentType: "image/png"}, pngHead, ReasonRouteMismatch, "avatar"},
		{"route metadata default with routes configured", routes, avatarKey, ObjectInfo{Size: 100, ContentType: "image/png", Meta: kv("route", "default")}, pngHead, ReasonRouteMismatch, "avatar"},
		{"key at the user root", routes, "uploads/u1/me.png", ObjectInfo{Size: 100, ContentType: "image/png", Meta: kv("route", "avatar")}, pngHead, ReasonUnknownRoute, ""},
		{"key in no route's directory", routes, "uploads/u1/videos/me.png", ObjectInfo{Size: 100, ContentType: "image/png", Meta: kv("route", "avatar")}, pngHead, ReasonUnknownRoute, ""},
		{"PDF under avatars though UPLOAD_ALLOWED_TYPES has PDF", routes, "uploads/u1/avatars/cv.pdf", ObjectInfo{Size: 100, ContentType: "application/pdf", Meta: kv("route", "avatar")}, pdfHead, ReasonTypeNotAllowed, "avatar"},
		{"PDF bytes under avatars named png", routes, avatarKey, ObjectInfo{Size: 100, Meta: kv("route", "avatar")}, pdfHead, ReasonTypeMismatch, "avatar"},
		{"sniffed PDF under avatars, no claim", routes, "uploads/u1/avatars/blob", ObjectInfo{Size: 100, Meta: kv("route", "avatar")}, pdfHead, ReasonTypeNotAllowed, "avatar"},
		{"PNG under documents", routes, "uploads/u1/documents/me.png", ObjectInfo{Size: 100, ContentType: "image/png", Meta: kv("route", "document")}, pngHead, ReasonTypeNotAllowed, "document"},
		{"above the avatar route's maxBytes", routes, avatarKey, ObjectInfo{Size: 2001, ContentType: "image/png", Meta: kv("route", "avatar")}, pngHead, ReasonTooLarge, "avatar"},
		{"at the avatar route's maxBytes", routes, avatarKey, ObjectInfo{Size: 2000, ContentType: "image/png", Meta: kv("route", "avatar")}, pngHead, "", "avatar"},
		{"below the avatar route's minBytes", routes, avatarKey, ObjectInfo{Size: 19, ContentType: "image/png", Meta: kv("route", "avatar")}, pngHead, ReasonTooSmall, "avatar"},
		{"at the avatar route's minBytes", routes, avatarKey, ObjectInfo{Size: 20, ContentType: "image/png", Meta: kv("route", "avatar")}, pngHead, "", "avatar"},
		{"above UPLOAD_MAX_BYTES before any route", routes, "uploads/u1/me.png", ObjectInfo{Size: 100001, ContentType: "image/png"}, pngHead, ReasonTooLarge, ""},
		{"owner mismatch before the route", routes, avatarKey, ObjectInfo{Size: 100, ContentType: "image/png", Meta: kv("route", "document", "owner", "u2")}, pngHead, ReasonOwnerMismatch, ""},

		{"default: no route metadata", plain, "uploads/u1/me.png", ObjectInfo{Size: 100, ContentType: "image/png"}, pngHead, "", uploadroutes.DefaultName},
		{"default: route metadata default", plain, "uploads/u1/avatars/me.png", ObjectInfo{Size: 100, ContentType: "image/png", Meta: kv("route", "default")}, pngHead, "", uploadroutes.DefaultName},
		{"default: route metadata of another route", plain, "uploads/u1/me.png", ObjectInfo{Size: 100, ContentType: "image/png", Meta: kv("route", "avatar")}, pngHead, ReasonRouteMismatch, uploadroutes.DefaultName},
		{"default: PDF allowed", plain, "uploads/u1/cv.pdf", ObjectInfo{Size: 60000, ContentType: "application/pdf"}, pdfHead, "", uploadroutes.DefaultName},
		{"default: tiny object", plain, "uploads/u1/me.png", ObjectInfo{Size: 1, ContentType: "image/png"}, pngHead, "", uploadroutes.DefaultName},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.j.check(tc.key, normal(tc.info), tc.content)
			if v.Reason != tc.reason || v.Rejected() != (tc.reason != "") {
				t.Fatalf("verdict %s %q (%s), want reason %q", v.Status, v.Reason, v.Detail, tc.reason)
			}
			if v.Route != tc.wantRoute {
				t.Errorf("route %q, want %q", v.Route, tc.wantRoute)
			}
			if v.Metadata != nil {
				t.Errorf("metadata %v without a pin key", v.Metadata)
			}
		})
	}
}

// TestCheckIsTheDefaultRoute: Check (no routes, no pin key) judges as a
// verifier without UPLOAD_ROUTES does.
func TestCheckIsTheDefaultRoute(t *testing.T) {
	if v := Check(routeBase, "uploads/u1/me.png", normal(ObjectInfo{Size: 100, ContentType: "image/png", Meta: kv("route", "avatar")}), pngHead); v.Reason != ReasonRouteMismatch {
		t.Errorf("route avatar without routes: %s %q", v.Status, v.Reason)
	}
	if v := Check(routeBase, "uploads/u1/me.png", normal(ObjectInfo{Size: 100, ContentType: "image/png", Meta: kv("project", "p1")}), pngHead); v.Rejected() || v.Metadata != nil {
		t.Errorf("app metadata without a pin key: %+v", v)
	}
}

// TestPinnedMetadata: with a pin key, the app's metadata passes on only
// under a pin for exactly this route, owner, key (or the owner's route
// directory the key is under, as sts pins) and metadata.
func TestPinnedMetadata(t *testing.T) {
	pinKey := uploadpin.Key([]byte("verify-route-tests-hook-key-0123"))
	otherKey := uploadpin.Key([]byte("another-deployments-hook-key-456"))
	routes := routeSet(t, testRoutes)
	j := judge{base: routeBase, routes: routes, pinKey: pinKey}
	const key = "uploads/u1/avatars/2026/12/01/0011-me.png"
	const docKey = "uploads/u1/documents/2026/12/01/0011-cv.pdf"
	app := kv("project", "p1", "team", "blue")
	pin := func(k []byte, route, owner, scope string, meta map[string]string) string {
		return uploadpin.Sign(k, uploadpin.Pin{Route: route, Owner: owner, Scope: scope, Metadata: meta})
	}
	// keyPin is a form or presign pin: a key with the declared type and
	// size the avatar object carries (with, below).
	keyPin := func(k []byte, route, owner, scope string, meta map[string]string) string {
		return uploadpin.Sign(k, uploadpin.Pin{Route: route, Owner: owner, Scope: scope, Metadata: meta, DeclaredType: "image/png", DeclaredSize: "100"})
	}
	// with returns the avatar object's user metadata: route, owner, the
	// declared-* sign pins, then extra pairs.
	with := func(extra map[string]string) map[string]string {
		m := kv("route", "avatar", "owner", "u1", "declared-type", "image/png", "declared-size", "100")
		maps.Copy(m, extra)
		return m
	}
	withPin := func(p string, meta map[string]string) map[string]string {
		m := with(meta)
		m[uploadpin.MetaName] = p
		return m
	}
	cases := []struct {
		name     string
		j        judge
		key      string
		meta     map[string]string
		reason   string            // "" = verified
		metadata map[string]string // passed on
	}{
		{"key pin with metadata", j, key, withPin(keyPin(pinKey, "avatar", "u1", key, app), app), "", app},
		{"sts directory pin with metadata", j, key, withPin(pin(pinKey, "avatar", "u1", "uploads/u1/avatars/", app), app), "", app},
		{"key pin without metadata", j, key, withPin(keyPin(pinKey, "avatar", "u1", key, nil), nil), "", nil},
		{"no metadata, no pin", j, key, with(nil), "", nil},
		// A key's pin names the file the hook was asked about: the caller's
		// sts session may write that key with another file first.
		{"key pin, object declares another size", j, key, withPin(keyPin(pinKey, "avatar", "u1", key, app), kv("project", "p1", "team", "blue", "declared-size", "5000")), ReasonUnpinnedMetadata, nil},
		{"key pin, object declares nothing", j, key,
			map[string]string{"route": "avatar", uploadpin.MetaName: keyPin(pinKey, "avatar", "u1", key, app), "project": "p1", "team": "blue"}, ReasonUnpinnedMetadata, nil},
		{"key pin without the declared file", j, key, withPin(pin(pinKey, "avatar", "u1", key, app), app), ReasonUnpinnedMetadata, nil},
		{"metadata without a pin", j, key, with(app), ReasonUnpinnedMetadata, nil},
		{"pin for another key", j, key, withPin(keyPin(pinKey, "avatar", "u1", "uploads/u1/avatars/2026/12/01/0011-other.png", app), app), ReasonUnpinnedMetadata, nil},
		{"pin for another owner", j, key, withPin(keyPin(pinKey, "avatar", "u2", key, app), app), ReasonUnpinnedMetadata, nil},
		{"pin for another owner's directory", j, key, withPin(pin(pinKey, "avatar", "u2", "uploads/u2/avatars/", app), app), ReasonUnpinnedMetadata, nil},
		{"pin for another route", j, key, withPin(keyPin(pinKey, "document", "u1", key, app), app), ReasonUnpinnedMetadata, nil},
		{"pin for other metadata", j, key, withPin(keyPin(pinKey, "avatar", "u1", key, kv("project", "p2", "team", "blue")), app), ReasonUnpinnedMetadata, nil},
		{"pin for less metadata", j, key, withPin(keyPin(pinKey, "avatar", "u1", key, kv("project", "p1")), app), ReasonUnpinnedMetadata, nil},
		{"pin for metadata, object without it", j, key, withPin(keyPin(pinKey, "avatar", "u1", key, app), nil), ReasonUnpinnedMetadata, nil},
		{"pin under another key", j, key, withPin(keyPin(otherKey, "avatar", "u1", key, app), app), ReasonUnpinnedMetadata, nil},
		{"garbage pin", j, key, withPin("v1.not-a-pin", nil), ReasonUnpinnedMetadata, nil},
		{"empty pin", j, key, withPin("", nil), ReasonUnpinnedMetadata, nil},
		{"sts pin of the documents directory on an avatar key", j, key, withPin(pin(pinKey, "avatar", "u1", "uploads/u1/documents/", app), app), ReasonUnpinnedMetadata, nil},
		{"sts pin of the user root on an avatar key", j, key, withPin(pin(pinKey, "avatar", "u1", "uploads/u1/", app), app), ReasonUnpinnedMetadata, nil},
		{"sts pin of the avatar directory on a document key", j, docKey,
			map[string]string{"route": "document", uploadpin.MetaName: pin(pinKey, "avatar", "u1", "uploads/u1/avatars/", app), "project": "p1", "team": "blue"}, ReasonUnpinnedMetadata, nil},
		{"sts pin of the document route on a document key", j, docKey,
			map[string]string{"route": "document", uploadpin.MetaName: pin(pinKey, "document", "u1", "uploads/u1/documents/", app), "project": "p1", "team": "blue"}, "", app},
		{"no pin key: metadata ignored", judge{base: routeBase, routes: routes}, key, with(app), "", nil},
		{"no pin key: forged pin ignored", judge{base: routeBase, routes: routes}, key, withPin("v1.forged", app), "", nil},
		{"default route, key pin", judge{base: routeBase, routes: uploadroutes.Default(routeBase), pinKey: pinKey}, "uploads/u1/me.png",
			map[string]string{"route": "default", uploadpin.MetaName: pin(pinKey, "default", "u1", "uploads/u1/me.png", app), "project": "p1", "team": "blue"}, "", app},
		{"default route, sts pin of the user prefix", judge{base: routeBase, routes: uploadroutes.Default(routeBase), pinKey: pinKey}, "uploads/u1/me.png",
			map[string]string{uploadpin.MetaName: pin(pinKey, "default", "u1", "uploads/u1/", app), "project": "p1", "team": "blue"}, "", app},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ct, head := "image/png", pngHead
			if tc.key == docKey {
				ct, head = "application/pdf", pdfHead
			}
			v := tc.j.check(tc.key, normal(ObjectInfo{Size: 100, ContentType: ct, Meta: tc.meta}), head)
			if v.Reason != tc.reason || v.Rejected() != (tc.reason != "") {
				t.Fatalf("verdict %s %q (%s), want reason %q", v.Status, v.Reason, v.Detail, tc.reason)
			}
			if !maps.Equal(v.Metadata, tc.metadata) || (v.Metadata == nil) != (tc.metadata == nil) {
				t.Errorf("metadata %v, want %v", v.Metadata, tc.metadata)
			}
		})
	}
}
