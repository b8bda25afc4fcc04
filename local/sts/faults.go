package sts

import (
	"bytes"
	"fmt"
	"github.com/ossupload/ossupload/local/faultset"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Fault injection: make the STS emulator misbehave on purpose, so tests
// (and people trying the stack) can see what the sts function and ali-oss
// do when STS throttles, fails or hangs.
//
//	var f sts.Faults
//	h := f.Wrap(sts.New(store, nil))    // the one-line hook
//	f.Add(sts.Fault{Action: sts.FaultThrottle})
//	f.Clear()
//
// Over HTTP, on the wrapped emulator, the same as JSON:
//
//	curl -X POST localhost:9001/_emulator/faults -d '{"action":"throttle","session":"*alice*","times":3}'
//	curl localhost:9001/_emulator/faults          # list
//	curl -X DELETE localhost:9001/_emulator/faults # clear

// Fault actions.
const (
	// FaultThrottle answers as Alibaba Cloud's API gateway does when a
	// caller exceeds an API's rate (AssumeRole: 100 per second per account,
	// https://alibabacloud.com/en/notice/upgradenotification_of_request_limit_upgrade_of_sts_assumerole_api_175):
	// HTTP 400, Code Throttling.User, "Request was denied due to user flow
	// control." (https://help.aliyun.com/knowledge_detail/446611.html gives
	// "ErrorCode=Throttling.User HttpCode=400"; the body shape and message
	// as in https://help.aliyun.com/document_detail/149360.htm).
	FaultThrottle = "throttle"
	// FaultError answers 503 ServiceUnavailable (the default) or 500
	// InternalError with the server error texts of Alibaba Cloud's common
	// error codes (https://www.alibabacloud.com/help/doc-detail/25964.htm).
	FaultError = "error"
	// FaultSlow waits Delay (or until the client gives up), then serves
	// the request normally.
	FaultSlow = "slow"
	// FaultDrop closes the connection without an answer.
	FaultDrop = "drop"
)

// Fault is one injected failure.
type Fault struct {
	// Op is the RPC Action ("AssumeRole"); "" or "*" matches all.
	Op string `json:"op,omitempty"`
	// Session is a path.Match pattern on RoleSessionName; "" matches all.
	Session string `json:"session,omitempty"`
	Action  string `json:"action,omitempty"` // FaultThrottle (default), FaultError, FaultSlow or FaultDrop
	// Status is 503 (default) or 500, for FaultError.
	Status int `json:"status,omitempty"`
	// Delay is the wait of FaultSlow (default one minute); JSON: "30s".
	Delay time.Duration `json:"-"`
	// Times is how many matching requests the fault hits before it
	// retires itself; 0 means until Clear.
	Times int `json:"times,omitempty"`
}

// Faults is a set of injected failures; the zero value is empty and ready.
type Faults struct {
	set faultset.Set[Fault]
}

// Selector implements faultset.Fault: a fault matches on the RPC Action
// and a pattern on RoleSessionName.
func (ft Fault) Selector() (op, pattern string, times int) { return ft.Op, ft.Session, ft.Times }

// Add arms a fault. It returns an error for an unknown action or status.
func (f *Faults) Add(ft Fault) error {
	switch ft.Action {
	case "":
		ft.Action = FaultThrottle
	case FaultThrottle, FaultError, FaultSlow, FaultDrop:
	default:
		return fmt.Errorf("unknown fault action %q (want throttle, error, slow or drop)", ft.Action)
	}
	if err := faultset.Fill(ft.Action == FaultError, &ft.Status, ft.Action == FaultSlow, &ft.Delay, "session", ft.Session); err != nil {
		return err
	}
	f.set.Add(ft)
	return nil
}

// Clear removes every fault.
func (f *Faults) Clear() { f.set.Clear() }

// Hits is how many requests faults have hit so far.
func (f *Faults) Hits() int { return f.set.Hits() }

const adminPath = "/_emulator/faults"

// Wrap returns h with the faults applied in front of it, and the admin
// endpoint at /_emulator/faults.
func (f *Faults) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == adminPath {
			f.admin(w, r)
			return
		}
		if !f.set.Armed() {
			h.ServeHTTP(w, r)
			return
		}
		params := requestParams(r)
		ft, ok := f.set.Match(params.Get("Action"), params.Get("RoleSessionName"))
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		switch ft.Action {
		case FaultSlow:
			t := time.NewTimer(ft.Delay)
			defer t.Stop()
			select {
			case <-t.C:
				h.ServeHTTP(w, r)
			case <-r.Context().Done():
			}
			return
		case FaultDrop:
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		e := fail(http.StatusBadRequest, "Throttling.User", "Request was denied due to user flow control.")
		switch {
		case ft.Action == FaultError && ft.Status == http.StatusInternalServerError:
			e = fail(http.StatusInternalServerError, "InternalError", "The request processing has failed due to some unknown error, exception or failure.")
		case ft.Action == FaultError:
			e = fail(http.StatusServiceUnavailable, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
		}
		id := newRequestID()
		xmlOut := strings.EqualFold(params.Get("Format"), "XML")
		(&handler{}).write(w, e.status, xmlOut, id, &errorResponse{RequestId: id, HostId: r.Host, Code: e.code, Message: e.message})
	})
}

// requestParams reads the query and a form body without consuming it: the
// body is put back for the handler.
func requestParams(r *http.Request) url.Values {
	params := url.Values{}
	for k, vs := range r.URL.Query() {
		params[k] = vs
	}
	if r.Body == nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return params
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), r.Body))
	if err != nil {
		return params
	}
	if form, err := url.ParseQuery(string(b)); err == nil {
		for k, vs := range form {
			params[k] = append(params[k], vs...)
		}
	}
	return params
}

func (f *Faults) admin(w http.ResponseWriter, r *http.Request) {
	faultset.Admin(w, r, &f.set, f.Add, func(ft *Fault) *time.Duration { return &ft.Delay })
}
