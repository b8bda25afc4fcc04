package httpapi

import "net/http"

// Code is a stable, machine-readable error code (the "code" of the JSON
// error body) together with its HTTP status. The set is closed: its fields
// are unexported, so every code a function can answer with is declared
// below, once, and a call site names a code, never a status. The names are
// a contract with clients: never rename one.
type Code struct {
	name   string
	status int
}

// String is the code as it appears on the wire.
func (c Code) String() string { return c.name }

// Status is the HTTP status the code is answered with; 0 for the zero
// Code, which WriteError answers as 500 internal.
func (c Code) Status() int { return c.status }

// The codes, by status.
var (
	CodeInvalidRequest  = Code{"invalid_request", http.StatusBadRequest}
	CodeInvalidFilename = Code{"invalid_filename", http.StatusBadRequest}
	CodeTypeNotAllowed  = Code{"type_not_allowed", http.StatusBadRequest}
	// CodeTooSmall: the declared size is below the route's minimum.
	CodeTooSmall = Code{"too_small", http.StatusBadRequest}

	CodeUnauthorized = Code{"unauthorized", http.StatusUnauthorized}

	CodeForbidden = Code{"forbidden", http.StatusForbidden}
	// CodeUploadDenied: the app's upload hook refused the upload.
	CodeUploadDenied = Code{"upload_denied", http.StatusForbidden}

	CodeNotFound = Code{"not_found", http.StatusNotFound}

	CodeMethodNotAllowed = Code{"method_not_allowed", http.StatusMethodNotAllowed}

	// CodeIncomplete: a multipart upload holds fewer bytes than declared.
	CodeIncomplete = Code{"incomplete", http.StatusConflict}

	// CodeRequestTooLarge is about the request body, CodeTooLarge about
	// the upload.
	CodeRequestTooLarge = Code{"request_too_large", http.StatusRequestEntityTooLarge}
	CodeTooLarge        = Code{"too_large", http.StatusRequestEntityTooLarge}

	CodeUnsupportedMediaType = Code{"unsupported_media_type", http.StatusUnsupportedMediaType}

	CodeInternal = Code{"internal", http.StatusInternalServerError}

	CodeUnavailable = Code{"unavailable", http.StatusServiceUnavailable}
	// CodeHookUnavailable: the app's upload hook did not answer.
	CodeHookUnavailable = Code{"hook_unavailable", http.StatusServiceUnavailable}
)

// allCodes lists every declared code, for tests.
var allCodes = []Code{
	CodeInvalidRequest, CodeInvalidFilename, CodeTypeNotAllowed, CodeTooSmall,
	CodeUnauthorized,
	CodeForbidden, CodeUploadDenied,
	CodeNotFound,
	CodeMethodNotAllowed,
	CodeIncomplete,
	CodeRequestTooLarge, CodeTooLarge,
	CodeUnsupportedMediaType,
	CodeInternal,
	CodeUnavailable, CodeHookUnavailable,
}
