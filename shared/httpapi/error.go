// Package httpapi holds the HTTP edge shared by the functions: the closed
// set of error codes with their statuses, the one place where errors are
// mapped to the wire, strict JSON decoding, JSON responses, request ids and
// the JSON slog logger.
package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/ossupload/ossupload/shared/logging"
)

// Error is an error meant for the client: Code is one of the declared codes,
// which carries the HTTP status, and Message a human sentence that is safe
// to show.
type Error struct {
	Code    Code
	Message string
}

// Status is the HTTP status of e's code.
func (e *Error) Status() int { return e.Code.Status() }

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("%s (%d): %s", e.Code, e.Status(), e.Message) }

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// errorBody is the wire shape {"error":{"code":"...","message":"..."}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// internalMessage is all a client learns about an unexpected failure.
const internalMessage = "internal error; quote the request id when reporting it"

// WriteError writes err as the JSON error body. An *Error anywhere in the
// chain (errors.As) is sent as is, with its code's status; anything else
// (including an *Error whose code is not declared) becomes 500 "internal" with
// a generic message while the real error is logged with the request id. A 503
// without a Retry-After header gets "Retry-After: 1". The response carries
// Cache-Control: no-store and, when known, X-Request-Id.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	var e *Error
	status := 0
	if errors.As(err, &e) && e != nil {
		status = e.Status()
	}
	if status < 400 || status > 599 {
		Logger(ctx).ErrorContext(ctx, "request failed", logging.RequestID(RequestID(ctx)),
			"method", r.Method, "path", r.URL.Path, "error", errString(err))
		e, status = &Error{Code: CodeInternal, Message: internalMessage}, http.StatusInternalServerError
	} else if status >= 500 {
		Logger(ctx).WarnContext(ctx, "request failed", logging.RequestID(RequestID(ctx)),
			"method", r.Method, "path", r.URL.Path, "code", e.Code.String(), "error", errString(err))
	}
	if status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Cache-Control", "no-store")
	if id := RequestID(ctx); id != "" && w.Header().Get("X-Request-Id") == "" {
		w.Header().Set("X-Request-Id", id)
	}
	WriteJSON(w, status, errorBody{Error: errorDetail{Code: e.Code.String(), Message: e.Message}})
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
