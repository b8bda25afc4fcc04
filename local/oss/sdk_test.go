package oss_test

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// The official Go SDK (aliyun-oss-go-sdk v3.0.2, unmodified) against the
// emulator over loopback HTTP, V1 and V4, with root and STS keys.

type signing struct {
	name string
	opts []aoss.ClientOption
}

var signings = []signing{
	{"V1", nil},
	{"V4", []aoss.ClientOption{aoss.AuthVersion(aoss.AuthV4), aoss.Region("cn-hangzhou")}},
}

func (e *env) bucket(t testing.TB, ak, secret, token string, opts ...aoss.ClientOption) *aoss.Bucket {
	t.Helper()
	if token != "" {
		opts = append(opts, aoss.SecurityToken(token))
	}
	c, err := aoss.New(e.url, ak, secret, opts...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Bucket(testBucket)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func serviceCode(err error) (string, int) {
	var se aoss.ServiceError
	if errors.As(err, &se) {
		return se.Code, se.StatusCode
	}
	var sp *aoss.ServiceError
	if errors.As(err, &sp) {
		return sp.Code, sp.StatusCode
	}
	return "", 0
}

func wantCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	got, st := serviceCode(err)
	if got != code || st != status {
		t.Fatalf("error = %v (code %q, status %d), want %s %d", err, got, st, code, status)
	}
}

// notModified reports whether err is the SDK's answer to a 304: it has no
// typed error for 3xx statuses, only "oss: service returned 304,304 Not
// Modified" (conn.go of aliyun-oss-go-sdk v3.0.2).
func notModified(err error) bool {
	return err != nil && strings.Contains(err.Error(), "service returned 304,")
}

// pattern returns n deterministic bytes.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed
	}
	return b
}

func TestSDKConformance(t *testing.T) {
	e := newEnv(t)
	for _, sg := range signings {
		for _, cred := range []string{"root", "sts"} {
			t.Run(sg.name+"/"+cred, func(t *testing.T) {
				var b *aoss.Bucket
				if cred == "root" {
					b = e.bucket(t, rootAK, rootSecret, "", sg.opts...)
				} else {
					p := e.assume(t, "", 0)
					b = e.bucket(t, p.AccessKeyID, p.AccessKeySecret, p.SecurityToken, sg.opts...)
				}
				sdkSuite(t, b, fmt.Sprintf("uploads/user-42/%s-%s/hello world+ü(1).txt", sg.name, cred))
			})
		}
	}
}

func sdkSuite(t *testing.T, b *aoss.Bucket, key string) {
	body := []byte("hello, emulator\n")
	if err := b.PutObject(key, bytes.NewReader(body), aoss.Meta("author", "alice"), aoss.ContentType("text/plain"),
		aoss.ContentDisposition("attachment")); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	t.Run("get", func(t *testing.T) {
		rc, err := b.GetObject(key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc) // the SDK checks x-oss-hash-crc64ecma at EOF
		rc.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("GetObject = %q, %v", got, err)
		}
	})
	t.Run("range", func(t *testing.T) {
		rc, err := b.GetObject(key, aoss.Range(7, 14))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != "emulator" {
			t.Fatalf("range get = %q", got)
		}
	})
	t.Run("head", func(t *testing.T) {
		h, err := b.GetObjectDetailedMeta(key)
		if err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(body)
		if want := fmt.Sprintf(`"%X"`, sum); h.Get("ETag") != want {
			t.Errorf("ETag = %s, want %s", h.Get("ETag"), want)
		}
		if h.Get("X-Oss-Meta-Author") != "alice" || h.Get("Content-Type") != "text/plain" || h.Get("Content-Disposition") != "attachment" ||
			h.Get("Content-Length") != fmt.Sprint(len(body)) || h.Get("X-Oss-Request-Id") == "" || h.Get("Last-Modified") == "" {
			t.Errorf("headers = %v", h)
		}
	})
	t.Run("conditional", func(t *testing.T) {
		h, err := b.GetObjectDetailedMeta(key)
		if err != nil {
			t.Fatal(err)
		}
		etag, lastModified := h.Get("ETag"), h.Get("Last-Modified")
		modified, err := http.ParseTime(lastModified)
		if err != nil {
			t.Fatalf("Last-Modified %q: %v", lastModified, err)
		}
		before, after := modified.Add(-time.Hour), modified.Add(time.Hour)
		const other = `"0123456789ABCDEF0123456789ABCDEF"`
		for _, c := range []struct {
			name string
			opts []aoss.Option
			code string // "" = 200 with the body
			http int
		}{
			{"If-Match same", []aoss.Option{aoss.IfMatch(etag)}, "", 200},
			{"If-Match unquoted lower case", []aoss.Option{aoss.IfMatch(strings.ToLower(strings.Trim(etag, `"`)))}, "", 200},
			{"If-Match star", []aoss.Option{aoss.IfMatch("*")}, "", 200},
			{"If-Match in a list", []aoss.Option{aoss.IfMatch(other + ", " + etag)}, "", 200},
			{"If-Match other", []aoss.Option{aoss.IfMatch(other)}, "PreconditionFailed", 412},
			{"If-Unmodified-Since before", []aoss.Option{aoss.IfUnmodifiedSince(before)}, "PreconditionFailed", 412},
			{"If-Unmodified-Since after", []aoss.Option{aoss.IfUnmodifiedSince(after)}, "", 200},
			{"If-Match wins over If-Unmodified-Since", []aoss.Option{aoss.IfMatch(etag), aoss.IfUnmodifiedSince(before)}, "", 200},
			{"If-None-Match same", []aoss.Option{aoss.IfNoneMatch(etag)}, "", 304},
			{"If-None-Match other", []aoss.Option{aoss.IfNoneMatch(other)}, "", 200},
			{"If-Modified-Since after", []aoss.Option{aoss.IfModifiedSince(after)}, "", 304},
			{"If-Modified-Since before", []aoss.Option{aoss.IfModifiedSince(before)}, "", 200},
			{"If-None-Match wins over If-Modified-Since", []aoss.Option{aoss.IfNoneMatch(other), aoss.IfModifiedSince(after)}, "", 200},
		} {
			t.Run(c.name, func(t *testing.T) {
				rc, err := b.GetObject(key, c.opts...)
				switch {
				case c.http == 200:
					if err != nil {
						t.Fatalf("GetObject: %v", err)
					}
					got, _ := io.ReadAll(rc)
					rc.Close()
					if !bytes.Equal(got, body) {
						t.Fatalf("body %q", got)
					}
				case c.http == 304:
					if err == nil {
						rc.Close()
					}
					if !notModified(err) {
						t.Fatalf("GetObject err = %v, want a 304", err)
					}
				default:
					if err == nil {
						rc.Close()
					}
					wantCode(t, err, c.code, c.http)
				}
				// HEAD answers the same, the error decoded from x-oss-err.
				_, err = b.GetObjectDetailedMeta(key, c.opts...)
				switch c.http {
				case 200:
					if err != nil {
						t.Fatalf("HEAD: %v", err)
					}
				case 304:
					if !notModified(err) {
						t.Fatalf("HEAD err = %v, want a 304", err)
					}
				default:
					wantCode(t, err, c.code, c.http)
				}
			})
		}
	})
	t.Run("copy", func(t *testing.T) {
		dst := key + ".copy"
		if _, err := b.CopyObject(key, dst); err != nil {
			t.Fatal(err)
		}
		h, err := b.GetObjectDetailedMeta(dst)
		if err != nil || h.Get("X-Oss-Meta-Author") != "alice" {
			t.Fatalf("copy meta %v, %v", h, err)
		}
		if _, err := b.CopyObject(key, dst, aoss.MetadataDirective(aoss.MetaReplace), aoss.Meta("author", "bob")); err != nil {
			t.Fatal(err)
		}
		if h, _ := b.GetObjectDetailedMeta(dst); h.Get("X-Oss-Meta-Author") != "bob" {
			t.Errorf("REPLACE directive: author %q", h.Get("X-Oss-Meta-Author"))
		}
	})
	t.Run("tagging", func(t *testing.T) {
		tags := aoss.Tagging{Tags: []aoss.Tag{{Key: "upload-status", Value: "verified"}, {Key: "k2", Value: "v 2"}}}
		if err := b.PutObjectTagging(key, tags); err != nil {
			t.Fatal(err)
		}
		got, err := b.GetObjectTagging(key)
		if err != nil || len(got.Tags) != 2 || got.Tags[0].Key != "upload-status" || got.Tags[0].Value != "verified" || got.Tags[1].Value != "v 2" {
			t.Fatalf("GetObjectTagging = %+v, %v", got, err)
		}
		if err := b.DeleteObjectTagging(key); err != nil {
			t.Fatal(err)
		}
		if got, err := b.GetObjectTagging(key); err != nil || len(got.Tags) != 0 {
			t.Fatalf("after delete %+v, %v", got, err)
		}
	})
	t.Run("multipart", func(t *testing.T) {
		mk := key + ".multi"
		parts := [][]byte{pattern(150*1024, 1), pattern(100*1024, 2), pattern(1000, 3)}
		imur, err := b.InitiateMultipartUpload(mk, aoss.Meta("owner", "alice"))
		if err != nil {
			t.Fatal(err)
		}
		var done []aoss.UploadPart
		for i, p := range parts {
			up, err := b.UploadPart(imur, bytes.NewReader(p), int64(len(p)), i+1) // SDK checks the part CRC
			if err != nil {
				t.Fatalf("UploadPart %d: %v", i+1, err)
			}
			done = append(done, up)
		}
		lp, err := b.ListUploadedParts(imur)
		if err != nil || len(lp.UploadedParts) != 3 || lp.UploadedParts[0].Size != len(parts[0]) || lp.UploadedParts[1].ETag != done[1].ETag {
			t.Fatalf("ListUploadedParts = %+v, %v", lp, err)
		}
		if _, err := b.CompleteMultipartUpload(imur, done); err != nil {
			t.Fatal(err)
		}
		rc, err := b.GetObject(mk)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc) // CRC of the assembled object is checked by the SDK
		rc.Close()
		if err != nil || !bytes.Equal(got, bytes.Join(parts, nil)) {
			t.Fatalf("assembled object wrong (%d bytes, %v)", len(got), err)
		}
		h, _ := b.GetObjectDetailedMeta(mk)
		if !strings.HasSuffix(h.Get("ETag"), `-3"`) || h.Get("X-Oss-Meta-Owner") != "alice" {
			t.Errorf("multipart object headers %v", h)
		}
	})
	t.Run("abort", func(t *testing.T) {
		imur, err := b.InitiateMultipartUpload(key + ".aborted")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.UploadPart(imur, bytes.NewReader(pattern(1024, 4)), 1024, 1); err != nil {
			t.Fatal(err)
		}
		if err := b.AbortMultipartUpload(imur); err != nil {
			t.Fatal(err)
		}
		_, err = b.ListUploadedParts(imur)
		wantCode(t, err, "NoSuchUpload", 404)
	})
	t.Run("presigned", func(t *testing.T) {
		pk := key + ".presigned"
		putURL, err := b.SignURL(pk, aoss.HTTPPut, 60)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.PutObjectWithURL(putURL, strings.NewReader("via url")); err != nil {
			t.Fatalf("PUT presigned %s: %v", putURL, err)
		}
		getURL, err := b.SignURL(pk, aoss.HTTPGet, 60)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := b.GetObjectWithURL(getURL)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if string(got) != "via url" {
			t.Fatalf("GET presigned = %q", got)
		}
		resp, err := http.Get(getURL) // plain client, as a browser would
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("plain GET of presigned URL: %d", resp.StatusCode)
		}
	})
	t.Run("list", func(t *testing.T) {
		res, err := b.ListObjects(aoss.Prefix(key), aoss.MaxKeys(2))
		if err != nil || len(res.Objects) != 2 || !res.IsTruncated || res.Objects[0].Key != key {
			t.Fatalf("ListObjects = %+v, %v", res, err)
		}
		next, err := b.ListObjects(aoss.Prefix(key), aoss.Marker(res.NextMarker))
		if err != nil || len(next.Objects) == 0 || next.Objects[0].Key <= res.Objects[1].Key {
			t.Fatalf("second page = %+v, %v", next, err)
		}
		dir := key[:strings.LastIndex(key, "/")+1]
		grouped, err := b.ListObjects(aoss.Prefix(dir[:len(dir)-1]), aoss.Delimiter("/"))
		if err != nil || len(grouped.CommonPrefixes) != 1 || grouped.CommonPrefixes[0] != dir || len(grouped.Objects) != 0 {
			t.Fatalf("delimiter listing = %+v, %v", grouped, err)
		}
		v2, err := b.ListObjectsV2(aoss.Prefix(key), aoss.MaxKeys(1))
		if err != nil || len(v2.Objects) != 1 || !v2.IsTruncated || v2.NextContinuationToken == "" {
			t.Fatalf("ListObjectsV2 = %+v, %v", v2, err)
		}
	})
	t.Run("delete", func(t *testing.T) {
		if err := b.DeleteObject(key); err != nil {
			t.Fatal(err)
		}
		if err := b.DeleteObject(key); err != nil { // idempotent
			t.Fatal(err)
		}
		ok, err := b.IsObjectExist(key)
		if err != nil || ok {
			t.Fatalf("IsObjectExist after delete = %v, %v", ok, err)
		}
		_, err = b.GetObjectDetailedMeta(key) // HEAD: error decoded from x-oss-err
		wantCode(t, err, "NoSuchKey", 404)
		_, err = b.GetObject(key)
		wantCode(t, err, "NoSuchKey", 404)
	})
}

func TestSDKNegative(t *testing.T) {
	for _, sg := range signings {
		t.Run(sg.name, func(t *testing.T) {
			e := newEnv(t)
			t.Run("forged signature", func(t *testing.T) {
				b := e.bucket(t, rootAK, "not-the-secret", "", sg.opts...)
				err := b.PutObject("uploads/x", strings.NewReader("x"))
				wantCode(t, err, "SignatureDoesNotMatch", 403)
				p := e.assume(t, "", 0)
				b = e.bucket(t, p.AccessKeyID, p.AccessKeySecret+"x", p.SecurityToken, sg.opts...)
				_, err = b.GetObject("uploads/x")
				wantCode(t, err, "SignatureDoesNotMatch", 403)
			})
			t.Run("unknown key", func(t *testing.T) {
				b := e.bucket(t, "LTAInobody", "secret", "", sg.opts...)
				wantCode(t, b.PutObject("uploads/x", strings.NewReader("x")), "InvalidAccessKeyId", 403)
			})
			t.Run("missing token", func(t *testing.T) {
				p := e.assume(t, "", 0)
				b := e.bucket(t, p.AccessKeyID, p.AccessKeySecret, "", sg.opts...)
				wantCode(t, b.PutObject("uploads/x", strings.NewReader("x")), "InvalidSecurityToken", 403)
			})
			t.Run("token from another key", func(t *testing.T) {
				p1, p2 := e.assume(t, "", 0), e.assume(t, "", 0)
				b := e.bucket(t, p1.AccessKeyID, p1.AccessKeySecret, p2.SecurityToken, sg.opts...)
				wantCode(t, b.PutObject("uploads/x", strings.NewReader("x")), "AccessKeyIdAndSecurityTokenNotMatch", 403)
			})
			t.Run("outside session policy", func(t *testing.T) {
				p := e.assume(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject","oss:GetObject"],"Resource":"acs:oss:*:*:`+testBucket+`/uploads/user-42/*"}]}`, 0)
				b := e.bucket(t, p.AccessKeyID, p.AccessKeySecret, p.SecurityToken, sg.opts...)
				if err := b.PutObject("uploads/user-42/ok.txt", strings.NewReader("ok")); err != nil {
					t.Fatalf("allowed put: %v", err)
				}
				wantCode(t, b.PutObject("uploads/user-7/nope.txt", strings.NewReader("x")), "AccessDenied", 403)
				_, err := b.ListObjects()
				wantCode(t, err, "AccessDenied", 403)
				wantCode(t, b.DeleteObject("uploads/user-42/ok.txt"), "AccessDenied", 403)
			})
			t.Run("anonymous", func(t *testing.T) {
				resp, err := http.Get(e.url + "/" + testBucket + "/uploads/user-42/ok.txt")
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 403 || !strings.Contains(string(body), "<Code>AccessDenied</Code>") || resp.Header.Get("x-oss-request-id") == "" {
					t.Fatalf("anonymous GET: %d %s", resp.StatusCode, body)
				}
			})
			t.Run("no such bucket", func(t *testing.T) {
				c, _ := aoss.New(e.url, rootAK, rootSecret, sg.opts...)
				b, _ := c.Bucket("nosuchbucket")
				wantCode(t, b.PutObject("k", strings.NewReader("x")), "NoSuchBucket", 404)
			})
			// Clock tests last: they move the shared clock.
			t.Run("expired token", func(t *testing.T) {
				p := e.assume(t, "", 15*time.Minute)
				b := e.bucket(t, p.AccessKeyID, p.AccessKeySecret, p.SecurityToken, sg.opts...)
				if err := b.PutObject("uploads/x", strings.NewReader("x")); err != nil {
					t.Fatalf("fresh token refused: %v", err)
				}
				e.clock.Advance(16 * time.Minute)
				defer e.clock.Advance(-16 * time.Minute)
				wantCode(t, b.PutObject("uploads/x", strings.NewReader("x")), "SecurityTokenExpired", 403)
			})
			t.Run("skewed clock", func(t *testing.T) {
				b := e.bucket(t, rootAK, rootSecret, "", sg.opts...)
				e.clock.Advance(20 * time.Minute)
				defer e.clock.Advance(-20 * time.Minute)
				wantCode(t, b.PutObject("uploads/x", strings.NewReader("x")), "RequestTimeTooSkewed", 403)
				_, err := b.GetObjectDetailedMeta("uploads/x") // HEAD: x-oss-err header
				wantCode(t, err, "RequestTimeTooSkewed", 403)
			})
		})
	}
}
