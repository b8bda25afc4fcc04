package verifier_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/ossupload/ossupload/shared/logging"
	"github.com/ossupload/ossupload/shared/uploadrules"
	"github.com/ossupload/ossupload/shared/verifier"
	"github.com/ossupload/ossupload/shared/verifier/verifiertest"
)

func TestRealPNGVerified(t *testing.T) {
	f := newFixture(t, verifier.ActionQuarantine)
	key := "uploads/u1/2024/06/01/0123456789abcdef-cat.png"
	data := pngBytes(t)
	etag := f.store.Put(key, data, "image/png", map[string]string{"owner": "u1", "declared-type": "image/png", "declared-size": strconv.Itoa(len(data))})
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PostObject", key, etag, int64(len(data)))); err != nil {
		t.Fatal(err)
	}
	o, ok := f.store.Get(key)
	if !ok {
		t.Fatal("verified object was moved")
	}
	want := map[string]string{"upload-status": "verified", "upload-etag": etag, "upload-type": "image/png", "upload-notified": etag}
	for k, v := range want {
		if o.Tags[k] != v {
			t.Errorf("tag %s = %q, want %q (all: %v)", k, o.Tags[k], v, o.Tags)
		}
	}
	if _, has := o.Tags["upload-reason"]; has {
		t.Errorf("verified object has upload-reason: %v", o.Tags)
	}
	n := f.recv.notifications()
	if len(n) != 1 || n[0].Verdict != "verified" || n[0].Key != key || n[0].ETag != etag || n[0].Owner != "u1" || n[0].SniffedType != "image/png" || n[0].Size != int64(len(data)) || n[0].Bucket != testBucket {
		t.Errorf("notifications = %+v", n)
	}
}

func TestExeRenamedPNGQuarantined(t *testing.T) {
	f := newFixture(t, verifier.ActionQuarantine)
	key := "uploads/u1/2024/06/01/0123456789abcdef-cat.png"
	etag := f.store.Put(key, exeBytes(), "image/png", map[string]string{"owner": "u1", "declared-type": "image/png"})
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PostObject", key, etag, 1024)); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.store.Get(key); ok {
		t.Error("rejected object still at its upload key")
	}
	q, ok := f.store.Get("quarantine/" + key)
	if !ok {
		t.Fatalf("no quarantine copy; keys %v", f.store.Keys())
	}
	if q.Tags["upload-status"] != "rejected" || q.Tags["upload-reason"] != "type-mismatch" || q.Tags["upload-etag"] != etag || q.Tags["upload-notified"] != etag {
		t.Errorf("quarantine tags = %v", q.Tags)
	}
	n := f.recv.notifications()
	if len(n) != 1 || n[0].Verdict != "rejected" || n[0].Reason != "type-mismatch" || n[0].Action != "quarantine" || n[0].LocationKey != "quarantine/"+key {
		t.Errorf("notifications = %+v", n)
	}
	if !strings.Contains(n[0].SniffedType, "portable-executable") {
		t.Errorf("sniffed %q", n[0].SniffedType)
	}
	// A duplicate after the move: no second webhook, no second move.
	copies := f.store.CountCalls("Copy")
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PostObject", key, etag, 1024)); err != nil {
		t.Fatal(err)
	}
	if len(f.recv.notifications()) != 1 || f.store.CountCalls("Copy") != copies {
		t.Errorf("duplicate: %d notifications, %d copies", len(f.recv.notifications()), f.store.CountCalls("Copy")-copies)
	}
}

func TestTooLargeNotRead(t *testing.T) {
	f := newFixture(t, verifier.ActionTag)
	key := "uploads/u1/big.png"
	// Uploaded with STS credentials: no policy-pinned metadata at all.
	etag := f.store.PutLazy(key, pngBytes(t), 2<<20, "image/png", nil)
	if err := f.v.Handle(context.Background(), event("ObjectCreated:CompleteMultipartUpload", key, etag, 2<<20)); err != nil {
		t.Fatal(err)
	}
	o, _ := f.store.Get(key)
	if o.Tags["upload-status"] != "rejected" || o.Tags["upload-reason"] != "too-large" {
		t.Errorf("tags = %v", o.Tags)
	}
	if f.store.BytesRead() != 0 || f.store.CountCalls("GetRange") != 0 {
		t.Errorf("too-large object was read: %d bytes", f.store.BytesRead())
	}
	if n := f.recv.notifications(); len(n) != 1 || n[0].Reason != "too-large" || n[0].Owner != "u1" || n[0].Action != "tag" {
		t.Errorf("notifications = %+v", n)
	}
}

func TestDuplicateDeliveryOneWebhook(t *testing.T) {
	for _, action := range []string{verifier.ActionQuarantine, verifier.ActionDelete, verifier.ActionTag} {
		t.Run(action, func(t *testing.T) {
			f := newFixture(t, action)
			good, bad := "uploads/u1/good.png", "uploads/u1/bad.png"
			ge := f.store.Put(good, pngBytes(t), "image/png", nil)
			be := f.store.Put(bad, exeBytes(), "image/png", nil)
			payload := events(record{"ObjectCreated:PutObject", good, ge, 1}, record{"ObjectCreated:PutObject", bad, be, 1})
			for i := range 3 {
				if err := f.v.Handle(context.Background(), payload); err != nil {
					t.Fatalf("delivery %d: %v", i, err)
				}
			}
			if n := f.recv.notifications(); len(n) != 2 {
				t.Errorf("%d notifications for 2 objects delivered 3 times: %+v", len(n), n)
			}
			if c := f.store.CountCalls("Copy"); action == verifier.ActionQuarantine && c != 1 || action != verifier.ActionQuarantine && c != 0 {
				t.Errorf("%d copies", c)
			}
			if c := f.store.CountCalls("Delete"); action == verifier.ActionTag && c != 0 || action != verifier.ActionTag && c != 1 {
				t.Errorf("%d deletes", c)
			}
		})
	}
}

func TestOverwriteVerifiedAgain(t *testing.T) {
	f := newFixture(t, verifier.ActionQuarantine)
	key := "uploads/u1/notes.txt"
	e1 := f.store.Put(key, []byte("first version\n"), "text/plain", nil)
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", key, e1, 14)); err != nil {
		t.Fatal(err)
	}
	e2 := f.store.Put(key, []byte("second, longer version\n"), "text/plain", nil)
	// OSS kept the tags (a client may re-send them); the stale verdict must not count.
	f.store.PutTags(context.Background(), key, map[string]string{"upload-status": "verified", "upload-etag": e1, "upload-notified": e1, "mine": "x"})
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", key, e2, 23)); err != nil {
		t.Fatal(err)
	}
	n := f.recv.notifications()
	if len(n) != 2 || n[0].ETag != e1 || n[1].ETag != e2 || n[1].Verdict != "verified" {
		t.Fatalf("notifications = %+v", n)
	}
	o, _ := f.store.Get(key)
	if o.Tags["upload-etag"] != e2 || o.Tags["upload-notified"] != e2 || o.Tags["mine"] != "x" {
		t.Errorf("tags = %v", o.Tags)
	}
	// The old event delivered late: the current version is already done.
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", key, e1, 14)); err != nil {
		t.Fatal(err)
	}
	if len(f.recv.notifications()) != 2 {
		t.Errorf("late duplicate sent a webhook")
	}
}

func TestWebhookFailureRetriedByFC(t *testing.T) {
	f := newFixture(t, verifier.ActionQuarantine)
	key := "uploads/u1/x.exe.png"
	etag := f.store.Put(key, exeBytes(), "image/png", nil)
	payload := event("ObjectCreated:PutObject", key, etag, 1024)
	f.recv.setStatus(http.StatusBadGateway)
	if err := f.v.Handle(context.Background(), payload); err == nil {
		t.Fatal("webhook failure not returned")
	}
	if _, ok := f.store.Get(key); !ok {
		t.Fatal("object moved before the verdict was delivered")
	}
	f.recv.setStatus(0)
	if err := f.v.Handle(context.Background(), payload); err != nil {
		t.Fatal(err)
	}
	if n := f.recv.notifications(); len(n) != 1 || n[0].Reason != "type-mismatch" {
		t.Errorf("notifications = %+v", n)
	}
	if _, ok := f.store.Get("quarantine/" + key); !ok {
		t.Error("not quarantined after the retry")
	}
}

func TestCrashWindows(t *testing.T) {
	t.Run("after webhook before notified tag", func(t *testing.T) {
		f := newFixture(t, verifier.ActionTag)
		key := "uploads/u1/a.png"
		etag := f.store.Put(key, pngBytes(t), "image/png", nil)
		payload := event("ObjectCreated:PutObject", key, etag, 1)
		f.store.FailNext("PutTags", nil)                        // verdict tags succeed
		f.store.FailNext("PutTags", errors.New("503 from OSS")) // notified tag fails
		if err := f.v.Handle(context.Background(), payload); err == nil {
			t.Fatal("tag failure not returned")
		}
		for range 2 {
			if err := f.v.Handle(context.Background(), payload); err != nil {
				t.Fatal(err)
			}
		}
		// The documented at-least-once window: one repeat, then never again.
		if n := f.recv.notifications(); len(n) != 2 || n[0].ETag != n[1].ETag {
			t.Errorf("notifications = %+v", n)
		}
	})
	t.Run("after quarantine copy before delete", func(t *testing.T) {
		f := newFixture(t, verifier.ActionQuarantine)
		key := "uploads/u1/a.png"
		etag := f.store.Put(key, exeBytes(), "image/png", nil)
		payload := event("ObjectCreated:PutObject", key, etag, 1)
		f.store.FailNext("Delete", errors.New("connection reset"))
		if err := f.v.Handle(context.Background(), payload); err == nil {
			t.Fatal("delete failure not returned")
		}
		if err := f.v.Handle(context.Background(), payload); err != nil {
			t.Fatal(err)
		}
		if _, ok := f.store.Get(key); ok {
			t.Error("original left behind")
		}
		if len(f.recv.notifications()) != 1 {
			t.Errorf("%d notifications", len(f.recv.notifications()))
		}
	})
}

func TestBatchErrorsAndPoison(t *testing.T) {
	f := newFixture(t, verifier.ActionTag)
	a, b := "uploads/u1/a.png", "uploads/u1/b.png"
	ea := f.store.Put(a, pngBytes(t), "image/png", nil)
	eb := f.store.Put(b, pngBytes(t), "image/png", nil)
	payload := []byte(`{"events":[
	 {"eventName":"ObjectCreated:PutObject","oss":{"bucket":{"name":"ossupload-dev"},"object":{"eTag":"` + ea + `","key":"` + a + `"}}},
	 {"eventName":"ObjectCreated:PutObject","oss":{"bucket":{"name":"ossupload-dev"},"object":{"eTag":"XX"}}},
	 {"eventName":"ObjectCreated:PutObject","oss":{"bucket":{"name":"ossupload-dev"},"object":{"eTag":"` + eb + `","key":"` + b + `"}}},
	 {"eventName":"ObjectCreated:PutObject","oss":{"bucket":{"name":"ossupload-dev"},"object":{"key":"uploads/u1/deleted-meanwhile.png"}}},
	 {"eventName":"ObjectRemoved:DeleteObject","oss":{"bucket":{"name":"ossupload-dev"},"object":{"key":"uploads/u1/c.png"}}},
	 {"eventName":"ObjectCreated:CopyObject","oss":{"bucket":{"name":"ossupload-dev"},"object":{"key":"quarantine/uploads/u1/q.png"}}},
	 {"eventName":"ObjectCreated:PutObject","oss":{"bucket":{"name":"ossupload-dev"},"object":{"key":"other/u1/q.png"}}},
	 {"eventName":"ObjectCreated:PutObject","oss":{"bucket":{"name":"another-bucket"},"object":{"key":"uploads/u1/a.png"}}}
	]}`)
	f.store.FailNext("Head", errors.New("500 InternalError"))
	err := f.v.Handle(context.Background(), payload)
	if err == nil || !strings.Contains(err.Error(), "500 InternalError") {
		t.Fatalf("transient failure not returned: %v", err)
	}
	if n := f.recv.notifications(); len(n) != 1 || n[0].Key != b {
		t.Fatalf("the healthy record was not processed: %+v", n)
	}
	for _, c := range f.store.Calls() {
		if strings.Contains(c, "quarantine/uploads/u1/q.png") || strings.Contains(c, "other/") {
			t.Errorf("ignored key touched: %s", c)
		}
	}
	// FC retries the whole invocation: a is done now, b is a duplicate.
	if err := f.v.Handle(context.Background(), payload); err != nil {
		t.Fatal(err)
	}
	if n := f.recv.notifications(); len(n) != 2 || n[1].Key != a {
		t.Errorf("notifications = %+v", n)
	}
}

func TestNeverFailsOnOddJSON(t *testing.T) {
	f := newFixture(t, verifier.ActionTag)
	for _, p := range []string{"", "null", "[]", "{}", `{"events":null}`, `{"events":[1,"x",null,{}]}`, "\x00\xff", `{"events":[{"oss":{"object":{"key":{}}}}]}`} {
		if err := f.v.Handle(context.Background(), []byte(p)); err != nil {
			t.Errorf("Handle(%q) = %v", p, err)
		}
	}
	if c := f.store.Calls(); len(c) != 0 {
		t.Errorf("odd JSON reached the store: %v", c)
	}
}

// TestShadowKeyJudgedOnItsOwn (issue 12, item 3): an uploader with a
// verified x.png uploads a new object under the literal key x%2Epng. Its
// event names x%2Epng; that object, and no other, is judged, tagged,
// notified and acted on. (Decoding the key would find x.png, see its
// verdict and leave x%2Epng unjudged for ever.)
func TestShadowKeyJudgedOnItsOwn(t *testing.T) {
	f := newFixture(t, verifier.ActionQuarantine)
	good := "uploads/u1/x.png"
	eg := f.store.Put(good, pngBytes(t), "image/png", nil)
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", good, eg, 1)); err != nil {
		t.Fatal(err)
	}
	shadow := "uploads/u1/x%2Epng"
	es := f.store.Put(shadow, exeBytes(), "image/png", nil)
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", shadow, es, 1)); err != nil {
		t.Fatal(err)
	}
	if o, ok := f.store.Get(good); !ok || o.Tags["upload-status"] != "verified" || o.Tags["upload-etag"] != eg {
		t.Errorf("x.png changed: %+v", o.Tags)
	}
	if _, ok := f.store.Get(shadow); ok {
		t.Error("the shadow object was left in place")
	}
	q, ok := f.store.Get("quarantine/" + shadow)
	if !ok || q.Tags["upload-status"] != "rejected" || q.Tags["upload-reason"] != verifier.ReasonTypeMismatch || q.Tags["upload-etag"] != es {
		t.Errorf("shadow quarantine copy: %v %+v", ok, q.Tags)
	}
	n := f.recv.notifications()
	if len(n) != 2 || n[1].Key != shadow || n[1].ETag != es || n[1].Verdict != "rejected" {
		t.Errorf("notifications = %+v", n)
	}
}

// TestEventETagNotStored: an event whose eTag is not the stored object's
// (an older version, or a forged event) never makes the verifier skip the
// stored object: what is stored is judged.
func TestEventETagNotStored(t *testing.T) {
	f := newFixture(t, verifier.ActionTag)
	key := "uploads/u1/a.png"
	etag := f.store.Put(key, pngBytes(t), "image/png", nil)
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", key, "0123456789ABCDEF0123456789ABCDEF", 1)); err != nil {
		t.Fatal(err)
	}
	if o, _ := f.store.Get(key); o.Tags["upload-status"] != "verified" || o.Tags["upload-etag"] != etag {
		t.Errorf("tags = %v", o.Tags)
	}
}

// TestVerdictBoundToBytes (item 4): the object is overwritten right before
// the verdict tags are written, so they land on other bytes. The verifier
// sees the ETag change, judges the new bytes and leaves their verdict; the
// tags never describe bytes they were not computed on.
func TestVerdictBoundToBytes(t *testing.T) {
	for _, step := range []string{"first tag write", "notified tag write"} {
		t.Run(step, func(t *testing.T) {
			f := newFixture(t, verifier.ActionTag)
			key := "uploads/u1/a.png"
			first := f.store.Put(key, pngBytes(t), "image/png", nil)
			var second string
			overwrite := func() { second = f.store.Put(key, exeBytes(), "image/png", nil) }
			if step == "first tag write" {
				f.store.OnNext("PutTags", overwrite)
			} else {
				f.store.OnNext("PutTags", func() {})
				f.store.OnNext("PutTags", overwrite)
			}
			if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", key, first, 1)); err != nil {
				t.Fatal(err)
			}
			o, _ := f.store.Get(key)
			if o.ETag != second || o.Tags["upload-etag"] != second || o.Tags["upload-status"] != "rejected" || o.Tags["upload-reason"] != verifier.ReasonTypeMismatch {
				t.Errorf("object %s carries %v; want the verdict of its own bytes", o.ETag, o.Tags)
			}
		})
	}
}

// TestTextOverScanLimitNotRead: the verifier rejects text over the scan
// limit after sniffing it, without reading it whole.
func TestTextOverScanLimitNotRead(t *testing.T) {
	f := newFixture(t, verifier.ActionTag)
	f.v.Rules.MaxBytes = 64 << 20
	key := "uploads/u1/huge.txt"
	etag := f.store.PutLazy(key, []byte(strings.Repeat("plain text\n", 400)), verifier.TextScanLimit+1, "text/plain", nil)
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", key, etag, 1)); err != nil {
		t.Fatal(err)
	}
	if o, _ := f.store.Get(key); o.Tags["upload-reason"] != verifier.ReasonUnverifiable {
		t.Errorf("tags %v", o.Tags)
	}
	if n := f.store.BytesRead(); n > verifier.SniffLimit {
		t.Errorf("%d bytes read", n)
	}
}

// TestNoTagsOnChangedObject: when the object is overwritten after its check
// and before the verdict is written, the old verdict is never written on the
// new bytes: only the new version's own verdict is (tag write, then
// upload-notified).
func TestNoTagsOnChangedObject(t *testing.T) {
	f := newFixture(t, verifier.ActionTag)
	key := "uploads/u1/a.png"
	first := f.store.Put(key, pngBytes(t), "image/png", nil)
	var second string
	f.store.OnNext("GetRange", func() {
		// After the check's read: the next HEAD is the one before the write.
		f.store.OnNext("Head", func() { second = f.store.Put(key, pngBytes(t)[:60], "image/png", nil) })
	})
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", key, first, 1)); err != nil {
		t.Fatal(err)
	}
	if n := f.store.CountCalls("PutTags"); n != 2 {
		t.Errorf("%d tag writes, want the new version's 2 only", n)
	}
	if o, _ := f.store.Get(key); o.Tags["upload-etag"] != second {
		t.Errorf("tags %v, object %s", o.Tags, second)
	}
}

// TestNewUploadNotDeletedAfterQuarantineCopy: the object is overwritten
// after its quarantine copy and before the original is deleted: the new
// upload stays for its own event.
func TestNewUploadNotDeletedAfterQuarantineCopy(t *testing.T) {
	f := newFixture(t, verifier.ActionQuarantine)
	key := "uploads/u1/a.png"
	bad := f.store.Put(key, exeBytes(), "image/png", nil)
	var good string
	f.store.OnNext("Copy", func() {
		f.store.OnNext("Head", func() { good = f.store.Put(key, pngBytes(t), "image/png", nil) })
	})
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", key, bad, 1)); err != nil {
		t.Fatal(err)
	}
	if q, ok := f.store.Get("quarantine/" + key); !ok || q.ETag != bad {
		t.Errorf("quarantine copy %v %+v", ok, q)
	}
	if o, ok := f.store.Get(key); !ok || o.ETag != good {
		t.Errorf("the new upload was deleted: %v %+v", ok, o)
	}
}

// TestQuarantineCopyOnlyOfJudgedBytes (item 4): the object is overwritten
// between its verdict and the quarantine copy: the copy is conditional on
// the judged ETag, so the new bytes are neither copied under the old
// verdict nor deleted; their own event handles them.
func TestQuarantineCopyOnlyOfJudgedBytes(t *testing.T) {
	f := newFixture(t, verifier.ActionQuarantine)
	key := "uploads/u1/a.png"
	bad := f.store.Put(key, exeBytes(), "image/png", nil)
	var good string
	f.store.OnNext("Copy", func() { good = f.store.Put(key, pngBytes(t), "image/png", nil) })
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", key, bad, 1)); err != nil {
		t.Fatal(err)
	}
	if q, ok := f.store.Get("quarantine/" + key); ok {
		t.Errorf("quarantine copy %s made of bytes %s the verdict (of %s) does not describe", q.Tags, q.ETag, bad)
	}
	if o, ok := f.store.Get(key); !ok || o.ETag != good {
		t.Fatalf("the new upload was removed: %v %+v", ok, o)
	}
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", key, good, 1)); err != nil {
		t.Fatal(err)
	}
	if o, _ := f.store.Get(key); o.Tags["upload-status"] != "verified" || o.Tags["upload-etag"] != good {
		t.Errorf("the new upload's own event: %v", o.Tags)
	}
}

// TestActionPerReason (item 6): what is copied into quarantine for review
// and what is deleted outright.
func TestActionPerReason(t *testing.T) {
	cases := []struct {
		name, key string
		put       func(f *fixture, key string) string
		reason    string
		copied    bool
	}{
		{"too large never copied", "uploads/u1/big.png", func(f *fixture, key string) string {
			return f.store.PutLazy(key, pngBytes(t), 2<<20, "image/png", nil)
		}, verifier.ReasonTooLarge, false},
		{"symlink deleted", "uploads/u1/link.png", func(f *fixture, key string) string {
			e := f.store.Put(key, pngBytes(t), "image/png", nil)
			f.store.Modify(key, func(o *verifiertest.Object) { o.ObjectType = "Symlink" })
			return e
		}, verifier.ReasonNotPlainObject, false},
		{"appendable deleted", "uploads/u1/grow.png", func(f *fixture, key string) string {
			e := f.store.Put(key, pngBytes(t), "image/png", nil)
			f.store.Modify(key, func(o *verifiertest.Object) { o.ObjectType = "Appendable" })
			return e
		}, verifier.ReasonNotPlainObject, false},
		{"archive deleted", "uploads/u1/cold.png", func(f *fixture, key string) string {
			e := f.store.Put(key, pngBytes(t), "image/png", nil)
			f.store.Modify(key, func(o *verifiertest.Object) { o.StorageClass = "Archive" })
			return e
		}, verifier.ReasonStorageClass, false},
		{"control character key deleted", "uploads/u1/a\x00b.png", func(f *fixture, key string) string {
			return f.store.Put(key, pngBytes(t), "image/png", nil)
		}, verifier.ReasonInvalidKey, false},
		{"type mismatch kept for review", "uploads/u1/setup.png", func(f *fixture, key string) string {
			return f.store.Put(key, exeBytes(), "image/png", nil)
		}, verifier.ReasonTypeMismatch, true},
		// owner-mismatch is judged before the size cap: a copy of any size
		// would be the function's to keep.
		{"owner mismatch larger than the cap not copied", "uploads/u1/big.png", func(f *fixture, key string) string {
			return f.store.PutLazy(key, pngBytes(t), 2<<20, "image/png", map[string]string{"owner": "u2"})
		}, verifier.ReasonOwnerMismatch, false},
		{"owner mismatch within the cap kept for review", "uploads/u1/small.png", func(f *fixture, key string) string {
			return f.store.Put(key, pngBytes(t), "image/png", map[string]string{"owner": "u2"})
		}, verifier.ReasonOwnerMismatch, true},
		{"unsafe header kept for review", "uploads/u1/gz.png", func(f *fixture, key string) string {
			e := f.store.Put(key, pngBytes(t), "image/png", nil)
			f.store.Modify(key, func(o *verifiertest.Object) { o.ContentEncoding = "gzip" })
			return e
		}, verifier.ReasonUnsafeHeader, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, verifier.ActionQuarantine)
			etag := tc.put(f, tc.key)
			if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", tc.key, etag, 1)); err != nil {
				t.Fatal(err)
			}
			if _, ok := f.store.Get(tc.key); ok {
				t.Error("rejected object left in place")
			}
			q, copied := f.store.Get("quarantine/" + tc.key)
			if copied != tc.copied || f.store.CountCalls("Copy") != map[bool]int{false: 0, true: 1}[tc.copied] {
				t.Errorf("copied = %v (%d Copy calls), want %v", copied, f.store.CountCalls("Copy"), tc.copied)
			}
			if copied && q.Tags["upload-reason"] != tc.reason {
				t.Errorf("quarantine tags = %v", q.Tags)
			}
			n := f.recv.notifications()
			wantAction, wantLoc := verifier.ActionDelete, ""
			if tc.copied {
				wantAction, wantLoc = verifier.ActionQuarantine, "quarantine/"+tc.key
			}
			if len(n) != 1 || n[0].Reason != tc.reason || n[0].Action != wantAction || n[0].LocationKey != wantLoc {
				t.Errorf("notifications = %+v", n)
			}
		})
	}
}

// TestLongKeyQuarantined (item 6): a key too long to keep under the
// quarantine prefix is quarantined under uploadrules.QuarantineKey's
// hashed name, and a duplicate event finds it there.
func TestLongKeyQuarantined(t *testing.T) {
	f := newFixture(t, verifier.ActionQuarantine)
	key := "uploads/u1/" + strings.Repeat("k", 1000) + ".png" // 1015 bytes
	etag := f.store.Put(key, exeBytes(), "image/png", nil)
	payload := event("ObjectCreated:PutObject", key, etag, 1)
	if err := f.v.Handle(context.Background(), payload); err != nil {
		t.Fatal(err)
	}
	qkey := uploadrules.QuarantineKey("quarantine/", key)
	if len(qkey) > 1023 || qkey == "quarantine/"+key {
		t.Fatalf("quarantine key %d bytes", len(qkey))
	}
	if _, ok := f.store.Get(key); ok {
		t.Error("long key left in place")
	}
	if q, ok := f.store.Get(qkey); !ok || q.Tags["upload-reason"] != verifier.ReasonTypeMismatch {
		t.Errorf("hashed quarantine copy: %v %v", ok, q.Tags)
	}
	if err := f.v.Handle(context.Background(), payload); err != nil {
		t.Fatal(err)
	}
	if n := f.recv.notifications(); len(n) != 1 || n[0].LocationKey != qkey {
		t.Errorf("notifications = %+v", n)
	}
}

// TestTextScannedWhole (item 1): HTML after 4 KiB of plain text is found;
// the whole text object is read, in constant memory.
func TestTextScannedWhole(t *testing.T) {
	f := newFixture(t, verifier.ActionTag)
	text := strings.Repeat("just some notes, nothing to see\n", 4096/32+1)
	clean := "uploads/u1/notes.txt"
	ec := f.store.Put(clean, []byte(text), "text/plain; charset=utf-8", nil)
	hidden := "uploads/u1/hidden.txt"
	eh := f.store.Put(hidden, []byte(text+"<html><script>alert(document.domain)</script>"), "text/plain; charset=utf-8", nil)
	if err := f.v.Handle(context.Background(), events(record{"ObjectCreated:PutObject", clean, ec, 1}, record{"ObjectCreated:PutObject", hidden, eh, 1})); err != nil {
		t.Fatal(err)
	}
	if o, _ := f.store.Get(clean); o.Tags["upload-status"] != "verified" {
		t.Errorf("clean text: %v", o.Tags)
	}
	if o, _ := f.store.Get(hidden); o.Tags["upload-status"] != "rejected" || o.Tags["upload-reason"] != verifier.ReasonActiveContent {
		t.Errorf("HTML after 4 KiB of text: %v", o.Tags)
	}
}

// TestBytesReadPerObject proves the verifier reads at most 64 KiB (in fact
// SniffLimit) of a 100 MiB object it verifies. The fake generates content
// lazily and counts every byte handed out through the Store interface.
func TestBytesReadPerObject(t *testing.T) {
	f := newFixture(t, verifier.ActionTag)
	f.v.Rules.MaxBytes = 100 << 20
	key := "uploads/u1/huge.png"
	etag := f.store.PutLazy(key, pngBytes(t), 100<<20, "image/png", map[string]string{"owner": "u1", "declared-size": "104857600"})
	if err := f.v.Handle(context.Background(), event("ObjectCreated:CompleteMultipartUpload", key, etag, 100<<20)); err != nil {
		t.Fatal(err)
	}
	if o, _ := f.store.Get(key); o.Tags["upload-status"] != "verified" {
		t.Fatalf("tags = %v", o.Tags)
	}
	if got := f.store.BytesRead(); got > 64<<10 || got > verifier.SniffLimit || got == 0 {
		t.Errorf("read %d bytes of a 100 MiB object; want 0 < n <= %d", got, verifier.SniffLimit)
	}
}

func BenchmarkVerify100MiB(b *testing.B) {
	store := verifiertest.NewFake()
	v := &verifier.Verifier{Bucket: testBucket, Rules: uploadrules.Rules{Prefix: "uploads/", MaxBytes: 100 << 20, AllowedTypes: []string{"image/*"}}, Store: store, Action: verifier.ActionTag}
	key := "uploads/u1/huge.png"
	head := pngBytes(b)
	b.ReportAllocs()
	var read int64
	for i := 0; b.Loop(); i++ {
		etag := store.PutLazy(key, head, 100<<20, "image/png", nil)
		before := store.BytesRead()
		if err := v.Handle(context.Background(), event("ObjectCreated:PutObject", key, etag, 100<<20)); err != nil {
			b.Fatal(err)
		}
		read = store.BytesRead() - before
	}
	if read > 64<<10 {
		b.Fatalf("read %d bytes per object", read)
	}
	b.ReportMetric(float64(read), "bytes-read/object")
}

func TestForgedTagsDoNotStandInForTheCheck(t *testing.T) {
	f := newFixture(t, verifier.ActionQuarantine)
	key := "uploads/u1/forged.png"
	etag := f.store.Put(key, exeBytes(), "image/png", nil)
	// The uploader tagged its upload as already verified and delivered.
	forged := map[string]string{"upload-status": "verified", "upload-etag": etag, "upload-notified": etag, "upload-type": "image/png"}
	if err := f.store.PutTags(context.Background(), key, forged); err != nil {
		t.Fatal(err)
	}
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", key, etag, 1024)); err != nil {
		t.Fatal(err)
	}
	q, ok := f.store.Get("quarantine/" + key)
	if !ok || q.Tags["upload-status"] != "rejected" || q.Tags["upload-reason"] != "type-mismatch" {
		t.Errorf("forged verdict stood: quarantined %v, tags %v", ok, q.Tags)
	}
	if n := f.recv.notifications(); len(n) != 1 || n[0].Verdict != "rejected" {
		t.Errorf("notifications = %+v", n)
	}
}

func TestFullTagSetCannotBlockTheVerdict(t *testing.T) {
	f := newFixture(t, verifier.ActionTag)
	key := "uploads/u1/tagged.png"
	etag := f.store.Put(key, pngBytes(t), "image/png", nil)
	user := map[string]string{}
	for i := range 10 {
		user["k"+strconv.Itoa(i)] = "v"
	}
	if err := f.store.PutTags(context.Background(), key, user); err != nil {
		t.Fatal(err)
	}
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", key, etag, 1)); err != nil {
		t.Fatal(err)
	}
	o, _ := f.store.Get(key)
	if o.Tags["upload-status"] != "verified" || len(o.Tags) > 10 || o.Tags["k0"] != "v" || o.Tags["k4"] != "v" {
		t.Errorf("tags = %v", o.Tags)
	}
}

func TestDeletedMeanwhileSkipped(t *testing.T) {
	f := newFixture(t, verifier.ActionQuarantine)
	key := "uploads/u1/gone.png"
	etag := f.store.Put(key, pngBytes(t), "image/png", nil)
	f.store.FailNext("PutTags", fmt.Errorf("put: %w", verifier.ErrNotFound)) // deleted between HEAD and tagging
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", key, etag, 1)); err != nil {
		t.Fatalf("deleted object: %v", err)
	}
	if err := f.v.Handle(context.Background(), event("ObjectCreated:PutObject", "uploads/u1/never-existed.png", "AB", 1)); err != nil {
		t.Fatalf("missing object: %v", err)
	}
	if n := f.recv.notifications(); len(n) != 0 {
		t.Errorf("webhook for a vanished object: %+v", n)
	}
}

// TestLogsCarryRequestID: verify's lines carry the FC request id under the
// key sign and sts use, so one query finds a request's lines in any function.
func TestLogsCarryRequestID(t *testing.T) {
	var buf bytes.Buffer
	v := &verifier.Verifier{Logger: logging.New(&buf, slog.LevelDebug)}
	ctx := fccontext.NewContext(context.Background(), &fccontext.FcContext{RequestID: "1-fc-req"})
	if err := v.Handle(ctx, []byte("not json")); err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("want one JSON line, got %q", buf.String())
	}
	if line[logging.RequestIDKey] != "1-fc-req" || line["requestId"] != nil {
		t.Fatalf("line %v", line)
	}
}
