package fcruntime

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// apiPrefix is where fc-runtime-go-sdk v0.3.1 looks for the runtime API
// (fc/runtime_api_client.go: "http://" + FC_RUNTIME_API + "/2020-11-11/runtime/invocation/").
const apiPrefix = "/2020-11-11/runtime/invocation/"

// maxResultBytes bounds a posted result: FC's synchronous response limit is 32 MB.
const maxResultBytes = 32 << 20

func (p *process) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiPrefix+"next", p.next)
	mux.HandleFunc("POST "+apiPrefix+"{id}/response", p.result(false))
	mux.HandleFunc("POST "+apiPrefix+"{id}/error", p.result(true))
	return mux
}

// next is the long poll: it blocks until the dispatcher hands this
// process an invocation, then answers with the event and the headers the
// SDK turns into the fccontext (fc/invoke_loop.go convertInvokeRequest).
func (p *process) next(w http.ResponseWriter, r *http.Request) {
	var v *invocation
	select {
	case v = <-p.handoff:
	case <-r.Context().Done():
		return
	case <-p.exited:
		http.Error(w, "instance stopping", http.StatusServiceUnavailable)
		return
	}
	// A closing runtime does not answer: as on FC, the idle process just
	// receives SIGTERM with its poll still open (an answer would only make
	// the SDK log a failed poll), and the listener closes after it exits.
	p.mu.Lock()
	p.inflight = v
	p.mu.Unlock()

	f := p.in.fn
	deadline := p.in.rt.cfg.Now().Add(f.Timeout)
	h := w.Header()
	set := func(k, v string) { h[k] = []string{v} } // lower-case names, as FC sends them
	set("x-fc-request-id", v.id)
	set("x-fc-function-deadline", strconv.FormatInt(deadline.UnixMilli(), 10))
	set("x-fc-function-timeout", strconv.Itoa(f.timeoutSeconds()))
	set("x-fc-function-name", f.Name)
	set("x-fc-function-handler", f.Handler)
	set("x-fc-function-memory", strconv.Itoa(f.MemoryMB))
	set("x-fc-region", f.Region)
	set("x-fc-account-id", f.AccountID)
	set("x-fc-qualifier", "LATEST")
	set("x-fc-retry-count", strconv.Itoa(v.retry))
	if f.Credentials != nil {
		set("x-fc-access-key-id", v.creds.AccessKeyID)
		set("x-fc-access-key-secret", v.creds.AccessKeySecret)
		set("x-fc-security-token", v.creds.SecurityToken)
	}
	set("Content-Type", "application/octet-stream")
	set("Content-Length", strconv.Itoa(len(v.event)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(v.event)
}

// result takes the outcome the SDK posts for the in-flight invocation.
func (p *process) result(failed bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxResultBytes))
		if err != nil {
			http.Error(w, "result too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		p.mu.Lock()
		v := p.inflight
		if v != nil && v.id == id {
			p.inflight = nil
		} else {
			v = nil
		}
		p.mu.Unlock()
		if v == nil {
			// Late (after a timeout) or unknown: FC ignores it too.
			http.Error(w, "no such invocation in flight", http.StatusNotFound)
			return
		}
		if !failed {
			v.finish(body, nil)
		} else {
			v.finish(nil, decodeFunctionError(v.id, body))
		}
		w.WriteHeader(http.StatusOK)
	}
}

// decodeFunctionError reads the SDK's error JSON
// {"errorMessage","errorType","stackTrace"} (fc/messages/messages.go).
func decodeFunctionError(id string, body []byte) *InvocationError {
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		return &InvocationError{Type: TypeUnhandled, RequestID: id, ErrorType: "InvalidErrorPayload",
			Message: "function posted an error that is not JSON"}
	}
	return &InvocationError{Type: TypeUnhandled, RequestID: id, Message: eb.ErrorMessage,
		ErrorType: eb.ErrorType, StackTrace: eb.StackTrace}
}
