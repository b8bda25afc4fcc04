package oss_test

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/local/iam"
	"github.com/ossupload/ossupload/local/oss"
)

// Overwrite protection rules (PutBucketOverwriteConfig and the writes it
// refuses) through the official Go SDK. v3.0.2 has no call for the
// configuration, so it goes through Bucket.Do, signed V4 (which signs every
// query parameter; v3.0.2's V1 does not know the overwriteConfig
// sub-resource).

var v4 = []aoss.ClientOption{aoss.AuthVersion(aoss.AuthV4), aoss.Region("cn-hangzhou")}

type overwriteDoc struct {
	XMLName xml.Name `xml:"OverwriteConfiguration"`
	Rules   []struct {
		ID, Action, Prefix, Suffix string
		Principals                 []string `xml:"Principals>Principal"`
	} `xml:"Rule"`
}

func overwriteConfig(b *aoss.Bucket, method, body string) (*aoss.Response, error) {
	var data io.Reader
	if body != "" {
		data = strings.NewReader(body)
	}
	return b.Do(method, "", map[string]interface{}{"overwriteConfig": nil}, nil, data, nil)
}

func putOverwriteConfig(t *testing.T, b *aoss.Bucket, body string) {
	t.Helper()
	resp, err := overwriteConfig(b, http.MethodPut, body)
	if err != nil {
		t.Fatalf("PutBucketOverwriteConfig: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PutBucketOverwriteConfig: %d", resp.StatusCode)
	}
}

func TestOverwriteConfigAPI(t *testing.T) {
	e := newEnv(t)
	root := e.bucket(t, rootAK, rootSecret, "", v4...)

	_, err := overwriteConfig(root, http.MethodGet, "")
	wantCode(t, err, "NoSuchBucketOverwriteConfig", 404)

	// The request example of the PutBucketOverwriteConfig page, plus a rule
	// without ID.
	putOverwriteConfig(t, root, `<?xml version="1.0" encoding="UTF-8"?>
<OverwriteConfiguration>
  <Rule>
    <ID>rule-001</ID>
    <Action>forbid</Action>
    <Prefix>a/</Prefix>
    <Suffix>.txt</Suffix>
    <Principals>
      <Principal>27737962156157xxxx</Principal>
    </Principals>
  </Rule>
  <Rule><Action>forbid</Action><Prefix>uploads/</Prefix></Rule>
</OverwriteConfiguration>`)
	resp, err := overwriteConfig(root, http.MethodGet, "")
	if err != nil {
		t.Fatalf("GetBucketOverwriteConfig: %v", err)
	}
	var doc overwriteDoc
	err = xml.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || resp.Headers.Get("Content-Type") != "application/xml" {
		t.Fatalf("GET: %d %v %v", resp.StatusCode, resp.Headers, err)
	}
	if len(doc.Rules) != 2 {
		t.Fatalf("rules %+v", doc.Rules)
	}
	r0, r1 := doc.Rules[0], doc.Rules[1]
	if r0.ID != "rule-001" || r0.Action != "forbid" || r0.Prefix != "a/" || r0.Suffix != ".txt" || len(r0.Principals) != 1 || r0.Principals[0] != "27737962156157xxxx" {
		t.Fatalf("rule 0 %+v", r0)
	}
	if len(r1.ID) != 36 || r1.Action != "forbid" || r1.Prefix != "uploads/" || r1.Suffix != "" || len(r1.Principals) != 0 {
		t.Fatalf("rule 1 %+v", r1)
	}

	// A PUT replaces everything; invalid documents change nothing.
	for body, code := range map[string]string{
		`<OverwriteConfiguration><Rule><Action>allow</Action></Rule></OverwriteConfiguration>`:                                                          "InvalidArgument",
		`<OverwriteConfiguration><Rule><ID>x</ID><Action>forbid</Action></Rule><Rule><ID>x</ID><Action>forbid</Action></Rule></OverwriteConfiguration>`: "InvalidArgument",
		`<OverwriteConfiguration><Rule><Action>forbid</Action>`:                                                                                         "MalformedXML",
		`<CORSConfiguration><Rule><Action>forbid</Action></Rule></CORSConfiguration>`:                                                                   "MalformedXML",
	} {
		_, err := overwriteConfig(root, http.MethodPut, body)
		wantCode(t, err, code, 400)
	}
	putOverwriteConfig(t, root, `<OverwriteConfiguration><Rule><ID>only</ID><Action>forbid</Action><Prefix>b/</Prefix></Rule></OverwriteConfiguration>`)
	resp, err = overwriteConfig(root, http.MethodGet, "")
	if err != nil {
		t.Fatal(err)
	}
	doc = overwriteDoc{}
	_ = xml.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if len(doc.Rules) != 1 || doc.Rules[0].ID != "only" {
		t.Fatalf("after replacing: %+v", doc.Rules)
	}

	// Bucket configuration needs its own RAM actions: an upload-only
	// session can neither read nor change nor remove it.
	c := assumeUploader(t, e, `"oss:PutObject"`)
	up := e.bucket(t, c.AccessKeyId, c.AccessKeySecret, c.SecurityToken, v4...)
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		_, err := overwriteConfig(up, m, `<OverwriteConfiguration/>`)
		wantCode(t, err, "AccessDenied", 403)
	}

	resp, err = overwriteConfig(root, http.MethodDelete, "")
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("DeleteBucketOverwriteConfig: %v %v", resp, err)
	}
	resp.Body.Close()
	_, err = overwriteConfig(root, http.MethodGet, "")
	wantCode(t, err, "NoSuchBucketOverwriteConfig", 404)
}

// With a rule forbidding overwrites under uploads/ for everyone, every write
// that would replace an object there is 409 FileAlreadyExists, whoever
// asks; creating objects still works, and so does overwriting elsewhere.
func TestOverwriteRuleRefusesEveryWrite(t *testing.T) {
	e := newEnv(t)
	events := &eventLog{}
	e.srv = e.newServer(t, events)
	e.url = serve(t, e.srv)
	root := e.bucket(t, rootAK, rootSecret, "", v4...)
	c := assumeUploader(t, e, `"oss:PutObject"`)
	up := e.bucket(t, c.AccessKeyId, c.AccessKeySecret, c.SecurityToken)
	const dir = "uploads/user-42/"
	const key = dir + "kept.png"
	if err := up.PutObject(key, strings.NewReader("original")); err != nil {
		t.Fatal(err)
	}
	if err := up.PutObject("uploads/user-42/log.txt", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := up.AppendObject(dir+"app.log", strings.NewReader("first"), 0); err != nil {
		t.Fatal(err)
	}
	// Before the rule, the session can overwrite its own upload.
	if err := up.PutObject(dir+"log.txt", strings.NewReader("xy")); err != nil {
		t.Fatalf("overwrite without a rule: %v", err)
	}
	if err := root.PutObject("public/p.txt", strings.NewReader("1")); err != nil {
		t.Fatal(err)
	}

	putOverwriteConfig(t, root, `<OverwriteConfiguration><Rule><ID>uploads</ID><Action>forbid</Action><Prefix>uploads/</Prefix></Rule></OverwriteConfiguration>`)
	before := len(events.names(key))

	allowOverwrite := aoss.ForbidOverWrite(false)
	wantCode(t, up.PutObject(key, strings.NewReader("<script>"), allowOverwrite), "FileAlreadyExists", 409)
	wantCode(t, root.PutObject(key, strings.NewReader("<script>")), "FileAlreadyExists", 409)
	wantCode(t, up.PutSymlink(key, dir+"log.txt"), "FileAlreadyExists", 409)
	_, err := root.CopyObject(dir+"log.txt", key)
	wantCode(t, err, "FileAlreadyExists", 409)
	imur, err := up.InitiateMultipartUpload(key)
	if err != nil {
		t.Fatal(err)
	}
	part, err := up.UploadPart(imur, strings.NewReader("<script>"), 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = up.CompleteMultipartUpload(imur, []aoss.UploadPart{part})
	wantCode(t, err, "FileAlreadyExists", 409)
	_, err = up.AppendObject(dir+"app.log", strings.NewReader("more"), int64(len("first")))
	wantCode(t, err, "FileAlreadyExists", 409)

	for k, want := range map[string]string{key: "original", dir + "app.log": "first"} {
		rc, err := root.GetObject(k)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != want {
			t.Fatalf("%s overwritten: %q", k, got)
		}
	}
	if typ := objectType(t, root, key).Get("X-Oss-Object-Type"); typ != "Normal" {
		t.Fatalf("type %s", typ)
	}
	if n := len(events.names(key)); n != before {
		t.Fatalf("refused writes raised events: %v", events.names(key))
	}

	// Creating is not overwriting; outside the prefix nothing changes.
	if err := up.PutObject(dir+"new.png", strings.NewReader("n")); err != nil {
		t.Fatalf("new key under the rule: %v", err)
	}
	if _, err := up.AppendObject(dir+"new.log", strings.NewReader("n"), 0); err != nil {
		t.Fatalf("new appendable object under the rule: %v", err)
	}
	if err := root.PutObject("public/p.txt", strings.NewReader("2")); err != nil {
		t.Fatalf("overwrite outside the rule: %v", err)
	}
}

// Principals narrow a rule to the named callers.
func TestOverwriteRulePrincipals(t *testing.T) {
	e := newEnv(t)
	root := e.bucket(t, rootAK, rootSecret, "", v4...)
	c := assumeUploader(t, e, `"oss:PutObject"`)
	up := e.bucket(t, c.AccessKeyId, c.AccessKeySecret, c.SecurityToken)
	const key = "uploads/user-42/a.png"
	if err := up.PutObject(key, strings.NewReader("1")); err != nil {
		t.Fatal(err)
	}
	session := "arn:sts::" + iam.AccountID + ":assumed-role/uploader/*"
	putOverwriteConfig(t, root, `<OverwriteConfiguration><Rule><Action>forbid</Action><Prefix>uploads/</Prefix><Principals><Principal>`+
		session+`</Principal></Principals></Rule></OverwriteConfiguration>`)
	wantCode(t, up.PutObject(key, strings.NewReader("2")), "FileAlreadyExists", 409)
	if err := root.PutObject(key, strings.NewReader("3")); err != nil {
		t.Fatalf("root is not a principal of the rule: %v", err)
	}
	if err := e.srv.SetOverwriteConfig(testBucket, []oss.OverwriteRule{{Action: "forbid", Prefix: "uploads/",
		Principals: []string{"arn:sts::" + iam.AccountID + ":assumed-role/other/*"}}}); err != nil {
		t.Fatal(err)
	}
	if err := up.PutObject(key, strings.NewReader("4")); err != nil {
		t.Fatalf("a rule for another role: %v", err)
	}
}

// The rules survive a restart and a CreateBucket (which replaces CORS).
func TestOverwriteRulesPersist(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.SetOverwriteConfig(testBucket, []oss.OverwriteRule{{ID: "keep", Action: "forbid", Prefix: "uploads/"}}); err != nil {
		t.Fatal(err)
	}
	e.srv = e.newServer(t, nil) // a new server on the same data, CreateBucket again
	e.url = serve(t, e.srv)
	root := e.bucket(t, rootAK, rootSecret, "", v4...)
	if err := root.PutObject("uploads/a", strings.NewReader("1")); err != nil {
		t.Fatal(err)
	}
	wantCode(t, root.PutObject("uploads/a", strings.NewReader("2")), "FileAlreadyExists", 409)
}
