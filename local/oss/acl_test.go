package oss

import "testing"

// Block Public Access also refuses a public x-oss-object-acl form field of
// a PostObject, even one the signed policy allows.
func TestPostObjectPublicACLUnderBlockPublicAccess(t *testing.T) {
	w := newWireEnv(t)
	p := w.assumeRoot(t)
	policy := policyDoc(w.now, `["starts-with","$key","uploads/"],{"bucket":"examplebucket"},{"x-oss-object-acl":"public-read"}`)
	form := func(key string) []formField {
		return []formField{{name: "key", value: key}, {name: "OSSAccessKeyId", value: p.AccessKeyID}, {name: "Policy", value: policy},
			{name: "Signature", value: signV1(p.AccessKeySecret, policy)}, {name: "x-oss-security-token", value: p.SecurityToken},
			{name: "x-oss-object-acl", value: "public-read"}, {name: "file", value: "<html>", file: true, fileName: "a.html"}}
	}
	if rec := w.do(postRequest(t, "127.0.0.1:9000", "/examplebucket/", form("uploads/open.html"))); rec.Code != 204 {
		t.Fatalf("without Block Public Access: %d %s", rec.Code, rec.Body)
	}
	if err := w.srv.SetBlockPublicAccess("examplebucket", true); err != nil {
		t.Fatal(err)
	}
	rec := w.do(postRequest(t, "127.0.0.1:9000", "/examplebucket/", form("uploads/public.html")))
	if e := decodeError(t, rec); rec.Code != 403 || e.Code != "AccessDenied" {
		t.Fatalf("public ACL under Block Public Access: %d %+v", rec.Code, e)
	}
	if _, err := w.srv.store.Stat("examplebucket", "uploads/public.html"); err == nil {
		t.Fatal("the refused upload was stored")
	}
}
