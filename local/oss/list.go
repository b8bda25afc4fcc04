package oss

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ossupload/ossupload/local/iam"
)

type listOwner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

type listContent struct {
	Key          string     `xml:"Key"`
	LastModified string     `xml:"LastModified"`
	ETag         string     `xml:"ETag"`
	Type         string     `xml:"Type"`
	Size         int64      `xml:"Size"`
	StorageClass string     `xml:"StorageClass"`
	Owner        *listOwner `xml:"Owner,omitempty"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

type listBucketResult struct {
	XMLName               xml.Name       `xml:"ListBucketResult"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	Marker                *string        `xml:"Marker,omitempty"`
	StartAfter            *string        `xml:"StartAfter,omitempty"`
	ContinuationToken     *string        `xml:"ContinuationToken,omitempty"`
	MaxKeys               int            `xml:"MaxKeys"`
	Delimiter             string         `xml:"Delimiter"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	IsTruncated           bool           `xml:"IsTruncated"`
	NextMarker            string         `xml:"NextMarker,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	KeyCount              *int           `xml:"KeyCount,omitempty"`
	Contents              []listContent  `xml:"Contents"`
	CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
}

// urlEncode is OSS's encoding-type=url: query escaping with %20 for spaces.
func urlEncode(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// listObjects serves ListObjects (V1) and ListObjectsV2 (list-type=2).
func (s *Server) listObjects(w http.ResponseWriter, rq *request) error {
	q := rq.r.URL.Query()
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	extra := map[string]string{"oss:Prefix": prefix, "oss:Delimiter": delim}
	if err := s.authorize(rq.principal, rq.r, "oss:ListObjects", resource(rq.bucket, ""), extra); err != nil {
		return err
	}
	maxKeys := 100
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1000 {
			return errInvalidArgument("Argument max-keys must be an integer between 0 and 1000.")
		}
		maxKeys = n
	}
	encode := q.Get("encoding-type") == "url"
	if v := q.Get("encoding-type"); v != "" && v != "url" {
		return errInvalidArgument("The encoding-type parameter must be url.")
	}
	enc := func(s string) string {
		if encode {
			return urlEncode(s)
		}
		return s
	}
	v2 := q.Get("list-type") == "2"
	marker := q.Get("marker")
	if v2 {
		marker = q.Get("start-after")
		if t := q.Get("continuation-token"); t != "" {
			marker = t
		}
	}
	res := listBucketResult{Name: rq.bucket, Prefix: enc(prefix), MaxKeys: maxKeys, Delimiter: enc(delim)}
	if encode {
		res.EncodingType = "url"
	}
	seenPrefix := map[string]bool{}
	count := 0
	last := ""
	err := s.store.List(rq.bucket, prefix, marker, func(o Object) bool {
		if delim != "" && strings.HasSuffix(marker, delim) && strings.HasPrefix(o.Key, marker) {
			return true // inside the common prefix the previous page ended with
		}
		if delim != "" {
			if i := strings.Index(o.Key[len(prefix):], delim); i >= 0 {
				cp := o.Key[:len(prefix)+i+len(delim)]
				if seenPrefix[cp] {
					return true
				}
				if count == maxKeys {
					res.IsTruncated = true
					return false
				}
				seenPrefix[cp] = true
				res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc(cp)})
				count++
				last = cp
				return true
			}
		}
		if count == maxKeys {
			res.IsTruncated = true
			return false
		}
		c := listContent{Key: enc(o.Key), LastModified: o.LastModified.UTC().Format(isoMillis), ETag: quoteETag(o.ETag),
			Type: objectType(o), Size: o.Size, StorageClass: "Standard"}
		if !v2 || q.Get("fetch-owner") == "true" {
			c.Owner = &listOwner{ID: iam.AccountID, DisplayName: iam.AccountID}
		}
		res.Contents = append(res.Contents, c)
		count++
		last = o.Key
		return true
	})
	if err != nil {
		return err
	}
	if v2 {
		res.StartAfter, res.ContinuationToken = optional(enc(q.Get("start-after"))), optional(q.Get("continuation-token"))
		res.KeyCount = &count
		if res.IsTruncated {
			res.NextContinuationToken = last
		}
	} else {
		m := enc(marker)
		res.Marker = &m
		if res.IsTruncated {
			res.NextMarker = enc(last)
		}
	}
	writeXML(w, http.StatusOK, res)
	return nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
