package uploadpolicy

import (
	"context"
	"fmt"
	"net/http"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/shared/ossclient"
)

// OSSPartLister lists the parts of a multipart upload with the official
// OSS SDK (Bucket.ListUploadedParts, RAM action oss:ListParts), signing V4
// with the credentials of the request.
type OSSPartLister struct {
	Endpoint    string // OSS_ENDPOINT
	Region      string // OSS_REGION
	Bucket      string // OSS_BUCKET
	Credentials CredentialSource
	HTTPClient  *http.Client // nil: the SDK's
}

// ListParts implements PartLister, following IsTruncated past 1,000 parts.
func (l OSSPartLister) ListParts(ctx context.Context, key, uploadID string) ([]UploadedPart, error) {
	bucket, err := ossBucket(ctx, l.Credentials, l.Endpoint, l.Region, l.Bucket, l.HTTPClient)
	if err != nil {
		return nil, fmt.Errorf("list parts: %w", err)
	}
	imur := oss.InitiateMultipartUploadResult{Bucket: l.Bucket, Key: key, UploadID: uploadID}
	var parts []UploadedPart
	marker := 0
	for page := 0; page <= MaxParts/1000; page++ {
		res, err := bucket.ListUploadedParts(imur, oss.MaxParts(1000), oss.PartNumberMarker(marker), oss.WithContext(ctx))
		if err != nil {
			if se, ok := ossclient.ServiceError(err); ok && se.Code == "NoSuchUpload" {
				return nil, ErrNoSuchUpload
			}
			return nil, fmt.Errorf("list parts of %q: %w", key, err)
		}
		for _, p := range res.UploadedParts {
			parts = append(parts, UploadedPart{Number: p.PartNumber, Size: int64(p.Size)})
		}
		if !res.IsTruncated || len(res.UploadedParts) == 0 {
			return parts, nil
		}
		marker = res.UploadedParts[len(res.UploadedParts)-1].PartNumber
	}
	return nil, fmt.Errorf("list parts of %q: more than %d parts", key, MaxParts)
}
