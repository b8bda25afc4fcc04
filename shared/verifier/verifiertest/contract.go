package verifiertest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"testing"

	"github.com/ossupload/ossupload/shared/verifier"
)

// PutFunc uploads data under key with a content type and user metadata
// (names without the x-oss-meta- prefix) and returns the ETag it got.
type PutFunc func(t *testing.T, key string, data []byte, contentType string, meta map[string]string) string

// TestStore checks that s behaves as verifier.Store promises. put writes
// objects through the backend's own path (for the real store: the official
// SDK against the emulator). Keys are created under prefix.
func TestStore(t *testing.T, s verifier.Store, put PutFunc, prefix string) {
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789abcdef"), 400) // 6400 bytes
	key := prefix + "contract/a b+%.bin"
	etag := put(t, key, data, "application/x-test", map[string]string{"owner": "u1", "Declared-Type": "image/png"})

	t.Run("Head", func(t *testing.T) {
		info, err := s.Head(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size != int64(len(data)) || info.ETag != verifier.NormalizeETag(etag) || info.ContentType != "application/x-test" {
			t.Errorf("Head = %+v; want size %d etag %s", info, len(data), etag)
		}
		if info.Meta["owner"] != "u1" || info.Meta["declared-type"] != "image/png" {
			t.Errorf("Meta = %v", info.Meta)
		}
		// A plain single-request upload: OSS reports these for it.
		if info.ObjectType != "Normal" || info.StorageClass != "Standard" || info.ContentEncoding != "" || info.ContentDisposition != "" {
			t.Errorf("Head = %+v; want object type Normal, storage class Standard, no encoding or disposition", info)
		}
	})
	t.Run("HeadMissing", func(t *testing.T) {
		if _, err := s.Head(ctx, prefix+"contract/missing"); !errors.Is(err, verifier.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("GetRange", func(t *testing.T) {
		rc, err := s.GetRange(ctx, key, etag, 100)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		got, err := io.ReadAll(io.LimitReader(rc, 1000))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data[:100]) {
			t.Errorf("GetRange returned %d bytes %q", len(got), got)
		}
	})
	t.Run("GetRangeChanged", func(t *testing.T) {
		rc, err := s.GetRange(ctx, key, "0123456789ABCDEF0123456789ABCDEF", 100)
		if err == nil {
			rc.Close()
		}
		if !errors.Is(err, verifier.ErrChanged) {
			t.Errorf("err = %v, want ErrChanged", err)
		}
	})
	t.Run("GetRangeMissing", func(t *testing.T) {
		rc, err := s.GetRange(ctx, prefix+"contract/missing", "", 10)
		if err == nil {
			rc.Close()
		}
		if !errors.Is(err, verifier.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("Tags", func(t *testing.T) {
		tags, err := s.GetTags(ctx, key)
		if err != nil || len(tags) != 0 {
			t.Fatalf("fresh tags = %v, %v", tags, err)
		}
		want := map[string]string{"upload-status": "rejected", "upload-type": "image/svg+xml", "user": "a b"}
		if err := s.PutTags(ctx, key, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetTags(ctx, key)
		if err != nil || !maps.Equal(got, want) {
			t.Errorf("tags = %v, %v; want %v", got, err, want)
		}
		if _, err := s.GetTags(ctx, prefix+"contract/missing"); !errors.Is(err, verifier.ErrNotFound) {
			t.Errorf("GetTags missing: err = %v, want ErrNotFound", err)
		}
	})
	t.Run("CopyDelete", func(t *testing.T) {
		dst := prefix + "quarantine-contract/" + key
		tags := map[string]string{"upload-status": "rejected", "upload-reason": "type-mismatch"}
		if err := s.Copy(ctx, key, dst, "0123456789ABCDEF0123456789ABCDEF", tags); !errors.Is(err, verifier.ErrChanged) {
			t.Fatalf("Copy with another ETag: err = %v, want ErrChanged", err)
		}
		if _, err := s.Head(ctx, dst); !errors.Is(err, verifier.ErrNotFound) {
			t.Fatalf("a Copy whose ETag precondition failed wrote %s: %v", dst, err)
		}
		if err := s.Copy(ctx, key, dst, etag, tags); err != nil {
			t.Fatal(err)
		}
		info, err := s.Head(ctx, dst)
		if err != nil || info.Size != int64(len(data)) || info.Meta["owner"] != "u1" {
			t.Fatalf("copy Head = %+v, %v", info, err)
		}
		got, err := s.GetTags(ctx, dst)
		if err != nil || !maps.Equal(got, tags) {
			t.Errorf("copy tags = %v, %v; want %v", got, err, tags)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Head(ctx, key); !errors.Is(err, verifier.ErrNotFound) {
			t.Errorf("after Delete: err = %v", err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Errorf("Delete of a missing object: %v", err)
		}
		if err := s.Copy(ctx, key, dst, "", tags); !errors.Is(err, verifier.ErrNotFound) {
			t.Errorf("Copy of a missing object: err = %v, want ErrNotFound", err)
		}
	})
}
