package uploadpolicy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// OSSTagReader reads object tags with the official OSS SDK, signing V4 with
// the credentials of the request (FC's per-invocation role credentials,
// security token included).
type OSSTagReader struct {
	Endpoint    string // OSS_ENDPOINT
	Region      string // OSS_REGION
	Bucket      string // OSS_BUCKET
	Credentials CredentialSource
	HTTPClient  *http.Client // nil: the SDK's
}

// ObjectTags implements TagReader.
func (t OSSTagReader) ObjectTags(ctx context.Context, key string) (map[string]string, error) {
	creds, err := t.Credentials.Resolve(ctx)
	if err != nil {
		return nil, fmt.Errorf("object tags: %w", err)
	}
	opts := []oss.ClientOption{oss.AuthVersion(oss.AuthV4), oss.Region(t.Region)}
	if creds.SecurityToken != "" {
		opts = append(opts, oss.SecurityToken(creds.SecurityToken))
	}
	if u, err := url.Parse(t.Endpoint); err == nil && !strings.HasSuffix(u.Hostname(), ".aliyuncs.com") {
		// An emulator or proxy (the local stack): address the bucket in the
		// path, as <bucket>.localhost may not resolve.
		opts = append(opts, oss.ForcePathStyle(true))
	}
	if t.HTTPClient != nil {
		opts = append(opts, oss.HTTPClient(t.HTTPClient))
	}
	client, err := oss.New(t.Endpoint, creds.AccessKeyID, creds.AccessKeySecret, opts...)
	if err != nil {
		return nil, fmt.Errorf("object tags: oss client: %w", err)
	}
	bucket, err := client.Bucket(t.Bucket)
	if err != nil {
		return nil, fmt.Errorf("object tags: bucket: %w", err)
	}
	res, err := bucket.GetObjectTagging(key, oss.WithContext(ctx))
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("object tags of %q: %w", key, ErrObjectNotFound)
		}
		return nil, fmt.Errorf("object tags of %q: %w", key, err)
	}
	tags := make(map[string]string, len(res.Tags))
	for _, tag := range res.Tags {
		tags[tag.Key] = tag.Value
	}
	return tags, nil
}

func isNotFound(err error) bool {
	var se oss.ServiceError
	if errors.As(err, &se) {
		return se.StatusCode == http.StatusNotFound
	}
	var sp *oss.ServiceError
	return errors.As(err, &sp) && sp.StatusCode == http.StatusNotFound
}
