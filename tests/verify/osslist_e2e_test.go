package verify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/shared/verifier"
)

// OSSStore's listing and sweep state through the official SDK against the
// emulator: pages in key order within the prefix, ETags normalised as HEAD
// gives them, and the state object round-trips.
func TestOSSStoreListAndState(t *testing.T) {
	s := newStack(t)
	root := s.root(t)
	store := &verifier.OSSStore{Endpoint: s.url, Region: region, Bucket: bucket, Credentials: staticCreds{AccessKeyID: rootAK, AccessKeySecret: rootSecret}}
	ctx := context.Background()
	var want []string
	for i := range 5 {
		k := fmt.Sprintf("uploads/u1/%d file+%%.txt", i) // space, plus and percent survive the url encoding
		must(t, root.PutObject(k, bytes.NewReader([]byte("hello")), aoss.ContentType("text/plain")))
		want = append(want, k)
	}
	must(t, root.PutObject("other/x.txt", bytes.NewReader([]byte("x"))))

	var got []verifier.ListedObject
	marker, pages := "", 0
	for {
		page, err := store.List(ctx, "uploads/", marker, 2)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, page.Objects...)
		if !page.Truncated || pages > 10 {
			break
		}
		marker = page.NextMarker
	}
	var keys []string
	for _, o := range got {
		keys = append(keys, o.Key)
		h, err := root.GetObjectDetailedMeta(o.Key)
		must(t, err)
		if o.ETag != verifier.NormalizeETag(h.Get("ETag")) || o.Size != 5 || o.LastModified.IsZero() {
			t.Errorf("listed %+v, HEAD ETag %s", o, h.Get("ETag"))
		}
	}
	if !slices.Equal(keys, want) || pages != 3 {
		t.Errorf("listed %q in %d pages, want %q in 3", keys, pages, want)
	}

	key := "quarantine/.sweep-marker"
	if _, err := store.ReadState(ctx, key); !errors.Is(err, verifier.ErrNotFound) {
		t.Errorf("missing state: %v, want ErrNotFound", err)
	}
	must(t, store.WriteState(ctx, key, want[2]))
	if v, err := store.ReadState(ctx, key); err != nil || v != want[2] {
		t.Errorf("state %q, %v", v, err)
	}
	must(t, store.WriteState(ctx, key, ""))
	if v, err := store.ReadState(ctx, key); err != nil || v != "" {
		t.Errorf("cleared state %q, %v", v, err)
	}
}
