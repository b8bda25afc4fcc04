package verifier

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ossupload/ossupload/shared/uploadrules"
)

// FuzzDecode feeds arbitrary bytes to the event decoder: it must never panic,
// every problem must wrap ErrPoison, and every record it returns must be
// processable (bucket and key present, key within the OSS limit).
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"events":[{"oss":{"bucket":{"name":"b"},"object":{"key":"%zz%41","size":1e999}}}]}`))
	f.Add([]byte(`{"events":[{"eventTime":"2024-13-45T99:99:99Z","oss":{"bucket":{"name":"b"},"object":{"key":"k","eTag":7}}}]}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		recs, problems := Decode(payload)
		for _, p := range problems {
			if !errors.Is(p, ErrPoison) {
				t.Fatalf("problem %v does not wrap ErrPoison", p)
			}
		}
		for _, r := range recs {
			if r.Bucket == "" || r.Key == "" || len(r.Key) > MaxKeyBytes {
				t.Fatalf("unprocessable record returned: bucket %q key len %d", r.Bucket, len(r.Key))
			}
		}
	})
}

// FuzzHandle runs the whole handler on arbitrary payloads against an empty
// store: it must never panic, and since every object named is missing (a
// skip, not a failure) it must never return an error either.
func FuzzHandle(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		v := &Verifier{Bucket: "ossupload-dev", Rules: uploadrules.Default(), QuarantinePrefix: "quarantine/", Store: emptyStore{}}
		if err := v.Handle(context.Background(), payload); err != nil {
			t.Fatalf("Handle = %v", err)
		}
	})
}

// emptyStore is a Store with no objects.
type emptyStore struct{}

func (emptyStore) Head(context.Context, string) (ObjectInfo, error) { return ObjectInfo{}, ErrNotFound }
func (emptyStore) GetRange(context.Context, string, string, int64) (io.ReadCloser, error) {
	return nil, ErrNotFound
}
func (emptyStore) GetTags(context.Context, string) (map[string]string, error) {
	return nil, ErrNotFound
}
func (emptyStore) PutTags(context.Context, string, map[string]string) error { return ErrNotFound }
func (emptyStore) Copy(context.Context, string, string, string, map[string]string) error {
	return ErrNotFound
}
func (emptyStore) Delete(context.Context, string) error { return nil }
