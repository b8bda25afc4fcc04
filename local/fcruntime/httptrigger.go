package fcruntime

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ossupload/ossupload/shared/logging"
)

// maxRequestBytes bounds an HTTP trigger request body: FC limits a
// synchronous invocation's body to 32 MB, refused before it reaches the
// function ("Can I modify the limit on the body size of an HTTP request?",
// https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/http-body-be-modified),
// with 400 EntityTooLarge "payload size exceeds maximum allowed size (%s
// bytes)" (FC error codes, https://www.alibabacloud.com/help/en/functioncompute/error-codes;
// FAQ https://www.alibabacloud.com/help/doc-detail/2527064.html). Read as MiB here.
const maxRequestBytes = 32 << 20

// HTTPEvent is the FC3 HTTP trigger event (fc3-deploy-and-runtime
// reference §4.3; the fields of events.HTTPTriggerEvent in
// fc-runtime-go-sdk v0.3.1).
type HTTPEvent struct {
	Version         string            `json:"version"`
	RawPath         string            `json:"rawPath"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Headers         map[string]string `json:"headers"`
	QueryParameters map[string]string `json:"queryParameters"`
	RequestContext  HTTPEventContext  `json:"requestContext"`
}

// HTTPEventContext is the event's requestContext.
type HTTPEventContext struct {
	AccountID    string        `json:"accountId"`
	DomainName   string        `json:"domainName"`
	DomainPrefix string        `json:"domainPrefix"`
	HTTP         HTTPEventHTTP `json:"http"`
	RequestID    string        `json:"requestId"`
	Time         string        `json:"time"`
	TimeEpoch    string        `json:"timeEpoch"`
}

// HTTPEventHTTP is requestContext.http.
type HTTPEventHTTP struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// HTTPResponse is what an HTTP-triggered function returns
// (events.HTTPTriggerResponse).
type HTTPResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Body            string            `json:"body"`
}

// NewHTTPEvent turns a request and its already-read body into the event
// FC3 gives the function: rawPath stays URL-encoded while http.path is
// decoded; repeated headers and query keys are comma-joined; a non-empty
// body is base64 with isBase64Encoded true (as in the documented sample).
func NewHTTPEvent(r *http.Request, body []byte, requestID, accountID string, now time.Time) HTTPEvent {
	headers := map[string]string{}
	for k, vs := range r.Header {
		headers[k] = strings.Join(vs, ",")
	}
	if r.Host != "" {
		headers["Host"] = r.Host
	}
	query := map[string]string{}
	for k, vs := range r.URL.Query() {
		query[k] = strings.Join(vs, ",")
	}
	ev := HTTPEvent{
		Version:         "v1",
		RawPath:         r.URL.EscapedPath(),
		Headers:         headers,
		QueryParameters: query,
		RequestContext: HTTPEventContext{
			AccountID:    accountID,
			DomainName:   hostOnly(r.Host),
			DomainPrefix: strings.SplitN(hostOnly(r.Host), ".", 2)[0],
			HTTP: HTTPEventHTTP{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  hostOnly(r.RemoteAddr),
				UserAgent: r.UserAgent(),
			},
			RequestID: requestID,
			Time:      now.UTC().Format(time.RFC3339),
			TimeEpoch: strconv.FormatInt(now.UnixMilli(), 10),
		},
	}
	if len(body) > 0 {
		ev.Body = base64.StdEncoding.EncodeToString(body)
		ev.IsBase64Encoded = true
	}
	return ev
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// HTTPTrigger returns the front door of fn's HTTP trigger: each request
// becomes an HTTPEvent, fn is invoked synchronously and its HTTPResponse
// is written back. A function error answers 502 with
// X-Fc-Error-Type: UnhandledInvocationError and the error JSON, as FC does.
func (rt *Runtime) HTTPTrigger(fn string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := rt.newRequestID()
		w.Header().Set("X-Fc-Request-Id", id)
		in, err := rt.instance(fn)
		if err != nil {
			writeAPIError(w, id, err)
			return
		}
		if r.ContentLength > maxRequestBytes {
			writeAPIError(w, id, errBodyTooLarge) // refused unread, as FC does
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				err = fmt.Errorf("%w: %w", errBodyTooLarge, err)
			}
			writeAPIError(w, id, err)
			return
		}
		event, err := json.Marshal(NewHTTPEvent(r, body, id, in.fn.AccountID, rt.cfg.Now()))
		if err != nil {
			writeAPIError(w, id, err)
			return
		}
		payload, err := rt.invoke(r.Context(), fn, event, id, 0)
		if err != nil {
			if r.Context().Err() != nil {
				return // the client left; nobody to answer
			}
			if !isFunctionError(err) {
				rt.log.Error("HTTP trigger invocation failed", "function", fn, logging.RequestIDKey, id, "error", err.Error())
			}
			writeAPIError(w, id, err)
			return
		}
		writeHTTPResponse(w, id, payload)
	})
}

var errBodyTooLarge = errors.New("request body too large")

// hopHeaders are not copied from a function's response: net/http owns them.
var hopHeaders = map[string]bool{"Content-Length": true, "Transfer-Encoding": true, "Connection": true}

func writeHTTPResponse(w http.ResponseWriter, id string, payload []byte) {
	var resp HTTPResponse
	if err := json.Unmarshal(payload, &resp); err != nil {
		writeAPIError(w, id, &InvocationError{Type: TypeUnhandled, RequestID: id, ErrorType: "InvalidResponse",
			Message: "the function's result is not an HTTP trigger response (events.HTTPTriggerResponse)"})
		return
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			writeAPIError(w, id, &InvocationError{Type: TypeUnhandled, RequestID: id, ErrorType: "InvalidResponse",
				Message: "the function's response body is not valid base64"})
			return
		}
		body = b
	}
	keys := make([]string, 0, len(resp.Headers))
	for k := range resp.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !hopHeaders[http.CanonicalHeaderKey(k)] {
			w.Header().Set(k, resp.Headers[k])
		}
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	if status < 100 || status > 999 {
		writeAPIError(w, id, &InvocationError{Type: TypeUnhandled, RequestID: id, ErrorType: "InvalidResponse",
			Message: fmt.Sprintf("the function returned an invalid status code %d", status)})
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// apiError is the JSON of FC's own (non-function) errors.
type apiError struct {
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	RequestID string `json:"RequestId"`
}

// writeAPIError maps an invocation failure to the wire, once.
func writeAPIError(w http.ResponseWriter, id string, err error) {
	w.Header().Set("Content-Type", "application/json")
	var ie *InvocationError
	if errors.As(err, &ie) {
		w.Header().Set("X-Fc-Error-Type", TypeUnhandled)
		w.WriteHeader(http.StatusBadGateway)
		_ = json.NewEncoder(w).Encode(ie.body())
		return
	}
	status, code, msg := http.StatusInternalServerError, "InternalServerError", "the local FC runtime could not invoke the function"
	switch {
	case errors.Is(err, ErrFunctionNotFound):
		status, code, msg = http.StatusNotFound, "FunctionNotFound", "function not found"
	case errors.Is(err, ErrThrottled):
		status, code, msg = http.StatusTooManyRequests, "ResourceThrottled", "too many queued invocations"
	case errors.Is(err, ErrClosed):
		status, code, msg = http.StatusServiceUnavailable, "ServiceUnavailable", "the local FC runtime is shutting down"
	case errors.Is(err, errBodyTooLarge):
		status, code, msg = http.StatusBadRequest, "EntityTooLarge", fmt.Sprintf("payload size exceeds maximum allowed size (%d bytes)", maxRequestBytes)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(apiError{Code: code, Message: msg, RequestID: id})
}
