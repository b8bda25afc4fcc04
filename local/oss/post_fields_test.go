package oss

import (
	"strings"
	"testing"

	"github.com/ossupload/ossupload/local/iam"
)

// postForm signs conditions for the root key in V1 or V4 and returns the
// form: the signing fields, then extra, then the file.
func (w *wireEnv) postForm(t *testing.T, v4 bool, conditions string, extra ...formField) []formField {
	t.Helper()
	ak, secret := wireAK, wireSecret
	if w.formAK != "" {
		ak, secret = w.formAK, w.formSecret
	}
	if !v4 {
		policy := policyDoc(w.now, conditions)
		f := []formField{{name: "OSSAccessKeyId", value: ak}, {name: "policy", value: policy}, {name: "Signature", value: signV1(secret, policy)}}
		f = append(f, extra...)
		return append(f, formField{name: "file", value: "body", file: true, fileName: "a.png", fileType: "image/png"})
	}
	day, date := w.now.Format("20060102"), w.now.Format("20060102T150405Z")
	cred := ak + "/" + day + "/cn-hangzhou/oss/aliyun_v4_request"
	signing := `{"x-oss-signature-version":"OSS4-HMAC-SHA256"},{"x-oss-credential":"` + cred + `"},{"x-oss-date":"` + date + `"}`
	if conditions != "" {
		signing += "," + conditions
	}
	policy := policyDoc(w.now, signing)
	f := []formField{{name: "policy", value: policy}, {name: "x-oss-signature-version", value: "OSS4-HMAC-SHA256"},
		{name: "x-oss-credential", value: cred}, {name: "x-oss-date", value: date},
		{name: "x-oss-signature", value: signV4(signingKeyV4(secret, day, "cn-hangzhou", "oss"), policy)}}
	f = append(f, extra...)
	return append(f, formField{name: "file", value: "body", file: true, fileName: "a.png", fileType: "image/png"})
}

// What OSS does with each form field a policy does not name, V1 and V4:
// it honours it (only a V4 form's signing fields must be covered). These
// rows are why the sign function pins every such field: leaving it out of
// the policy does not keep it out of the object.
func TestPostObjectHonoursUncoveredFields(t *testing.T) {
	rows := []struct {
		field, value string
		stored       func(Object) string
	}{
		{"x-oss-content-type", "text/html", func(o Object) string { return o.ContentType }},
		{"Content-Type", "text/html", func(o Object) string { return o.ContentType }},
		{"Content-Disposition", "inline; filename=x.html", func(o Object) string { return o.ContentDisposition }},
		{"Content-Encoding", "gzip", func(o Object) string { return o.ContentEncoding }},
		{"Cache-Control", "public, max-age=31536000", func(o Object) string { return o.CacheControl }},
		{"Expires", "Thu, 01 Jan 2037 00:00:00 GMT", func(o Object) string { return o.Expires }},
		{"x-oss-meta-declared-type", "image/png", func(o Object) string { return o.Meta["declared-type"] }},
	}
	for _, v4 := range []bool{false, true} {
		name := map[bool]string{false: "V1", true: "V4"}[v4]
		for i, r := range rows {
			t.Run(name+"/"+r.field, func(t *testing.T) {
				w := newWireEnv(t)
				key := "uploads/u/" + strings.Repeat("k", i+1)
				form := w.postForm(t, v4, `["starts-with","$key","uploads/u/"]`, formField{name: "key", value: key}, formField{name: r.field, value: r.value})
				rec := w.do(postRequest(t, "examplebucket.localhost:9000", "/", form))
				if rec.Code != 204 {
					t.Fatalf("%d %s", rec.Code, rec.Body)
				}
				obj, err := w.srv.store.Stat("examplebucket", key)
				if err != nil || r.stored(obj) != r.value {
					t.Fatalf("stored %q (%v), want %q", r.stored(obj), err, r.value)
				}
			})
		}
	}
	// x-oss-content-type wins over Content-Type and the file part's type.
	w := newWireEnv(t)
	form := w.postForm(t, true, "", formField{name: "key", value: "k"}, formField{name: "Content-Type", value: "image/png"}, formField{name: "x-oss-content-type", value: "text/html"})
	if rec := w.do(postRequest(t, "examplebucket.localhost:9000", "/", form)); rec.Code != 204 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if obj, _ := w.srv.store.Stat("examplebucket", "k"); obj.ContentType != "text/html" {
		t.Fatalf("stored type %q, want x-oss-content-type's", obj.ContentType)
	}
}

// Security regressions: a V4 form whose signing fields the policy does not
// name is refused with 0006-00000228, before its x-oss-date is looked at.
func TestPostObjectV4SigningFieldsMustBeCovered(t *testing.T) {
	w := newWireEnv(t)
	form := w.postForm(t, true, "", formField{name: "key", value: "k"})
	uncovered := policyDoc(w.now, `["starts-with","$key",""]`)
	day := w.now.Format("20060102")
	for i := range form {
		switch form[i].name {
		case "policy":
			form[i].value = uncovered
		case "x-oss-signature":
			form[i].value = signV4(signingKeyV4(wireSecret, day, "cn-hangzhou", "oss"), uncovered)
		case "x-oss-date":
			form[i].value = "abc" // the 0006-00000228 example: coverage is reported first
		}
	}
	rec := w.do(postRequest(t, "examplebucket.localhost:9000", "/", form))
	e := decodeError(t, rec)
	if rec.Code != 403 || e.Code != "AccessDenied" || e.Message != "Invalid according to Policy: Extra input fields: x-oss-credential" || e.EC != "0006-00000228" {
		t.Fatalf("%d %+v", rec.Code, e)
	}
	// An uncovered security token is refused the same way.
	p := w.assumeRoot(t)
	dayDate := w.now.Format("20060102T150405Z")
	cred := p.AccessKeyID + "/" + day + "/cn-hangzhou/oss/aliyun_v4_request"
	policy := policyDoc(w.now, `{"x-oss-signature-version":"OSS4-HMAC-SHA256"},{"x-oss-credential":"`+cred+`"},{"x-oss-date":"`+dayDate+`"}`)
	sts := []formField{{name: "key", value: "k"}, {name: "policy", value: policy}, {name: "x-oss-signature-version", value: "OSS4-HMAC-SHA256"},
		{name: "x-oss-credential", value: cred}, {name: "x-oss-date", value: dayDate},
		{name: "x-oss-signature", value: signV4(signingKeyV4(p.AccessKeySecret, day, "cn-hangzhou", "oss"), policy)},
		{name: "x-oss-security-token", value: p.SecurityToken}, {name: "file", value: "x", file: true, fileName: "f"}}
	rec = w.do(postRequest(t, "examplebucket.localhost:9000", "/", sts))
	if e := decodeError(t, rec); rec.Code != 403 || e.Message != "Invalid according to Policy: Extra input fields: x-oss-security-token" || e.EC != "0006-00000228" {
		t.Fatalf("uncovered token: %d %+v", rec.Code, e)
	}
}

// Security regressions: once a field is pinned and sent, the uploader
// cannot change it by adding a copy, in the same or another letter case;
// an absent pinned field fails with 0006-00000226.
func TestPostObjectPinnedFieldCannotBeOverridden(t *testing.T) {
	pinned := `{"x-oss-content-type":"image/png"},{"Content-Disposition":""},{"x-oss-object-acl":"private"}`
	cases := []struct {
		name  string
		extra []formField
		code  int
		ec    string
	}{
		{"pinned values as signed", []formField{{name: "x-oss-content-type", value: "image/png"}, {name: "Content-Disposition", value: ""}, {name: "x-oss-object-acl", value: "private"}}, 204, ""},
		{"second x-oss-content-type", []formField{{name: "x-oss-content-type", value: "image/png"}, {name: "Content-Disposition", value: ""}, {name: "x-oss-object-acl", value: "private"}, {name: "x-oss-content-type", value: "text/html"}}, 403, "0006-00000227"},
		{"X-OSS-Content-Type in other case", []formField{{name: "x-oss-content-type", value: "image/png"}, {name: "Content-Disposition", value: ""}, {name: "x-oss-object-acl", value: "private"}, {name: "X-OSS-Content-Type", value: "text/html"}}, 403, "0006-00000227"},
		{"disposition set", []formField{{name: "x-oss-content-type", value: "image/png"}, {name: "Content-Disposition", value: "attachment"}, {name: "x-oss-object-acl", value: "private"}}, 403, "0006-00000227"},
		{"ACL public-read", []formField{{name: "x-oss-content-type", value: "image/png"}, {name: "Content-Disposition", value: ""}, {name: "x-oss-object-acl", value: "public-read"}}, 403, "0006-00000227"},
		{"pinned field left out", []formField{{name: "Content-Disposition", value: ""}, {name: "x-oss-object-acl", value: "private"}}, 403, "0006-00000226"},
	}
	for _, v4 := range []bool{false, true} {
		for _, c := range cases {
			t.Run(map[bool]string{false: "V1/", true: "V4/"}[v4]+c.name, func(t *testing.T) {
				w := newWireEnv(t)
				form := w.postForm(t, v4, pinned, append([]formField{{name: "key", value: "k"}}, c.extra...)...)
				rec := w.do(postRequest(t, "examplebucket.localhost:9000", "/", form))
				if rec.Code != c.code {
					t.Fatalf("%d %s, want %d", rec.Code, rec.Body, c.code)
				}
				if c.code != 204 {
					if e := decodeError(t, rec); e.Code != "AccessDenied" || e.EC != c.ec {
						t.Fatalf("%+v, want AccessDenied %s", e, c.ec)
					}
					if _, err := w.srv.store.Stat("examplebucket", "k"); err == nil {
						t.Fatal("a refused form stored the object")
					}
					return
				}
				if obj, _ := w.srv.store.Stat("examplebucket", "k"); obj.ContentType != "image/png" || obj.ContentDisposition != "" {
					t.Fatalf("stored %+v", obj)
				}
			})
		}
	}
}

// x-oss-server-side-encryption: a supported algorithm is echoed, any other
// value is 400 InvalidEncryptionAlgorithmError and stores nothing.
func TestPostObjectServerSideEncryption(t *testing.T) {
	for _, c := range []struct {
		value string
		code  int
	}{{"AES256", 204}, {"KMS", 204}, {"SM4", 204}, {"aes256", 400}, {"", 400}, {"DES", 400}} {
		t.Run(c.value, func(t *testing.T) {
			w := newWireEnv(t)
			form := w.postForm(t, false, "", formField{name: "key", value: "k"}, formField{name: "x-oss-server-side-encryption", value: c.value})
			rec := w.do(postRequest(t, "examplebucket.localhost:9000", "/", form))
			if rec.Code != c.code {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, c.code)
			}
			if c.code == 204 {
				if got := rec.Header().Get("x-oss-server-side-encryption"); got != c.value {
					t.Fatalf("echoed %q", got)
				}
				return
			}
			if e := decodeError(t, rec); e.Code != "InvalidEncryptionAlgorithmError" {
				t.Fatalf("%+v", e)
			}
			if _, err := w.srv.store.Stat("examplebucket", "k"); err == nil {
				t.Fatal("stored")
			}
		})
	}
}

// A form that sets tags (x-oss-tagging) needs oss:PutObjectTagging of its
// signer, as PutObject's header does: the sign function's role has only
// oss:PutObject, so an uploader who adds forged verdict tags
// (upload-status=verified) to a form it signed is refused, V1 and V4.
// A signer with the permission gets the tags.
func TestPostObjectTaggingNeedsPutObjectTagging(t *testing.T) {
	for _, v4 := range []bool{false, true} {
		name := map[bool]string{false: "V1", true: "V4"}[v4]
		t.Run(name, func(t *testing.T) {
			w := newWireEnv(t)
			pol, err := iam.ParsePolicy([]byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":["acs:oss:*:*:examplebucket/uploads/*"]}]}`))
			if err != nil {
				t.Fatal(err)
			}
			if err := w.ids.AddUser("signer", "LTAIsignerEXAMPLE", "signerSecretEXAMPLE", pol); err != nil {
				t.Fatal(err)
			}
			w.formAK, w.formSecret = "LTAIsignerEXAMPLE", "signerSecretEXAMPLE"
			forged := formField{name: "x-oss-tagging", value: "upload-status=verified&upload-etag=abc"}
			form := w.postForm(t, v4, `["starts-with","$key","uploads/u/"]`, formField{name: "key", value: "uploads/u/a.png"}, forged)
			rec := w.do(postRequest(t, "examplebucket.localhost:9000", "/", form))
			if rec.Code != 403 || !strings.Contains(rec.Body.String(), "AccessDenied") {
				t.Fatalf("forged tags by an upload-only signer: %d %s", rec.Code, rec.Body)
			}
			if _, err := w.srv.store.Stat("examplebucket", "uploads/u/a.png"); err == nil {
				t.Fatal("the object was stored")
			}
			// Without the field the same signer uploads.
			form = w.postForm(t, v4, `["starts-with","$key","uploads/u/"]`, formField{name: "key", value: "uploads/u/a.png"})
			if rec := w.do(postRequest(t, "examplebucket.localhost:9000", "/", form)); rec.Code != 204 {
				t.Fatalf("plain form: %d %s", rec.Code, rec.Body)
			}
			// The root may tag at upload.
			w.formAK = ""
			form = w.postForm(t, v4, `["starts-with","$key","uploads/u/"]`, formField{name: "key", value: "uploads/u/b.png"}, forged)
			if rec := w.do(postRequest(t, "examplebucket.localhost:9000", "/", form)); rec.Code != 204 {
				t.Fatalf("root form with tags: %d %s", rec.Code, rec.Body)
			}
			obj, err := w.srv.store.Stat("examplebucket", "uploads/u/b.png")
			if err != nil || len(obj.Tags) != 2 {
				t.Fatalf("tags stored = %+v (%v)", obj.Tags, err)
			}
		})
	}
}
