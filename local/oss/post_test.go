package oss

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// formField is one form field, in order; file marks the file part.
type formField struct {
	name, value string
	file        bool
	fileName    string
	fileType    string
}

func postRequest(t testing.TB, host, path string, fields []formField) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if f.file {
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="`+f.name+`"; filename="`+f.fileName+`"`)
			if f.fileType != "" {
				h.Set("Content-Type", f.fileType)
			}
			pw, err := mw.CreatePart(h)
			if err != nil {
				t.Fatal(err)
			}
			pw.Write([]byte(f.value))
			continue
		}
		if err := mw.WriteField(f.name, f.value); err != nil {
			t.Fatal(err)
		}
	}
	mw.Close()
	r := httptest.NewRequest("POST", "http://"+host+path, &buf)
	r.Host = host
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return r
}

func stagedFiles(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// Checks that come before the policy: form shape, field limits, who signs.
func TestPostObjectFormErrors(t *testing.T) {
	w := newWireEnv(t)
	p := w.assumeRoot(t)
	file := formField{name: "file", value: "data", file: true, fileName: "a.txt"}
	long := strings.Repeat("x", maxFieldBytes+1)
	cases := []struct {
		name   string
		fields []formField
		status int
		code   string
		msg    string
	}{
		{"no file", []formField{{name: "key", value: "k"}}, 400, "IncorrectNumberOfFilesInPOSTRequest", "POST requires exactly one file upload per request."},
		{"no key", []formField{file}, 400, "InvalidArgument", "The bucket POST must contain the specified 'key'. If it is specified, please check the order of the fields"},
		{"key after file", []formField{file, {name: "key", value: "k"}}, 400, "InvalidArgument", "The bucket POST must contain the specified 'key'. If it is specified, please check the order of the fields"},
		{"anonymous", []formField{{name: "key", value: "k"}, file}, 403, "AccessDenied", msgNoRight},
		{"incomplete V1 trio", []formField{{name: "Key", value: "k"}, {name: "OSSAccessKeyId", value: wireAK}, {name: "policy", value: "e30="}, file}, 400, "InvalidArgument", ""},
		{"unknown key", []formField{{name: "key", value: "k"}, {name: "OSSAccessKeyId", value: "LTAInobody"}, {name: "policy", value: "e30="}, {name: "Signature", value: "x"}, file}, 403, "InvalidAccessKeyId", msgNoAccessKey},
		{"STS key without token", []formField{{name: "key", value: "k"}, {name: "OSSAccessKeyId", value: p.AccessKeyID}, {name: "policy", value: "e30="}, {name: "Signature", value: "x"}, file}, 403, "InvalidSecurityToken", msgInvalidToken},
		{"field too long", []formField{{name: "key", value: "k"}, {name: "x-oss-meta-a", value: long}, file}, 400, "FieldItemTooLong", ""},
		{"bad V4 credential", []formField{{name: "key", value: "k"}, {name: "x-oss-signature-version", value: "OSS4-HMAC-SHA256"}, {name: "x-oss-credential", value: wireAK + "/20261122/cn-hangzhou/oss/aws4_request"},
			{name: "x-oss-date", value: "20261122T211347Z"}, {name: "x-oss-signature", value: "00"}, {name: "policy", value: "e30="}, file}, 400, "InvalidArgument", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := w.do(postRequest(t, "examplebucket.localhost:9000", "/", c.fields))
			e := decodeError(t, rec)
			if rec.Code != c.status || e.Code != c.code || (c.msg != "" && e.Message != c.msg) {
				t.Fatalf("%d %+v, want %d %s %q", rec.Code, e, c.status, c.code, c.msg)
			}
			if left := stagedFiles(t, w.dir); len(left) != 0 {
				t.Fatalf("staged files left behind: %v", left)
			}
		})
	}
	// A non-multipart POST to the bucket root.
	r := httptest.NewRequest("POST", "http://127.0.0.1:9000/examplebucket/", strings.NewReader("a=b"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := w.do(r)
	if rec.Code != 400 || decodeError(t, rec).Code != "RequestIsNotMultiPartContent" {
		t.Fatalf("urlencoded POST: %d %s", rec.Code, rec.Body)
	}
}
