package verifier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/shared/credentials"
	"github.com/ossupload/ossupload/shared/ossclient"
)

// CredentialSource yields the credentials for one invocation
// (credentials.Chain in production: FC's per-invocation role credentials
// first).
type CredentialSource interface {
	Resolve(ctx context.Context) (credentials.Credentials, error)
}

// OSSStore implements Store with the official OSS Go SDK, V4 signatures and
// credentials resolved per call (they rotate). Clients are cached per
// AccessKey; the cache is small because a function instance sees few keys.
type OSSStore struct {
	Endpoint    string // OSS_ENDPOINT
	Region      string // OSS_REGION (V4 signing scope)
	Bucket      string
	Credentials CredentialSource
	HTTPClient  *http.Client // optional

	mu      sync.Mutex
	clients map[string]cachedBucket
}

type cachedBucket struct {
	creds  credentials.Credentials
	bucket *oss.Bucket
}

const maxCachedClients = 4

func (s *OSSStore) bucket(ctx context.Context) (*oss.Bucket, error) {
	c, err := s.Credentials.Resolve(ctx)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cb, ok := s.clients[c.AccessKeyID]; ok && cb.creds == c {
		return cb.bucket, nil
	}
	b, err := ossclient.Config{Endpoint: s.Endpoint, Region: s.Region, Bucket: s.Bucket, HTTPClient: s.HTTPClient, UserAgent: "ossupload-verify"}.Open(c)
	if err != nil {
		return nil, err
	}
	if s.clients == nil || len(s.clients) >= maxCachedClients {
		s.clients = map[string]cachedBucket{} // old keys have expired by now
	}
	s.clients[c.AccessKeyID] = cachedBucket{creds: c, bucket: b}
	return b, nil
}

// Head implements Store.
func (s *OSSStore) Head(ctx context.Context, key string) (ObjectInfo, error) {
	b, err := s.bucket(ctx)
	if err != nil {
		return ObjectInfo{}, err
	}
	h, err := b.GetObjectDetailedMeta(key, oss.WithContext(ctx))
	if err != nil {
		return ObjectInfo{}, mapErr("head", key, err)
	}
	// HeadObject response headers:
	// https://www.alibabacloud.com/help/en/oss/developer-reference/headobject
	// (a symbolic link answers with its target's data but
	// x-oss-object-type: Symlink).
	info := ObjectInfo{
		ETag: NormalizeETag(h.Get("ETag")), ContentType: h.Get("Content-Type"),
		ContentEncoding: h.Get("Content-Encoding"), ContentDisposition: h.Get("Content-Disposition"),
		ObjectType: h.Get("x-oss-object-type"), StorageClass: h.Get("x-oss-storage-class"),
		Meta: map[string]string{},
	}
	if _, err := fmt.Sscan(h.Get("Content-Length"), &info.Size); err != nil {
		return ObjectInfo{}, fmt.Errorf("head %q: bad Content-Length %q", key, h.Get("Content-Length"))
	}
	for name, v := range h {
		if m, ok := strings.CutPrefix(strings.ToLower(name), "x-oss-meta-"); ok && len(v) > 0 {
			info.Meta[m] = v[0]
		}
	}
	return info, nil
}

// GetRange implements Store with a ranged, If-Match GetObject.
func (s *OSSStore) GetRange(ctx context.Context, key, etag string, n int64) (io.ReadCloser, error) {
	b, err := s.bucket(ctx)
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		return io.NopCloser(strings.NewReader("")), nil
	}
	opts := []oss.Option{oss.WithContext(ctx), oss.Range(0, n-1)}
	if etag != "" {
		opts = append(opts, oss.IfMatch(`"`+etag+`"`))
	}
	rc, err := b.GetObject(key, opts...)
	if err != nil {
		return nil, mapErr("get", key, err)
	}
	// Should the server ignore the range, never read past n.
	return limitedReadCloser{io.LimitReader(rc, n), rc}, nil
}

type limitedReadCloser struct {
	io.Reader
	io.Closer
}

// GetTags implements Store.
func (s *OSSStore) GetTags(ctx context.Context, key string) (map[string]string, error) {
	b, err := s.bucket(ctx)
	if err != nil {
		return nil, err
	}
	res, err := b.GetObjectTagging(key, oss.WithContext(ctx))
	if err != nil {
		return nil, mapErr("get tagging", key, err)
	}
	tags := make(map[string]string, len(res.Tags))
	for _, t := range res.Tags {
		tags[t.Key] = t.Value
	}
	return tags, nil
}

// PutTags implements Store.
func (s *OSSStore) PutTags(ctx context.Context, key string, tags map[string]string) error {
	b, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	if err := b.PutObjectTagging(key, tagging(tags), oss.WithContext(ctx)); err != nil {
		return mapErr("put tagging", key, err)
	}
	return nil
}

// Copy implements Store; dst gets exactly tags (directive REPLACE), the
// source's metadata is copied, and only while the source's ETag is etag
// (x-oss-copy-source-if-match, answered 412 PreconditionFailed otherwise:
// https://www.alibabacloud.com/help/en/oss/developer-reference/copyobject).
func (s *OSSStore) Copy(ctx context.Context, src, dst, etag string, tags map[string]string) error {
	b, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	opts := []oss.Option{oss.WithContext(ctx), oss.SetTagging(tagging(tags)), oss.TaggingDirective(oss.TaggingReplace)}
	if etag != "" {
		opts = append(opts, oss.CopySourceIfMatch(`"`+etag+`"`))
	}
	_, err = b.CopyObject(src, dst, opts...)
	if err != nil {
		return mapErr("copy", src, err)
	}
	return nil
}

// Delete implements Store.
func (s *OSSStore) Delete(ctx context.Context, key string) error {
	b, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	if err := b.DeleteObject(key, oss.WithContext(ctx)); err != nil {
		if err := mapErr("delete", key, err); errors.Is(err, ErrNotFound) {
			return nil
		}
		return mapErr("delete", key, err)
	}
	return nil
}

func tagging(tags map[string]string) oss.Tagging {
	var t oss.Tagging
	for k, v := range tags {
		t.Tags = append(t.Tags, oss.Tag{Key: k, Value: v})
	}
	return t
}

// mapErr turns SDK errors into the Store's error kinds (ossclient.Classify:
// a missing object -> ErrNotFound, 412 -> ErrChanged); everything else is
// returned wrapped (transient for the verifier's purposes).
func mapErr(op, key string, err error) error { return ossclient.Classify(op, key, err) }
