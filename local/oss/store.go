package oss

import (
	"errors"
	"io"
	"time"
)

// Store is the storage the emulator needs. It is declared here, where it is
// consumed; DiskStore is the default implementation. Bodies always move as
// streams: Stage copies a reader to a temporary file inside the store while
// hashing it, and Commit/CompleteUpload move such files into place, so no
// object ever sits in memory.
type Store interface {
	PutBucket(b Bucket) error
	GetBucket(name string) (Bucket, error)

	// Stage streams r into a temporary file and reports its size, MD5 and
	// CRC-64/ECMA. The staged file must be committed or discarded.
	Stage(r io.Reader) (Staged, error)
	Discard(s Staged) error
	// Commit makes the staged file the body of obj (whose Bucket and Key
	// name it). With forbidOverwrite an existing object gives ErrExists.
	Commit(s Staged, obj Object, forbidOverwrite bool) (Object, error)

	Stat(bucket, key string) (Object, error)
	Open(bucket, key string) (io.ReadSeekCloser, Object, error)
	UpdateObject(bucket, key string, fn func(*Object) error) (Object, error)
	// Delete removes the object and returns what it was (ErrNotFound if none).
	Delete(bucket, key string) (Object, error)
	// List calls fn for the objects of bucket whose key starts with prefix
	// and sorts after marker, in ascending key order, until fn returns false.
	List(bucket, prefix, marker string, fn func(Object) bool) error

	CreateUpload(u Upload) error
	GetUpload(id string) (Upload, error)
	PutPart(uploadID string, p Part, s Staged) error
	Parts(uploadID string) ([]Part, error)
	// CompleteUpload concatenates the numbered parts, in the order given,
	// into obj and removes the upload.
	CompleteUpload(uploadID string, parts []int, obj Object, forbidOverwrite bool) (Object, error)
	AbortUpload(uploadID string) error
	// Uploads returns the bucket's initiated, unfinished uploads in any order.
	Uploads(bucket string) ([]Upload, error)
}

// Store errors.
var (
	ErrNotFound = errors.New("oss store: not found")
	ErrExists   = errors.New("oss store: already exists")
)

// Bucket is a bucket and its CORS configuration (PutBucketCors).
type Bucket struct {
	Name    string
	Created time.Time
	CORS    []CORSRule
	// BlockPublicAccess is the bucket's Block Public Access switch
	// (PutBucketPublicAccessBlock): public ACLs can no longer be set.
	BlockPublicAccess bool `json:",omitempty"`
	// ResponseVary: send "Vary: Origin" on every response (OSS default false).
	ResponseVary bool `json:",omitempty"`
	// Overwrite are the bucket's overwrite protection rules (overwrite.go).
	Overwrite []OverwriteRule `json:",omitempty"`
}

// CORSRule is one bucket CORS rule (PutBucketCors grammar).
type CORSRule struct {
	AllowedOrigins, AllowedMethods, AllowedHeaders, ExposeHeaders []string
	MaxAgeSeconds                                                 int
}

// Staged describes a body streamed into the store but not yet named.
type Staged struct {
	ID    string // store-private handle
	Size  int64
	MD5   []byte
	CRC64 uint64
}

// Object is an object's metadata.
type Object struct {
	Bucket, Key        string
	Size               int64
	ETag               string // upper-case hex MD5 without quotes; multipart "<HEX>-<N>"
	CRC64              uint64
	LastModified       time.Time
	ContentType        string
	ContentDisposition string `json:",omitempty"`
	CacheControl       string `json:",omitempty"`
	ContentEncoding    string `json:",omitempty"`
	Expires            string `json:",omitempty"`
	// Meta holds user metadata: x-oss-meta-<name> as name (lower-case) -> value.
	Meta map[string]string `json:",omitempty"`
	Tags []Tag             `json:",omitempty"`
	// Type is what HeadObject reports as x-oss-object-type: Normal,
	// Appendable, Symlink or Multipart; empty in records written before it
	// existed (see objectType).
	Type string `json:",omitempty"`
	// ACL is the object ACL set by x-oss-object-acl; empty means "default".
	ACL string `json:",omitempty"`
	// SymlinkTarget is the key a Symlink object points to.
	SymlinkTarget string `json:",omitempty"`
}

// Tag is one object tag.
type Tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// Upload is an initiated multipart upload; Object is the metadata the
// completed object will get.
type Upload struct {
	ID        string
	Bucket    string
	Key       string
	Initiated time.Time
	Object    Object
}

// Part is one uploaded part.
type Part struct {
	Number       int
	ETag         string // upper-case hex MD5, no quotes
	Size         int64
	CRC64        uint64
	LastModified time.Time
}
