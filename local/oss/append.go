package oss

import (
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"
)

// AppendObject: POST /<key>?append&position=N
// (https://help.aliyun.com/document_detail/31981.htm; error pages
// 0026-00000016, 0026-00000017 and 0016-00000501 under
// https://help.aliyun.com/en/oss/user-guide/).
//
//   - Needs oss:PutObject (and oss:PutObjectTagging when x-oss-tagging is
//     sent), like PutObject: an upload-only session can do it.
//   - No object yet: position must be 0 and an Appendable object is created
//     with the request's metadata, ACL and tags.
//   - An Appendable object: position must equal its length, else 409
//     PositionNotEqualToLength; the data is added and the metadata kept.
//   - Any other object: 409 ObjectNotAppendable.
//   - The answer carries x-oss-next-append-position and the CRC-64 of the
//     whole object; the object may not grow past 5 GB.
//   - Each append raises ObjectCreated:AppendObject.
//
// AppendObject takes no x-oss-forbid-overwrite: appending never replaces an
// object (a Normal one is refused with ObjectNotAppendable).
const maxAppendableSize = 5 << 30

func errPositionNotEqualToLength() *Error {
	return newError(http.StatusConflict, "PositionNotEqualToLength", "Position is not equal to file length", "0026-00000016")
}

func errObjectNotAppendable() *Error {
	return newError(http.StatusConflict, "ObjectNotAppendable", "The object is not appendable", "0026-00000017")
}

func (s *Server) appendObject(w http.ResponseWriter, rq *request) error {
	r := rq.r
	if err := s.authorize(rq.principal, r, "oss:PutObject", resource(rq.bucket, rq.key), nil); err != nil {
		return err
	}
	q := r.URL.Query()
	if !q.Has("position") {
		return newError(http.StatusBadRequest, "InvalidArgument", "Position is not specified.", "0016-00000501")
	}
	position, err := strconv.ParseInt(q.Get("position"), 10, 64)
	if err != nil || position < 0 {
		return errInvalidArgument("Position is invalid.")
	}

	// One append at a time, so that "position equals length" and the
	// replacement of the object are one step.
	s.appendMu.Lock()
	defer s.appendMu.Unlock()

	var obj Object
	var prefix io.ReadSeekCloser
	switch f, cur, err := s.store.Open(rq.bucket, rq.key); {
	case errors.Is(err, ErrNotFound):
		if position != 0 {
			w.Header().Set("x-oss-next-append-position", "0")
			return errPositionNotEqualToLength()
		}
		if err := s.authorizeUploadTags(rq, r.Header.Get("x-oss-tagging") != ""); err != nil {
			return err
		}
		if obj, err = objectFromHeaders(r.Header); err != nil {
			return err
		}
		obj.Type = typeAppendable
	case err != nil:
		return err
	default:
		defer f.Close()
		if objectType(cur) != typeAppendable {
			return errObjectNotAppendable()
		}
		if err := s.refuseOverwrite(rq); err != nil {
			return err
		}
		if position != cur.Size {
			w.Header().Set("x-oss-next-append-position", strconv.FormatInt(cur.Size, 10))
			return errPositionNotEqualToLength()
		}
		obj, prefix = cur, f
	}

	// The new object is the old bytes followed by the request body; the
	// request's own Content-MD5 covers the body only.
	bodyMD5 := md5.New()
	body := io.TeeReader(r.Body, bodyMD5)
	var src io.Reader = body
	if prefix != nil {
		src = io.MultiReader(prefix, body)
	}
	st, err := s.store.Stage(io.LimitReader(src, maxAppendableSize+1))
	if err != nil {
		return err
	}
	if st.Size > maxAppendableSize {
		_ = s.store.Discard(st)
		return errInvalidArgument("The object would exceed the maximum size of an appendable object (5 GB).")
	}
	if err := checkMD5(r.Header.Get("Content-MD5"), bodyMD5.Sum(nil)); err != nil {
		_ = s.store.Discard(st)
		return err
	}
	obj.Bucket, obj.Key, obj.LastModified = rq.bucket, rq.key, rq.now.UTC()
	obj, err = s.commit(st, obj, "", false)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", quoteETag(obj.ETag))
	h.Set("Content-MD5", base64.StdEncoding.EncodeToString(bodyMD5.Sum(nil)))
	h.Set("x-oss-next-append-position", strconv.FormatInt(obj.Size, 10))
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(obj.CRC64, 10))
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	s.publish(rq, "ObjectCreated:AppendObject", obj, obj.Size-position)
	return nil
}
