package fchttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/ossupload/ossupload/shared/httpapi"
)

// MaxBodyBytes caps the request body an HTTP trigger event may carry to the
// functions (their JSON is a few hundred bytes; each handler has its own,
// equal or smaller cap). A larger body is answered 413 request_too_large.
const MaxBodyBytes = 16 << 10

// maxEventBytes caps the whole event read from the runtime API: the base64
// body plus room for headers, path and query (FC refuses headers over 8 KB
// and paths over 4 KB: help.aliyun.com/en/functioncompute/fc/user-guide/
// code-development-in-custom-container-runtimes, "Request limits").
const maxEventBytes = (MaxBodyBytes+2)/3*4 + 64<<10

// Runtime API paths and headers, as fc-runtime-go-sdk v0.3.1 uses them
// (fc/runtime_api_client.go, fc/invoke_loop.go convertInvokeRequest).
const (
	runtimeAPIPrefix = "/2020-11-11/runtime/invocation/"
	hdrRequestID     = "x-fc-request-id"
	hdrDeadline      = "x-fc-function-deadline"
	hdrFunctionType  = "x-fc-function-type"
)

// Start runs h as an FC3 HTTP-triggered function and never returns. It
// replaces fc.Start(Wrap(h)) because the SDK's loop reads every event whole
// into memory (fc/runtime_api_client.go next: payload.ReadFrom) and then
// json.Unmarshals it, before any handler could look at its size: a 31 MiB
// body (FC accepts up to 32 MB) cost a 128 MB instance about 215 MB. Here an
// event over maxEventBytes is never buffered: it is drained in small reads
// and answered 413 request_too_large.
func Start(h http.Handler) {
	api := os.Getenv("FC_RUNTIME_API")
	if api == "" {
		log.Fatalf("expected FC environment variable FC_RUNTIME_API is not defined")
	}
	log.Fatal(Serve(context.Background(), api, Wrap(h)))
}

// Serve polls the runtime API at addr (host:port) and handles each
// invocation in its own goroutine, as the SDK does. It returns only when ctx
// ends.
func Serve(ctx context.Context, addr string, h Handler) error {
	c := &runtimeClient{base: "http://" + addr + runtimeAPIPrefix, http: &http.Client{}}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		inv, err := c.next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			log.Printf("failed to get invoke request due to %v", err)
			time.Sleep(100 * time.Millisecond) // runtime API hiccup: do not spin
			continue
		}
		go c.handle(ctx, inv, h)
	}
}

type runtimeClient struct {
	base string
	http *http.Client
}

type invocation struct {
	id       string
	header   http.Header
	event    []byte
	tooLarge bool
}

// next long-polls for the next invocation and reads its event, at most
// maxEventBytes of it.
func (c *runtimeClient) next(ctx context.Context) (*invocation, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"next", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET next: status %d", resp.StatusCode)
	}
	inv := &invocation{id: resp.Header.Get(hdrRequestID), header: resp.Header}
	if resp.ContentLength <= maxEventBytes {
		var buf bytes.Buffer
		if resp.ContentLength > 0 {
			buf.Grow(int(resp.ContentLength))
		}
		n, err := buf.ReadFrom(io.LimitReader(resp.Body, maxEventBytes+1))
		if err != nil {
			return nil, fmt.Errorf("read event: %w", err)
		}
		if n <= maxEventBytes {
			inv.event = buf.Bytes()
			return inv, nil
		}
	}
	// Too large: drain it in small reads (memory stays flat) so the
	// connection can be reused, and answer without decoding it.
	inv.tooLarge = true
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return nil, fmt.Errorf("drain oversized event: %w", err)
	}
	return inv, nil
}

func (c *runtimeClient) handle(ctx context.Context, inv *invocation, h Handler) {
	if t := inv.header.Get(hdrFunctionType); t != "" && t != "0" {
		// A lifecycle call (initializer, pre-stop, pre-freeze): none is
		// registered, which is not an error for FC.
		c.post(inv.id, "response", nil)
		return
	}
	fmt.Printf("FC Invoke Start RequestId: %s\n", inv.id) // the SDK's markers, which FC's log view uses
	resp, err := c.invoke(ctx, inv, h)
	if err != nil {
		b, _ := json.Marshal(struct {
			Message string `json:"errorMessage"`
			Type    string `json:"errorType"`
		}{err.Error(), "HandlerError"})
		fmt.Printf("FC Invoke End RequestId: %s, Error: Unhandled function error\n", inv.id)
		c.post(inv.id, "error", b)
		return
	}
	b, err := json.Marshal(resp)
	if err != nil {
		c.post(inv.id, "error", []byte(`{"errorMessage":"response does not marshal","errorType":"HandlerError"}`))
		return
	}
	fmt.Printf("FC Invoke End RequestId: %s\n", inv.id)
	c.post(inv.id, "response", b)
}

func (c *runtimeClient) invoke(ctx context.Context, inv *invocation, h Handler) (resp *events.HTTPTriggerResponse, err error) {
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	fc := fcContext(inv)
	ctx = fccontext.NewContext(ctx, fc)
	if ms, perr := strconv.ParseInt(inv.header.Get(hdrDeadline), 10, 64); perr == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.UnixMilli(ms))
		defer cancel()
	}
	if inv.tooLarge {
		return tooLargeResponse(httpapi.WithRequestID(ctx, inv.id)), nil
	}
	var ev events.HTTPTriggerEvent
	if err := json.Unmarshal(inv.event, &ev); err != nil {
		return nil, fmt.Errorf("event is not an HTTP trigger event: %w", err)
	}
	return h(ctx, ev)
}

// fcContext is what the SDK puts in fccontext (fc/invoke_loop.go
// convertInvokeRequest), for the fields the functions read.
func fcContext(inv *invocation) *fccontext.FcContext {
	h := inv.header
	timeout, _ := strconv.Atoi(h.Get("x-fc-function-timeout"))
	retry, _ := strconv.Atoi(h.Get("x-fc-retry-count"))
	return &fccontext.FcContext{
		RequestID: inv.id,
		Credentials: fccontext.Credentials{
			AccessKeyId:     h.Get("x-fc-access-key-id"),
			AccessKeySecret: h.Get("x-fc-access-key-secret"),
			SecurityToken:   h.Get("x-fc-security-token"),
		},
		Function: fccontext.Function{
			Name: h.Get("x-fc-function-name"), Handler: h.Get("x-fc-function-handler"),
			Memory: h.Get("x-fc-function-memory"), Timeout: timeout,
		},
		Service: fccontext.Service{
			Name: h.Get("x-fc-service-name"), LogProject: h.Get("x-fc-service-logproject"), LogStore: h.Get("x-fc-service-logstore"),
			Qualifier: h.Get("x-fc-qualifier"), VersionId: h.Get("x-fc-version-id"),
		},
		Region:     h.Get("x-fc-region"),
		AccountId:  h.Get("x-fc-account-id"),
		RetryCount: retry,
	}
}

func (c *runtimeClient) post(id, kind string, body []byte) {
	resp, err := c.http.Post(c.base+id+"/"+kind, "application/json", bytes.NewReader(body))
	if err != nil {
		log.Printf("failed to post the %s of %s: %v", kind, id, err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		log.Printf("posting the %s of %s: status %d", kind, id, resp.StatusCode)
	}
}

// tooLargeResponse is the contract's 413 for a body over MaxBodyBytes.
func tooLargeResponse(ctx context.Context) *events.HTTPTriggerResponse {
	w := newResponseWriter()
	r, _ := http.NewRequestWithContext(ctx, http.MethodPost, "/", nil)
	httpapi.WriteError(w, r, tooLarge())
	return w.response()
}

func tooLarge() *httpapi.Error {
	return httpapi.Errorf(httpapi.CodeRequestTooLarge, "request body must not exceed %d bytes", MaxBodyBytes)
}

// bodyTooLarge reports whether an event body, base64 or not, decodes to
// more than MaxBodyBytes, without decoding it.
func bodyTooLarge(body string, isBase64 bool) bool {
	n := len(body)
	if isBase64 {
		n = base64.StdEncoding.DecodedLen(len(body))
		for i := 1; i <= 2 && i <= len(body) && body[len(body)-i] == '='; i++ {
			n-- // each padding character stands for one byte fewer
		}
	}
	return n > MaxBodyBytes
}
