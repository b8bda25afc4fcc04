package oss

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
)

// Error is an OSS protocol error: the HTTP status, the OSS error code and
// message, the EC diagnostic code and any extra elements the real service
// puts in the <Error> document (StringToSign, ServerTime, ...). Handlers
// return it; writeError turns it into the wire format exactly once.
type Error struct {
	Status  int
	Code    string
	Message string
	EC      string
	Extra   []Field
}

// Field is one extra element of an error document, in order.
type Field struct {
	Name, Value string
}

func (e *Error) Error() string { return fmt.Sprintf("oss: %d %s: %s", e.Status, e.Code, e.Message) }

func newError(status int, code, message, ec string, extra ...Field) *Error {
	return &Error{Status: status, Code: code, Message: message, EC: ec, Extra: extra}
}

// The closed set of errors the emulator produces, with the real messages.
func errNoSuchBucket() *Error {
	return newError(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist.", "")
}
func errNoSuchKey(key string) *Error {
	return newError(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", "0026-00000001", Field{"Key", key})
}
func errPreconditionFailed(condition string) *Error {
	return newError(http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold.", "",
		Field{"Condition", condition})
}
func errNoSuchUpload() *Error {
	return newError(http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", "")
}
func errAccessDenied(msg string) *Error {
	return newError(http.StatusForbidden, "AccessDenied", msg, "")
}
func errInvalidArgument(msg string) *Error {
	return newError(http.StatusBadRequest, "InvalidArgument", msg, "")
}
func errMalformedXML() *Error {
	return newError(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.", "")
}
func errNotImplemented() *Error {
	return newError(http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented.", "")
}
func errMethodNotAllowed() *Error {
	return newError(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.", "")
}
func errInternal() *Error {
	return newError(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.", "")
}

// errEntityTooLarge: an upload over the 5 GB a single request may carry.
func errEntityTooLarge() *Error {
	return newError(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.", "")
}

// errNoSuchCORS: GetBucketCors on a bucket without rules (EC 0034-00000001,
// https://www.alibabacloud.com/help/en/oss/user-guide/0034-00000001).
func errNoSuchCORS() *Error {
	return newError(http.StatusNotFound, "NoSuchCORSConfiguration", "The CORS Configuration does not exist.", "0034-00000001")
}

// errCORSArgument: OSS documents the EC of each invalid rule (0034-000000xx)
// but not the code's name; InvalidArgument 400 is what OSS gives for
// invalid request parameters in general.
func errCORSArgument(msg, ec string) *Error {
	return newError(http.StatusBadRequest, "InvalidArgument", msg, ec)
}

// errACL is the message OSS gives for a request its ACL/RAM evaluation refuses.
const msgNoRight = "You have no right to access this object because of bucket acl."

type errorDoc struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
	HostID    string   `xml:"HostId"`
	Extra     []extraElem
	EC        string `xml:"EC,omitempty"`
}

type extraElem struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

func errorXML(e *Error, requestID, host string) []byte {
	doc := errorDoc{Code: e.Code, Message: e.Message, RequestID: requestID, HostID: host, EC: e.EC}
	for _, f := range e.Extra {
		doc.Extra = append(doc.Extra, extraElem{XMLName: xml.Name{Local: f.Name}, Value: f.Value})
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		// The document is built from strings only; encoding cannot fail.
		panic(err)
	}
	buf.WriteByte('\n')
	return literalQuotes(buf.Bytes())
}

// writeError writes e as OSS does: XML body (or, for HEAD, a base64 x-oss-err
// header that the Go SDK decodes), x-oss-request-id and x-oss-ec headers.
func writeError(w http.ResponseWriter, r *http.Request, requestID string, e *Error) {
	body := errorXML(e, requestID, r.Host)
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	if e.EC != "" {
		h.Set("x-oss-ec", e.EC)
	}
	if r.Method == http.MethodHead {
		h.Set("x-oss-err", base64.StdEncoding.EncodeToString(body))
		h.Set("Content-Length", "0")
		w.WriteHeader(e.Status)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
