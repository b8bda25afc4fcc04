package uploadpolicy

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/ossupload/ossupload/shared/auth"
	"github.com/ossupload/ossupload/shared/credentials"
	"github.com/ossupload/ossupload/shared/httpapi"
	"github.com/ossupload/ossupload/shared/logging"
	"github.com/ossupload/ossupload/shared/presign"
	"github.com/ossupload/ossupload/shared/uploadpin"
	"github.com/ossupload/ossupload/shared/uploadroutes"
)

// POST /presign answers Uppy 6 @uppy/aws-s3's signRequest: one request
// description in, one presigned OSS URL (or, for a single-file upload, our
// signed PostObject form) out. The request and answer shapes are those of
// @uppy/aws-s3 6.3.1 src/s3-client/types.ts (PresignableRequest,
// PresignedResponse); its S3 client (src/s3-client/S3mini.ts) sends each
// request with request.method to the answer's url, with the answer's
// headers applied last.
//
// The server decides everything that matters: the key of a new upload (the
// requested key is only a filename hint), its content type, its owner and
// declared metadata, which part numbers may be uploaded, and whether the
// uploaded parts may be completed. verify stays the judge of what was
// stored.

// Multipart limits of OSS (https://help.aliyun.com/zh/oss/developer-reference/uploadpart:
// part numbers 1 to 10,000; every part but the last at least 100 KB).
const (
	MaxParts    = 10000
	MinPartSize = 100 << 10
)

// completeContentType is the Content-Type Uppy's S3 client sends on
// CompleteMultipartUpload (S3mini.ts completeMultipartUpload); the URL must
// sign the type the browser sends.
const completeContentType = "application/xml"

// presignRequest is Uppy's PresignableRequest plus what the app's
// signRequest adds from Uppy's file object: Uppy tells signRequest neither
// the size nor, for a multipart upload, the type.
type presignRequest struct {
	Method      string `json:"method"`
	Key         string `json:"key"`
	UploadID    string `json:"uploadId"`
	PartNumber  int64  `json:"partNumber"`
	ContentType string `json:"contentType"`
	ExpiresIn   int64  `json:"expiresIn"` // seconds; only shortens the server's lifetime
	Filename    string `json:"filename"`  // default: the last segment of key
	Size        *int64 `json:"size"`      // required to start a multipart upload
	// Route and ClientPayload as in POST / (signRequest). A request on an
	// upload already started takes its route from the key; one named there
	// must be the same.
	Route         string          `json:"route"`
	ClientPayload json.RawMessage `json:"clientPayload"`
}

// PresignResponse is Uppy's PresignedResponse.
type PresignResponse struct {
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Key     string            `json:"key,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	// Fields is the PostObject form of a single-file upload (Uppy posts it
	// to URL with the file last).
	Fields    map[string]string `json:"fields,omitempty"`
	ExpiresAt string            `json:"expiresAt"`
	Route     string            `json:"route,omitempty"` // the upload's route
}

// PartLister lists the parts uploaded so far to a multipart upload, with
// the function's own credentials (OSSPartLister).
type PartLister interface {
	ListParts(ctx context.Context, key, uploadID string) ([]UploadedPart, error)
}

// UploadedPart is one part ListParts reports.
type UploadedPart struct {
	Number int
	Size   int64
}

// ErrNoSuchUpload is returned by a PartLister when OSS does not know the
// upload id for the key (NoSuchUpload).
var ErrNoSuchUpload = errors.New("no such upload")

func (h *Handler) presign(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := h.deps.Auth.Authenticate(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req presignRequest
	if err := httpapi.DecodeJSON(r, MaxRequestBytes, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := checkClientPayload(req.ClientPayload); err != nil {
		h.fail(w, r, err)
		return
	}
	creds, err := h.deps.Credentials.Resolve(ctx)
	if err != nil || !creds.Valid() {
		if err == nil {
			err = credentials.ErrNotFound
		}
		h.log.ErrorContext(ctx, "no credentials to sign with", logging.RequestID(httpapi.RequestID(ctx)), "error", err.Error())
		h.fail(w, r, unavailable())
		return
	}
	resp, op, err := h.presignOne(ctx, id, req, creds)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	key := resp.Key // the new key of an upload; else the one asked about
	if key == "" {
		key = req.Key
	}
	h.log.LogAttrs(ctx, slog.LevelInfo, "presigned request",
		logging.RequestID(httpapi.RequestID(ctx)), slog.String("user", id.UserID),
		slog.String("operation", op), slog.String("key", key), slog.String("signature_version", h.cfg.SignatureVersion))
	w.Header()["Cache-Control"] = httpapi.NoStore
	httpapi.WriteJSON(w, http.StatusOK, resp)
}

// Operations, as logged.
const (
	opPutObject = "PutObject"
	opInitiate  = "InitiateMultipartUpload"
	opPart      = "UploadPart"
	opList      = "ListParts"
	opComplete  = "CompleteMultipartUpload"
	opAbort     = "AbortMultipartUpload"
)

func badRequest(format string, args ...any) error {
	return httpapi.Errorf(httpapi.CodeInvalidRequest, format, args...)
}

// presignOne checks one request and signs it.
func (h *Handler) presignOne(ctx context.Context, id auth.Identity, req presignRequest, creds credentials.Credentials) (*PresignResponse, string, error) {
	now := h.deps.Now()
	if req.ExpiresIn < 0 {
		return nil, "", badRequest("expiresIn must not be negative")
	}
	// expiry is the route's lifetime, shortened by expiresIn.
	expiry := func(route uploadroutes.Route) time.Duration {
		e := h.expiryOf(route)
		if req.ExpiresIn > 0 && time.Duration(req.ExpiresIn)*time.Second < e {
			e = time.Duration(req.ExpiresIn) * time.Second
		}
		return e
	}
	if req.UploadID == "" {
		if req.PartNumber != 0 {
			return nil, "", badRequest("partNumber needs an uploadId")
		}
		switch req.Method {
		case http.MethodPut, http.MethodPost:
		case http.MethodDelete:
			return nil, "", httpapi.Errorf(httpapi.CodeForbidden, "deleting an object is not offered")
		default:
			return nil, "", badRequest("method must be PUT or POST without an uploadId")
		}
		route, err := h.pickRoute(req.Route, uploadroutes.PathPresign)
		if err != nil {
			return nil, "", err
		}
		if req.Method == http.MethodPut {
			return h.presignPutObject(ctx, id, req, route, creds)
		}
		return h.presignInitiate(ctx, id, req, route, creds, now, expiry(route))
	}

	// A request on an upload in progress: the key must be one the server
	// issued to this caller (under the caller's prefix), and its route
	// (the directory it lies in) must still allow presigned uploads.
	owner, route, ok := h.cfg.Routes.ForKey(h.cfg.Rules, req.Key)
	if owner == "" || owner != id.UserID {
		return nil, "", httpapi.Errorf(httpapi.CodeForbidden, "the key is not one of your uploads")
	}
	if !ok {
		return nil, "", httpapi.Errorf(httpapi.CodeForbidden, "the key lies in no route's directory")
	}
	if !route.Allows(uploadroutes.PathPresign) {
		return nil, "", httpapi.Errorf(httpapi.CodeForbidden, "route %q does not allow %s uploads", route.Name, uploadroutes.PathPresign)
	}
	if req.Route != "" && req.Route != route.Name {
		return nil, "", badRequest("the key is an upload of route %q, not of the route named", route.Name)
	}
	if !validUploadID(req.UploadID) {
		return nil, "", badRequest("uploadId is not an OSS upload id")
	}
	sreq := presign.Request{Method: req.Method, Bucket: h.cfg.Bucket, Key: req.Key, UploadID: req.UploadID}
	var op string
	switch req.Method {
	case http.MethodPut:
		op = opPart
		declared, ok := declaredSizeOf(req.Key)
		if !ok {
			return nil, "", httpapi.Errorf(httpapi.CodeForbidden, "the key is not a multipart upload this service started")
		}
		if limit := maxPartNumber(declared); req.PartNumber < 1 || req.PartNumber > int64(limit) {
			return nil, "", badRequest("partNumber must be between 1 and %d for a file of %d bytes", limit, declared)
		}
		sreq.PartNumber = int(req.PartNumber)
	case http.MethodGet:
		op = opList
	case http.MethodDelete:
		op = opAbort
	case http.MethodPost:
		op = opComplete
		if err := h.checkComplete(ctx, req.Key, req.UploadID, route); err != nil {
			return nil, "", err
		}
		sreq.Headers = []presign.Header{{Name: "Content-Type", Value: completeContentType}, {Name: "x-oss-forbid-overwrite", Value: "true"}}
	default:
		return nil, "", badRequest("method must be PUT, GET, POST or DELETE")
	}
	if op != opPart && req.PartNumber != 0 {
		return nil, "", badRequest("partNumber is only for PUT")
	}
	resp, err := h.presignURL(creds, sreq, now, expiry(route))
	if err != nil {
		return nil, "", err
	}
	resp.Route = route.Name
	return resp, op, nil
}

// presignInitiate starts a multipart upload: the server picks the key and
// pins the type, owner, declared metadata, route, the hook's metadata and
// pin, and overwrite protection in signed headers (the browser must send
// them, unchanged, and can add no other x-oss-* header). The object takes
// its Content-Type and metadata from InitiateMultipartUpload.
func (h *Handler) presignInitiate(ctx context.Context, id auth.Identity, req presignRequest, route uploadroutes.Route, creds credentials.Credentials, now time.Time, expiry time.Duration) (*PresignResponse, string, error) {
	if req.Size == nil {
		return nil, "", badRequest("size is required to start a multipart upload")
	}
	filename := filenameHint(req)
	up, err := h.check(id, signRequest{Filename: filename, ContentType: req.ContentType, Size: req.Size}, route)
	if err != nil {
		return nil, "", err
	}
	up.key = multipartKey(up.key, up.size)
	if err := h.approve(ctx, &up, uploadroutes.PathPresign, filename, req.ClientPayload); err != nil {
		return nil, "", err
	}
	ct := up.contentType
	if ct == "" {
		ct = UndeclaredContentType
	}
	hs := []presign.Header{
		{Name: "Content-Type", Value: ct},
		{Name: "x-oss-forbid-overwrite", Value: "true"},
		{Name: "x-oss-object-acl", Value: pinnedObjectACL},
		{Name: "x-oss-storage-class", Value: pinnedStorageClass},
		{Name: "x-oss-server-side-encryption", Value: pinnedEncryption},
		{Name: "x-oss-meta-owner", Value: up.user},
		{Name: "x-oss-meta-declared-size", Value: strconv.FormatInt(up.size, 10)},
	}
	if up.contentType != "" {
		hs = append(hs, presign.Header{Name: "x-oss-meta-declared-type", Value: up.contentType})
	}
	hs = append(hs, presign.Header{Name: uploadroutes.MetaHeader, Value: route.Name})
	for _, name := range sortedNames(up.meta) {
		hs = append(hs, presign.Header{Name: metaHeader(name), Value: up.meta[name]})
	}
	if up.pin != "" {
		hs = append(hs, presign.Header{Name: metaHeader(uploadpin.MetaName), Value: up.pin})
	}
	resp, err := h.presignURL(creds, presign.Request{Method: http.MethodPost, Bucket: h.cfg.Bucket, Key: up.key, Uploads: true, Headers: hs}, now, expiry)
	if err != nil {
		return nil, "", err
	}
	resp.Key = up.key
	resp.Route = route.Name
	return resp, opInitiate, nil
}

// presignPutObject answers a single-file upload with the signed PostObject
// form of POST / (size capped by the policy, which a presigned PUT cannot
// do). Uppy refuses a form with a success_action_redirect field
// (@uppy/aws-s3 6.3.1 src/s3-client/utils.ts buildPostPolicyForm), so
// this form neither sends nor pins it: it only redirects the uploader's
// own browser after a successful upload.
func (h *Handler) presignPutObject(ctx context.Context, id auth.Identity, req presignRequest, route uploadroutes.Route, creds credentials.Credentials) (*PresignResponse, string, error) {
	filename := filenameHint(req)
	up, err := h.check(id, signRequest{Filename: filename, ContentType: req.ContentType, Size: req.Size}, route)
	if err != nil {
		return nil, "", err
	}
	if err := h.approve(ctx, &up, uploadroutes.PathPresign, filename, req.ClientPayload); err != nil {
		return nil, "", err
	}
	up.noRedirect = true
	var form Response
	if err := h.build(up, creds, &form, nil); err != nil {
		return nil, "", err
	}
	raw, err := json.Marshal(metaFields{&form.Fields}) // with the hook's metadata
	if err != nil {
		return nil, "", err
	}
	fields := map[string]string{}
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, "", err
	}
	delete(fields, "success_action_redirect")
	return &PresignResponse{URL: form.URL, Method: http.MethodPost, Key: form.Key, Fields: fields, ExpiresAt: form.ExpiresAt, Route: route.Name}, opPutObject, nil
}

// presignURL signs sreq with the configured signature version on
// OSS_UPLOAD_URL; the headers to send come back in Headers.
func (h *Handler) presignURL(creds credentials.Credentials, sreq presign.Request, now time.Time, expiry time.Duration) (*PresignResponse, error) {
	c := presign.Credentials{AccessKeyID: creds.AccessKeyID, AccessKeySecret: creds.AccessKeySecret, SecurityToken: creds.SecurityToken}
	var u string
	var err error
	if h.cfg.SignatureVersion == SignatureV1 {
		u, err = presign.V1(h.cfg.UploadURL, c, sreq, now, expiry)
	} else {
		s := cachedSigner{keys: &h.keys, secret: creds.AccessKeySecret, day: now.UTC().Format("20060102"), region: h.cfg.Region}
		u, err = presign.V4With(s, h.cfg.UploadURL, h.cfg.Region, c, sreq, now, expiry)
	}
	if err != nil {
		return nil, err
	}
	resp := &PresignResponse{URL: u, Method: sreq.Method, ExpiresAt: now.UTC().Add(expiry).Truncate(time.Second).Format(time.RFC3339)}
	if len(sreq.Headers) > 0 {
		resp.Headers = make(map[string]string, len(sreq.Headers))
		for _, hd := range sreq.Headers {
			resp.Headers[hd.Name] = hd.Value
		}
	}
	return resp, nil
}

// cachedSigner signs with the handler's cached V4 signing key.
type cachedSigner struct {
	keys                *keyCache
	secret, day, region string
}

func (s cachedSigner) Sign(stringToSign []byte) string {
	return s.keys.sign(s.secret, s.day, s.region, stringToSign)
}

// checkComplete signs a complete only when the parts uploaded so far (as
// OSS lists them to the function) fit the declared size: every part
// number within what that size needs, and the total neither above the
// declared size (nor the route's maximum) nor below it (nor the route's
// minimum). Parts uploaded after this check can still change what the
// complete assembles: verify judges the stored object.
func (h *Handler) checkComplete(ctx context.Context, key, uploadID string, route uploadroutes.Route) error {
	declared, ok := declaredSizeOf(key)
	if !ok {
		return httpapi.Errorf(httpapi.CodeForbidden, "the key is not a multipart upload this service started")
	}
	if h.deps.Parts == nil {
		return unavailable()
	}
	parts, err := h.deps.Parts.ListParts(ctx, key, uploadID)
	if errors.Is(err, ErrNoSuchUpload) {
		return httpapi.Errorf(httpapi.CodeNotFound, "no such upload for this key")
	}
	if err != nil {
		h.log.ErrorContext(ctx, "list parts failed", logging.RequestID(httpapi.RequestID(ctx)), "key", key, "error", err.Error())
		return unavailable()
	}
	limit := maxPartNumber(declared)
	var total int64
	for _, p := range parts {
		if p.Number < 1 || p.Number > limit {
			return badRequest("part %d is beyond the %d parts a file of %d bytes needs", p.Number, limit, declared)
		}
		total += p.Size
	}
	switch {
	case total > declared:
		return httpapi.Errorf(httpapi.CodeTooLarge, "the uploaded parts hold %d bytes, more than the declared %d", total, declared)
	case total > route.MaxBytes:
		return httpapi.Errorf(httpapi.CodeTooLarge, "the uploaded parts hold %d bytes, more than route %q allows (%d)", total, route.Name, route.MaxBytes)
	case total < declared:
		return httpapi.Errorf(httpapi.CodeIncomplete, "the uploaded parts hold %d bytes, fewer than the declared %d", total, declared)
	case total < route.MinBytes:
		return httpapi.Errorf(httpapi.CodeTooSmall, "the uploaded parts hold %d bytes, fewer than route %q needs (%d)", total, route.Name, route.MinBytes)
	}
	return nil
}

// maxPartNumber is the highest part number a file of size bytes can need:
// every part but the last holds at least MinPartSize.
func maxPartNumber(size int64) int {
	n := (size + MinPartSize - 1) / MinPartSize
	if n < 1 {
		n = 1
	}
	if n > MaxParts {
		n = MaxParts
	}
	return int(n)
}

// filenameHint is the name the key is derived from: the filename field, or
// the last segment of the key Uppy made up (${uuid}-${file.name} by
// default).
func filenameHint(req presignRequest) string {
	if req.Filename != "" {
		return req.Filename
	}
	if req.Key == "" {
		return ""
	}
	return path.Base(req.Key)
}

// A multipart key carries its declared size: NewKey's
// "<dir>/<16 hex>-<name>" becomes "<dir>/<16 hex>.<size>-<name>". Uppy
// sends only the key and the upload id with later requests, and OSS keeps
// no metadata of an upload in progress that ListParts would return, so the
// key is where the part limit and the complete check find the size. The
// server signs InitiateMultipartUpload only for keys it made, with
// x-oss-meta-declared-size pinned to the same number.
const randomHexLen = 16

func multipartKey(key string, size int64) string {
	i := strings.LastIndexByte(key, '/') + 1
	if len(key) < i+randomHexLen+1 || key[i+randomHexLen] != '-' {
		return key // not NewKey's shape; declaredSizeOf will refuse it
	}
	return key[:i+randomHexLen] + "." + strconv.FormatInt(size, 10) + key[i+randomHexLen:]
}

// declaredSizeOf reads the size multipartKey put into key.
func declaredSizeOf(key string) (int64, bool) {
	seg := key[strings.LastIndexByte(key, '/')+1:]
	if len(seg) < randomHexLen+3 || seg[randomHexLen] != '.' {
		return 0, false
	}
	for i := 0; i < randomHexLen; i++ {
		if c := seg[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return 0, false
		}
	}
	digits, _, ok := strings.Cut(seg[randomHexLen+1:], "-")
	if !ok || digits == "" || len(digits) > 15 || digits[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	return n, err == nil && n > 0
}

// validUploadID accepts what an OSS upload id looks like (32 upper-case
// hex digits at OSS; the check only keeps odd bytes out of the URL).
func validUploadID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
