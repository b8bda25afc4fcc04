package e2e

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/local/stacktest"
)

// POST /presign through the local stack, driven as Uppy's S3 client drives
// it: ask for one request, send it to OSS with the answer's URL and
// headers.

type presigned struct {
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Key     string            `json:"key"`
	Headers map[string]string `json:"headers"`
	Fields  map[string]string `json:"fields"`
	Error   struct{ Code, Message string }
}

func presignURL(s *stack) string { return strings.TrimSuffix(s.Functions["sign"], "/") + "/presign" }

// ask posts one request description to /presign.
func ask(t *testing.T, s *stack, token string, req map[string]any) (int, presigned) {
	t.Helper()
	var p presigned
	code := callJSON(t, "POST", presignURL(s), token, req, &p)
	return code, p
}

// mustAsk is ask that must succeed.
func mustAsk(t *testing.T, s *stack, token string, req map[string]any) presigned {
	t.Helper()
	code, p := ask(t, s, token, req)
	if code != http.StatusOK {
		t.Fatalf("presign %v: HTTP %d %s: %s", req, code, p.Error.Code, p.Error.Message)
	}
	return p
}

// sendTo sends one presigned request to OSS as a browser does: the URL,
// the answer's headers, the body.
func sendTo(t *testing.T, method string, p presigned, body []byte) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, p.URL, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func ossCode(body []byte) string {
	var e struct{ Code string }
	_ = xml.Unmarshal(body, &e)
	return e.Code
}

// mintToken is a development JWT for user, from the demo page's sign-in.
func mintToken(t *testing.T, s *stack, user string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, webOrigin(s)+"/dev/token", strings.NewReader(`{"user":"`+user+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", webOrigin(s))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Token == "" {
		t.Fatalf("dev token for %s: HTTP %d %v", user, res.StatusCode, err)
	}
	return out.Token
}

// noisyPNG is a real PNG of about 260 KB (random pixels do not compress).
func noisyPNG(t *testing.T) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, 256, 256))
	for y := 0; y < 256; y++ {
		for x := 0; x < 256; x++ {
			img.Set(x, y, color.RGBA{uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32()), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload is one multipart upload in progress, started through /presign.
type upload struct {
	s        *stack
	token    string
	key, id  string
	etags    map[int]string
	declared int
}

// initiate asks for and sends InitiateMultipartUpload.
func initiate(t *testing.T, s *stack, token, filename, contentType string, size int) *upload {
	t.Helper()
	p := mustAsk(t, s, token, map[string]any{"method": "POST", "key": "3f1e-uuid-" + filename, "filename": filename, "contentType": contentType, "size": size})
	res, body := sendTo(t, "POST", p, nil)
	var ini struct{ UploadId string }
	if err := xml.Unmarshal(body, &ini); res.StatusCode != 200 || err != nil || ini.UploadId == "" {
		t.Fatalf("initiate: HTTP %d %s", res.StatusCode, body)
	}
	return &upload{s: s, token: token, key: p.Key, id: ini.UploadId, etags: map[int]string{}, declared: size}
}

func (m *upload) part(t *testing.T, n int, data []byte) {
	t.Helper()
	p := mustAsk(t, m.s, m.token, map[string]any{"method": "PUT", "key": m.key, "uploadId": m.id, "partNumber": n})
	res, body := sendTo(t, "PUT", p, data)
	if res.StatusCode != 200 || res.Header.Get("ETag") == "" {
		t.Fatalf("part %d: HTTP %d %s", n, res.StatusCode, body)
	}
	m.etags[n] = res.Header.Get("ETag")
}

func (m *upload) completeBody() []byte {
	var b strings.Builder
	b.WriteString("<CompleteMultipartUpload>")
	for n := 1; n <= len(m.etags); n++ {
		fmt.Fprintf(&b, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", n, m.etags[n])
	}
	b.WriteString("</CompleteMultipartUpload>")
	return []byte(b.String())
}

// uploadedParts lists the upload's parts with the root key (what is stored).
func uploadedParts(t *testing.T, s *stack, key, id string) (int, error) {
	t.Helper()
	b := ossBucket(t, s.OSS, s.Region, s.Bucket, s.AccessKeyID, s.AccessKeySecret)
	res, err := b.ListUploadedParts(oss.InitiateMultipartUploadResult{Bucket: s.Bucket, Key: key, UploadID: id})
	return len(res.UploadedParts), err
}

// wantNoObject checks that nothing is stored under key.
func wantNoObject(t *testing.T, s *stack, key string) {
	t.Helper()
	b := ossBucket(t, s.OSS, s.Region, s.Bucket, s.AccessKeyID, s.AccessKeySecret)
	if ok, err := b.IsObjectExist(key); err != nil || ok {
		t.Fatalf("object %s exists=%v (%v), want nothing stored", key, ok, err)
	}
}

func TestPresignedMultipartIsVerified(t *testing.T) {
	for _, version := range []string{"v4", "v1"} {
		t.Run(version, func(t *testing.T) {
			s := startStack(t, "", "SIGNATURE_VERSION="+version)
			content := noisyPNG(t)
			m := initiate(t, s, s.JWT, "noise.png", "image/png", len(content))
			if !strings.HasPrefix(m.key, "uploads/"+s.User+"/") || !strings.HasSuffix(m.key, "-noise.png") {
				t.Fatalf("key %q", m.key)
			}
			for n, off := 1, 0; off < len(content); n, off = n+1, off+100<<10 {
				m.part(t, n, content[off:min(off+100<<10, len(content))])
			}
			p := mustAsk(t, s, s.JWT, map[string]any{"method": "GET", "key": m.key, "uploadId": m.id})
			if res, body := sendTo(t, "GET", p, nil); res.StatusCode != 200 || strings.Count(string(body), "<Part>") != len(m.etags) {
				t.Fatalf("list parts: HTTP %d %s", res.StatusCode, body)
			}
			p = mustAsk(t, s, s.JWT, map[string]any{"method": "POST", "key": m.key, "uploadId": m.id})
			if res, body := sendTo(t, "POST", p, m.completeBody()); res.StatusCode != 200 {
				t.Fatalf("complete: HTTP %d %s", res.StatusCode, body)
			}
			if status, reason := waitVerdict(t, s, m.key); status != "verified" {
				t.Fatalf("verdict %s (%s), want verified", status, reason)
			}
		})
	}
}

func TestPresignRefusals(t *testing.T) {
	s := startStack(t, "")
	bob := mintToken(t, s, "bob")
	part := bytes.Repeat([]byte{0x5a}, 100<<10)

	// Bob's upload in progress.
	bobs := initiate(t, s, bob, "b.png", "image/png", 300<<10)
	bobs.part(t, 1, part)

	t.Run("another user's key", func(t *testing.T) {
		for _, req := range []map[string]any{
			{"method": "PUT", "key": bobs.key, "uploadId": bobs.id, "partNumber": 2},
			{"method": "GET", "key": bobs.key, "uploadId": bobs.id},
			{"method": "POST", "key": bobs.key, "uploadId": bobs.id},
			{"method": "DELETE", "key": bobs.key, "uploadId": bobs.id},
		} {
			if code, p := ask(t, s, s.JWT, req); code != http.StatusForbidden || p.Error.Code != "forbidden" {
				t.Errorf("%v: HTTP %d %s, want 403 forbidden", req, code, p.Error.Code)
			}
		}
		if n, err := uploadedParts(t, s, bobs.key, bobs.id); err != nil || n != 1 {
			t.Fatalf("bob's upload has %d parts (%v), want 1", n, err)
		}
	})

	mine := initiate(t, s, s.JWT, "a.png", "image/png", 300<<10)
	t.Run("another user's upload id", func(t *testing.T) {
		// The key is the caller's, the upload id Bob's: OSS knows no such
		// upload for this key.
		p := mustAsk(t, s, s.JWT, map[string]any{"method": "PUT", "key": mine.key, "uploadId": bobs.id, "partNumber": 1})
		if res, body := sendTo(t, "PUT", p, part); res.StatusCode != 404 || ossCode(body) != "NoSuchUpload" {
			t.Fatalf("part with bob's upload id: HTTP %d %s", res.StatusCode, body)
		}
		if code, p := ask(t, s, s.JWT, map[string]any{"method": "POST", "key": mine.key, "uploadId": bobs.id}); code != http.StatusNotFound {
			t.Fatalf("complete with bob's upload id: HTTP %d %s", code, p.Error.Code)
		}
		if n, err := uploadedParts(t, s, bobs.key, bobs.id); err != nil || n != 1 {
			t.Fatalf("bob's upload has %d parts (%v), want 1", n, err)
		}
		wantNoObject(t, s, mine.key)
	})

	t.Run("tampered URL", func(t *testing.T) {
		p := mustAsk(t, s, s.JWT, map[string]any{"method": "PUT", "key": mine.key, "uploadId": mine.id, "partNumber": 1})
		p.URL = strings.Replace(p.URL, "partNumber=1", "partNumber=2", 1)
		if res, body := sendTo(t, "PUT", p, part); res.StatusCode != 403 || ossCode(body) != "SignatureDoesNotMatch" {
			t.Fatalf("HTTP %d %s", res.StatusCode, body)
		}
		// A changed signed header (the type pinned at initiate).
		ini := mustAsk(t, s, s.JWT, map[string]any{"method": "POST", "key": "x.png", "contentType": "image/png", "size": 10})
		ini.Headers["Content-Type"] = "text/html"
		if res, body := sendTo(t, "POST", ini, nil); res.StatusCode != 403 || ossCode(body) != "SignatureDoesNotMatch" {
			t.Fatalf("initiate with another type: HTTP %d %s", res.StatusCode, body)
		}
		if n, err := uploadedParts(t, s, mine.key, mine.id); err != nil || n != 0 {
			t.Fatalf("%d parts stored (%v), want 0", n, err)
		}
	})

	t.Run("expired URL", func(t *testing.T) {
		p := mustAsk(t, s, s.JWT, map[string]any{"method": "PUT", "key": mine.key, "uploadId": mine.id, "partNumber": 1, "expiresIn": 1})
		probe := mustAsk(t, s, s.JWT, map[string]any{"method": "GET", "key": mine.key, "uploadId": mine.id, "expiresIn": 1})
		// Wait until OSS's clock has passed the expiry (the harmless list
		// URL says so), then send the part.
		stacktest.Eventually(t, 10*time.Second, "the 1-second URL expiring", func() bool {
			res, body := sendTo(t, "GET", probe, nil)
			if res.StatusCode != 403 {
				return false
			}
			if ossCode(body) != "AccessDenied" {
				t.Fatalf("expired list: %s", body)
			}
			return true
		})
		res, body := sendTo(t, "PUT", p, part)
		if res.StatusCode != 403 || ossCode(body) != "AccessDenied" || !strings.Contains(string(body), "Request has expired.") {
			t.Fatalf("HTTP %d %s", res.StatusCode, body)
		}
		if n, err := uploadedParts(t, s, mine.key, mine.id); err != nil || n != 0 {
			t.Fatalf("%d parts stored (%v), want 0", n, err)
		}
	})

	t.Run("part number beyond the declared size", func(t *testing.T) {
		// 300 KiB need at most 3 parts of 100 KiB.
		code, p := ask(t, s, s.JWT, map[string]any{"method": "PUT", "key": mine.key, "uploadId": mine.id, "partNumber": 4})
		if code != http.StatusBadRequest || p.Error.Code != "invalid_request" {
			t.Fatalf("HTTP %d %s", code, p.Error.Code)
		}
	})

	t.Run("more bytes than declared", func(t *testing.T) {
		m := initiate(t, s, s.JWT, "c.png", "image/png", 150<<10)
		m.part(t, 1, part)
		m.part(t, 2, part) // 200 KiB uploaded for 150 declared
		code, p := ask(t, s, s.JWT, map[string]any{"method": "POST", "key": m.key, "uploadId": m.id})
		if code != http.StatusRequestEntityTooLarge || p.Error.Code != "too_large" {
			t.Fatalf("HTTP %d %s", code, p.Error.Code)
		}
		wantNoObject(t, s, m.key)
		// Uppy's abort then leaves no parts behind.
		ab := mustAsk(t, s, s.JWT, map[string]any{"method": "DELETE", "key": m.key, "uploadId": m.id})
		if res, body := sendTo(t, "DELETE", ab, nil); res.StatusCode != 204 {
			t.Fatalf("abort: HTTP %d %s", res.StatusCode, body)
		}
		if _, err := uploadedParts(t, s, m.key, m.id); err == nil || !strings.Contains(err.Error(), "NoSuchUpload") {
			t.Fatalf("after abort: %v, want NoSuchUpload", err)
		}
	})

	t.Run("type outside the allow-list", func(t *testing.T) {
		code, p := ask(t, s, s.JWT, map[string]any{"method": "POST", "key": "page.html", "contentType": "text/html", "size": 1000})
		if code != http.StatusBadRequest || p.Error.Code != "type_not_allowed" || p.URL != "" {
			t.Fatalf("HTTP %d %s %q", code, p.Error.Code, p.URL)
		}
	})
}
