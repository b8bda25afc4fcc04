// Package oss is a local emulator of Alibaba Cloud Object Storage Service
// (OSS) as an http.Handler, faithful enough that the unmodified official
// clients (aliyun-oss-go-sdk, ali-oss) work against it: path-style and
// virtual-host addressing; V1 and V4 header signatures, V1 and V4 presigned
// URLs and PostObject form authentication, with the date and STS token
// rules of the real service; RAM authorisation of every request through the
// identity store; objects (put, get with ranges, head, delete, copy, list,
// tagging), multipart uploads (UploadPartCopy and ListMultipartUploads
// included), bucket CORS and its Put/Get/DeleteBucketCors API, event
// notifications; ETags, CRC-64 headers and error documents as OSS sends
// them. What it does not emulate it refuses with NotImplemented
// (CONFORMANCE.md). Bodies stream through a pluggable Store (on disk by
// default) and never sit in memory.
package oss

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ossupload/ossupload/local/iam"
)

// Config configures a Server.
type Config struct {
	// Region is the emulated region (e.g. "cn-hangzhou"); V4 scopes must name it.
	Region string
	// Store holds buckets and objects; nil means a DiskStore at DataDir.
	Store   Store
	DataDir string
	// IAM resolves AccessKeys and evaluates RAM policies.
	IAM *iam.Store
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Events, when set, receives an event per created or removed object.
	Events Publisher
	Logger *slog.Logger
}

// Server is the OSS emulator. It is an http.Handler.
type Server struct {
	region string
	store  Store
	ids    Identities
	now    func() time.Time
	events Publisher
	log    *slog.Logger
	// appendMu serialises AppendObject (check position, then replace).
	appendMu sync.Mutex
}

// New validates cfg and builds a Server.
func New(cfg Config) (*Server, error) {
	if cfg.IAM == nil {
		return nil, errors.New("oss: Config.IAM is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Store == nil {
		if cfg.DataDir == "" {
			return nil, errors.New("oss: Config.Store or Config.DataDir is required")
		}
		st, err := NewDiskStore(cfg.DataDir, cfg.Now)
		if err != nil {
			return nil, err
		}
		cfg.Store = st
	}
	return &Server{region: cfg.Region, store: cfg.Store, ids: cfg.IAM, now: cfg.Now, events: cfg.Events, log: cfg.Logger}, nil
}

// CreateBucket creates a bucket (or replaces its CORS rules); idempotent.
func (s *Server) CreateBucket(name string, cors []CORSRule) error {
	if !ValidBucketName(name) {
		return fmt.Errorf("oss: invalid bucket name %q", name)
	}
	b := Bucket{Name: name, CORS: cors}
	if old, err := s.store.GetBucket(name); err == nil {
		b.BlockPublicAccess, b.Overwrite = old.BlockPublicAccess, old.Overwrite
	}
	return s.store.PutBucket(b)
}

// newRequestID returns 24 upper-case hex characters, like OSS request ids.
func newRequestID() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// resolve finds bucket and key: path style (/bucket/key) when the Host is
// the emulator's own authority (an IP literal, localhost, a dot-less name,
// or a bare oss-<region> endpoint), else virtual host, the bucket being the
// first DNS label (<bucket>.localhost:9000, <bucket>.oss-cn-hangzhou.aliyuncs.com).
// The key comes from the decoded path, so "%2F" is a slash.
func resolve(host, path string) (bucket, key string) {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	path = strings.TrimPrefix(path, "/")
	if pathStyleHost(h) {
		bucket, key, _ = strings.Cut(path, "/")
		return bucket, key
	}
	label, _, _ := strings.Cut(h, ".")
	return label, path
}

// pathStyleHost reports whether a (port-less, lower-case) host is the
// emulator's own authority rather than a bucket's virtual host.
func pathStyleHost(h string) bool {
	label, rest, dotted := strings.Cut(h, ".")
	return !dotted || h == "localhost" || net.ParseIP(strings.Trim(h, "[]")) != nil ||
		(strings.HasPrefix(label, "oss-") && rest == "aliyuncs.com")
}

// pathStyleAlternative: ali-oss in Node with sldEnable sends the path-style
// path /<bucket>/<key> AND its forced Host <bucket>.oss-<region>.aliyuncs.com.
// Read as a virtual host the key would start with "<bucket>/"; this returns
// the path-style reading, tried when the first reading's signature fails.
func pathStyleAlternative(host, bucket, key string) (string, bool) {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if pathStyleHost(strings.ToLower(strings.TrimSuffix(h, "."))) {
		return "", false
	}
	return strings.CutPrefix(key, bucket+"/")
}

// sourceIP is the client address without the port.
func sourceIP(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// request is the per-request state handed to operation handlers.
type request struct {
	r         *http.Request
	id        string
	bucket    string
	key       string
	now       time.Time
	principal *iam.Principal
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rq := &request{r: r, id: newRequestID(), now: s.now()}
	rq.bucket, rq.key = resolve(r.Host, r.URL.Path)
	h := w.Header()
	h.Set("x-oss-request-id", rq.id)
	h.Set("Server", "AliyunOSS")
	h.Set("Date", rq.now.UTC().Format(http.TimeFormat))
	err := s.serve(w, rq)
	if err == nil {
		return
	}
	var oe *Error
	if !errors.As(err, &oe) {
		s.log.Error("oss: internal error", "requestId", rq.id, "method", r.Method, "bucket", rq.bucket, "err", err)
		oe = errInternal()
	} else {
		s.log.Info("oss: request failed", "requestId", rq.id, "method", r.Method, "bucket", rq.bucket, "code", oe.Code)
	}
	writeError(w, r, rq.id, oe)
}

// serve routes one request; errors are written by ServeHTTP.
func (s *Server) serve(w http.ResponseWriter, rq *request) error {
	r := rq.r
	if rq.bucket == "" {
		return errMethodNotAllowed()
	}
	if !ValidBucketName(rq.bucket) {
		return newError(http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.", "")
	}
	if err := checkObjectName(rq.key); err != nil {
		return err
	}
	b, err := s.store.GetBucket(rq.bucket)
	if errors.Is(err, ErrNotFound) {
		return errNoSuchBucket()
	}
	if err != nil {
		return err
	}
	if r.Method == http.MethodOptions {
		return preflight(w, r, b)
	}
	applyCORS(w.Header(), r, b)
	alt, hasAlt := pathStyleAlternative(r.Host, rq.bucket, rq.key)
	if r.Method == http.MethodPost && (rq.key == "" || (hasAlt && alt == "")) && isMultipartForm(r) {
		return s.postObject(w, rq, b)
	}
	rq.principal, err = s.authenticate(authRequest{r: r, bucket: rq.bucket, key: rq.key, now: rq.now})
	var oe *Error
	if hasAlt && errors.As(err, &oe) && oe.Code == "SignatureDoesNotMatch" {
		if p, altErr := s.authenticate(authRequest{r: r, bucket: rq.bucket, key: alt, now: rq.now}); altErr == nil {
			rq.principal, rq.key, err = p, alt, nil
		}
	}
	if err != nil {
		return err
	}
	if (r.Method == http.MethodPut || r.Method == http.MethodPost) && rq.key != "" {
		if err := refusePublicACL(r.Header, b); err != nil {
			return err
		}
		if err := s.checkSSE(rq); err != nil {
			return err
		}
	}
	q := r.URL.Query()
	if err := unemulatedHeaders(r.Header); err != nil {
		return err
	}
	if rq.key == "" {
		switch {
		case q.Has("cors"):
			return s.bucketCORS(w, rq, b)
		case r.Method == http.MethodGet && q.Has("uploads"):
			return s.listUploads(w, rq)
		case q.Has("overwriteConfig"):
			return s.overwriteConfig(w, rq)
		case r.Method == http.MethodGet && len(q) == len(listParams(q)):
			return s.listObjects(w, rq)
		case r.Method == http.MethodPost && len(q) == 0:
			return newError(http.StatusBadRequest, "RequestIsNotMultiPartContent", "Bucket POST must be of the enclosure-type multipart/form-data", "")
		}
		return errNotImplemented()
	}
	switch r.Method {
	case http.MethodPut:
		if r.ContentLength > maxObjectSize && r.Header.Get("x-oss-copy-source") == "" {
			// PutObject and UploadPart take at most 5 GB, like PostObject
			// (https://www.alibabacloud.com/help/en/oss/developer-reference/putobject,
			// .../uploadpart); refused before the body is read.
			return errEntityTooLarge()
		}
		switch {
		case q.Has("uploadId") && r.Header.Get("x-oss-copy-source") != "":
			return s.uploadPartCopy(w, rq)
		case q.Has("uploadId"):
			return s.uploadPart(w, rq)
		case q.Has("tagging"):
			return s.putTagging(w, rq)
		case q.Has("symlink"):
			return s.putSymlink(w, rq)
		case len(subResourcesOf(q)) > 0:
			return errNotImplemented()
		case r.Header.Get("x-oss-copy-source") != "":
			return s.copyObjectChecked(w, rq)
		}
		return s.putObject(w, rq)
	case http.MethodGet, http.MethodHead:
		switch {
		case r.Method == http.MethodGet && q.Has("uploadId"):
			return s.listParts(w, rq)
		case r.Method == http.MethodGet && q.Has("tagging"):
			return s.getTagging(w, rq)
		case q.Has("symlink"):
			return s.getSymlink(w, rq)
		case q.Has("objectMeta") || !hasOtherSubResources(q):
			return s.getObject(w, rq)
		}
		return errNotImplemented()
	case http.MethodDelete:
		switch {
		case q.Has("uploadId"):
			return s.abortUpload(w, rq)
		case q.Has("tagging"):
			return s.deleteTagging(w, rq)
		case len(subResourcesOf(q)) > 0:
			return errNotImplemented()
		}
		return s.deleteObject(w, rq)
	case http.MethodPost:
		switch {
		case q.Has("uploads"):
			return s.initiateUpload(w, rq)
		case q.Has("uploadId"):
			return s.completeUpload(w, rq)
		case q.Has("append"):
			return s.appendObject(w, rq)
		}
		return errNotImplemented()
	}
	return errMethodNotAllowed()
}

// unemulatedHeaders refuses requests whose headers ask OSS for behaviour
// the emulator does not reproduce, so that they fail here as
// NotImplemented rather than succeed differently: an upload callback
// (x-oss-callback: OSS calls the application server and returns its
// answer, https://www.alibabacloud.com/help/en/oss/developer-reference/callback)
// and a storage class other than Standard (an Archive object cannot be
// read before RestoreObject, https://www.alibabacloud.com/help/en/oss/user-guide/overview-53).
func unemulatedHeaders(h http.Header) error {
	if h.Get("x-oss-callback") != "" {
		return errNotImplemented()
	}
	if c := h.Get("x-oss-storage-class"); c != "" && !strings.EqualFold(c, "Standard") {
		return errNotImplemented()
	}
	return nil
}

// subResourcesOf lists the sub-resource parameters present, other than the
// authentication ones.
func subResourcesOf(q map[string][]string) []string {
	var out []string
	for k := range q {
		if subResources[k] && k != "security-token" {
			out = append(out, k)
		}
	}
	return out
}

// hasOtherSubResources: a GET/HEAD with a sub-resource this emulator does not
// serve (response-* overrides and versionId are fine).
func hasOtherSubResources(q map[string][]string) bool {
	for _, k := range subResourcesOf(q) {
		if !strings.HasPrefix(k, "response-") && k != "versionId" {
			return true
		}
	}
	return false
}

// listParams picks the parameters a ListObjects request may carry.
func listParams(q map[string][]string) []string {
	var out []string
	for k := range q {
		switch k {
		case "prefix", "marker", "max-keys", "delimiter", "encoding-type", "list-type", "continuation-token", "start-after", "fetch-owner",
			"OSSAccessKeyId", "Expires", "Signature", "security-token":
			out = append(out, k)
		default:
			if strings.HasPrefix(k, "x-oss-") {
				out = append(out, k)
			}
		}
	}
	return out
}

func isMultipartForm(r *http.Request) bool {
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	return strings.HasPrefix(ct, "multipart/form-data")
}
