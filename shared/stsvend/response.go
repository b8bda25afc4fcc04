package stsvend

import (
	"strings"
	"time"

	"github.com/ossupload/ossupload/shared/uploadpin"
	"github.com/ossupload/ossupload/shared/uploadroutes"
)

// ClientOptions are the ali-oss constructor options that depend on where
// browsers upload (OSS_UPLOAD_URL), computed once from the configuration.
type ClientOptions struct {
	Endpoint  string // "" when OSS_UPLOAD_URL is the default
	Secure    bool   // https
	SldEnable bool   // path-style addressing: /<bucket>/<key>
	Cname     bool   // endpoint is a custom domain or CDN bound to the bucket
}

// ClientOptionsFor derives the ali-oss options from OSS_UPLOAD_URL:
//   - the default https://<bucket>.oss-<region>.aliyuncs.com: no endpoint
//     (ali-oss builds it from region and bucket);
//   - host "<bucket>.<rest>": endpoint scheme://<rest> (ali-oss prefixes the
//     bucket again);
//   - path "/<bucket>" (e.g. the local emulator http://127.0.0.1:9000/<bucket>):
//     endpoint scheme://host with sldEnable, ali-oss's path-style switch
//     (OSS/STS protocol reference §0);
//   - anything else is a custom domain or CDN: endpoint = the URL, cname.
func ClientOptionsFor(uploadURL, bucket, region string) (ClientOptions, error) {
	u, err := parseUploadURL(uploadURL)
	if err != nil {
		return ClientOptions{}, err
	}
	o := ClientOptions{Secure: u.Scheme == "https"}
	path := strings.TrimSuffix(u.Path, "/")
	host := strings.ToLower(u.Host)
	switch {
	case path == "" && u.Scheme == "https" && host == bucket+".oss-"+region+".aliyuncs.com":
		// the default: ali-oss derives it from region and bucket
	case path == "" && strings.HasPrefix(host, bucket+"."):
		o.Endpoint = u.Scheme + "://" + strings.TrimPrefix(host, bucket+".")
	case path == "/"+bucket:
		o.Endpoint = u.Scheme + "://" + u.Host
		o.SldEnable = true
	default:
		o.Endpoint = strings.TrimSuffix(uploadURL, "/")
		o.Cname = true
	}
	return o, nil
}

// Response is the 200 answer, ready for `new OSS({...})` in ali-oss and for
// its refreshSTSToken callback (which reads accessKeyId, accessKeySecret
// and stsToken). securityToken repeats stsToken for other clients.
type Response struct {
	AccessKeyID     string `json:"accessKeyId"`
	AccessKeySecret string `json:"accessKeySecret"`
	StsToken        string `json:"stsToken"`
	SecurityToken   string `json:"securityToken"`
	Expiration      string `json:"expiration"` // RFC 3339, UTC
	Bucket          string `json:"bucket"`
	Region          string `json:"region"` // "oss-<region>", as ali-oss wants it
	// RegionID is the bare region id ("cn-hangzhou") for the Go SDK's V4
	// signer, oss.Region(regionId): it puts the value verbatim into the
	// credential scope <date>/<region>/oss/aliyun_v4_request
	// (aliyun-oss-go-sdk v3.0.2 oss/auth.go getSignedStrV4, oss/conf.go GetSignRegion).
	RegionID  string `json:"regionId"`
	Endpoint  string `json:"endpoint,omitempty"`
	Secure    bool   `json:"secure"`
	SldEnable bool   `json:"sldEnable,omitempty"`
	Cname     bool   `json:"cname,omitempty"`
	// Route is the route the credentials are for; Dir is its directory for
	// the caller (uploadroutes.Route.UserDir): upload keys must start with it.
	Route string `json:"route"`
	Dir   string `json:"dir"`
	// Headers are the x-oss-meta-* headers the client must send with every
	// upload (ali-oss: put(key, file, {headers}) or multipartUpload(key,
	// file, {headers})); see UploadHeaders.
	Headers map[string]string `json:"headers"`
}

// UploadHeaders are the user metadata headers a session's uploads carry:
// x-oss-meta-route naming the route, x-oss-meta-<name> for each metadata
// pair the app's hook answered, and, when pinKey is set (a hook is
// configured), x-oss-meta-upload-pin binding route, owner, the session's
// directory and that metadata (package uploadpin), by which verify tells
// them from metadata an uploader made up. A RAM policy cannot require
// these headers, so the client sends them by agreement; verify judges an
// upload without them (uploadroutes.Set.Judge).
func UploadHeaders(pinKey []byte, route, owner, dir string, metadata map[string]string) map[string]string {
	h := make(map[string]string, len(metadata)+2)
	h[uploadroutes.MetaHeader] = route
	for name, value := range metadata {
		h[metaPrefix+name] = value
	}
	if pinKey != nil {
		h[metaPrefix+uploadpin.MetaName] = uploadpin.Sign(pinKey, uploadpin.Pin{Route: route, Owner: owner, Scope: dir, Metadata: metadata})
	}
	return h
}

// metaPrefix starts every user metadata header.
const metaPrefix = "x-oss-meta-"

func newResponse(t Temporary, bucket, region string, o ClientOptions) Response {
	return Response{
		AccessKeyID:     t.AccessKeyID,
		AccessKeySecret: t.AccessKeySecret,
		StsToken:        t.SecurityToken,
		SecurityToken:   t.SecurityToken,
		Expiration:      t.Expiration.UTC().Format(time.RFC3339),
		Bucket:          bucket,
		Region:          "oss-" + region,
		RegionID:        region,
		Endpoint:        o.Endpoint,
		Secure:          o.Secure,
		SldEnable:       o.SldEnable,
		Cname:           o.Cname,
	}
}
