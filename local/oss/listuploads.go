package oss

import (
	"encoding/xml"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// ListMultipartUploads (GET /?uploads), per
// https://www.alibabacloud.com/help/en/oss/developer-reference/listmultipartuploads:
// uploads in ascending key order, then upload id; prefix and delimiter
// group keys as ListObjects does (a common prefix counts as one entry);
// key-marker alone starts after that key, key-marker with
// upload-id-marker also includes that key's uploads with a greater upload
// id, and upload-id-marker without key-marker is ignored; max-uploads is
// 1 to 1000 (default 1000); encoding-type=url encodes Delimiter,
// KeyMarker, Prefix, NextKeyMarker and every Key, as
// aliyun-oss-go-sdk v3.0.2 (oss/type.go decodeListMultipartUploadResult),
// which always asks for it, expects.

type uploadEntry struct {
	Key       string `xml:"Key"`
	UploadID  string `xml:"UploadId"`
	Initiated string `xml:"Initiated"`
}

type listUploadsResult struct {
	XMLName            xml.Name       `xml:"ListMultipartUploadsResult"`
	Bucket             string         `xml:"Bucket"`
	EncodingType       string         `xml:"EncodingType,omitempty"`
	KeyMarker          string         `xml:"KeyMarker"`
	UploadIDMarker     string         `xml:"UploadIdMarker"`
	NextKeyMarker      string         `xml:"NextKeyMarker"`
	NextUploadIDMarker string         `xml:"NextUploadIdMarker"`
	Delimiter          string         `xml:"Delimiter"`
	Prefix             string         `xml:"Prefix"`
	MaxUploads         int            `xml:"MaxUploads"`
	IsTruncated        bool           `xml:"IsTruncated"`
	Uploads            []uploadEntry  `xml:"Upload"`
	CommonPrefixes     []commonPrefix `xml:"CommonPrefixes"`
}

// afterUploadMarker reports whether upload u sorts after the markers.
func afterUploadMarker(u Upload, keyMarker, uploadIDMarker string) bool {
	if keyMarker == "" {
		return true // "if key-marker is not set, OSS ignores upload-id-marker"
	}
	if uploadIDMarker == "" {
		return u.Key > keyMarker
	}
	return u.Key > keyMarker || (u.Key == keyMarker && u.ID > uploadIDMarker)
}

func (s *Server) listUploads(w http.ResponseWriter, rq *request) error {
	if err := s.authorize(rq.principal, rq.r, "oss:ListMultipartUploads", resource(rq.bucket, ""), nil); err != nil {
		return err
	}
	q := rq.r.URL.Query()
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	keyMarker, idMarker := q.Get("key-marker"), q.Get("upload-id-marker")
	maxUploads := 1000
	if v := q.Get("max-uploads"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return errInvalidArgument("Argument max-uploads must be an integer between 1 and 1000.")
		}
		maxUploads = n
	}
	encode := false
	switch v := q.Get("encoding-type"); v {
	case "":
	case "url":
		encode = true
	default:
		return errInvalidArgument("The encoding-type parameter must be url.")
	}
	enc := func(s string) string {
		if encode {
			return urlEncode(s)
		}
		return s
	}
	all, err := s.store.Uploads(rq.bucket)
	if err != nil {
		return err
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Key != all[j].Key {
			return all[i].Key < all[j].Key
		}
		return all[i].ID < all[j].ID
	})
	res := listUploadsResult{Bucket: rq.bucket, KeyMarker: enc(keyMarker), UploadIDMarker: idMarker,
		Delimiter: enc(delim), Prefix: enc(prefix), MaxUploads: maxUploads}
	if encode {
		res.EncodingType = "url"
	}
	seen := map[string]bool{}
	count := 0
	for _, u := range all {
		if !strings.HasPrefix(u.Key, prefix) || !afterUploadMarker(u, keyMarker, idMarker) {
			continue
		}
		if delim != "" && strings.HasSuffix(keyMarker, delim) && strings.HasPrefix(u.Key, keyMarker) {
			continue // inside the common prefix the previous page ended with
		}
		cp := ""
		if delim != "" {
			if i := strings.Index(u.Key[len(prefix):], delim); i >= 0 {
				cp = u.Key[:len(prefix)+i+len(delim)]
				if seen[cp] {
					continue
				}
			}
		}
		if count == maxUploads {
			res.IsTruncated = true
			break
		}
		count++
		if cp != "" {
			seen[cp] = true
			res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc(cp)})
			res.NextKeyMarker, res.NextUploadIDMarker = enc(cp), ""
			continue
		}
		res.Uploads = append(res.Uploads, uploadEntry{Key: enc(u.Key), UploadID: u.ID, Initiated: u.Initiated.UTC().Format(isoMillis)})
		res.NextKeyMarker, res.NextUploadIDMarker = enc(u.Key), u.ID
	}
	writeXML(w, http.StatusOK, res)
	return nil
}
