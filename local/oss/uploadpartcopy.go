package oss

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// UploadPartCopy (PUT /<key>?partNumber=N&uploadId=ID with
// x-oss-copy-source), per https://www.alibabacloud.com/help/en/oss/developer-reference/uploadpartcopy:
// the caller needs oss:GetObject on the source and oss:PutObject on the
// target; x-oss-copy-source-range "bytes=first-last" picks the bytes (a
// range that does not follow that form copies the whole object); the
// x-oss-copy-source-if-* conditions fail with 412; the answer is a
// CopyPartResult document with the part's LastModified and quoted ETag,
// which aliyun-oss-go-sdk v3.0.2 (oss/multipart.go UploadPartCopy) reads.

type copyPartResult struct {
	XMLName      struct{} `xml:"CopyPartResult"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
}

// copySourcePreconditions evaluates the x-oss-copy-source-if-* headers,
// each as its HTTP counterpart: for UploadPartCopy every failed condition
// is 412 PreconditionFailed, If-None-Match and If-Modified-Since included
// (where GetObject would answer 304).
func copySourcePreconditions(h http.Header, src Object) error {
	for _, c := range []struct{ header, as string }{
		{"x-oss-copy-source-if-match", "If-Match"},
		{"x-oss-copy-source-if-unmodified-since", "If-Unmodified-Since"},
		{"x-oss-copy-source-if-none-match", "If-None-Match"},
		{"x-oss-copy-source-if-modified-since", "If-Modified-Since"},
	} {
		v := h.Get(c.header)
		if v == "" {
			continue
		}
		if status, err := preconditions(http.Header{c.as: {v}}, src); err != nil || status == http.StatusNotModified {
			return errPreconditionFailed(c.header)
		}
	}
	return nil
}

func (s *Server) uploadPartCopy(w http.ResponseWriter, rq *request) error {
	r := rq.r
	raw := r.Header.Get("x-oss-copy-source")
	if strings.Contains(raw, "?") {
		// "/bucket/key?versionId=..." copies a version; versioning is not emulated.
		return errNotImplemented()
	}
	srcBucket, srcKey, err := copySource(raw)
	if err != nil {
		return err
	}
	if err := s.authorize(rq.principal, r, "oss:GetObject", resource(srcBucket, srcKey), nil); err != nil {
		return err
	}
	if err := s.authorize(rq.principal, r, "oss:PutObject", resource(rq.bucket, rq.key), nil); err != nil {
		return err
	}
	n, err := strconv.Atoi(r.URL.Query().Get("partNumber"))
	if err != nil || n < 1 || n > maxPartNum {
		return errInvalidArgument("Part number must be an integer between 1 and 10000, inclusive.")
	}
	u, err := s.upload(rq)
	if err != nil {
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
	if err := copySourcePreconditions(r.Header, src); err != nil {
		return err
	}
	start, end, partial, err := byteRange(r.Header.Get("x-oss-copy-source-range"), src.Size)
	if err != nil {
		return err
	}
	length := src.Size
	if partial {
		length = end - start + 1
		if _, err := f.Seek(start, io.SeekStart); err != nil {
			return err
		}
	}
	st, err := s.store.Stage(io.LimitReader(f, length))
	if err != nil {
		return err
	}
	if st.Size != length {
		_ = s.store.Discard(st)
		return errInternal()
	}
	p := Part{Number: n, ETag: hexMD5(st.MD5), Size: st.Size, CRC64: st.CRC64, LastModified: rq.now.UTC()}
	if err := s.store.PutPart(u.ID, p, st); errors.Is(err, ErrNotFound) {
		return errNoSuchUpload()
	} else if err != nil {
		return err
	}
	writeXML(w, http.StatusOK, copyPartResult{LastModified: p.LastModified.Format(isoMillis), ETag: quoteETag(p.ETag)})
	return nil
}
