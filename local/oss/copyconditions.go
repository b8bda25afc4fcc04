package oss

import (
	"errors"
	"net/http"
)

// copyObjectChecked evaluates CopyObject's x-oss-copy-source-if-* headers
// before copying, per https://www.alibabacloud.com/help/en/oss/developer-reference/copyobject:
// if-match not matching and if-unmodified-since failing answer 412
// PreconditionFailed; if-none-match matching and if-modified-since failing
// answer 304 Not Modified; in every case nothing is copied. (For
// UploadPartCopy all four answer 412: copySourcePreconditions.)
func (s *Server) copyObjectChecked(w http.ResponseWriter, rq *request) error {
	r := rq.r
	cond := http.Header{}
	for _, c := range []struct{ header, as string }{
		{"x-oss-copy-source-if-match", "If-Match"},
		{"x-oss-copy-source-if-unmodified-since", "If-Unmodified-Since"},
		{"x-oss-copy-source-if-none-match", "If-None-Match"},
		{"x-oss-copy-source-if-modified-since", "If-Modified-Since"},
	} {
		if v := r.Header.Get(c.header); v != "" {
			cond.Set(c.as, v)
		}
	}
	if len(cond) == 0 {
		return s.copyObject(w, rq)
	}
	srcBucket, srcKey, err := copySource(r.Header.Get("x-oss-copy-source"))
	if err != nil {
		return err
	}
	// Only a caller that may copy learns whether the conditions hold.
	if err := s.authorize(rq.principal, r, "oss:GetObject", resource(srcBucket, srcKey), nil); err != nil {
		return err
	}
	if err := s.authorize(rq.principal, r, "oss:PutObject", resource(rq.bucket, rq.key), nil); err != nil {
		return err
	}
	src, err := s.store.Stat(srcBucket, srcKey)
	if errors.Is(err, ErrNotFound) {
		return s.copyObject(w, rq) // which answers NoSuchBucket or NoSuchKey
	}
	if err != nil {
		return err
	}
	status, err := preconditions(cond, src)
	var oe *Error
	if errors.As(err, &oe) {
		name := "x-oss-copy-source-if-match"
		if cond.Get("If-Match") == "" {
			name = "x-oss-copy-source-if-unmodified-since"
		}
		return errPreconditionFailed(name)
	}
	if err != nil {
		return err
	}
	if status == http.StatusNotModified {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	return s.copyObject(w, rq)
}
