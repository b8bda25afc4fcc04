package e2e

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// Security regressions (issue: "a signed form can still choose the stored
// Content-Type"): a form signed by the sign function, with one field added
// by the uploader, is either refused by OSS or stores exactly what the form
// was signed for. Checked through the real sign binary, the emulator, and
// the official Go SDK's HEAD, in V4 (default) and V1.
func TestSignedFormCannotChangeHowTheObjectIsServed(t *testing.T) {
	added := []struct{ name, field, value string }{
		{"none (the form as signed)", "", ""},
		{"x-oss-content-type text/html", "x-oss-content-type", "text/html"},
		{"X-Oss-Content-Type in other case", "X-Oss-Content-Type", "text/html"},
		{"second Content-Type", "Content-Type", "text/html"},
		{"content-type lower case", "content-type", "application/xhtml+xml"},
		{"Content-Disposition", "Content-Disposition", "inline; filename=a.html"},
		{"Content-Encoding", "Content-Encoding", "gzip"},
		{"Cache-Control", "Cache-Control", "public, max-age=31536000"},
		{"Expires", "Expires", "Thu, 01 Jan 2037 00:00:00 GMT"},
		{"x-oss-object-acl public-read", "x-oss-object-acl", "public-read"},
		{"x-oss-storage-class Archive", "x-oss-storage-class", "Archive"},
		{"x-oss-server-side-encryption KMS", "x-oss-server-side-encryption", "KMS"},
		{"success_action_redirect", "success_action_redirect", "https://evil.example/"},
		{"x-oss-meta-declared-type", "x-oss-meta-declared-type", "text/html"},
		{"x-oss-meta-owner", "x-oss-meta-owner", "mallory"},
		{"x-oss-forbid-overwrite false", "x-oss-forbid-overwrite", "false"},
	}
	for _, version := range []string{"v4", "v1"} {
		t.Run(version, func(t *testing.T) {
			s := startStack(t, "", "SIGNATURE_VERSION="+version)
			client, err := oss.New(s.OSS, s.AccessKeyID, s.AccessKeySecret)
			if err != nil {
				t.Fatal(err)
			}
			bucket, err := client.Bucket(s.Bucket)
			if err != nil {
				t.Fatal(err)
			}
			png := realPNG(t)
			for _, a := range added {
				t.Run(a.name, func(t *testing.T) {
					var signed signResponse
					if code := callJSON(t, "POST", s.Functions["sign"], s.JWT,
						map[string]any{"filename": "photo.png", "contentType": "image/png", "size": len(png)}, &signed); code != http.StatusOK {
						t.Fatalf("sign: HTTP %d", code)
					}
					code, body := postSigned(t, signed, a.field, a.value, png)
					meta, headErr := bucket.GetObjectDetailedMeta(signed.Key)
					if a.field == "" && code/100 != 2 {
						t.Fatalf("the form as signed: HTTP %d %s", code, body)
					}
					if code/100 != 2 {
						if headErr == nil {
							t.Fatalf("refused (HTTP %d) but the object exists", code)
						}
						return
					}
					if headErr != nil {
						t.Fatalf("accepted (HTTP %d) but HEAD failed: %v", code, headErr)
					}
					want := map[string]string{"Content-Type": "image/png", "Content-Disposition": "", "Content-Encoding": "",
						"Cache-Control": "", "Expires": "", "X-Oss-Meta-Declared-Type": "image/png", "X-Oss-Meta-Owner": s.User,
						"X-Oss-Storage-Class": "Standard"}
					for h, v := range want {
						if got := meta.Get(h); got != v {
							t.Errorf("accepted with %s=%q: stored %s %q, want %q", a.field, a.value, h, got, v)
						}
					}
					if a.field == "success_action_redirect" && code != http.StatusOK {
						t.Errorf("answered %d, want the pinned 200 (no redirect)", code)
					}
				})
			}
		})
	}
}

// postSigned posts the signed fields, then field=value if field is set,
// then the file, and returns the status and body.
func postSigned(t *testing.T, signed signResponse, field, value string, content []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for name, v := range signed.Fields {
		if err := mw.WriteField(name, v); err != nil {
			t.Fatal(err)
		}
	}
	if field != "" {
		if err := mw.WriteField(field, value); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "photo.png")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, signed.URL, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, fmt.Sprintf("%s", b)
}
