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
	"unicode"
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
	raw, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(maxBytes)
		}
		return Errorf(CodeInvalidRequest, "request body could not be read")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
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
	if name := duplicateName(json.NewDecoder(bytes.NewReader(raw))); name != "" {
		return Errorf(CodeInvalidRequest, "request body names field %q more than once", name)
	}
	return nil
}

// duplicateName returns the first object member name that appears twice
// in the same object of the (valid) JSON value dec reads, compared as
// encoding/json matches names to fields: by Unicode simple case folding;
// "" when there is none.
func duplicateName(dec *json.Decoder) string {
	tok, err := dec.Token()
	if err != nil {
		return ""
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return ""
			}
			name, _ := k.(string)
			f := foldName(name)
			if seen[f] {
				return name
			}
			seen[f] = true
			if d := duplicateName(dec); d != "" {
				return d
			}
		}
		_, _ = dec.Token() // '}'
	case json.Delim('['):
		for dec.More() {
			if d := duplicateName(dec); d != "" {
				return d
			}
		}
		_, _ = dec.Token() // ']'
	}
	return ""
}

// foldName maps every rune of s to the smallest rune of its simple case
// folding orbit, so names that bytes.EqualFold (which encoding/json uses to
// match fields) calls equal map to the same string: "Size", "SIZE" and
// "\u017Fize" (LATIN SMALL LETTER LONG S) all fold to "Size"'s folding.
func foldName(s string) string {
	return strings.Map(func(r rune) rune {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < m {
				m = f
			}
		}
		return m
	}, s)
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
