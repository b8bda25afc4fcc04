package uploadpolicy

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// policyPins returns the exact-match conditions of a signed policy by
// lower-cased field name, decoded with encoding/json alone.
func policyPins(t *testing.T, policyB64 string) map[string]string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(policyB64)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Conditions []json.RawMessage `json:"conditions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	pins := map[string]string{}
	for _, c := range doc.Conditions {
		var obj map[string]string
		if json.Unmarshal(c, &obj) == nil {
			for k, v := range obj {
				pins[strings.ToLower(k)] = v
			}
		}
	}
	return pins
}

// Security regressions: OSS honours a form field the policy leaves out, so
// every field that changes how the object is stored or served must be
// pinned and sent (issue: "a signed form can still choose the stored
// Content-Type"). Each row is one such field with the value it must carry,
// in V4 and in V1.
func TestSignPinsEveryServingField(t *testing.T) {
	rows := []struct{ name, field, want string }{
		{"Content-Type is the declared type", "Content-Type", "image/png"},
		{"x-oss-content-type (wins over Content-Type) is the declared type", "x-oss-content-type", "image/png"},
		{"Content-Disposition sets nothing", "Content-Disposition", ""},
		{"Content-Encoding sets nothing", "Content-Encoding", ""},
		{"Cache-Control sets nothing", "Cache-Control", ""},
		{"Expires sets nothing", "Expires", ""},
		{"object ACL is private", "x-oss-object-acl", "private"},
		{"storage class is Standard", "x-oss-storage-class", "Standard"},
		{"server-side encryption is AES256 (no KMS key of the uploader's choice)", "x-oss-server-side-encryption", "AES256"},
		{"no redirect", "success_action_redirect", ""},
		{"status is 200", "success_action_status", "200"},
		{"overwrite forbidden", "x-oss-forbid-overwrite", "true"},
		{"owner metadata", "x-oss-meta-owner", testUser},
		{"declared type metadata", "x-oss-meta-declared-type", "image/png"},
	}
	for _, version := range []string{"v4", "v1"} {
		f := newFixture(t, map[string]string{"SIGNATURE_VERSION": version}, nil)
		w := serve(f.handler, postSign(t, token(t, testUser), `{"filename":"a.png","contentType":"Image/PNG","size":10}`))
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", version, w.Code, w.Body)
		}
		resp := decode[Response](t, w.Body)
		var fields map[string]string
		b, _ := json.Marshal(resp.Fields)
		json.Unmarshal(b, &fields)
		pins := policyPins(t, resp.Fields.Policy)
		for _, r := range rows {
			t.Run(version+"/"+r.name, func(t *testing.T) {
				sent, ok := fields[r.field]
				if !ok || sent != r.want {
					t.Errorf("fields[%q] = %q (present %v), want %q", r.field, sent, ok, r.want)
				}
				if got, ok := pins[strings.ToLower(r.field)]; !ok || got != r.want {
					t.Errorf("policy pins %s = %q (present %v), want %q", r.field, got, ok, r.want)
				}
			})
		}
	}
}

// A content type is one concrete media type: a wildcard or parameters are
// refused before anything is signed (security regression rows).
func TestSignRefusesNonConcreteContentType(t *testing.T) {
	f := newFixture(t, map[string]string{"UPLOAD_ALLOWED_TYPES": "*/*"}, nil)
	for _, ct := range []string{"image/*", "*/*", "*/png", "image/png*", "image/png; x=\"text/html\"", "text/plain; charset=utf-8", "image/png;", "image", "image/png\x00"} {
		t.Run(ct, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"filename": "a.png", "contentType": ct, "size": 10})
			w := serve(f.handler, postSign(t, token(t, testUser), string(body)))
			e := decode[errorBody](t, w.Body)
			if w.Code != http.StatusBadRequest || e.Error.Code != "invalid_request" {
				t.Fatalf("%d %+v, want 400 invalid_request", w.Code, e)
			}
		})
	}
	w := serve(f.handler, postSign(t, token(t, testUser), `{"filename":"a.png","contentType":" image/png ","size":10}`))
	if w.Code != http.StatusOK || decode[Response](t, w.Body).Fields.ContentType != "image/png" {
		t.Fatalf("a concrete type with spaces: %d", w.Code)
	}
}
