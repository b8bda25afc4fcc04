// Package fchttp adapts a plain http.Handler to the Function Compute 3.0 HTTP
// trigger (events.HTTPTriggerEvent in, *events.HTTPTriggerResponse out). It
// is the function side only: the platform side (an *http.Request into an
// event, a response back onto the wire) is the local FC runtime's
// (local/fcruntime, NewHTTPEvent and its HTTP trigger), which this
// package's tests use.
//
// Event facts (FC3 HTTP trigger docs): rawPath is URL-encoded while
// requestContext.http.path is decoded; repeated headers and query keys are
// comma-joined into one string; bodies may be base64 with isBase64Encoded.
package fchttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/ossupload/ossupload/shared/httpapi"
)

// Handler is the function signature fc.Start accepts for an HTTP trigger.
type Handler func(ctx context.Context, event events.HTTPTriggerEvent) (*events.HTTPTriggerResponse, error)

// Wrap turns h into an FC3 HTTP trigger handler. The FC request id
// (fccontext, else requestContext.requestId) is put in the request context
// with httpapi.WithRequestID. An event that cannot become a request (no
// method, bad base64 body, bad path) is answered 400 with the contract error
// body, one whose body is over MaxBodyBytes 413 request_too_large before the
// body is decoded; Wrap itself never returns an error.
func Wrap(h http.Handler) Handler {
	return func(ctx context.Context, ev events.HTTPTriggerEvent) (*events.HTTPTriggerResponse, error) {
		id := requestID(ctx, ev)
		ctx = httpapi.WithRequestID(ctx, id)
		w := newResponseWriter()
		if bodyTooLarge(str(ev.Body), ev.IsBase64Encoded != nil && *ev.IsBase64Encoded) {
			r, _ := http.NewRequestWithContext(ctx, http.MethodPost, "/", nil)
			httpapi.WriteError(w, r, tooLarge())
			return w.response(), nil
		}
		r, err := NewRequest(ctx, ev)
		if err != nil {
			r, _ = http.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
			httpapi.WriteError(w, r, httpapi.Errorf(httpapi.CodeInvalidRequest, "%s", err))
			return w.response(), nil
		}
		h.ServeHTTP(w, r)
		return w.response(), nil
	}
}

func requestID(ctx context.Context, ev events.HTTPTriggerEvent) string {
	if fc, ok := fccontext.FromContext(ctx); ok && fc != nil && fc.RequestID != "" {
		return fc.RequestID
	}
	return str(ev.TriggerContext.RequestId)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// NewRequest builds the *http.Request an FC3 HTTP trigger event describes:
// method, URL (path from rawPath, else http.path; query from
// queryParameters), headers, Host (requestContext.domainName, else the Host
// header), RemoteAddr (sourceIp, else the first X-Forwarded-For entry) and
// body (base64-decoded when isBase64Encoded).
func NewRequest(ctx context.Context, ev events.HTTPTriggerEvent) (*http.Request, error) {
	hc := ev.TriggerContext.Http
	method := str(hc.Method)
	if method == "" {
		return nil, fmt.Errorf("event has no requestContext.http.method")
	}
	u, err := eventURL(ev)
	if err != nil {
		return nil, err
	}
	var body []byte
	if b := str(ev.Body); b != "" {
		if ev.IsBase64Encoded != nil && *ev.IsBase64Encoded {
			body, err = base64.StdEncoding.DecodeString(b)
			if err != nil {
				return nil, fmt.Errorf("event body is marked base64 but does not decode: %w", err)
			}
		} else {
			body = []byte(b)
		}
	}
	r, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("event describes an invalid request: %w", err)
	}
	r.URL = u
	r.RequestURI = u.RequestURI()
	if ev.Headers != nil {
		for k, v := range *ev.Headers {
			r.Header.Set(k, v)
		}
	}
	r.Host = str(ev.TriggerContext.DomainName)
	if r.Host == "" {
		r.Host = r.Header.Get("Host")
	}
	r.Header.Del("Host")
	if p := str(hc.Protocol); p != "" {
		if major, minor, ok := http.ParseHTTPVersion(p); ok {
			r.Proto, r.ProtoMajor, r.ProtoMinor = p, major, minor
		}
	}
	ip := str(hc.SourceIp)
	if ip == "" {
		ip = strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-For"), ",")[0])
	}
	if ip != "" {
		r.RemoteAddr = net.JoinHostPort(ip, "0")
	} else {
		r.RemoteAddr = ""
	}
	if len(body) == 0 {
		r.Body = http.NoBody
	}
	r.ContentLength = int64(len(body))
	return r, nil
}

func eventURL(ev events.HTTPTriggerEvent) (*url.URL, error) {
	u := &url.URL{Path: "/"}
	if raw := str(ev.RawPath); raw != "" {
		p, err := url.PathUnescape(raw)
		if err != nil {
			return nil, fmt.Errorf("event rawPath is not a valid URL-encoded path: %w", err)
		}
		u.Path = p
		u.RawPath = raw
		if u.EscapedPath() != raw {
			// raw is not a valid encoding of p; keep the decoded form only.
			u.RawPath = ""
		}
	} else if p := str(ev.TriggerContext.Http.Path); p != "" {
		u.Path = p
	}
	if !strings.HasPrefix(u.Path, "/") {
		return nil, fmt.Errorf("event path must start with /")
	}
	if ev.QueryParameters != nil && len(*ev.QueryParameters) > 0 {
		q := url.Values{}
		for k, v := range *ev.QueryParameters {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
	}
	return u, nil
}

// responseWriter captures a handler's response in memory.
type responseWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newResponseWriter() *responseWriter { return &responseWriter{header: http.Header{}} }

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.body.Write(p)
}

func (w *responseWriter) response() *events.HTTPTriggerResponse {
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	body := w.body.Bytes()
	if len(body) > 0 && w.header.Get("Content-Type") == "" {
		w.header.Set("Content-Type", http.DetectContentType(body))
	}
	resp := &events.HTTPTriggerResponse{StatusCode: status, Headers: joinHeaders(w.header)}
	if utf8.Valid(body) {
		resp.Body = string(body)
	} else {
		resp.Body = base64.StdEncoding.EncodeToString(body)
		resp.IsBase64Encoded = true
	}
	return resp
}

// joinHeaders flattens a header to FC's one-value-per-name map, joining
// repeated values with ", ".
func joinHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, vs := range h {
		if len(vs) > 0 {
			out[k] = strings.Join(vs, ", ")
		}
	}
	return out
}
