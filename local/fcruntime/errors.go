package fcruntime

import (
	"errors"
	"fmt"
)

// Error types of an InvocationError. FC reports every function-side
// failure of a built-in runtime as UnhandledInvocationError (the Go SDK
// itself logs "Unhandled function error" for a returned error and for a
// panic alike); Timeout is this runtime's own name for a deadline overrun,
// which FC also surfaces as UnhandledInvocationError on its front door.
const (
	TypeUnhandled = "UnhandledInvocationError"
	TypeTimeout   = "Timeout"
)

// Errors of the runtime itself (not of the function). Check with errors.Is.
var (
	ErrFunctionNotFound = errors.New("fcruntime: function not found")
	ErrClosed           = errors.New("fcruntime: runtime closed")
	ErrThrottled        = errors.New("fcruntime: too many queued invocations")
)

// StackFrame is one frame of a panic's stack trace as the Go SDK posts it.
type StackFrame struct {
	Path  string `json:"path"`
	Line  int32  `json:"line"`
	Label string `json:"label"`
}

// InvocationError is a failure of the function: an error it returned, a
// panic, a timeout or a crash of its process.
type InvocationError struct {
	Type       string       // TypeUnhandled or TypeTimeout
	Message    string       // errorMessage
	ErrorType  string       // errorType posted by the function (Go type name, "string" for panic("..."))
	StackTrace []StackFrame // set for panics
	RequestID  string
}

func (e *InvocationError) Error() string {
	if e.ErrorType != "" {
		return fmt.Sprintf("%s: %s: %s", e.Type, e.ErrorType, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Type, e.Message)
}

// Panicked reports whether the function panicked (the SDK sends a stack
// trace only then).
func (e *InvocationError) Panicked() bool { return len(e.StackTrace) > 0 }

// errorBody is the error JSON FC returns with X-Fc-Error-Type.
type errorBody struct {
	ErrorMessage string       `json:"errorMessage"`
	ErrorType    string       `json:"errorType,omitempty"`
	StackTrace   []StackFrame `json:"stackTrace,omitempty"`
}

func (e *InvocationError) body() errorBody {
	t := e.ErrorType
	if t == "" && e.Type == TypeTimeout {
		t = "FunctionTimeout"
	}
	return errorBody{ErrorMessage: e.Message, ErrorType: t, StackTrace: e.StackTrace}
}
