package verifier_test

import (
	"context"
	"maps"
	"testing"

	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/uploadpin"
	"github.com/ossupload/ossupload/shared/uploadroutes"
	"github.com/ossupload/ossupload/shared/verifier"
)

var testPinKey = uploadpin.Key([]byte("verifier-routes-hook-key-0123456"))

// routedFixture is newFixture with an avatar and a document route and a
// pin key, as a verify function with UPLOAD_ROUTES and UPLOAD_HOOK_SECRET.
func routedFixture(t *testing.T, action string) *fixture {
	f := newFixture(t, action)
	env := config.NewEnv(func(name string) string {
		if name == uploadroutes.EnvName {
			return `{"avatar": {"dir": "avatars", "allowedTypes": ["image/png"], "minBytes": 20, "maxBytes": 4000},
			         "document": {"dir": "documents", "allowedTypes": ["application/pdf"]}}`
		}
		return ""
	})
	f.v.Routes = uploadroutes.FromEnv(env, f.v.Rules)
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	f.v.PinKey = testPinKey
	return f
}

// TestRoutedVerdicts: through Handle, the route decides the verdict, the
// webhook names the route and carries only pinned metadata, and every
// route reason is kept in quarantine for review (each is below
// UPLOAD_MAX_BYTES, judged first).
func TestRoutedVerdicts(t *testing.T) {
	const key = "uploads/u1/avatars/2026/12/01/0011-me.png"
	app := map[string]string{"project": "p1"}
	pin := func(route, scope string, meta map[string]string) string {
		return uploadpin.Sign(testPinKey, uploadpin.Pin{Route: route, Owner: "u1", Scope: scope, Metadata: meta})
	}
	pdf := []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
	cases := []struct {
		name      string
		key       string
		data      func(testing.TB) []byte
		ct        string
		meta      map[string]string
		reason    string // "" = verified
		wantRoute string
		wantMeta  map[string]string
	}{
		{"pinned avatar with the app's metadata", key, pngBytes, "image/png",
			map[string]string{"route": "avatar", "project": "p1", "upload-pin": pin("avatar", key, app)}, "", "avatar", app},
		{"sts pin of the avatar directory", key, pngBytes, "image/png",
			map[string]string{"route": "avatar", "project": "p1", "upload-pin": pin("avatar", "uploads/u1/avatars/", app)}, "", "avatar", app},
		{"forged route", key, pngBytes, "image/png", map[string]string{"route": "document"}, verifier.ReasonRouteMismatch, "avatar", nil},
		{"no route metadata", key, pngBytes, "image/png", nil, verifier.ReasonRouteMismatch, "avatar", nil},
		{"user root", "uploads/u1/me.png", pngBytes, "image/png", map[string]string{"route": "avatar"}, verifier.ReasonUnknownRoute, "", nil},
		{"metadata with a pin for other metadata", key, pngBytes, "image/png",
			map[string]string{"route": "avatar", "project": "p2", "upload-pin": pin("avatar", key, app)}, verifier.ReasonUnpinnedMetadata, "avatar", nil},
		{"metadata without a pin", key, pngBytes, "image/png", map[string]string{"route": "avatar", "project": "p1"}, verifier.ReasonUnpinnedMetadata, "avatar", nil},
		{"below the route's minimum", key, func(tb testing.TB) []byte { return pngBytes(tb)[:16] }, "image/png",
			map[string]string{"route": "avatar"}, verifier.ReasonTooSmall, "avatar", nil},
		{"a PDF sniffed under avatars", "uploads/u1/avatars/blob", func(testing.TB) []byte { return pdf }, "",
			map[string]string{"route": "avatar"}, verifier.ReasonTypeNotAllowed, "avatar", nil},
		{"pinned metadata travels with a rejection", "uploads/u1/avatars/cv.pdf", func(testing.TB) []byte { return pdf }, "application/pdf",
			map[string]string{"route": "avatar", "project": "p1", "upload-pin": pin("avatar", "uploads/u1/avatars/cv.pdf", app)}, verifier.ReasonTypeNotAllowed, "avatar", app},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := routedFixture(t, verifier.ActionQuarantine)
			etag := f.store.Put(tc.key, tc.data(t), tc.ct, tc.meta)
			if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", tc.key, etag, 1)); err != nil {
				t.Fatal(err)
			}
			n := f.recv.notifications()
			if len(n) != 1 {
				t.Fatalf("notifications = %+v", n)
			}
			if n[0].Reason != tc.reason || n[0].Route != tc.wantRoute || !maps.Equal(n[0].Metadata, tc.wantMeta) {
				t.Errorf("notification reason %q route %q metadata %v, want %q %q %v", n[0].Reason, n[0].Route, n[0].Metadata, tc.reason, tc.wantRoute, tc.wantMeta)
			}
			if tc.reason == "" {
				if o, ok := f.store.Get(tc.key); !ok || o.Tags["upload-status"] != verifier.StatusVerified {
					t.Errorf("verified object: present %v, tags %v", ok, o.Tags)
				}
				return
			}
			q, ok := f.store.Get("quarantine/" + tc.key)
			if !ok || q.Tags["upload-reason"] != tc.reason || n[0].Action != verifier.ActionQuarantine {
				t.Errorf("quarantine copy %v tags %v, action %q: want kept for review", ok, q.Tags, n[0].Action)
			}
		})
	}
}

// TestRoutedRedeliveryFromQuarantine: a verdict delivered from the
// quarantine copy (the original already moved) names the route and the
// pinned metadata as the first delivery would have.
func TestRoutedRedeliveryFromQuarantine(t *testing.T) {
	f := routedFixture(t, verifier.ActionQuarantine)
	key := "uploads/u1/avatars/cv.pdf"
	app := map[string]string{"project": "p1"}
	meta := map[string]string{"route": "avatar", "project": "p1",
		"upload-pin": uploadpin.Sign(testPinKey, uploadpin.Pin{Route: "avatar", Owner: "u1", Scope: key, Metadata: app})}
	etag := f.store.Put("quarantine/"+key, []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"), "application/pdf", meta)
	if err := f.store.PutTags(context.Background(), "quarantine/"+key, map[string]string{
		"upload-status": "rejected", "upload-reason": verifier.ReasonTypeNotAllowed, "upload-etag": etag}); err != nil {
		t.Fatal(err)
	}
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", key, etag, 1)); err != nil {
		t.Fatal(err)
	}
	n := f.recv.notifications()
	if len(n) != 1 || n[0].Reason != verifier.ReasonTypeNotAllowed || n[0].Route != "avatar" || !maps.Equal(n[0].Metadata, app) {
		t.Errorf("notifications = %+v", n)
	}
}
