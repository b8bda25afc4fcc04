package uploadpolicy

import (
	"context"
	"fmt"
	"net/http"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/shared/ossclient"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// OSSTagReader reads an object's ETag and tags with the official OSS SDK,
// signing V4 with the credentials of the request (FC's per-invocation role
// credentials, security token included). The HEAD needs oss:GetObject,
// GetObjectTagging oss:GetObjectTagging.
type OSSTagReader struct {
	Endpoint    string // OSS_ENDPOINT
	Region      string // OSS_REGION
	Bucket      string // OSS_BUCKET
	Credentials CredentialSource
	HTTPClient  *http.Client // nil: the SDK's
}

// ObjectState implements TagReader: HEAD for the current ETag and
// Last-Modified, then the tags. Should the object be overwritten between the two, the tags (whose
// upload-etag names the bytes they were computed for) cannot match the
// older ETag unless they describe those very bytes.
func (t OSSTagReader) ObjectState(ctx context.Context, key string) (ObjectState, error) {
	bucket, err := t.bucket(ctx)
	if err != nil {
		return ObjectState{}, err
	}
	h, err := bucket.GetObjectDetailedMeta(key, oss.WithContext(ctx))
	if err != nil {
		return ObjectState{}, mapNotFound("head", key, err)
	}
	tags, err := objectTags(ctx, bucket, key)
	if err != nil {
		return ObjectState{}, err
	}
	st := ObjectState{ETag: uploadrules.NormalizeETag(h.Get("ETag")), Tags: tags}
	// HeadObject answers Last-Modified as an HTTP date (RFC 1123, GMT), the
	// header the SDK itself reads (aliyun-oss-go-sdk v3.0.2 oss/download.go,
	// meta.Get(HTTPHeaderLastModified)); HeadObject:
	// https://www.alibabacloud.com/help/en/oss/developer-reference/headobject
	if t, err := http.ParseTime(h.Get("Last-Modified")); err == nil {
		st.LastModified = t
	}
	return st, nil
}

// ObjectTags implements TagReader.
func (t OSSTagReader) ObjectTags(ctx context.Context, key string) (map[string]string, error) {
	bucket, err := t.bucket(ctx)
	if err != nil {
		return nil, err
	}
	return objectTags(ctx, bucket, key)
}

func objectTags(ctx context.Context, bucket *oss.Bucket, key string) (map[string]string, error) {
	res, err := bucket.GetObjectTagging(key, oss.WithContext(ctx))
	if err != nil {
		return nil, mapNotFound("object tags of", key, err)
	}
	tags := make(map[string]string, len(res.Tags))
	for _, tag := range res.Tags {
		tags[tag.Key] = tag.Value
	}
	return tags, nil
}

func (t OSSTagReader) bucket(ctx context.Context) (*oss.Bucket, error) {
	b, err := ossBucket(ctx, t.Credentials, t.Endpoint, t.Region, t.Bucket, t.HTTPClient)
	if err != nil {
		return nil, fmt.Errorf("object state: %w", err)
	}
	return b, nil
}

// ossBucket is the official SDK's handle on the bucket, signing V4 with
// the credentials of the request: what /status (OSSTagReader) and presign
// (OSSPartLister) use, built by ossclient as verify's is.
func ossBucket(ctx context.Context, src CredentialSource, endpoint, region, name string, hc *http.Client) (*oss.Bucket, error) {
	creds, err := src.Resolve(ctx)
	if err != nil {
		return nil, err
	}
	return ossclient.Config{Endpoint: endpoint, Region: region, Bucket: name, HTTPClient: hc}.Open(creds)
}

// mapNotFound describes an SDK error (ossclient.Classify: a missing object
// wraps ErrObjectNotFound).
func mapNotFound(op, key string, err error) error { return ossclient.Classify(op, key, err) }
