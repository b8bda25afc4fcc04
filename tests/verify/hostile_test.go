package verify_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/shared/stsvend"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// hostileUploader is an official SDK client holding what the sts function
// vends to user: the uploader role narrowed by stsvend.SessionPolicy.
func (s *stack) hostileUploader(t *testing.T, user string) *aoss.Bucket {
	t.Helper()
	policy, err := stsvend.SessionPolicy(bucket, "uploads/"+user+"/")
	must(t, err)
	return s.client(t, s.sts(t, devAK, "uploader", user, policy))
}

// hostileRow is one attack by an uploader holding STS credentials, with
// what must come of it: refused by OSS with an error code, or stored and
// then judged by verify (where the object ends up, and the reason; "" is
// verified).
type hostileRow struct {
	family, name string
	attack       func(t *testing.T, up *aoss.Bucket) (key string, err error)
	refused      string // OSS error code; "" when the write is accepted
	where        string // in place | quarantined | deleted
	reason       string // "" = verified
}

// TestHostileUploads plays the attack families an independent hostile
// suite replays against the local stack: content-type smuggling, headers
// that change how an object is served, metadata and key forgery, and
// verdict forgery, each with the official Go SDK, credentials shaped by
// the sts function's session policy, the emulator and the real verifier.
// Rows that hold today are regression guards; the rows marked "hole" got
// through before the change that closed them.
func TestHostileUploads(t *testing.T) {
	s := newStack(t)
	v := s.newVerifier(t, 1<<20)
	root := s.root(t)
	up := s.hostileUploader(t, "u5")
	png := pngBytes(t)
	html := []byte("<html><body><script>alert(document.domain)</script></body></html>")
	pngHTML := append(append([]byte{}, png...), html...)
	gifHTML := append([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), html...)
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	put := func(key string, body []byte, opts ...aoss.Option) func(*testing.T, *aoss.Bucket) (string, error) {
		return func(_ *testing.T, up *aoss.Bucket) (string, error) {
			return key, up.PutObject(key, bytes.NewReader(body), opts...)
		}
	}
	multipart := func(key string, body []byte, opts ...aoss.Option) func(*testing.T, *aoss.Bucket) (string, error) {
		return func(_ *testing.T, up *aoss.Bucket) (string, error) {
			imur, err := up.InitiateMultipartUpload(key, opts...)
			if err != nil {
				return key, err
			}
			part, err := up.UploadPart(imur, bytes.NewReader(body), int64(len(body)), 1)
			if err != nil {
				return key, err
			}
			_, err = up.CompleteMultipartUpload(imur, []aoss.UploadPart{part})
			return key, err
		}
	}
	// forged is the verdict tag set an uploader would like its object to
	// carry; a simple upload's ETag is the MD5 of its bytes, so it can be
	// computed beforehand.
	forged := func(body []byte) aoss.Option {
		return aoss.SetHeader("x-oss-tagging", fmt.Sprintf("upload-status=verified&upload-etag=%X", md5.Sum(body)))
	}
	const u = "uploads/u5/"
	ct := aoss.ContentType
	rows := []hostileRow{
		// Content-type smuggling.
		{"type", "TEXT/HTML in capitals", put(u+"t1.png", pngHTML, ct("TEXT/HTML")), "", "quarantined", "type-not-allowed"},
		{"type", "Text/Html with a utf-8 charset", put(u+"t2", html, ct("Text/Html; charset=utf-8")), "", "quarantined", "type-not-allowed"},
		{"type", "type with a comment", put(u+"t3.png", png, ct("image/png (text/html)")), "", "quarantined", "unsafe-header"},
		{"type", "quoted parameter naming html", put(u+"t4.png", png, ct(`image/png; x="text/html"`)), "", "quarantined", "unsafe-header"},
		{"type", "svg under image/*", put(u+"t5.svg", svg, ct("image/svg+xml")), "", "quarantined", "type-not-allowed"},
		{"type", "svg bytes stored as image/png", put(u+"t6.png", svg, ct("image/png")), "", "quarantined", "type-mismatch"},
		{"type", "PNG header then HTML, stored image/png (served as an image)", put(u+"t7.png", pngHTML, ct("image/png")), "", "in place", ""},
		{"type", "GIF/HTML polyglot stored text/plain", put(u+"t8.txt", gifHTML, ct("text/plain")), "", "quarantined", "type-mismatch"},
		{"type", "no Content-Type, HTML bytes, no extension", put(u+"t9", html), "", "quarantined", "type-not-allowed"},
		{"type", "octet-stream under .html", put(u+"t10.html", png, ct("application/octet-stream")), "", "quarantined", "type-not-allowed"},
		{"type", "octet-stream under .svg", put(u+"t11.svg", png, ct("application/octet-stream")), "", "quarantined", "type-not-allowed"},
		{"type", "octet-stream under .shtml", put(u+"t12.shtml", png, ct("application/octet-stream")), "", "quarantined", "type-not-allowed"},
		{"type", "octet-stream under .xht", put(u+"t13.xht", png, ct("application/octet-stream")), "", "quarantined", "type-not-allowed"},
		{"type", "octet-stream under .mht", put(u+"t14.mht", png, ct("application/octet-stream")), "", "quarantined", "type-not-allowed"},
		{"type", "upper-case .HTML", put(u+"t15.HTML", png, ct("image/png")), "", "quarantined", "type-not-allowed"},
		{"type", "hole: .html. (trailing dot, dropped by Windows)", put(u+"t16.html.", pngHTML, ct("image/png")), "", "quarantined", "type-not-allowed"},
		{"type", "hole: .html followed by a space", put(u+"t17.html ", pngHTML, ct("image/png")), "", "quarantined", "type-not-allowed"},
		{"type", "double extension x.png.html", put(u+"t18.png.html", png, ct("image/png")), "", "quarantined", "type-not-allowed"},
		{"type", "double extension x.html.png holding a PNG", put(u+"t19.html.png", png, ct("image/png")), "", "in place", ""},
		{"type", "multipart: initiate stores text/html, declares image/png", multipart(u+"t20.png", pngHTML, ct("text/html"), aoss.Meta("declared-type", "image/png")), "", "quarantined", "type-mismatch"},
		{"type", "multipart: initiate says image/png, parts are HTML", multipart(u+"t21.png", html, ct("image/png"), aoss.Meta("declared-type", "image/png")), "", "quarantined", "type-mismatch"},
		{"type", "hole: a custom element with an event handler after 4 KiB of text", put(u+"t23.txt",
			[]byte(strings.Repeat("plain notes, nothing else\n", 160)+`<x-note onmouseover="alert(document.domain)">hover</x-note>`), ct("text/plain")), "", "quarantined", "active-content"},
		{"type", "text comparing values (x<y, on=1)", put(u+"t24.txt", []byte("if x<y then on=1\nand z>w\n"), ct("text/plain")), "", "in place", ""},
		{"type", "multipart: text/plain with HTML", multipart(u+"t22.txt", html, ct("text/plain"), aoss.Meta("declared-type", "text/plain")), "", "quarantined", "type-not-allowed"},

		// Headers that change how the object is served.
		{"header", "hole: attachment saved as x.html", put(u+"h1.png", pngHTML, ct("image/png"), aoss.ContentDisposition(`attachment; filename="x.html"`)), "", "quarantined", "type-not-allowed"},
		{"header", "hole: attachment saved as x.svg through filename*", put(u+"h2.png", png, ct("image/png"), aoss.ContentDisposition(`attachment; filename*=UTF-8''x.svg`)), "", "quarantined", "type-not-allowed"},
		{"header", "hole: filename=x.html hidden behind filename*=a.png", put(u+"h3.png", png, ct("image/png"), aoss.ContentDisposition(`attachment; filename="x.html"; filename*=UTF-8''a.png`)), "", "quarantined", "type-not-allowed"},
		{"header", "ATTACHMENT in capitals", put(u+"h4.png", png, ct("image/png"), aoss.ContentDisposition("ATTACHMENT")), "", "in place", ""},
		{"header", "inline; filename=a.png", put(u+"h5.png", png, ct("image/png"), aoss.ContentDisposition(`inline; filename="a.png"`)), "", "quarantined", "unsafe-header"},
		{"header", "Content-Encoding GZIP", put(u+"h6.png", png, ct("image/png"), aoss.ContentEncoding("GZIP")), "", "quarantined", "unsafe-header"},
		{"header", "Content-Encoding br", put(u+"h7.png", png, ct("image/png"), aoss.ContentEncoding("br")), "", "quarantined", "unsafe-header"},
		{"header", "Content-Encoding identity, gzip", put(u+"h8.png", png, ct("image/png"), aoss.ContentEncoding("identity, gzip")), "", "quarantined", "unsafe-header"},
		{"header", "Cache-Control, Content-Language and Expires do not change the type", put(u+"h9.png", png, ct("image/png"),
			aoss.CacheControl("public, max-age=31536000"), aoss.ContentLanguage("en"), aoss.Expires(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))), "", "in place", ""},
		{"header", "user metadata over 8 KB", put(u+"h10.png", png, ct("image/png"), aoss.Meta("pad", strings.Repeat("x", 8300))), "InvalidArgument", "", ""},
		{"header", "x-oss-storage-class Archive (OSS stores it; verify would reject storage-class)", put(u+"h11.png", png, ct("image/png"), aoss.ObjectStorageClass(aoss.StorageArchive)), "NotImplemented", "", ""},
		{"header", "hole: SSE-KMS with the uploader's key id (needs kms:GenerateDataKey)", put(u+"h12.png", png, ct("image/png"),
			aoss.ServerSideEncryption("KMS"), aoss.ServerSideEncryptionKeyID("9468da86-3509-4f8d-a61e-6eab1eac1234")), "AccessDenied", "", ""},
		{"header", "hole: SSE with an unknown algorithm", put(u+"h13.png", png, ct("image/png"), aoss.ServerSideEncryption("ROT13")), "InvalidEncryptionAlgorithmError", "", ""},
		{"header", "SSE AES256", put(u+"h14.png", png, ct("image/png"), aoss.ServerSideEncryption("AES256")), "", "in place", ""},

		// Metadata and key forgery.
		{"meta", "x-oss-meta-owner of another user", put(u+"m1.png", png, ct("image/png"), aoss.Meta("owner", "u6")), "", "quarantined", "owner-mismatch"},
		{"meta", "declared size one byte short", put(u+"m2.png", png, ct("image/png"), aoss.Meta("declared-size", fmt.Sprint(len(png)-1))), "", "quarantined", "size-mismatch"},
		{"meta", "declared type image/png, stored octet-stream", put(u+"m3.png", png, ct("application/octet-stream"), aoss.Meta("declared-type", "image/png")), "", "quarantined", "type-mismatch"},
		{"key", "another user's prefix", put("uploads/u6/k1.png", png, ct("image/png")), "AccessDenied", "", ""},
		{"key", "a look-alike of the own prefix (fullwidth 5)", put("uploads/u５/k2.png", png, ct("image/png")), "AccessDenied", "", ""},
		{"key", "own prefix, then ../u6/", put(u+"../u6/k3.png", png, ct("image/png")), "", "quarantined", "outside-prefix"},
		{"key", "empty segment", put(u+"/k4.png", png, ct("image/png")), "", "quarantined", "outside-prefix"},
		{"key", "dot segment", put(u+"./k5.png", png, ct("image/png")), "", "quarantined", "outside-prefix"},
		{"key", "hole: backslashes climbing out on Windows", put(u+`..\..\u6\k6.png`, png, ct("image/png")), "", "deleted", "invalid-key"},
		{"key", "literal %2F stays the uploader's own key", put(u+"..%2Fu6%2Fk7.png", png, ct("image/png")), "", "in place", ""},
		{"key", "exactly 1023 bytes", put(u+strings.Repeat("k", 1023-len(u)-4)+".png", png, ct("image/png")), "", "in place", ""},
		{"key", "1024 bytes", put(u+strings.Repeat("k", 1024-len(u)-4)+".png", png, ct("image/png")), "InvalidObjectName", "", ""},

		// Verdict forgery: only verify may write the verdict tags.
		{"verdict", "PutObject with x-oss-tagging upload-status=verified", put(u+"v1.png", exeBytes(), ct("image/png"), forged(exeBytes())), "AccessDenied", "", ""},
		{"verdict", "multipart initiate with x-oss-tagging", multipart(u+"v2.png", exeBytes(), ct("image/png"), forged(exeBytes())), "AccessDenied", "", ""},
		{"verdict", "AppendObject with x-oss-tagging", func(_ *testing.T, up *aoss.Bucket) (string, error) {
			_, err := up.AppendObject(u+"v3.png", bytes.NewReader(png), 0, ct("image/png"), forged(png))
			return u + "v3.png", err
		}, "AccessDenied", "", ""},
		{"verdict", "PutObjectTagging on the own object", func(t *testing.T, up *aoss.Bucket) (string, error) {
			return u + "v4.png", up.PutObjectTagging(u+"v4.png", aoss.Tagging{Tags: []aoss.Tag{{Key: "upload-status", Value: "verified"}}})
		}, "AccessDenied", "", ""},
		{"verdict", "CopyObject of a verified object with the tagging directive Replace", func(t *testing.T, up *aoss.Bucket) (string, error) {
			_, err := up.CopyObject(u+"t7.png", u+"v5.png", aoss.TaggingDirective(aoss.TaggingReplace), forged(pngHTML))
			return u + "v5.png", err
		}, "AccessDenied", "", ""},
		{"verdict", "symlink to a verified object", func(t *testing.T, up *aoss.Bucket) (string, error) {
			return u + "v6.png", up.PutSymlink(u+"v6.png", u+"t7.png")
		}, "", "deleted", "not-plain-object"},
	}
	for _, r := range rows {
		t.Run(r.family+"/"+r.name, func(t *testing.T) {
			key, err := r.attack(t, up)
			if r.refused != "" {
				var se aoss.ServiceError
				if !errors.As(err, &se) || se.Code != r.refused {
					t.Fatalf("attack answered %v; want refused with %s", err, r.refused)
				}
				if r.refused == "InvalidObjectName" {
					return // no object can have that name
				}
				if ok, err := root.IsObjectExist(key); err != nil || ok {
					t.Fatalf("refused attack left an object at %q (%v)", key, err)
				}
				s.deliver(t, v)
				return
			}
			if err != nil {
				t.Fatalf("attack refused with %v; want it stored and judged", err)
			}
			s.deliver(t, v)
			where, tg := verdictOf(t, root, key, uploadrules.QuarantineKey("quarantine/", key))
			wantStatus := "verified"
			if r.reason != "" {
				wantStatus = "rejected"
			}
			if where != r.where || (tg != nil && (tg["upload-status"] != wantStatus || tg["upload-reason"] != r.reason)) {
				t.Errorf("object %s with tags %v; want %s, %s %q", where, tg, r.where, wantStatus, r.reason)
			}
			if n := s.hook.forKey(key); len(n) != 1 || n[0].Verdict != wantStatus || n[0].Reason != r.reason {
				t.Errorf("webhook = %+v; want one %s %q", n, wantStatus, r.reason)
			}
		})
	}
}

// TestHostileEvents hands the verifier crafted OSS event payloads, as
// someone able to invoke the function (or a misrouted trigger) would:
// none makes it verify bytes it did not judge, or touch what is not an
// upload.
func TestHostileEvents(t *testing.T) {
	s := newStack(t)
	v := s.newVerifier(t, 1<<20)
	root := s.root(t)
	up := s.hostileUploader(t, "u7")
	png := pngBytes(t)
	good, bad := "uploads/u7/good.png", "uploads/u7/bad.png"
	must(t, up.PutObject(good, bytes.NewReader(png), aoss.ContentType("image/png")))
	s.deliver(t, v)
	goodTags := tags(t, root, good)
	if goodTags["upload-status"] != "verified" {
		t.Fatalf("good.png: %v", goodTags)
	}
	must(t, root.PutObject("quarantine/uploads/u7/q.png", bytes.NewReader(exeBytes()), aoss.ContentType("image/png")))
	must(t, root.PutObject("other/x.png", bytes.NewReader(exeBytes()), aoss.ContentType("image/png")))
	s.drain()

	event := func(bucketName, key, etag string) map[string]any {
		return map[string]any{"eventName": "ObjectCreated:PutObject", "eventSource": "acs:oss", "region": region,
			"oss": map[string]any{"bucket": map[string]any{"name": bucketName}, "object": map[string]any{"key": key, "eTag": etag, "size": 1}}}
	}
	payloadOf := func(recs ...map[string]any) []byte {
		b, err := json.Marshal(map[string]any{"events": recs})
		must(t, err)
		return b
	}
	handle := func(p []byte) {
		t.Helper()
		if err := v.Handle(context.Background(), p); err != nil {
			t.Fatalf("Handle: %v", err)
		}
		s.deliver(t, v)
	}

	t.Run("wrong bucket for an unjudged object", func(t *testing.T) {
		must(t, root.PutObject(bad, bytes.NewReader(exeBytes()), aoss.ContentType("image/png")))
		s.drain() // the real event is held back
		handle(payloadOf(event("another-bucket", bad, "")))
		if tg := tags(t, root, bad); len(tg) != 0 {
			t.Errorf("an event for another bucket tagged %s: %v", bad, tg)
		}
	})
	t.Run("the bad object's event carrying the good object's ETag", func(t *testing.T) {
		handle(payloadOf(event(bucket, bad, goodTags["upload-etag"])))
		if where, tg := verdictOf(t, root, bad, "quarantine/"+bad); where != "quarantined" || tg["upload-reason"] != "type-mismatch" {
			t.Errorf("%s %s %v", bad, where, tg)
		}
	})
	t.Run("the good object's event duplicated and carrying a bad ETag", func(t *testing.T) {
		rec := event(bucket, good, "0123456789ABCDEF0123456789ABCDEF")
		handle(payloadOf(rec, rec, rec))
		if now := tags(t, root, good); now["upload-status"] != "verified" || now["upload-etag"] != goodTags["upload-etag"] {
			t.Errorf("good.png tags %v", now)
		}
		if n := s.hook.forKey(good); len(n) != 1 {
			t.Errorf("good.png delivered %d times: %+v", len(n), n)
		}
	})
	t.Run("a quarantine key and a key outside the upload prefix", func(t *testing.T) {
		handle(payloadOf(event(bucket, "quarantine/uploads/u7/q.png", ""), event(bucket, "other/x.png", "")))
		for _, k := range []string{"quarantine/uploads/u7/q.png", "other/x.png"} {
			if tg := tags(t, root, k); len(tg) != 0 {
				t.Errorf("%s tagged %v", k, tg)
			}
		}
	})
	t.Run("a key URL-encoded to name the good object", func(t *testing.T) {
		handle(payloadOf(event(bucket, "uploads/u7/good%2Epng", "")))
		if now := tags(t, root, good); now["upload-etag"] != goodTags["upload-etag"] || len(s.hook.forKey(good)) != 1 {
			t.Errorf("good.png touched: %v", now)
		}
	})
	t.Run("a 4 MiB payload of poison and a 2,000-byte key", func(t *testing.T) {
		junk := map[string]any{"events": []any{event(bucket, "uploads/u7/"+strings.Repeat("k", 2000), ""), strings.Repeat("x", 4<<20), 42, nil}}
		b, err := json.Marshal(junk)
		must(t, err)
		handle(b)
	})
}
