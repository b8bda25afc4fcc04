package stsvend

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/ossupload/ossupload/shared/httpapi"
	"github.com/ossupload/ossupload/shared/uploadroutes"
)

// MaxClientPayloadBytes caps clientPayload as the caller encoded it
// (the same limit sign applies).
const MaxClientPayloadBytes = 2 << 10

// vendRequest is what a caller may send: the route (required when
// UPLOAD_ROUTES is set) and, for the app's pre-sign hook only, a file's
// name, type and size and an opaque client payload. None of these narrows
// the credentials beyond the route: a session may upload any number of
// files under the route's directory.
type vendRequest struct {
	Route         string          `json:"route"`
	Filename      string          `json:"filename"`
	ContentType   string          `json:"contentType"`
	Size          int64           `json:"size"`
	ClientPayload json.RawMessage `json:"clientPayload"`
}

// readRequest reads the caller's request: the JSON body of POST (an empty
// body is a request naming nothing, as clients before routes send it) or
// the query parameters of GET (whose body, if any, is read and ignored).
// A body over MaxRequestBytes is 413 whatever its type; a non-empty POST
// body must be JSON (415 otherwise: a text/plain or form body is what a
// cross-site form sends without a preflight) and is decoded strictly
// (httpapi.DecodeJSON: unknown fields, names given twice, trailing data
// are 400).
func readRequest(r *http.Request) (vendRequest, error) {
	var req vendRequest
	body, err := readBody(r)
	if err != nil {
		return req, err
	}
	if r.Method == http.MethodGet {
		err = fromQuery(r, &req)
	} else if len(body) > 0 {
		if !httpapi.IsJSON(r.Header.Get("Content-Type")) {
			return req, httpapi.Errorf(httpapi.CodeUnsupportedMediaType, "send the request as JSON with Content-Type: application/json, or send no body")
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		err = httpapi.DecodeJSON(r, MaxRequestBytes, &req)
	}
	if err != nil {
		return req, err
	}
	if req.Size < 0 {
		return req, httpapi.Errorf(httpapi.CodeInvalidRequest, "size must not be negative")
	}
	if len(req.ClientPayload) > MaxClientPayloadBytes {
		return req, httpapi.Errorf(httpapi.CodeInvalidRequest, "clientPayload is %d bytes encoded, at most %d", len(req.ClientPayload), MaxClientPayloadBytes)
	}
	return req, nil
}

// readBody reads up to MaxRequestBytes of body; more is 413.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > MaxRequestBytes {
		return nil, httpapi.Errorf(httpapi.CodeRequestTooLarge, "request body over %d bytes", MaxRequestBytes)
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes+1))
	if len(b) > MaxRequestBytes {
		return nil, httpapi.Errorf(httpapi.CodeRequestTooLarge, "request body over %d bytes", MaxRequestBytes)
	}
	if err != nil {
		return nil, httpapi.Errorf(httpapi.CodeInvalidRequest, "could not read the request body")
	}
	return b, nil
}

// queryFields are the parameters GET reads; each may be given once.
var queryFields = []string{"route", "filename", "contentType", "size"}

func fromQuery(r *http.Request, req *vendRequest) error {
	q := r.URL.Query()
	// A parameter named twice is refused, as a JSON field named twice is
	// (httpapi.DecodeJSON): q.Get reads the first, a proxy may read the last.
	for _, name := range queryFields {
		if len(q[name]) > 1 {
			return httpapi.Errorf(httpapi.CodeInvalidRequest, "query parameter %q is given more than once", name)
		}
	}
	req.Route = q.Get("route")
	req.Filename = q.Get("filename")
	req.ContentType = q.Get("contentType")
	if s := q.Get("size"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return httpapi.Errorf(httpapi.CodeInvalidRequest, "size must be an integer")
		}
		req.Size = n
	}
	return nil
}

// resolveRoute picks the route a request names (uploadroutes.Set.Pick,
// the same rule sign applies); it must allow STS.
func resolveRoute(set uploadroutes.Set, name string) (uploadroutes.Route, error) {
	r, err := set.Pick(name, uploadroutes.PathSTS)
	return r, httpapi.FromRule(err)
}
