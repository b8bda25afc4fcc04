// Package ossclient builds the official OSS SDK's bucket handle the way
// every function here talks to OSS (V4 signatures for the region, the
// caller's rotating credentials, path style off Alibaba Cloud) and
// classifies its errors into the few kinds callers act on.
//
// sign (/status, presign) and verify both use it, so they address the same
// bucket the same way and agree on what "not found" means.
package ossclient

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/shared/credentials"
)

// Config says which bucket to open and how.
type Config struct {
	Endpoint   string       // OSS_ENDPOINT, e.g. https://oss-cn-hangzhou.aliyuncs.com
	Region     string       // OSS_REGION, the V4 signing scope
	Bucket     string       // OSS_BUCKET
	HTTPClient *http.Client // nil: the SDK's
	UserAgent  string       // "": the SDK's
}

// Open returns the SDK's handle on c.Bucket, signing V4 with creds (and
// their security token, when they are STS credentials).
func (c Config) Open(creds credentials.Credentials) (*oss.Bucket, error) {
	opts := []oss.ClientOption{oss.AuthVersion(oss.AuthV4), oss.Region(c.Region)}
	if creds.SecurityToken != "" {
		opts = append(opts, oss.SecurityToken(creds.SecurityToken))
	}
	if PathStyle(c.Endpoint) {
		opts = append(opts, oss.ForcePathStyle(true))
	}
	if c.UserAgent != "" {
		opts = append(opts, oss.UserAgent(c.UserAgent))
	}
	if c.HTTPClient != nil {
		opts = append(opts, oss.HTTPClient(c.HTTPClient))
	}
	client, err := oss.New(c.Endpoint, creds.AccessKeyID, creds.AccessKeySecret, opts...)
	if err != nil {
		return nil, fmt.Errorf("oss client: %w", err)
	}
	b, err := client.Bucket(c.Bucket)
	if err != nil {
		return nil, fmt.Errorf("oss bucket: %w", err)
	}
	return b, nil
}

// PathStyle reports whether requests to endpoint name the bucket in the
// path (/<bucket>/<key>) rather than in the host (<bucket>.<endpoint>):
// every endpoint that is not Alibaba Cloud's own (*.aliyuncs.com). An
// emulator or proxy (the local stack's http://localhost:port) serves every
// bucket on one authority, and <bucket>.localhost or <bucket>.proxy may not
// resolve at all. Real OSS gets virtual-host requests, the only style it
// serves to new buckets.
//
// The SDK (aliyun-oss-go-sdk v3.0.2, oss/conn.go urlMaker.InitExt and
// buildURL/buildURLV4) already puts the bucket in the path for an IP
// literal endpoint (urlTypeIP) whatever this says, and for a host name does
// so only when the client was built with ForcePathStyle(true)
// (urlTypePathStyle); otherwise it sends Host <bucket>.<endpoint host>.
func PathStyle(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		// A bare host ("oss-cn-hangzhou.aliyuncs.com"): the SDK reads it as http://host.
		u = &url.URL{Host: endpoint}
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	return !strings.HasSuffix(host, ".aliyuncs.com")
}

// The kinds of SDK error callers act on; Classify wraps the SDK's error
// with one of them, so errors.Is finds it and the SDK's text stays in the
// message.
var (
	// ErrNotFound: the object (or multipart upload) does not exist: an
	// OSS 404 (NoSuchKey, NoSuchUpload, or a HEAD's 404 that carries no
	// code), except NoSuchBucket, which is a deployment error rather than
	// an absent object and must not pass for one (a delete would "succeed",
	// /status would answer "not found").
	ErrNotFound = errors.New("object not found")
	// ErrChanged: an If-Match (or copy-source-if-match) failed: OSS 412,
	// the object changed since its ETag was read.
	ErrChanged = errors.New("object changed")
)

// ServiceError returns the OSS error answer inside err, if any. The SDK
// returns oss.ServiceError by value (oss/conn.go handleResponse), and a
// pointer in a few places, so both are looked for.
func ServiceError(err error) (oss.ServiceError, bool) {
	var se oss.ServiceError
	if errors.As(err, &se) {
		return se, true
	}
	var sp *oss.ServiceError
	if errors.As(err, &sp) && sp != nil {
		return *sp, true
	}
	return oss.ServiceError{}, false
}

// Classify describes err from op on key ("head", "get tagging" ...): with
// ErrNotFound or ErrChanged when it is one of them, else wrapping err, with
// the OSS status, code and request id when OSS answered. The SDK's
// messages carry no credentials.
func Classify(op, key string, err error) error {
	se, ok := ServiceError(err)
	switch {
	case !ok:
		var ne net.Error
		if errors.As(err, &ne) {
			return fmt.Errorf("%s %q: network: %w", op, key, err)
		}
		return fmt.Errorf("%s %q: %w", op, key, err)
	case se.StatusCode == http.StatusNotFound && se.Code != "NoSuchBucket":
		return fmt.Errorf("%s %q: %s: %w", op, key, se.Code, ErrNotFound)
	case se.StatusCode == http.StatusPreconditionFailed:
		return fmt.Errorf("%s %q: %w", op, key, ErrChanged)
	}
	return fmt.Errorf("%s %q: OSS %d %s (request %s): %w", op, key, se.StatusCode, se.Code, se.RequestID, err)
}
