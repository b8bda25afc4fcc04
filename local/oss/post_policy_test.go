package oss

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ossupload/ossupload/local/iam"
)

// The §1.7 V4 PostObject vector of the OSS/STS protocol reference (checked
// against ali-oss signPostObjectPolicyV4) posted as a real form: the
// emulator must accept the published signature, expand ${filename} after
// the policy check, and answer 201 with a PostResponse.
func TestPostObjectV4ReferenceVector(t *testing.T) {
	now := time.Date(2023, 12, 3, 12, 20, 0, 0, time.UTC)
	ids, err := iam.NewStore("", func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	if err := ids.AddRoot("LTAI5tEXAMPLE", "yourAccessKeySecret"); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Region: "cn-hangzhou", DataDir: t.TempDir(), IAM: ids, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateBucket("examplebucket", nil); err != nil {
		t.Fatal(err)
	}
	policy := base64.StdEncoding.EncodeToString([]byte(`{"expiration":"2023-12-03T13:00:00.000Z","conditions":[{"bucket":"examplebucket"},{"x-oss-signature-version":"OSS4-HMAC-SHA256"},{"x-oss-credential":"LTAI5tEXAMPLE/20231203/cn-hangzhou/oss/aliyun_v4_request"},{"x-oss-date":"20231203T121212Z"},["content-length-range",1,1024],["starts-with","$key","user/eric/"]]}`))
	form := func(sig, key string) []formField {
		return []formField{{name: "key", value: key}, {name: "policy", value: policy},
			{name: "x-oss-signature-version", value: "OSS4-HMAC-SHA256"}, {name: "x-oss-credential", value: "LTAI5tEXAMPLE/20231203/cn-hangzhou/oss/aliyun_v4_request"},
			{name: "x-oss-date", value: "20231203T121212Z"}, {name: "x-oss-signature", value: sig}, {name: "success_action_status", value: "201"},
			{name: "file", value: "hello", file: true, fileName: "photo.jpg", fileType: "image/jpeg"}}
	}
	const vector = "1330f0b62b5fe0173da8ae4071591fa888b6b10c0cf00e00fc80c91079a5f8c0"
	rec := do(srv, postRequest(t, "examplebucket.oss-cn-hangzhou.aliyuncs.com", "/", form(vector, "user/eric/${filename}")))
	var res struct{ Bucket, Location, Key, ETag string }
	if err := xml.Unmarshal(rec.Body.Bytes(), &res); err != nil || rec.Code != 201 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	sum := md5.Sum([]byte("hello"))
	if res.Key != "user/eric/photo.jpg" || res.Bucket != "examplebucket" || res.ETag != fmt.Sprintf(`"%X"`, sum) ||
		res.Location != "http://examplebucket.oss-cn-hangzhou.aliyuncs.com/user/eric/photo.jpg" {
		t.Fatalf("PostResponse %+v", res)
	}
	if obj, err := srv.store.Stat("examplebucket", "user/eric/photo.jpg"); err != nil || obj.ContentType != "image/jpeg" {
		t.Fatalf("stored %+v, %v", obj, err)
	}
	rec = do(srv, postRequest(t, "examplebucket.oss-cn-hangzhou.aliyuncs.com", "/", form(strings.Repeat("0", 64), "user/eric/x")))
	if e := decodeError(t, rec); rec.Code != 403 || e.Code != "SignatureDoesNotMatch" {
		t.Fatalf("forged: %d %+v", rec.Code, e)
	}
	rec = do(srv, postRequest(t, "examplebucket.oss-cn-hangzhou.aliyuncs.com", "/", form(vector, "user/bob/x")))
	if e := decodeError(t, rec); rec.Code != 403 || e.Code != "AccessDenied" || !strings.HasPrefix(e.Message, "Invalid according to Policy") {
		t.Fatalf("policy violation: %d %+v", rec.Code, e)
	}
	now = now.Add(time.Hour) // past the policy's expiration
	rec = do(srv, postRequest(t, "examplebucket.oss-cn-hangzhou.aliyuncs.com", "/", form(vector, "user/eric/y")))
	if e := decodeError(t, rec); rec.Code != 403 || e.Code != "AccessDenied" || e.Message != "Invalid according to Policy: Policy expired." {
		t.Fatalf("expired: %d %+v", rec.Code, e)
	}
}

// policyDoc builds a base64 policy expiring an hour after now.
func policyDoc(now time.Time, conditions string) string {
	return base64.StdEncoding.EncodeToString([]byte(`{"expiration":"` + now.Add(time.Hour).UTC().Format("2006-01-02T15:04:05.000Z") +
		`","conditions":[` + conditions + `]}`))
}

func TestPostObjectV1WithSTS(t *testing.T) {
	w := newWireEnv(t)
	pub := &recordingPublisher{}
	w.srv.events = pub
	p := w.assumeRoot(t)
	policy := policyDoc(w.now, `["content-length-range",1,100],["starts-with","$key","uploads/"],{"bucket":"examplebucket"}`)
	sig := signV1(p.AccessKeySecret, policy)
	base := func(key, status string, extra ...formField) []formField {
		f := []formField{{name: "key", value: key}, {name: "OSSAccessKeyId", value: p.AccessKeyID}, {name: "Policy", value: policy},
			{name: "Signature", value: sig}, {name: "x-oss-security-token", value: p.SecurityToken}, {name: "success_action_status", value: status}}
		f = append(f, extra...)
		return append(f, formField{name: "file", value: "form body", file: true, fileName: "a.bin", fileType: "application/x-part"})
	}
	rec := w.do(postRequest(t, "127.0.0.1:9000", "/examplebucket/", base("uploads/a.txt", "200",
		formField{name: "Content-Type", value: "text/form"}, formField{name: "x-oss-content-type", value: "text/plain"},
		formField{name: "X-Oss-Meta-Owner", value: "user-42"}, formField{name: "Origin", value: "ignored"})))
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("ETag") == "" {
		t.Fatalf("V1+STS: %d %s", rec.Code, rec.Body)
	}
	obj, err := w.srv.store.Stat("examplebucket", "uploads/a.txt")
	if err != nil || obj.ContentType != "text/plain" || obj.Meta["owner"] != "user-42" || obj.Size != 9 {
		t.Fatalf("stored %+v, %v", obj, err)
	}
	if len(pub.events) != 1 || pub.events[0].Name != "ObjectCreated:PostObject" || pub.events[0].Key != "uploads/a.txt" || pub.events[0].Size != 9 {
		t.Fatalf("events %+v", pub.events)
	}
	// Content type precedence: form field over the file part's type, then the part's.
	w.do(postRequest(t, "127.0.0.1:9000", "/examplebucket/", base("uploads/b.txt", "", formField{name: "content-type", value: "text/form"})))
	if obj, _ := w.srv.store.Stat("examplebucket", "uploads/b.txt"); obj.ContentType != "text/form" {
		t.Errorf("form Content-Type: %q", obj.ContentType)
	}
	rec = w.do(postRequest(t, "127.0.0.1:9000", "/examplebucket/", base("uploads/c.txt", "")))
	if obj, _ := w.srv.store.Stat("examplebucket", "uploads/c.txt"); rec.Code != 204 || obj.ContentType != "application/x-part" {
		t.Errorf("default status %d, part type %q", rec.Code, obj.ContentType)
	}
	rec = w.do(postRequest(t, "127.0.0.1:9000", "/examplebucket/", base("uploads/a.txt", "", formField{name: "x-oss-forbid-overwrite", value: "true"})))
	if e := decodeError(t, rec); rec.Code != 409 || e.Code != "FileAlreadyExists" {
		t.Fatalf("forbid overwrite: %d %+v", rec.Code, e)
	}
	rec = w.do(postRequest(t, "127.0.0.1:9000", "/examplebucket/", base("uploads/d.txt", "", formField{name: "success_action_redirect", value: "http://localhost:8080/done?x=1"})))
	loc, _ := url.Parse(rec.Header().Get("Location"))
	if rec.Code != 303 || loc == nil || loc.Query().Get("key") != "uploads/d.txt" || loc.Query().Get("bucket") != "examplebucket" || loc.Query().Get("x") != "1" {
		t.Fatalf("redirect: %d %v", rec.Code, rec.Header())
	}
	big := base("uploads/big.txt", "")
	big[len(big)-1].value = strings.Repeat("x", 101)
	rec = w.do(postRequest(t, "127.0.0.1:9000", "/examplebucket/", big))
	if e := decodeError(t, rec); rec.Code != 400 || e.Code != "EntityTooLarge" {
		t.Fatalf("too large: %d %+v", rec.Code, e)
	}
	empty := base("uploads/empty.txt", "")
	empty[len(empty)-1].value = ""
	rec = w.do(postRequest(t, "127.0.0.1:9000", "/examplebucket/", empty))
	if e := decodeError(t, rec); rec.Code != 400 || e.Code != "EntityTooSmall" {
		t.Fatalf("too small: %d %+v", rec.Code, e)
	}
	// A condition naming a field the form lacks fails.
	owned := policyDoc(w.now, `{"x-oss-meta-owner":"user-42"}`)
	missing := base("uploads/f.txt", "")
	missing[2].value, missing[3].value = owned, signV1(p.AccessKeySecret, owned)
	rec = w.do(postRequest(t, "127.0.0.1:9000", "/examplebucket/", missing))
	if e := decodeError(t, rec); rec.Code != 403 || e.Code != "AccessDenied" || !strings.Contains(e.Message, "Policy Condition failed") {
		t.Fatalf("missing field: %d %+v", rec.Code, e)
	}
	noToken := base("uploads/e.txt", "")
	noToken[4].value = "CAIS" + strings.Repeat("A", 60)
	rec = w.do(postRequest(t, "127.0.0.1:9000", "/examplebucket/", noToken))
	if e := decodeError(t, rec); rec.Code != 403 || e.Code != "AccessKeyIdAndSecurityTokenNotMatch" {
		t.Fatalf("foreign token: %d %+v", rec.Code, e)
	}
	if left := stagedFiles(t, w.dir); len(left) != 0 {
		t.Fatalf("staged files left behind: %v", left)
	}
}

func TestPostObjectV4Authorization(t *testing.T) {
	w := newWireEnv(t)
	// A session limited to uploads/user-42/: the policy allows any key, RAM does not.
	w.assumeRoot(t) // creates the poster user and role
	pol, _ := iam.ParsePolicy([]byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:PutObject","Resource":"acs:oss:*:*:examplebucket/uploads/user-42/*"}]}`))
	poster, _ := w.ids.Lookup("LTAIposterEXAMPLE")
	p, err := w.ids.AssumeRole(poster, iam.RoleARN("poster"), "narrow", &pol, 0)
	if err != nil {
		t.Fatal(err)
	}
	day, date := w.now.Format("20060102"), w.now.Format("20060102T150405Z")
	cred := p.AccessKeyID + "/" + day + "/cn-hangzhou/oss/aliyun_v4_request"
	policy := policyDoc(w.now, `{"x-oss-signature-version":"OSS4-HMAC-SHA256"},{"x-oss-credential":"`+cred+`"},{"x-oss-date":"`+date+`"},{"x-oss-security-token":"`+p.SecurityToken+`"},["starts-with","$key","uploads/"]`)
	sig := signV4(signingKeyV4(p.AccessKeySecret, day, "cn-hangzhou", "oss"), policy)
	form := func(key string) []formField {
		return []formField{{name: "key", value: key}, {name: "policy", value: policy}, {name: "x-oss-signature-version", value: "OSS4-HMAC-SHA256"},
			{name: "x-oss-credential", value: cred}, {name: "x-oss-date", value: date}, {name: "x-oss-signature", value: sig},
			{name: "x-oss-security-token", value: p.SecurityToken}, {name: "file", value: "v4", file: true, fileName: "f.txt"}}
	}
	if rec := w.do(postRequest(t, "examplebucket.localhost:9000", "/", form("uploads/user-42/f.txt"))); rec.Code != 204 {
		t.Fatalf("allowed key: %d %s", rec.Code, rec.Body)
	}
	rec := w.do(postRequest(t, "examplebucket.localhost:9000", "/", form("uploads/user-7/f.txt")))
	if e := decodeError(t, rec); rec.Code != 403 || e.Code != "AccessDenied" || e.Message != msgNoRight {
		t.Fatalf("outside the session policy: %d %+v", rec.Code, e)
	}
	future := form("uploads/user-42/h.txt")
	future[4].value = w.now.Add(20 * time.Minute).Format("20060102T150405Z")
	rec = w.do(postRequest(t, "examplebucket.localhost:9000", "/", future))
	if e := decodeError(t, rec); rec.Code != 403 || e.Code != "RequestTimeTooSkewed" || e.ServerTime == "" {
		t.Fatalf("x-oss-date in the future: %d %+v", rec.Code, e)
	}
	otherRegion := form("uploads/user-42/h.txt")
	otherRegion[3].value = p.AccessKeyID + "/" + day + "/cn-beijing/oss/aliyun_v4_request"
	rec = w.do(postRequest(t, "examplebucket.localhost:9000", "/", otherRegion))
	if e := decodeError(t, rec); rec.Code != 400 || e.Code != "InvalidArgument" {
		t.Fatalf("foreign region: %d %+v", rec.Code, e)
	}
	w.now = w.now.Add(2 * time.Hour) // session (1 h) and policy expired
	rec = w.do(postRequest(t, "examplebucket.localhost:9000", "/", form("uploads/user-42/g.txt")))
	if e := decodeError(t, rec); rec.Code != 403 || e.Code != "SecurityTokenExpired" {
		t.Fatalf("expired session: %d %+v", rec.Code, e)
	}
}
