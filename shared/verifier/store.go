package verifier

import (
	"context"
	"io"

	"github.com/ossupload/ossupload/shared/ossclient"
)

// Store is the part of OSS the verifier uses, declared here where it is
// consumed and listing only the calls made. OSSStore implements it with the
// official SDK; tests use an in-memory fake.
//
// Errors: a missing object wraps ErrNotFound; a failed If-Match wraps
// ErrChanged. Anything else is treated as transient (the invocation fails and
// FC retries it).
type Store interface {
	// Head returns the object's size, ETag, content type and user metadata.
	Head(ctx context.Context, key string) (ObjectInfo, error)
	// GetRange opens bytes [0, n) of the object, provided its ETag still
	// equals etag (If-Match). The caller reads at most n bytes and closes.
	GetRange(ctx context.Context, key, etag string, n int64) (io.ReadCloser, error)
	// GetTags returns the object's tags.
	GetTags(ctx context.Context, key string) (map[string]string, error)
	// PutTags replaces the object's tags.
	PutTags(ctx context.Context, key string, tags map[string]string) error
	// Copy copies src to dst inside the bucket, giving dst exactly tags,
	// provided src's ETag still equals etag (x-oss-copy-source-if-match;
	// a mismatch wraps ErrChanged).
	Copy(ctx context.Context, src, dst, etag string, tags map[string]string) error
	// Delete removes the object (no error when it is already gone).
	Delete(ctx context.Context, key string) error
}

// ObjectInfo is what HEAD tells about an object.
type ObjectInfo struct {
	Size        int64
	ETag        string // normalised: upper-case, no quotes
	ContentType string // as stored, parameters included
	// The other stored headers that change how OSS serves the object; an
	// uploader with STS credentials can set them.
	ContentEncoding    string
	ContentDisposition string
	// ObjectType is x-oss-object-type: Normal, Multipart, Appendable or
	// Symlink. StorageClass is x-oss-storage-class: Standard, IA, Archive,
	// ColdArchive, DeepColdArchive.
	ObjectType   string
	StorageClass string
	// Meta holds user metadata without the x-oss-meta- prefix, names in lower
	// case: "owner", "declared-type", "declared-size".
	Meta map[string]string
}

// The Store's error kinds are ossclient's, so OSSStore's classification of
// the SDK's answers (ossclient.Classify) and the fakes report the same values.
var (
	// ErrNotFound: the object does not exist (a missing bucket is not this:
	// it is a deployment error).
	ErrNotFound = ossclient.ErrNotFound
	// ErrChanged: the object's ETag no longer matches (overwritten meanwhile).
	ErrChanged = ossclient.ErrChanged
)
