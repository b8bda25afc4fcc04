package oss

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

const (
	minPartSize = 100 * 1024
	maxPartNum  = 10000
)

type initiateResult struct {
	XMLName      xml.Name `xml:"InitiateMultipartUploadResult"`
	EncodingType string   `xml:"EncodingType,omitempty"`
	Bucket       string   `xml:"Bucket"`
	Key          string   `xml:"Key"`
	UploadID     string   `xml:"UploadId"`
}

func (s *Server) initiateUpload(w http.ResponseWriter, rq *request) error {
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
	if forbidOverwrite(r.Header.Get("x-oss-forbid-overwrite")) {
		if _, err := s.store.Stat(rq.bucket, rq.key); err == nil {
			return errFileExists()
		}
	}
	obj.Bucket, obj.Key = rq.bucket, rq.key
	u := Upload{ID: NewUploadID(), Bucket: rq.bucket, Key: rq.key, Initiated: rq.now.UTC(), Object: obj}
	if err := s.store.CreateUpload(u); err != nil {
		return err
	}
	res := initiateResult{Bucket: rq.bucket, Key: rq.key, UploadID: u.ID}
	if r.URL.Query().Get("encoding-type") == "url" {
		res.EncodingType, res.Key = "url", urlEncode(rq.key)
	}
	writeXML(w, http.StatusOK, res)
	return nil
}

// upload returns the upload named by ?uploadId=, which must belong to the
// addressed bucket and key.
func (s *Server) upload(rq *request) (Upload, error) {
	u, err := s.store.GetUpload(rq.r.URL.Query().Get("uploadId"))
	if errors.Is(err, ErrNotFound) || (err == nil && (u.Bucket != rq.bucket || u.Key != rq.key)) {
		return Upload{}, errNoSuchUpload()
	}
	return u, err
}

func (s *Server) uploadPart(w http.ResponseWriter, rq *request) error {
	r := rq.r
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
	st, err := s.store.Stage(r.Body)
	if err != nil {
		return err
	}
	if err := checkMD5(r.Header.Get("Content-MD5"), st.MD5); err != nil {
		_ = s.store.Discard(st)
		return err
	}
	p := Part{Number: n, ETag: hexMD5(st.MD5), Size: st.Size, CRC64: st.CRC64, LastModified: rq.now.UTC()}
	if err := s.store.PutPart(u.ID, p, st); errors.Is(err, ErrNotFound) {
		return errNoSuchUpload()
	} else if err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", quoteETag(p.ETag))
	h.Set("Content-MD5", base64.StdEncoding.EncodeToString(st.MD5))
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(p.CRC64, 10))
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

type listPartsResult struct {
	XMLName              xml.Name   `xml:"ListPartsResult"`
	EncodingType         string     `xml:"EncodingType,omitempty"`
	Bucket               string     `xml:"Bucket"`
	Key                  string     `xml:"Key"`
	UploadID             string     `xml:"UploadId"`
	PartNumberMarker     int        `xml:"PartNumberMarker"`
	NextPartNumberMarker int        `xml:"NextPartNumberMarker"`
	MaxParts             int        `xml:"MaxParts"`
	IsTruncated          bool       `xml:"IsTruncated"`
	Parts                []partInfo `xml:"Part"`
}

type partInfo struct {
	PartNumber    int    `xml:"PartNumber"`
	LastModified  string `xml:"LastModified"`
	ETag          string `xml:"ETag"`
	HashCrc64ecma uint64 `xml:"HashCrc64ecma"`
	Size          int64  `xml:"Size"`
}

func (s *Server) listParts(w http.ResponseWriter, rq *request) error {
	r := rq.r
	if err := s.authorize(rq.principal, r, "oss:ListParts", resource(rq.bucket, rq.key), nil); err != nil {
		return err
	}
	q := r.URL.Query()
	maxParts, marker := 1000, 0
	var err error
	if v := q.Get("max-parts"); v != "" {
		if maxParts, err = strconv.Atoi(v); err != nil || maxParts < 1 || maxParts > 1000 {
			return errInvalidArgument("Argument max-parts must be an integer between 1 and 1000.")
		}
	}
	if v := q.Get("part-number-marker"); v != "" {
		if marker, err = strconv.Atoi(v); err != nil || marker < 0 {
			return errInvalidArgument("Argument part-number-marker must be a non-negative integer.")
		}
	}
	u, err := s.upload(rq)
	if err != nil {
		return err
	}
	parts, err := s.store.Parts(u.ID)
	if errors.Is(err, ErrNotFound) {
		return errNoSuchUpload()
	} else if err != nil {
		return err
	}
	res := listPartsResult{Bucket: rq.bucket, Key: rq.key, UploadID: u.ID, PartNumberMarker: marker, MaxParts: maxParts}
	if q.Get("encoding-type") == "url" {
		res.EncodingType, res.Key = "url", urlEncode(rq.key)
	}
	for _, p := range parts {
		if p.Number <= marker {
			continue
		}
		if len(res.Parts) == maxParts {
			res.IsTruncated = true
			break
		}
		res.Parts = append(res.Parts, partInfo{PartNumber: p.Number, LastModified: p.LastModified.UTC().Format(isoMillis),
			ETag: quoteETag(p.ETag), HashCrc64ecma: p.CRC64, Size: p.Size})
		res.NextPartNumberMarker = p.Number
	}
	writeXML(w, http.StatusOK, res)
	return nil
}

type completeRequest struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber int    `xml:"PartNumber"`
		ETag       string `xml:"ETag"`
	} `xml:"Part"`
}

type completeResult struct {
	XMLName      xml.Name `xml:"CompleteMultipartUploadResult"`
	EncodingType string   `xml:"EncodingType,omitempty"`
	Location     string   `xml:"Location"`
	Bucket       string   `xml:"Bucket"`
	Key          string   `xml:"Key"`
	ETag         string   `xml:"ETag"`
}

func errInvalidPart() *Error {
	return newError(http.StatusBadRequest, "InvalidPart", "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.", "")
}

// completeUpload checks the part list (§2.8 wire contract), then
// concatenates the parts. The object's ETag is MD5 over the binary part
// MD5s plus "-N"; its CRC-64 is combined from the parts' CRCs.
func (s *Server) completeUpload(w http.ResponseWriter, rq *request) error {
	r := rq.r
	if err := s.authorize(rq.principal, r, "oss:PutObject", resource(rq.bucket, rq.key), nil); err != nil {
		return err
	}
	u, err := s.upload(rq)
	if err != nil {
		return err
	}
	stored, err := s.store.Parts(u.ID)
	if errors.Is(err, ErrNotFound) {
		return errNoSuchUpload()
	} else if err != nil {
		return err
	}
	byNumber := map[int]Part{}
	for _, p := range stored {
		byNumber[p.Number] = p
	}
	sum := md5.New()
	var req completeRequest
	all := strings.EqualFold(r.Header.Get("x-oss-complete-all"), "yes")
	if err := xml.NewDecoder(io.TeeReader(io.LimitReader(r.Body, maxSmallBody), sum)).Decode(&req); err != nil && !(all && errors.Is(err, io.EOF)) {
		return errMalformedXML()
	}
	if err := checkMD5(r.Header.Get("Content-MD5"), sum.Sum(nil)); err != nil {
		return err
	}
	var chosen []Part
	if all {
		if len(req.Parts) > 0 {
			return errInvalidArgument("Should not specify both complete-all header and part list.")
		}
		chosen = stored
	} else {
		if len(req.Parts) == 0 {
			return errMalformedXML()
		}
		for i, rp := range req.Parts {
			if i > 0 && rp.PartNumber <= req.Parts[i-1].PartNumber {
				return newError(http.StatusBadRequest, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.", "")
			}
			p, ok := byNumber[rp.PartNumber]
			if !ok || !strings.EqualFold(strings.Trim(strings.TrimSpace(rp.ETag), `"`), p.ETag) {
				return errInvalidPart()
			}
			chosen = append(chosen, p)
		}
	}
	if len(chosen) == 0 {
		return errInvalidPart()
	}
	etagSum := md5.New()
	var size int64
	var crc uint64
	numbers := make([]int, len(chosen))
	for i, p := range chosen {
		if i < len(chosen)-1 && p.Size < minPartSize {
			return newError(http.StatusBadRequest, "EntityTooSmall", "Your proposed upload smaller than the minimum allowed size.", "",
				Field{"PartNumber", strconv.Itoa(p.Number)}, Field{"MinSizeAllowed", strconv.Itoa(minPartSize)}, Field{"ProposedSize", strconv.FormatInt(p.Size, 10)})
		}
		raw, err := hex.DecodeString(p.ETag)
		if err != nil {
			return errInvalidPart()
		}
		etagSum.Write(raw)
		crc = crc64Combine(crc, p.CRC64, p.Size)
		size += p.Size
		numbers[i] = p.Number
	}
	obj := u.Object
	obj.Bucket, obj.Key, obj.Size, obj.CRC64, obj.LastModified = rq.bucket, rq.key, size, crc, rq.now.UTC()
	obj.ETag = hexMD5(etagSum.Sum(nil)) + "-" + strconv.Itoa(len(chosen))
	old := s.previousSize(rq.bucket, rq.key)
	obj, err = s.store.CompleteUpload(u.ID, numbers, obj, forbidOverwrite(r.Header.Get("x-oss-forbid-overwrite")) || s.overwriteForbidden(rq, rq.key))
	switch {
	case errors.Is(err, ErrExists):
		return errFileExists()
	case errors.Is(err, ErrNotFound):
		return errNoSuchUpload()
	case err != nil:
		return err
	}
	res := completeResult{Location: "http://" + r.Host + "/" + rq.bucket + "/" + rq.key, Bucket: rq.bucket, Key: rq.key, ETag: quoteETag(obj.ETag)}
	if r.URL.Query().Get("encoding-type") == "url" {
		res.EncodingType, res.Key = "url", urlEncode(rq.key)
	}
	w.Header().Set("ETag", quoteETag(obj.ETag))
	w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(obj.CRC64, 10))
	writeXML(w, http.StatusOK, res)
	s.publish(rq, "ObjectCreated:CompleteMultipartUpload", obj, obj.Size-old)
	return nil
}

func (s *Server) abortUpload(w http.ResponseWriter, rq *request) error {
	if err := s.authorize(rq.principal, rq.r, "oss:AbortMultipartUpload", resource(rq.bucket, rq.key), nil); err != nil {
		return err
	}
	u, err := s.upload(rq)
	if err != nil {
		return err
	}
	if err := s.store.AbortUpload(u.ID); errors.Is(err, ErrNotFound) {
		return errNoSuchUpload()
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
