package verify_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/shared/uploadrules"
	"github.com/ossupload/ossupload/shared/verifier"
	"github.com/ossupload/ossupload/shared/verifier/verifiertest"
)

// newVerifier wires the real handler to the emulator through the real
// OSSStore, with STS credentials of the verify role (security token
// included), as FC hands them to the function.
func (s *stack) newVerifier(t *testing.T, maxBytes int64) *verifier.Verifier {
	return &verifier.Verifier{
		Bucket:           bucket,
		Rules:            uploadrules.Rules{Prefix: "uploads/", MaxBytes: maxBytes, AllowedTypes: []string{"image/*", "application/pdf", "text/plain"}},
		QuarantinePrefix: "quarantine/",
		Action:           verifier.ActionQuarantine,
		Store:            &verifier.OSSStore{Endpoint: s.url, Region: region, Bucket: bucket, Credentials: staticCreds(s.sts(t, fcAK, "verify", "verify-fn", ""))},
		Notifier:         &verifier.Notifier{URL: s.hook.url, Secret: hookSecret, Timeout: 5 * time.Second},
	}
}

// deliver hands every pending emulator event to the verifier, as the OSS
// trigger would, including the events of the verifier's own writes, until
// none is left; it returns how many it delivered.
func (s *stack) deliver(t *testing.T, v *verifier.Verifier) int {
	t.Helper()
	n := 0
	for evs := s.drain(); len(evs) > 0; evs = s.drain() {
		for _, p := range evs {
			if err := v.Handle(context.Background(), p); err != nil {
				t.Fatalf("Handle(%s): %v", p, err)
			}
		}
		n += len(evs)
	}
	return n
}

func tags(t *testing.T, b *aoss.Bucket, key string) map[string]string {
	t.Helper()
	res, err := b.GetObjectTagging(key)
	if err != nil {
		t.Fatalf("GetObjectTagging %s: %v", key, err)
	}
	m := map[string]string{}
	for _, tg := range res.Tags {
		m[tg.Key] = tg.Value
	}
	return m
}

func TestVerifyEndToEnd(t *testing.T) {
	s := newStack(t)
	v := s.newVerifier(t, 1<<20)
	root := s.root(t)

	t.Run("real PNG verified", func(t *testing.T) {
		key := "uploads/u1/2026/11/23/00112233aabbccdd-cat.png"
		data := pngBytes(t)
		must(t, root.PutObject(key, bytes.NewReader(data), aoss.ContentType("image/png"), aoss.Meta("owner", "u1"), aoss.Meta("declared-type", "image/png")))
		if s.deliver(t, v) != 1 {
			t.Fatal("want exactly the upload's event")
		}
		tg := tags(t, root, key)
		if tg["upload-status"] != "verified" || tg["upload-type"] != "image/png" || tg["upload-etag"] == "" || tg["upload-reason"] != "" {
			t.Errorf("tags = %v", tg)
		}
		n := s.hook.forKey(key)
		if len(n) != 1 || n[0].Verdict != "verified" || n[0].Owner != "u1" || n[0].Size != int64(len(data)) || n[0].ETag != tg["upload-etag"] {
			t.Errorf("webhook = %+v", n)
		}
	})

	t.Run("exe renamed png quarantined", func(t *testing.T) {
		key := "uploads/u1/2026/11/23/00112233aabbccdd-holiday.png"
		must(t, root.PutObject(key, bytes.NewReader(exeBytes()), aoss.ContentType("image/png"), aoss.Meta("owner", "u1"), aoss.Meta("declared-type", "image/png")))
		// Upload, then the function's own CopyObject (ObjectCreated, under
		// quarantine/) and DeleteObject, all delivered unfiltered.
		if n := s.deliver(t, v); n != 3 {
			t.Fatalf("%d events, want put+copy+delete", n)
		}
		if ok, err := root.IsObjectExist(key); err != nil || ok {
			t.Errorf("original still there (%v, %v)", ok, err)
		}
		tg := tags(t, root, "quarantine/"+key)
		if tg["upload-status"] != "rejected" || tg["upload-reason"] != "type-mismatch" {
			t.Errorf("quarantine tags = %v", tg)
		}
		n := s.hook.forKey(key)
		if len(n) != 1 || n[0].Reason != "type-mismatch" || n[0].Action != "quarantine" || n[0].LocationKey != "quarantine/"+key {
			t.Errorf("webhook = %+v", n)
		}
		if q := s.hook.forKey("quarantine/" + key); len(q) != 0 {
			t.Errorf("the function reacted to its own copy: %+v", q)
		}
	})

	t.Run("over the cap with STS credentials too-large, deleted not copied", func(t *testing.T) {
		creds := s.sts(t, devAK, "uploader", "u2", `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject","oss:InitiateMultipartUpload","oss:UploadPart","oss:CompleteMultipartUpload"],"Resource":"acs:oss:*:*:`+bucket+`/uploads/u2/*"}]}`)
		up := s.client(t, creds)
		// The way ali-oss sends big files: multipart, the first part 1 MiB, the last 1 byte.
		key := "uploads/u2/big.png"
		size := int64(1<<20 + 1)
		imur, err := up.InitiateMultipartUpload(key, aoss.ContentType("image/png"))
		must(t, err)
		p1, err := up.UploadPart(imur, &patternReader{head: pngBytes(t), n: 1 << 20}, 1<<20, 1)
		must(t, err)
		p2, err := up.UploadPart(imur, strings.NewReader("x"), 1, 2)
		must(t, err)
		_, err = up.CompleteMultipartUpload(imur, []aoss.UploadPart{p1, p2})
		must(t, err)
		before := s.getBytes.Load()
		s.deliver(t, v)
		if got := s.getBytes.Load() - before; got != 0 {
			t.Errorf("a too-large object was read: %d bytes", got)
		}
		// Issue 12 item 6: an oversized upload is never copied into
		// quarantine (the copy would keep it for 30 days); it is deleted.
		for _, k := range []string{key, "quarantine/" + key} {
			if ok, err := root.IsObjectExist(k); err != nil || ok {
				t.Errorf("%s exists (%v, %v)", k, ok, err)
			}
		}
		n := s.hook.forKey(key)
		if len(n) != 1 || n[0].Reason != "too-large" || n[0].Owner != "u2" || n[0].Size != size || n[0].EventName != "ObjectCreated:CompleteMultipartUpload" ||
			n[0].Action != "delete" || n[0].LocationKey != "" {
			t.Errorf("webhook = %+v", n)
		}
	})

	t.Run("duplicate delivery one webhook", func(t *testing.T) {
		good, bad := "uploads/u1/dup-good.png", "uploads/u1/dup-bad.png"
		s.deliver(t, v)
		must(t, root.PutObject(good, bytes.NewReader(pngBytes(t)), aoss.ContentType("image/png")))
		must(t, root.PutObject(bad, bytes.NewReader(exeBytes()), aoss.ContentType("image/png")))
		evs := s.drain()
		if len(evs) != 2 {
			t.Fatalf("%d events", len(evs))
		}
		for range 3 {
			for _, p := range evs {
				must(t, v.Handle(context.Background(), p))
			}
		}
		s.deliver(t, v) // the function's own copy and delete
		if n := s.hook.forKey(good); len(n) != 1 {
			t.Errorf("verified object: %d webhooks", len(n))
		}
		if n := s.hook.forKey(bad); len(n) != 1 {
			t.Errorf("quarantined object: %d webhooks", len(n))
		}
		if ok, _ := root.IsObjectExist("quarantine/" + bad); !ok {
			t.Error("not quarantined")
		}
	})

	t.Run("overwritten object verified again", func(t *testing.T) {
		key := "uploads/u1/notes.txt"
		must(t, root.PutObject(key, strings.NewReader("first version\n"), aoss.ContentType("text/plain")))
		s.deliver(t, v)
		first := tags(t, root, key)["upload-etag"]
		must(t, root.PutObject(key, strings.NewReader("second version, longer\n"), aoss.ContentType("text/plain")))
		s.deliver(t, v)
		tg := tags(t, root, key)
		n := s.hook.forKey(key)
		if len(n) != 2 || n[0].ETag != first || n[1].ETag != tg["upload-etag"] || first == tg["upload-etag"] || n[1].Verdict != "verified" {
			t.Errorf("webhooks %+v, tags %v", n, tg)
		}
	})

	t.Run("bytes read for a 100 MiB object", func(t *testing.T) {
		big := s.newVerifier(t, 100<<20)
		key := "uploads/u1/huge.png"
		must(t, root.PutObject(key, &patternReader{head: pngBytes(t), n: 100 << 20}, aoss.ContentType("image/png")))
		before := s.getBytes.Load()
		s.deliver(t, big)
		got := s.getBytes.Load() - before
		if tags(t, root, key)["upload-status"] != "verified" {
			t.Fatalf("tags = %v", tags(t, root, key))
		}
		if got == 0 || got > 64<<10 {
			t.Errorf("OSS sent %d bytes for one verified 100 MiB object; want 0 < n <= 64 KiB", got)
		}
		t.Logf("bytes sent by OSS for a 100 MiB object: %d", got)
	})

	if n := s.hook.bad; n != 0 {
		t.Errorf("receiver refused %d webhook calls (signature)", n)
	}
}

// TestOSSStoreContract runs the Store contract, which the in-memory fake
// also passes, against the emulator through the real OSSStore, so tests
// written against the fake hold for OSS.
func TestOSSStoreContract(t *testing.T) {
	s := newStack(t)
	root := s.root(t)
	store := &verifier.OSSStore{Endpoint: s.url, Region: region, Bucket: bucket, Credentials: staticCreds{AccessKeyID: rootAK, AccessKeySecret: rootSecret}}
	verifiertest.TestStore(t, store, func(t *testing.T, key string, data []byte, ct string, meta map[string]string) string {
		opts := []aoss.Option{aoss.ContentType(ct)}
		for k, v := range meta {
			opts = append(opts, aoss.Meta(k, v))
		}
		must(t, root.PutObject(key, bytes.NewReader(data), opts...))
		h, err := root.GetObjectDetailedMeta(key)
		must(t, err)
		return verifier.NormalizeETag(h.Get("ETag"))
	}, "uploads/")
}
