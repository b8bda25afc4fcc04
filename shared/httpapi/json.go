package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
)

// Header values every JSON answer carries, assigned as shared slices instead
// of through Header.Set, which allocates a new one per response. Assigning
// them is safe because nothing writes into a header's value slice in place:
// Set and Del replace it and Add appends to a slice whose capacity equals
// its length, so it copies.
var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	nosniff         = []string{"nosniff"}
	// NoStore is Cache-Control: no-store, for answers that must not be
	// cached (signed policies, credentials); assign it as
	// w.Header()["Cache-Control"] = httpapi.NoStore.
	NoStore = []string{"no-store"}
)

// encoder is a reusable response buffer with a json.Encoder writing into
// it: answering then allocates nothing for the body. Write must not retain
// the slice it is given (io.Writer), so the buffer can go back to the pool.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := new(encoder)
	e.enc = json.NewEncoder(&e.buf)
	return e
}}

// maxPooledBody: a buffer grown past this by an unusually large answer is
// dropped rather than kept in the pool.
const maxPooledBody = 64 << 10

// WriteJSON writes v as JSON with the given status. A value that cannot be
// marshalled is a programming error: it is logged and answered with 500.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	e := encoders.Get().(*encoder)
	defer func() {
		if e.buf.Cap() <= maxPooledBody {
			encoders.Put(e)
		}
	}()
	e.buf.Reset()
	// Encode writes the value and a newline, or nothing on error.
	if err := e.enc.Encode(v); err != nil {
		slog.Default().Error("marshal response", "error", err.Error())
		status = http.StatusInternalServerError
		e.buf.Reset()
		e.buf.WriteString(`{"error":{"code":"` + CodeInternal.String() + `","message":"` + internalMessage + `"}}` + "\n")
	}
	b := e.buf.Bytes()
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["X-Content-Type-Options"] = nosniff
	// No Content-Length: every transport sets it from the body (net/http
	// for a body written in one piece, the FC and Lambda adapters from the
	// body they return), so it would cost two allocations per answer.
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// readBuffer holds a request body while DecodeJSON decodes it and scans it
// for duplicate names; pooled, so reading a body allocates nothing.
type readBuffer struct {
	buf bytes.Buffer
	rd  bytes.Reader
}

var readBuffers = sync.Pool{New: func() any { return new(readBuffer) }}

// IsJSON reports whether a Content-Type header value names
// application/json (letter case and parameters aside), without allocating.
func IsJSON(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/json")
}

// DecodeJSON decodes the request body into dst strictly: unknown fields,
// a field named twice (in any letter case), trailing data, an empty body
// and bodies over maxBytes are refused. Errors are *Error: 413
// "request_too_large" or 400 "invalid_request" with a message saying what
// is wrong.
//
// A field named twice is refused because JSON parsers disagree on it:
// encoding/json keeps the last value and matches names without regard to
// case, while a proxy or a log may read the first ({"contentType":
// "image/png","ContentType":"text/html"}); RFC 8259 §4 leaves such a
// document's meaning to each implementation.
func DecodeJSON(r *http.Request, maxBytes int64, dst any) error {
	if r.Body == nil || r.Body == http.NoBody {
		return Errorf(CodeInvalidRequest, "request body is empty; send a JSON object")
	}
	if r.ContentLength > maxBytes {
		return tooLarge(maxBytes)
	}
	body := http.MaxBytesReader(nil, r.Body, maxBytes)
	defer body.Close()
	rb := readBuffers.Get().(*readBuffer)
	defer func() {
		if rb.buf.Cap() <= maxPooledBody {
			readBuffers.Put(rb)
		}
	}()
	rb.buf.Reset()
	if _, err := rb.buf.ReadFrom(body); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(maxBytes)
		}
		return Errorf(CodeInvalidRequest, "request body could not be read")
	}
	raw := rb.buf.Bytes()
	rb.rd.Reset(raw)
	dec := json.NewDecoder(&rb.rd)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err, maxBytes)
	}
	// Exactly one JSON value: anything but whitespace after it is refused.
	// Token reads only as far as the next token; at the end of the body it
	// returns io.EOF.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(CodeInvalidRequest, "request body must contain a single JSON value; found trailing data")
	}
	if name := duplicateName(raw); name != "" {
		return Errorf(CodeInvalidRequest, "request body names field %q more than once", name)
	}
	return nil
}

// DuplicateName returns the first object member name that appears twice in
// one object of raw, a valid JSON document, compared as encoding/json
// matches names to fields (case-insensitively); "" when there is none.
// DecodeJSON refuses such a request body; a client reading a JSON answer
// whose meaning must not depend on the parser (the pre-sign hook's) refuses
// it too.
func DuplicateName(raw []byte) string { return duplicateName(raw) }

// duplicateName returns the first object member name that appears twice
// in the same object of raw, one valid JSON value (DecodeJSON has already
// decoded it), compared as encoding/json matches names to fields: by
// Unicode simple case folding (bytes.EqualFold); "" when there is none.
// It scans the bytes in place and allocates nothing unless a name holds
// an escape or a duplicate is found: the sign path's budget is a few dozen
// allocations per request.
func duplicateName(raw []byte) string {
	type span struct{ from, to int }
	var keyBuf [16]span
	keys := keyBuf[:0] // the names of every open object, innermost last
	var openBuf [8]int
	open := openBuf[:0] // per open object: where its names start in keys; -1 for an array
	expectName := false
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '{':
			open = append(open, len(keys))
			expectName = true
		case '[':
			open = append(open, -1)
			expectName = false
		case '}', ']':
			if n := len(open); n > 0 {
				if from := open[n-1]; from >= 0 {
					keys = keys[:from]
				}
				open = open[:n-1]
			}
			expectName = false
		case ',':
			expectName = len(open) > 0 && open[len(open)-1] >= 0
		case '"':
			end := stringEnd(raw, i)
			if expectName {
				name := raw[i+1 : end]
				for _, k := range keys[open[len(open)-1]:] {
					if sameName(raw[k.from:k.to], name) {
						return unquote(name)
					}
				}
				keys = append(keys, span{i + 1, end})
				expectName = false
			}
			i = end
		}
	}
	return ""
}

// stringEnd returns the index of the quote that closes the JSON string
// whose opening quote is at raw[i].
func stringEnd(raw []byte, i int) int {
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			j++ // the escaped byte
		case '"':
			return j
		}
	}
	return len(raw)
}

// sameName compares two raw (still escaped) member names as encoding/json
// matches them.
func sameName(a, b []byte) bool {
	if bytes.IndexByte(a, '\\') < 0 && bytes.IndexByte(b, '\\') < 0 {
		return bytes.EqualFold(a, b)
	}
	return strings.EqualFold(unquote(a), unquote(b))
}

// unquote decodes a raw member name (valid JSON string contents).
func unquote(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	var s string
	quoted := make([]byte, 0, len(raw)+2)
	quoted = append(append(append(quoted, '"'), raw...), '"')
	if err := json.Unmarshal(quoted, &s); err != nil {
		return string(raw)
	}
	return s
}

func tooLarge(maxBytes int64) *Error {
	return Errorf(CodeRequestTooLarge, "request body must not exceed %d bytes", maxBytes)
}

func decodeError(err error, maxBytes int64) *Error {
	var (
		mbe    *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return tooLarge(maxBytes)
	case errors.Is(err, io.EOF):
		return Errorf(CodeInvalidRequest, "request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(CodeInvalidRequest, "request body is truncated JSON")
	case errors.As(err, &syntax):
		return Errorf(CodeInvalidRequest, "request body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return Errorf(CodeInvalidRequest, "field %q must be a JSON %s", typ.Field, jsonKind(typ.Type.Kind().String()))
		}
		return Errorf(CodeInvalidRequest, "request body must be a JSON object")
	}
	// encoding/json reports unknown fields as `json: unknown field "x"`
	// without a typed error; strip the package prefix.
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "json: ")
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return Errorf(CodeInvalidRequest, "invalid request body: %s", msg)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "number"
	}
	return fmt.Sprintf("value of type %s", goKind)
}
