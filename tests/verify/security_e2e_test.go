package verify_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/shared/uploadrules"
	"github.com/ossupload/ossupload/shared/verifier"
)

// uploader returns an official SDK client with the STS session an app's
// user gets from the sts function: the uploader role, narrowed by a session
// policy to uploads/<user>/*.
func (s *stack) uploader(t *testing.T, user string) *aoss.Bucket {
	t.Helper()
	creds := s.sts(t, devAK, "uploader", user, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject","oss:InitiateMultipartUpload","oss:UploadPart","oss:CompleteMultipartUpload"],"Resource":"acs:oss:*:*:`+bucket+`/uploads/`+user+`/*"}]}`)
	return s.client(t, creds)
}

// verdictOf returns where the object ended up and its verdict tags:
// "in place", "quarantined" (under qkey) or "deleted".
func verdictOf(t *testing.T, root *aoss.Bucket, key, qkey string) (string, map[string]string) {
	t.Helper()
	if ok, err := root.IsObjectExist(key); err != nil {
		t.Fatal(err)
	} else if ok {
		return "in place", tags(t, root, key)
	}
	if ok, err := root.IsObjectExist(qkey); err != nil {
		t.Fatal(err)
	} else if ok {
		return "quarantined", tags(t, root, qkey)
	}
	return "deleted", nil
}

// TestStoredObjectJudged is issue 12's table of attacks through the
// uploader's STS credentials and the official Go SDK, judged by the real
// verifier against the OSS emulator (items 1, 3, 6 and 7). Each row fails
// on a verifier that only reads the declared intent.
func TestStoredObjectJudged(t *testing.T) {
	s := newStack(t)
	v := s.newVerifier(t, 1<<20)
	root := s.root(t)
	up := s.uploader(t, "u3")
	png := pngBytes(t)
	pngThenHTML := append(append([]byte{}, png...), "<html><script>alert(document.cookie)</script></html>"...)
	text := strings.Repeat("meeting notes, plain text only\n", 4096/31+1)

	cases := []struct {
		name   string
		key    string
		body   []byte
		opts   []aoss.Option
		where  string // in place | quarantined | deleted
		reason string // "" = verified
	}{
		{"text/html stored, image/png declared", "uploads/u3/a.png", pngThenHTML,
			[]aoss.Option{aoss.ContentType("text/html"), aoss.Meta("declared-type", "image/png")}, "quarantined", "type-mismatch"},
		{"xhtml stored, image/png declared", "uploads/u3/b.png", pngThenHTML,
			[]aoss.Option{aoss.ContentType("application/xhtml+xml"), aoss.Meta("declared-type", "image/png")}, "quarantined", "type-mismatch"},
		{"text/html with an image parameter", "uploads/u3/c.png", png,
			[]aoss.Option{aoss.ContentType("text/html; x=image/png")}, "quarantined", "unsafe-header"},
		{".html key holding text/plain", "uploads/u3/page.html", []byte("hello\n"),
			[]aoss.Option{aoss.ContentType("text/plain")}, "quarantined", "type-not-allowed"},
		{"HTML after 4 KiB of text", "uploads/u3/notes.txt", []byte(text + "<html><body><script>alert(1)</script>"),
			[]aoss.Option{aoss.ContentType("text/plain")}, "quarantined", "active-content"},
		{"the same text without HTML", "uploads/u3/clean.txt", []byte(text),
			[]aoss.Option{aoss.ContentType("text/plain")}, "in place", ""},
		{"Content-Encoding gzip", "uploads/u3/enc.png", png,
			[]aoss.Option{aoss.ContentType("image/png"), aoss.ContentEncoding("gzip")}, "quarantined", "unsafe-header"},
		{"Content-Disposition inline", "uploads/u3/disp.png", png,
			[]aoss.Option{aoss.ContentType("image/png"), aoss.ContentDisposition("inline")}, "quarantined", "unsafe-header"},
		{"Content-Disposition attachment", "uploads/u3/att.png", png,
			[]aoss.Option{aoss.ContentType("image/png"), aoss.ContentDisposition(`attachment; filename="att.png"`)}, "in place", ""},
		{"control character in the key", "uploads/u3/a\x01b.png", png,
			[]aoss.Option{aoss.ContentType("image/png")}, "deleted", "invalid-key"},
		{"NUL in the key", "uploads/u3/a\x00b.png", png,
			[]aoss.Option{aoss.ContentType("image/png")}, "deleted", "invalid-key"},
		{"newline in the key", "uploads/u3/a\nb.png", png,
			[]aoss.Option{aoss.ContentType("image/png")}, "deleted", "invalid-key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			must(t, up.PutObject(tc.key, bytes.NewReader(tc.body), tc.opts...))
			s.deliver(t, v)
			qkey := uploadrules.QuarantineKey("quarantine/", tc.key)
			where, tg := verdictOf(t, root, tc.key, qkey)
			wantStatus := "verified"
			if tc.reason != "" {
				wantStatus = "rejected"
			}
			if where != tc.where || (tg != nil && (tg["upload-status"] != wantStatus || tg["upload-reason"] != tc.reason)) {
				t.Errorf("object %s with tags %v; want %s, %s %q", where, tg, tc.where, wantStatus, tc.reason)
			}
			n := s.hook.forKey(tc.key)
			if len(n) != 1 || n[0].Verdict != wantStatus || n[0].Reason != tc.reason {
				t.Errorf("webhook = %+v", n)
			}
		})
	}

	// Item 6: a key too long to keep its name under the quarantine prefix
	// is quarantined under the shared hashed quarantine key.
	t.Run("long key quarantined", func(t *testing.T) {
		key := "uploads/u3/" + strings.Repeat("n", 1000) + ".png"
		must(t, up.PutObject(key, bytes.NewReader(exeBytes()), aoss.ContentType("image/png")))
		s.deliver(t, v)
		qkey := uploadrules.QuarantineKey("quarantine/", key)
		if qkey == "quarantine/"+key {
			t.Fatal("quarantine key not shortened")
		}
		where, tg := verdictOf(t, root, key, qkey)
		if where != "quarantined" || tg["upload-reason"] != "type-mismatch" {
			t.Errorf("object %s, tags %v", where, tg)
		}
		if n := s.hook.forKey(key); len(n) != 1 || n[0].LocationKey != qkey {
			t.Errorf("webhook = %+v", n)
		}
	})

	// Item 3: next to a verified x.png, an object stored under the literal
	// key x%2Epng gets its own verdict; x.png is left alone.
	t.Run("shadow key judged on its own", func(t *testing.T) {
		good, shadow := "uploads/u3/x.png", "uploads/u3/x%2Epng"
		must(t, up.PutObject(good, bytes.NewReader(png), aoss.ContentType("image/png")))
		s.deliver(t, v)
		goodTags := tags(t, root, good)
		if goodTags["upload-status"] != "verified" {
			t.Fatalf("x.png: %v", goodTags)
		}
		must(t, up.PutObject(shadow, bytes.NewReader(exeBytes()), aoss.ContentType("image/png")))
		s.deliver(t, v)
		where, tg := verdictOf(t, root, shadow, "quarantine/"+shadow)
		if where != "quarantined" || tg["upload-status"] != "rejected" || tg["upload-reason"] != "type-mismatch" {
			t.Errorf("x%%2Epng %s with tags %v; want its own rejection", where, tg)
		}
		if n := s.hook.forKey(shadow); len(n) != 1 || n[0].Verdict != "rejected" {
			t.Errorf("x%%2Epng webhook = %+v", n)
		}
		if now := tags(t, root, good); now["upload-etag"] != goodTags["upload-etag"] || now["upload-status"] != "verified" {
			t.Errorf("x.png changed: %v", now)
		}
	})
}

// racingStore runs a function once, just before the first call of one
// operation, to overwrite the object the way a second upload racing the
// verifier would.
type racingStore struct {
	verifier.Store
	op   string
	race func()
}

func (r *racingStore) fire(op string) {
	if r.race != nil && r.op == op {
		f := r.race
		r.race = nil
		f()
	}
}

func (r *racingStore) PutTags(ctx context.Context, key string, tags map[string]string) error {
	r.fire("PutTags")
	return r.Store.PutTags(ctx, key, tags)
}

func (r *racingStore) Copy(ctx context.Context, src, dst, etag string, tags map[string]string) error {
	r.fire("Copy")
	return r.Store.Copy(ctx, src, dst, etag, tags)
}

// TestVerdictBoundToBytesEndToEnd (item 4): the uploader overwrites its
// object while the verifier records the verdict of the previous bytes. The
// tags on the object end up describing the object's own bytes, and a
// quarantine copy is only ever made of the bytes judged.
func TestVerdictBoundToBytesEndToEnd(t *testing.T) {
	s := newStack(t)
	root := s.root(t)
	up := s.uploader(t, "u4")

	t.Run("overwritten before the tags are written", func(t *testing.T) {
		v := s.newVerifier(t, 1<<20)
		s.deliver(t, v) // nothing left over from another subtest
		key := "uploads/u4/race.png"
		must(t, up.PutObject(key, bytes.NewReader(pngBytes(t)), aoss.ContentType("image/png")))
		first := s.drain()
		rs := &racingStore{Store: v.Store, op: "PutTags", race: func() {
			must(t, up.PutObject(key, bytes.NewReader(exeBytes()), aoss.ContentType("image/png")))
		}}
		v.Store = rs
		for _, p := range first {
			must(t, v.Handle(context.Background(), p))
		}
		// The overwrite's own event comes later (or was handled already on
		// another instance): either way the tags now describe the bytes.
		h, err := root.GetObjectDetailedMeta(key)
		if err == nil {
			tg := tags(t, root, key)
			if tg["upload-etag"] != verifier.NormalizeETag(h.Get("ETag")) {
				t.Fatalf("tags %v describe other bytes than %s", tg, h.Get("ETag"))
			}
		}
		where, tg := verdictOf(t, root, key, "quarantine/"+key)
		if where != "quarantined" || tg["upload-reason"] != "type-mismatch" {
			t.Errorf("the overwriting exe: %s, %v", where, tg)
		}
		s.deliver(t, v)
	})

	t.Run("overwritten before the quarantine copy", func(t *testing.T) {
		v := s.newVerifier(t, 1<<20)
		s.deliver(t, v) // nothing left over from another subtest
		key := "uploads/u4/race2.png"
		must(t, up.PutObject(key, bytes.NewReader(exeBytes()), aoss.ContentType("image/png")))
		first := s.drain()
		rs := &racingStore{Store: v.Store, op: "Copy", race: func() {
			must(t, up.PutObject(key, bytes.NewReader(pngBytes(t)), aoss.ContentType("image/png")))
		}}
		v.Store = rs
		for _, p := range first {
			must(t, v.Handle(context.Background(), p))
		}
		if ok, err := root.IsObjectExist("quarantine/" + key); err != nil || ok {
			t.Fatalf("the new PNG was copied into quarantine under the exe's verdict (%v, %v)", ok, err)
		}
		s.deliver(t, v) // the PNG's own event
		if where, tg := verdictOf(t, root, key, "quarantine/"+key); where != "in place" || tg["upload-status"] != "verified" {
			t.Errorf("the PNG: %s, %v", where, tg)
		}
	})
}
