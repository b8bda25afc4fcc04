package verifier

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// List implements SweepStore: one page of ListObjects (aliyun-oss-go-sdk
// v3.0.2 oss/bucket.go ListObjects, which asks for encoding-type=url and
// decodes the keys). The verify role may list only under the upload prefix
// (oss:Prefix condition), so prefix must be UPLOAD_PREFIX.
func (s *OSSStore) List(ctx context.Context, prefix, marker string, max int) (ListPage, error) {
	b, err := s.bucket(ctx)
	if err != nil {
		return ListPage{}, err
	}
	res, err := b.ListObjects(oss.Prefix(prefix), oss.Marker(marker), oss.MaxKeys(max), oss.WithContext(ctx))
	if err != nil {
		return ListPage{}, mapErr("list", prefix, err)
	}
	page := ListPage{Truncated: res.IsTruncated, NextMarker: res.NextMarker}
	for _, o := range res.Objects {
		page.Objects = append(page.Objects, ListedObject{Key: o.Key, ETag: NormalizeETag(o.ETag), Size: o.Size, LastModified: o.LastModified})
	}
	return page, nil
}

// ReadState implements SweepStore (GetObject; ErrNotFound when absent).
func (s *OSSStore) ReadState(ctx context.Context, key string) (string, error) {
	b, err := s.bucket(ctx)
	if err != nil {
		return "", err
	}
	body, err := b.GetObject(key, oss.WithContext(ctx))
	if err != nil {
		return "", mapErr("get state", key, err)
	}
	defer body.Close()
	// A marker is an object key: at most MaxKeyBytes.
	data, err := io.ReadAll(io.LimitReader(body, MaxKeyBytes+1))
	if err != nil {
		return "", mapErr("get state", key, err)
	}
	if len(data) > MaxKeyBytes {
		return "", errors.New("sweep state object is larger than a key")
	}
	return string(data), nil
}

// WriteState implements SweepStore (PutObject).
func (s *OSSStore) WriteState(ctx context.Context, key, value string) error {
	b, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	if err := b.PutObject(key, strings.NewReader(value), oss.ContentType("text/plain"), oss.WithContext(ctx)); err != nil {
		return mapErr("put state", key, err)
	}
	return nil
}
