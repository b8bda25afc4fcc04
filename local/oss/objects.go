package oss

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	maxMetaBytes = 8 * 1024
	maxTags      = 10
)

func quoteETag(etag string) string { return `"` + etag + `"` }

func hexMD5(sum []byte) string { return strings.ToUpper(fmt.Sprintf("%x", sum)) }

// objectFromHeaders builds an object's HTTP and user metadata from request
// headers (PutObject, InitiateMultipartUpload, CopyObject with REPLACE).
func objectFromHeaders(h http.Header) (Object, error) {
	obj := Object{
		ContentType:        h.Get("Content-Type"),
		ContentDisposition: h.Get("Content-Disposition"),
		CacheControl:       h.Get("Cache-Control"),
		ContentEncoding:    h.Get("Content-Encoding"),
		Expires:            h.Get("Expires"),
	}
	if obj.ContentType == "" {
		obj.ContentType = "application/octet-stream"
	}
	acl, err := objectACLValue(h)
	if err != nil {
		return Object{}, err
	}
	obj.ACL = acl
	size := 0
	for k, v := range h {
		lk := strings.ToLower(k)
		if name, ok := strings.CutPrefix(lk, "x-oss-meta-"); ok && name != "" && len(v) > 0 {
			if obj.Meta == nil {
				obj.Meta = map[string]string{}
			}
			obj.Meta[name] = v[0]
			size += len(name) + len(v[0])
		}
	}
	if size > maxMetaBytes {
		return Object{}, errInvalidArgument("Your metadata headers exceed the maximum allowed metadata size.")
	}
	if v := h.Get("x-oss-tagging"); v != "" {
		tags, err := parseTaggingHeader(v)
		if err != nil {
			return Object{}, err
		}
		obj.Tags = tags
	}
	return obj, nil
}

// authorizeUploadTags asks for oss:PutObjectTagging on the target when an
// upload or copy sets tags (x-oss-tagging): OSS requires it on top of
// oss:PutObject, so a caller allowed only to upload cannot label its own
// object.
func (s *Server) authorizeUploadTags(rq *request, setsTags bool) error {
	if !setsTags {
		return nil
	}
	return s.authorize(rq.principal, rq.r, "oss:PutObjectTagging", resource(rq.bucket, rq.key), nil)
}

func parseTaggingHeader(v string) ([]Tag, error) {
	q, err := url.ParseQuery(v)
	if err != nil {
		return nil, errInvalidArgument("The x-oss-tagging header is not a valid query string.")
	}
	var tags []Tag
	for k, vs := range q {
		tags = append(tags, Tag{Key: k, Value: vs[0]})
	}
	return tags, validateTags(tags)
}

func validateTags(tags []Tag) error {
	if len(tags) > maxTags {
		return newError(http.StatusBadRequest, "BadRequest", "Object tags cannot be greater than 10.", "")
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 || seen[t.Key] {
			return newError(http.StatusBadRequest, "InvalidTag", "The TagKey or TagValue you have provided is invalid.", "")
		}
		seen[t.Key] = true
	}
	return nil
}

// writeObjectHeaders sets the headers GetObject/HeadObject return.
func writeObjectHeaders(h http.Header, obj Object) {
	h.Set("ETag", quoteETag(obj.ETag))
	h.Set("Last-Modified", obj.LastModified.UTC().Format(http.TimeFormat))
	h.Set("Content-Type", obj.ContentType)
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(obj.CRC64, 10))
	h.Set("x-oss-storage-class", "Standard")
	h.Set("Accept-Ranges", "bytes")
	h.Set("x-oss-object-type", objectType(obj))
	if objectType(obj) == typeAppendable {
		h.Set("x-oss-next-append-position", strconv.FormatInt(obj.Size, 10))
	}
	for k, v := range map[string]string{"Content-Disposition": obj.ContentDisposition, "Cache-Control": obj.CacheControl,
		"Content-Encoding": obj.ContentEncoding, "Expires": obj.Expires} {
		if v != "" {
			h.Set(k, v)
		}
	}
	for k, v := range obj.Meta {
		h.Set("x-oss-meta-"+k, v)
	}
	if len(obj.Tags) > 0 {
		h.Set("x-oss-tagging-count", strconv.Itoa(len(obj.Tags)))
	}
}

// checkMD5 compares a Content-MD5 header with the body's digest.
func checkMD5(header string, sum []byte) error {
	if header == "" {
		return nil
	}
	want, err := base64.StdEncoding.DecodeString(header)
	if err != nil || len(want) != md5.Size || string(want) != string(sum) {
		return newError(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was invalid.", "")
	}
	return nil
}

func forbidOverwrite(v string) bool { return strings.EqualFold(strings.TrimSpace(v), "true") }

// forbidOverwriteHeader reads x-oss-forbid-overwrite: "true" or "false"
// (any case) or absent; anything else is 400 InvalidArgument, 0017-00000279
// (https://help.aliyun.com/en/oss/user-guide/0017-00000279).
func forbidOverwriteHeader(h http.Header) (bool, error) {
	v := strings.TrimSpace(h.Get("x-oss-forbid-overwrite"))
	switch {
	case v == "" || strings.EqualFold(v, "false"):
		return false, nil
	case strings.EqualFold(v, "true"):
		return true, nil
	}
	return false, newError(http.StatusBadRequest, "InvalidArgument", "x-oss-forbid-overwrite must be true or false.", "0017-00000279")
}

func errFileExists() *Error {
	return newError(http.StatusConflict, "FileAlreadyExists", "The object you specified already exists and can not be overwritten.", "")
}

// commit checks the digest and installs a staged body; the staged file is
// discarded on any failure.
func (s *Server) commit(st Staged, obj Object, md5Header string, forbid bool) (Object, error) {
	if err := checkMD5(md5Header, st.MD5); err != nil {
		_ = s.store.Discard(st)
		return Object{}, err
	}
	obj.Size, obj.ETag, obj.CRC64 = st.Size, hexMD5(st.MD5), st.CRC64
	out, err := s.store.Commit(st, obj, forbid)
	if errors.Is(err, ErrExists) {
		return Object{}, errFileExists()
	}
	if errors.Is(err, ErrNotFound) {
		return Object{}, errNoSuchBucket()
	}
	return out, err
}

// previousSize is the size of the object being replaced (for deltaSize).
func (s *Server) previousSize(bucket, key string) int64 {
	if o, err := s.store.Stat(bucket, key); err == nil {
		return o.Size
	}
	return 0
}

func (s *Server) putObject(w http.ResponseWriter, rq *request) error {
	r := rq.r
	if err := s.authorize(rq.principal, r, "oss:PutObject", resource(rq.bucket, rq.key), nil); err != nil {
		return err
	}
	if err := s.authorizeUploadTags(rq, r.Header.Get("x-oss-tagging") != ""); err != nil {
		return err
	}
	obj, err := objectFromHeaders(r.Header)
	if err != nil {
		return err
	}
	obj.Type = typeNormal
	forbid, err := forbidOverwriteHeader(r.Header)
	if err != nil {
		return err
	}
	forbid = forbid || s.overwriteForbidden(rq, rq.key)
	if forbid {
		if _, err := s.store.Stat(rq.bucket, rq.key); err == nil {
			return errFileExists()
		}
	}
	st, err := s.store.Stage(r.Body)
	if err != nil {
		return err
	}
	old := s.previousSize(rq.bucket, rq.key)
	obj.Bucket, obj.Key, obj.LastModified = rq.bucket, rq.key, rq.now.UTC()
	obj, err = s.commit(st, obj, r.Header.Get("Content-MD5"), forbid)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", quoteETag(obj.ETag))
	h.Set("Content-MD5", base64.StdEncoding.EncodeToString(st.MD5))
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(obj.CRC64, 10))
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	s.publish(rq, "ObjectCreated:PutObject", obj, obj.Size-old)
	return nil
}

// byteRange parses a single "bytes=a-b" / "bytes=a-" / "bytes=-n" range.
// ok=false means no usable range (serve the whole object); an error means
// the range cannot be satisfied.
func byteRange(v string, size int64) (start, end int64, ok bool, err error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	a, b, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false, nil
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == "" {
		n, perr := strconv.ParseInt(b, 10, 64)
		if perr != nil || n < 0 {
			return 0, 0, false, nil
		}
		if n == 0 || size == 0 {
			return 0, 0, false, errInvalidRange(size)
		}
		if n > size {
			n = size
		}
		return size - n, size - 1, true, nil
	}
	start, perr := strconv.ParseInt(a, 10, 64)
	if perr != nil || start < 0 {
		return 0, 0, false, nil
	}
	end = size - 1
	if b != "" {
		if end, perr = strconv.ParseInt(b, 10, 64); perr != nil || end < start {
			return 0, 0, false, nil
		}
		if end > size-1 {
			end = size - 1
		}
	}
	if start >= size {
		return 0, 0, false, errInvalidRange(size)
	}
	return start, end, true, nil
}

func errInvalidRange(size int64) *Error {
	return newError(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range cannot be satisfied", "",
		Field{"ActualObjectSize", strconv.FormatInt(size, 10)})
}

// responseOverrides are the GET parameters that replace response headers.
var responseOverrides = map[string]string{
	"response-content-type": "Content-Type", "response-content-language": "Content-Language",
	"response-expires": "Expires", "response-cache-control": "Cache-Control",
	"response-content-disposition": "Content-Disposition", "response-content-encoding": "Content-Encoding",
}

// getObject serves GetObject, HeadObject and GetObjectMeta.
func (s *Server) getObject(w http.ResponseWriter, rq *request) error {
	r := rq.r
	if err := s.authorize(rq.principal, r, "oss:GetObject", resource(rq.bucket, rq.key), nil); err != nil {
		return err
	}
	f, obj, err := s.store.Open(rq.bucket, rq.key)
	if errors.Is(err, ErrNotFound) {
		return errNoSuchKey(rq.key)
	}
	if err != nil {
		return err
	}
	if q := r.URL.Query(); objectType(obj) == typeSymlink && !q.Has("objectMeta") {
		f.Close()
		if f, obj, err = s.followSymlink(rq, obj); err != nil {
			return err
		}
	}
	defer f.Close()
	h := w.Header()
	if r.URL.Query().Has("objectMeta") {
		h.Set("ETag", quoteETag(obj.ETag))
		h.Set("Last-Modified", obj.LastModified.UTC().Format(http.TimeFormat))
		h.Set("Content-Length", strconv.FormatInt(obj.Size, 10))
		w.WriteHeader(http.StatusOK)
		return nil
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		switch status, err := preconditions(r.Header, obj); {
		case err != nil:
			return err
		case status == http.StatusNotModified:
			h.Set("ETag", quoteETag(obj.ETag))
			h.Set("Last-Modified", obj.LastModified.UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
	}
	writeObjectHeaders(h, obj)
	for param, header := range responseOverrides {
		if v := r.URL.Query().Get(param); v != "" {
			h.Set(header, v)
		}
	}
	start, end, partial, err := byteRange(r.Header.Get("Range"), obj.Size)
	if err != nil {
		h.Set("Content-Range", "bytes */"+strconv.FormatInt(obj.Size, 10))
		for _, k := range []string{"ETag", "Last-Modified", "x-oss-hash-crc64ecma", "Accept-Ranges", "x-oss-object-type", "x-oss-storage-class"} {
			h.Del(k)
		}
		return err
	}
	length := obj.Size
	status := http.StatusOK
	if partial {
		length = end - start + 1
		status = http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, obj.Size))
		if _, err := f.Seek(start, io.SeekStart); err != nil {
			return err
		}
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return nil
	}
	if _, err := io.CopyN(w, f, length); err != nil {
		s.log.Info("oss: client went away during GetObject", "requestId", rq.id, "err", err)
	}
	return nil
}

// preconditions evaluates the conditional headers of a GET or HEAD in the
// order of RFC 9110 §13.2.2, which OSS follows: If-Match (or, without it,
// If-Unmodified-Since) failing is 412 PreconditionFailed; If-None-Match
// matching (or, without it, If-Modified-Since not being after the last
// change) is 304 Not Modified. Entity tags compare without quotes or a
// weak prefix, case-insensitively; "*" matches any object. An unparsable
// date is ignored, as HTTP requires.
func preconditions(h http.Header, obj Object) (int, error) {
	etag := strings.Trim(obj.ETag, `"`)
	modified := obj.LastModified.UTC().Truncate(time.Second)
	if v := h.Get("If-Match"); v != "" {
		if !etagListMatches(v, etag) {
			return 0, errPreconditionFailed("If-Match")
		}
	} else if t, err := http.ParseTime(h.Get("If-Unmodified-Since")); err == nil && modified.After(t) {
		return 0, errPreconditionFailed("If-Unmodified-Since")
	}
	if v := h.Get("If-None-Match"); v != "" {
		if etagListMatches(v, etag) {
			return http.StatusNotModified, nil
		}
	} else if t, err := http.ParseTime(h.Get("If-Modified-Since")); err == nil && !modified.After(t) {
		return http.StatusNotModified, nil
	}
	return 0, nil
}

func etagListMatches(list, etag string) bool {
	for tag := range strings.SplitSeq(list, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || strings.EqualFold(strings.Trim(tag, `"`), etag) {
			return true
		}
	}
	return false
}

func (s *Server) deleteObject(w http.ResponseWriter, rq *request) error {
	if err := s.authorize(rq.principal, rq.r, "oss:DeleteObject", resource(rq.bucket, rq.key), nil); err != nil {
		return err
	}
	old, err := s.store.Delete(rq.bucket, rq.key)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	if err == nil {
		s.publish(rq, "ObjectRemoved:DeleteObject", old, -old.Size)
	}
	return nil
}

type copyObjectResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	ETag         string   `xml:"ETag"`
	LastModified string   `xml:"LastModified"`
}

// copySource parses x-oss-copy-source: "/<bucket>/<url-escaped key>".
func copySource(v string) (bucket, key string, err error) {
	v, err = url.QueryUnescape(v)
	if err != nil {
		return "", "", errInvalidArgument("The x-oss-copy-source header is not correctly encoded.")
	}
	bucket, key, ok := strings.Cut(strings.TrimPrefix(v, "/"), "/")
	if !ok || bucket == "" || key == "" {
		return "", "", errInvalidArgument("Copy Source must mention the source bucket and key: /sourcebucket/sourcekey.")
	}
	return bucket, key, nil
}

func (s *Server) copyObject(w http.ResponseWriter, rq *request) error {
	r := rq.r
	srcBucket, srcKey, err := copySource(r.Header.Get("x-oss-copy-source"))
	if err != nil {
		return err
	}
	if err := s.authorize(rq.principal, r, "oss:GetObject", resource(srcBucket, srcKey), nil); err != nil {
		return err
	}
	if err := s.authorize(rq.principal, r, "oss:PutObject", resource(rq.bucket, rq.key), nil); err != nil {
		return err
	}
	if err := s.authorizeUploadTags(rq, r.Header.Get("x-oss-tagging") != "" && strings.EqualFold(r.Header.Get("x-oss-tagging-directive"), "Replace")); err != nil {
		return err
	}
	if _, err := s.store.GetBucket(srcBucket); errors.Is(err, ErrNotFound) {
		return errNoSuchBucket()
	}
	f, src, err := s.store.Open(srcBucket, srcKey)
	if errors.Is(err, ErrNotFound) {
		return errNoSuchKey(srcKey)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	// CopyObject copies only while the source's ETag matches
	// x-oss-copy-source-if-match, else 412 PreconditionFailed
	// (https://www.alibabacloud.com/help/en/oss/developer-reference/copyobject;
	// aliyun-oss-go-sdk oss/option.go CopySourceIfMatch).
	if v := r.Header.Get("x-oss-copy-source-if-match"); v != "" && !etagListMatches(v, strings.Trim(src.ETag, `"`)) {
		return errPreconditionFailed("x-oss-copy-source-if-match")
	}
	obj := src
	switch d := strings.ToUpper(r.Header.Get("x-oss-metadata-directive")); d {
	case "", "COPY":
		if v := r.Header.Get("x-oss-tagging"); v != "" && strings.EqualFold(r.Header.Get("x-oss-tagging-directive"), "Replace") {
			if obj.Tags, err = parseTaggingHeader(v); err != nil {
				return err
			}
		}
	case "REPLACE":
		if obj, err = objectFromHeaders(r.Header); err != nil {
			return err
		}
		if !strings.EqualFold(r.Header.Get("x-oss-tagging-directive"), "Replace") {
			obj.Tags = src.Tags
		}
	default:
		return errInvalidArgument("Invalid x-oss-metadata-directive: " + d + ".")
	}
	forbid, err := forbidOverwriteHeader(r.Header)
	if err != nil {
		return err
	}
	if obj.ACL, err = objectACLValue(r.Header); err != nil {
		return err
	}
	obj.Type, obj.SymlinkTarget = typeNormal, ""
	st, err := s.store.Stage(f)
	if err != nil {
		return err
	}
	old := s.previousSize(rq.bucket, rq.key)
	obj.Bucket, obj.Key, obj.LastModified = rq.bucket, rq.key, rq.now.UTC()
	if obj, err = s.commit(st, obj, "", forbid || s.overwriteForbidden(rq, rq.key)); err != nil {
		return err
	}
	w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(obj.CRC64, 10))
	w.Header().Set("ETag", quoteETag(obj.ETag))
	writeXML(w, http.StatusOK, copyObjectResult{ETag: quoteETag(obj.ETag), LastModified: obj.LastModified.Format(isoMillis)})
	s.publish(rq, "ObjectCreated:CopyObject", obj, obj.Size-old)
	return nil
}

// writeXML writes v as an XML document.
func writeXML(w http.ResponseWriter, status int, v any) {
	b, err := marshalXML(v)
	if err != nil {
		panic(err) // only fixed struct types are marshalled
	}
	body := append([]byte(xml.Header), b...)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Tags    []Tag    `xml:"TagSet>Tag"`
}

const maxSmallBody = 1 << 20

func (s *Server) putTagging(w http.ResponseWriter, rq *request) error {
	if err := s.authorize(rq.principal, rq.r, "oss:PutObjectTagging", resource(rq.bucket, rq.key), nil); err != nil {
		return err
	}
	var t tagging
	if err := xml.NewDecoder(io.LimitReader(rq.r.Body, maxSmallBody)).Decode(&t); err != nil {
		return errMalformedXML()
	}
	if err := validateTags(t.Tags); err != nil {
		return err
	}
	_, err := s.store.UpdateObject(rq.bucket, rq.key, func(o *Object) error { o.Tags = t.Tags; return nil })
	if errors.Is(err, ErrNotFound) {
		return errNoSuchKey(rq.key)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) getTagging(w http.ResponseWriter, rq *request) error {
	if err := s.authorize(rq.principal, rq.r, "oss:GetObjectTagging", resource(rq.bucket, rq.key), nil); err != nil {
		return err
	}
	obj, err := s.store.Stat(rq.bucket, rq.key)
	if errors.Is(err, ErrNotFound) {
		return errNoSuchKey(rq.key)
	}
	if err != nil {
		return err
	}
	writeXML(w, http.StatusOK, tagging{Tags: obj.Tags})
	return nil
}

func (s *Server) deleteTagging(w http.ResponseWriter, rq *request) error {
	if err := s.authorize(rq.principal, rq.r, "oss:DeleteObjectTagging", resource(rq.bucket, rq.key), nil); err != nil {
		return err
	}
	_, err := s.store.UpdateObject(rq.bucket, rq.key, func(o *Object) error { o.Tags = nil; return nil })
	if errors.Is(err, ErrNotFound) {
		return errNoSuchKey(rq.key)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
