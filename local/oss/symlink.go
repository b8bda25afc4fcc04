package oss

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Symbolic links.
//
// PutSymlink: PUT /<key>?symlink with x-oss-symlink-target (the target key,
// URL-encoded as the Go SDK sends it: aliyun-oss-go-sdk v3.0.2
// oss/bucket.go PutSymlink). It needs oss:PutObject (and
// oss:PutObjectTagging for x-oss-tagging), does not check that the target
// exists, stores x-oss-meta-* as the link's own metadata, replaces an
// existing object unless x-oss-forbid-overwrite is true, and creates an
// object of type Symlink (https://help.aliyun.com/en/oss/developer-reference/putsymlink).
// It raises ObjectCreated:PutSymlink.
//
// GetSymlink: GET /<key>?symlink answers the target in x-oss-symlink-target
// (https://help.aliyun.com/en/oss/developer-reference/getsymlink).
//
// GetObject and HeadObject of a link serve the target: Content-Length, ETag,
// x-oss-storage-class and Content-MD5 (here also the CRC-64) are the
// target's, Last-Modified is the later of the two, every other header is
// the link's own, x-oss-object-type (Symlink) included
// (HeadObject, https://www.alibabacloud.com/help/zh/doc-detail/31984.htm).
// A missing target is 404 SymlinkTargetNotExist, a target that is itself a
// link 400 InvalidTargetType (GetObject error codes). GetObjectMeta
// (?objectMeta) describes the link itself.

func errSymlinkTargetNotExist() *Error {
	return newError(http.StatusNotFound, "SymlinkTargetNotExist", "The symlink target object does not exist.", "")
}

func errInvalidTargetType() *Error {
	return newError(http.StatusBadRequest, "InvalidTargetType", "The symlink target object is a symlink.", "")
}

func (s *Server) putSymlink(w http.ResponseWriter, rq *request) error {
	r := rq.r
	if err := s.authorize(rq.principal, r, "oss:PutObject", resource(rq.bucket, rq.key), nil); err != nil {
		return err
	}
	if err := s.authorizeUploadTags(rq, r.Header.Get("x-oss-tagging") != ""); err != nil {
		return err
	}
	raw := r.Header.Get("x-oss-symlink-target")
	target, err := url.QueryUnescape(raw)
	if raw == "" || err != nil {
		return errInvalidArgument("x-oss-symlink-target is missing or not correctly encoded.")
	}
	if err := checkObjectName(target); err != nil {
		return err
	}
	obj, err := objectFromHeaders(r.Header)
	if err != nil {
		return err
	}
	forbid, err := forbidOverwriteHeader(r.Header)
	if err != nil {
		return err
	}
	// The link's own body is the target's name, so its ETag changes with
	// the target.
	st, err := s.store.Stage(strings.NewReader(target))
	if err != nil {
		return err
	}
	old := s.previousSize(rq.bucket, rq.key)
	obj.Bucket, obj.Key, obj.LastModified = rq.bucket, rq.key, rq.now.UTC()
	obj.Type, obj.SymlinkTarget = typeSymlink, target
	if obj, err = s.commit(st, obj, "", forbid || s.overwriteForbidden(rq, rq.key)); err != nil {
		return err
	}
	w.Header().Set("ETag", quoteETag(obj.ETag))
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	s.publish(rq, "ObjectCreated:PutSymlink", obj, obj.Size-old)
	return nil
}

func (s *Server) getSymlink(w http.ResponseWriter, rq *request) error {
	if err := s.authorize(rq.principal, rq.r, "oss:GetObject", resource(rq.bucket, rq.key), nil); err != nil {
		return err
	}
	obj, err := s.store.Stat(rq.bucket, rq.key)
	if errors.Is(err, ErrNotFound) {
		return errNoSuchKey(rq.key)
	}
	if err != nil {
		return err
	}
	if objectType(obj) != typeSymlink {
		return newError(http.StatusBadRequest, "NotSymlink", "The specified object is not a symlink.", "")
	}
	h := w.Header()
	h.Set("ETag", quoteETag(obj.ETag))
	h.Set("Last-Modified", obj.LastModified.UTC().Format(http.TimeFormat))
	h.Set("x-oss-symlink-target", url.QueryEscape(obj.SymlinkTarget))
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// followSymlink opens the target of link for GetObject/HeadObject and
// returns the object to serve: the link's metadata with the target's
// length, ETag and CRC, and the later of the two modification times.
func (s *Server) followSymlink(rq *request, link Object) (io.ReadSeekCloser, Object, error) {
	if err := s.authorize(rq.principal, rq.r, "oss:GetObject", resource(rq.bucket, link.SymlinkTarget), nil); err != nil {
		return nil, Object{}, err
	}
	f, target, err := s.store.Open(rq.bucket, link.SymlinkTarget)
	if errors.Is(err, ErrNotFound) {
		return nil, Object{}, errSymlinkTargetNotExist()
	}
	if err != nil {
		return nil, Object{}, err
	}
	if objectType(target) == typeSymlink {
		f.Close()
		return nil, Object{}, errInvalidTargetType()
	}
	out := link
	out.Size, out.ETag, out.CRC64 = target.Size, target.ETag, target.CRC64
	out.LastModified = latest(link.LastModified, target.LastModified)
	return f, out, nil
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
