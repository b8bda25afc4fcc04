package oss

import (
	"crypto/md5"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// PutBucketCors, GetBucketCors and DeleteBucketCors (PUT, GET, DELETE
// /?cors), per the OSS API reference:
// https://www.alibabacloud.com/help/en/oss/developer-reference/putbucketcors,
// .../getbucketcors, .../deletebucketcors. The XML is the one
// aliyun-oss-go-sdk v3.0.2 (oss/type.go CORSXML) and ali-oss 6.23.0
// (putBucketCORS, getBucketCORS) write and read.

const maxCORSRules = 10 // "Up to 10 rules can be configured for a bucket" (GetBucketCors)

// corsMethods are the only AllowedMethod values OSS accepts (EC 0034-00000011:
// https://www.alibabacloud.com/help/en/oss/user-guide/0034-00000011).
var corsMethods = map[string]bool{"GET": true, "PUT": true, "DELETE": true, "POST": true, "HEAD": true}

type corsRuleXML struct {
	AllowedOrigin []string `xml:"AllowedOrigin"`
	AllowedMethod []string `xml:"AllowedMethod"`
	AllowedHeader []string `xml:"AllowedHeader"`
	ExposeHeader  []string `xml:"ExposeHeader"`
	// A slice, to see a repeated element: "A CORS rule can contain only
	// one MaxAgeSeconds parameter".
	MaxAgeSeconds []int `xml:"MaxAgeSeconds"`
}

type corsConfigXML struct {
	XMLName      xml.Name      `xml:"CORSConfiguration"`
	CORSRule     []corsRuleXML `xml:"CORSRule"`
	ResponseVary *bool         `xml:"ResponseVary"`
}

type corsRuleOut struct {
	AllowedOrigin []string `xml:"AllowedOrigin"`
	AllowedMethod []string `xml:"AllowedMethod"`
	AllowedHeader []string `xml:"AllowedHeader"`
	ExposeHeader  []string `xml:"ExposeHeader"`
	MaxAgeSeconds *int     `xml:"MaxAgeSeconds,omitempty"`
}

type corsConfigOut struct {
	XMLName      xml.Name      `xml:"CORSConfiguration"`
	CORSRule     []corsRuleOut `xml:"CORSRule"`
	ResponseVary bool          `xml:"ResponseVary"`
}

// parseCORS checks a PutBucketCors body (and its Content-MD5, if sent).
func parseCORS(body io.Reader, contentMD5 string) ([]CORSRule, bool, error) {
	var doc corsConfigXML
	sum := md5.New()
	if err := xml.NewDecoder(io.TeeReader(io.LimitReader(body, maxSmallBody), sum)).Decode(&doc); err != nil {
		return nil, false, errMalformedXML()
	}
	_, _ = io.Copy(sum, io.LimitReader(body, maxSmallBody)) // trailing whitespace counts too
	if err := checkMD5(contentMD5, sum.Sum(nil)); err != nil {
		return nil, false, err
	}
	if len(doc.CORSRule) == 0 {
		// https://www.alibabacloud.com/help/en/oss/user-guide/0034-00000002
		return nil, false, errCORSArgument("The XML you provided did not have any CORSRule.", "0034-00000002")
	}
	if len(doc.CORSRule) > maxCORSRules {
		return nil, false, errCORSArgument("The number of CORSRule exceeds the limit of "+strconv.Itoa(maxCORSRules)+".", "")
	}
	rules := make([]CORSRule, 0, len(doc.CORSRule))
	for _, x := range doc.CORSRule {
		if len(x.AllowedOrigin) == 0 || len(x.AllowedMethod) == 0 {
			return nil, false, errMalformedXML()
		}
		for _, o := range x.AllowedOrigin {
			if o == "" || strings.Count(o, "*") > 1 {
				return nil, false, errCORSArgument("AllowedOrigin "+strconv.Quote(o)+" is invalid: it may contain at most one wildcard (*).", "")
			}
		}
		for _, m := range x.AllowedMethod {
			if !corsMethods[m] {
				return nil, false, errCORSArgument("AllowedMethod "+strconv.Quote(m)+" is not supported; use GET, PUT, DELETE, POST or HEAD.", "0034-00000011")
			}
		}
		for _, h := range x.AllowedHeader {
			if strings.Count(h, "*") > 1 {
				return nil, false, errCORSArgument("AllowedHeader "+strconv.Quote(h)+" is invalid: it may contain at most one wildcard (*).", "")
			}
		}
		for _, h := range x.ExposeHeader {
			// https://www.alibabacloud.com/help/en/oss/user-guide/0034-00000013:
			// no * < > & ' " in an ExposeHeader.
			if h == "" || strings.ContainsAny(h, `*<>&'"`) {
				return nil, false, errCORSArgument("ExposeHeader "+strconv.Quote(h)+" is invalid.", "0034-00000013")
			}
		}
		if len(x.MaxAgeSeconds) > 1 {
			return nil, false, errMalformedXML()
		}
		rule := CORSRule{AllowedOrigins: x.AllowedOrigin, AllowedMethods: x.AllowedMethod,
			AllowedHeaders: x.AllowedHeader, ExposeHeaders: x.ExposeHeader}
		if len(x.MaxAgeSeconds) == 1 {
			if x.MaxAgeSeconds[0] < 0 {
				return nil, false, errCORSArgument("MaxAgeSeconds must not be negative.", "")
			}
			rule.MaxAgeSeconds = x.MaxAgeSeconds[0]
		}
		rules = append(rules, rule)
	}
	return rules, doc.ResponseVary != nil && *doc.ResponseVary, nil
}

func (s *Server) putBucketCORS(w http.ResponseWriter, rq *request, b Bucket) error {
	if err := s.authorize(rq.principal, rq.r, "oss:PutBucketCors", resource(rq.bucket, ""), nil); err != nil {
		return err
	}
	rules, responseVary, err := parseCORS(rq.r.Body, rq.r.Header.Get("Content-MD5"))
	if err != nil {
		return err
	}
	b.CORS, b.ResponseVary = rules, responseVary
	if err := s.store.PutBucket(b); err != nil {
		return err
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) getBucketCORS(w http.ResponseWriter, rq *request, b Bucket) error {
	if err := s.authorize(rq.principal, rq.r, "oss:GetBucketCors", resource(rq.bucket, ""), nil); err != nil {
		return err
	}
	if len(b.CORS) == 0 {
		return errNoSuchCORS()
	}
	out := corsConfigOut{ResponseVary: b.ResponseVary}
	for _, r := range b.CORS {
		o := corsRuleOut{AllowedOrigin: r.AllowedOrigins, AllowedMethod: r.AllowedMethods, AllowedHeader: r.AllowedHeaders, ExposeHeader: r.ExposeHeaders}
		if r.MaxAgeSeconds > 0 {
			o.MaxAgeSeconds = &r.MaxAgeSeconds
		}
		out.CORSRule = append(out.CORSRule, o)
	}
	writeXML(w, http.StatusOK, out)
	return nil
}

func (s *Server) deleteBucketCORS(w http.ResponseWriter, rq *request, b Bucket) error {
	if err := s.authorize(rq.principal, rq.r, "oss:DeleteBucketCors", resource(rq.bucket, ""), nil); err != nil {
		return err
	}
	b.CORS, b.ResponseVary = nil, false
	if err := s.store.PutBucket(b); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// bucketCORS routes the ?cors sub-resource.
func (s *Server) bucketCORS(w http.ResponseWriter, rq *request, b Bucket) error {
	switch rq.r.Method {
	case http.MethodPut:
		return s.putBucketCORS(w, rq, b)
	case http.MethodGet:
		return s.getBucketCORS(w, rq, b)
	case http.MethodDelete:
		return s.deleteBucketCORS(w, rq, b)
	}
	return errMethodNotAllowed()
}
