package fchttp

import (
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
)

// NewEvent builds the FC3 HTTP trigger event for r, as the platform does:
// rawPath URL-encoded, http.path decoded, repeated headers and query values
// comma-joined, the Host header and domainName from r.Host, sourceIp from
// r.RemoteAddr, a non-empty body base64 with isBase64Encoded true. It reads
// r.Body to the end; cap it first (http.MaxBytesReader) if it is untrusted.
func NewEvent(r *http.Request, requestID string, now time.Time) (events.HTTPTriggerEvent, error) {
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return events.HTTPTriggerEvent{}, fmt.Errorf("read request body: %w", err)
		}
		body = b
	}
	headers := make(map[string]string, len(r.Header)+1)
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
	host := hostOnly(r.Host)
	ev := events.HTTPTriggerEvent{
		Version:         ptr("v1"),
		RawPath:         ptr(r.URL.EscapedPath()),
		Body:            ptr(""),
		IsBase64Encoded: ptr(false),
		Headers:         &headers,
		QueryParameters: &query,
	}
	if len(body) > 0 {
		ev.Body = ptr(base64.StdEncoding.EncodeToString(body))
		ev.IsBase64Encoded = ptr(true)
	}
	tc := &ev.TriggerContext
	tc.DomainName = ptr(host)
	tc.DomainPrefix = ptr(strings.SplitN(host, ".", 2)[0])
	tc.Http.Method = ptr(r.Method)
	tc.Http.Path = ptr(r.URL.Path)
	tc.Http.Protocol = ptr(r.Proto)
	tc.Http.SourceIp = ptr(hostOnly(r.RemoteAddr))
	tc.Http.UserAgent = ptr(r.UserAgent())
	tc.RequestId = ptr(requestID)
	tc.Time = ptr(now.UTC().Format(time.RFC3339))
	tc.TimeEpoch = ptr(strconv.FormatInt(now.UnixMilli(), 10))
	return ev, nil
}

// WriteResponse writes an FC HTTP trigger response to w. A response whose
// base64 body does not decode is refused before anything is written.
func WriteResponse(w http.ResponseWriter, resp *events.HTTPTriggerResponse) error {
	if resp == nil {
		return fmt.Errorf("fchttp: nil response")
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			return fmt.Errorf("fchttp: response body is marked base64 but does not decode: %w", err)
		}
		body = b
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	if status < 100 || status > 999 {
		return fmt.Errorf("fchttp: invalid status code %d", resp.StatusCode)
	}
	for k, v := range resp.Headers {
		if strings.EqualFold(k, "Content-Length") {
			continue
		}
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

func ptr[T any](v T) *T { return &v }

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}
