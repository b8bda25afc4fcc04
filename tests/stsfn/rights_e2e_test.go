package stsfn

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// What the credentials the sts function vends can and cannot do, with the
// official Go SDK against the emulators (the bucket with Block Public
// Access, as template.yaml creates it), and which of the resulting objects
// reach the verify function through its trigger as s.yaml configures it.
// The verdicts on appendable objects and symlinks are verify's (shared/verifier).
//
//	attempt                                   outcome
//	PutObject, x-oss-object-acl: public-read  403 AccessDenied (Block Public Access)
//	InitiateMultipartUpload, public ACL       403 AccessDenied
//	AppendObject under the own prefix         allowed (oss:PutObject); event to verify; HEAD: Appendable
//	PutSymlink to a key outside the prefix    allowed (oss:PutObject); event to verify; HEAD: Symlink
//	PutObject over an existing object         allowed; tags gone; event to verify (judged again)
//	CopyObject within the own prefix          403 AccessDenied (needs oss:GetObject)
//	PutObject of a key with NUL / controls    stored as OSS does; event to verify
func TestUploaderRightsEndToEnd(t *testing.T) {
	s := newStack(t)
	alice := s.vend(t, "alice")
	creds := vendedCreds{alice.AccessKeyID, alice.AccessKeySecret, alice.StsToken, alice.Region, alice.Bucket}
	dev := s.developerOSS

	for _, v := range []struct {
		name string
		v4   bool
	}{{"v1", false}, {"v4", true}} {
		t.Run(v.name, func(t *testing.T) {
			b := userBucket(t, s.ossURL, creds, v.v4)
			dir := alice.Dir + v.name + "/"

			// A public object ACL: refused with OSS's code, nothing stored.
			for _, acl := range []aoss.ACLType{aoss.ACLPublicRead, aoss.ACLPublicReadWrite} {
				wantDenied(t, "PutObject with "+string(acl), b.PutObject(dir+"public.html", strings.NewReader("<html>"), aoss.ObjectACL(acl)))
				_, err := b.InitiateMultipartUpload(dir+"public.bin", aoss.ObjectACL(acl))
				wantDenied(t, "InitiateMultipartUpload with "+string(acl), err)
			}
			if _, err := dev.GetObjectDetailedMeta(dir + "public.html"); err == nil {
				t.Fatal("a refused public upload was stored")
			}
			if err := b.PutObject(dir+"private.txt", strings.NewReader("x"), aoss.ObjectACL(aoss.ACLPrivate)); err != nil {
				t.Fatalf("PutObject with a private ACL: %v", err)
			}
			s.delivered(t, "ObjectCreated:PutObject", dir+"private.txt")

			// AppendObject: oss:PutObject allows creating an appendable
			// object, and verify hears of it; a later append changes an
			// existing object, which the overwrite protection rule refuses.
			next, err := b.AppendObject(dir+"a.png", bytes.NewReader(pngHeader), 0)
			if err != nil {
				t.Fatalf("AppendObject: %v", err)
			}
			if r := s.delivered(t, "ObjectCreated:AppendObject", dir+"a.png"); r.Size != next {
				t.Fatalf("append event: size %d, want %d", r.Size, next)
			}
			_, err = b.AppendObject(dir+"a.png", strings.NewReader("<html><script>"), next)
			if se := (aoss.ServiceError{}); !errors.As(err, &se) || se.StatusCode != http.StatusConflict || se.Code != "FileAlreadyExists" {
				t.Fatalf("second AppendObject: %v, want 409 FileAlreadyExists", err)
			}
			wantType(t, dev, dir+"a.png", "Appendable")

			// PutSymlink: allowed, even to a key outside the user's prefix.
			if err := b.PutSymlink(dir+"l.png", "site/index.html"); err != nil {
				t.Fatalf("PutSymlink: %v", err)
			}
			s.delivered(t, "ObjectCreated:PutSymlink", dir+"l.png")
			if err := dev.PutObject("site/index.html", strings.NewReader("<html>")); err != nil {
				t.Fatal(err)
			}
			wantType(t, dev, dir+"l.png", "Symlink")

			// Overwriting an object that verify already tagged: oss:PutObject
			// allows it and no RAM condition can forbid it, but the bucket's
			// overwrite protection rule (template.yaml) refuses it for
			// everyone, even with x-oss-forbid-overwrite: false.
			const verified = "upload-status"
			if err := b.PutObject(dir+"x.png", bytes.NewReader(pngHeader)); err != nil {
				t.Fatal(err)
			}
			s.delivered(t, "ObjectCreated:PutObject", dir+"x.png")
			if err := dev.PutObjectTagging(dir+"x.png", aoss.Tagging{Tags: []aoss.Tag{{Key: verified, Value: "verified"}}}); err != nil {
				t.Fatal(err)
			}
			err = b.PutObject(dir+"x.png", strings.NewReader("<html><script>"), aoss.ForbidOverWrite(false))
			var se aoss.ServiceError
			if !errors.As(err, &se) || se.StatusCode != http.StatusConflict || se.Code != "FileAlreadyExists" {
				t.Fatalf("overwrite of a verified upload: %v, want 409 FileAlreadyExists", err)
			}
			tags, err := dev.GetObjectTagging(dir + "x.png")
			if err != nil || len(tags.Tags) != 1 || tags.Tags[0].Value != "verified" {
				t.Fatalf("the refused overwrite changed the tags: %+v (%v)", tags.Tags, err)
			}
			wantType(t, dev, dir+"x.png", "Normal")

			// CopyObject needs oss:GetObject on the source, which a session lacks.
			_, err = b.CopyObject(dir+"x.png", dir+"copy.png")
			wantDenied(t, "CopyObject", err)

			// Control characters are valid in OSS keys; verify gets the event
			// with the exact key (and rejects it).
			for _, key := range []string{dir + "nul\x00.png", dir + "cr\r\n.png"} {
				if err := b.PutObject(key, bytes.NewReader(pngHeader)); err != nil {
					t.Fatalf("PutObject %q: %v", key, err)
				}
				s.delivered(t, "ObjectCreated:PutObject", key)
			}
		})
	}
}

// pngHeader is the PNG signature and an IHDR chunk start.
var pngHeader = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

func wantType(t *testing.T, b *aoss.Bucket, key, want string) {
	t.Helper()
	h, err := b.GetObjectDetailedMeta(key)
	if err != nil {
		t.Fatalf("HEAD %s: %v", key, err)
	}
	if got := h.Get("X-Oss-Object-Type"); got != want {
		t.Fatalf("%s: x-oss-object-type %q, want %q", key, got, want)
	}
}
