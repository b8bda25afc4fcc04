package uploadrules

// Error codes; each is a stable wire code that the HTTP edge maps to a status.
const (
	CodeInvalidRequest  = "invalid_request"
	CodeInvalidFilename = "invalid_filename"
	CodeTooLarge        = "too_large"
	CodeTooSmall        = "too_small"
	CodeTypeNotAllowed  = "type_not_allowed"
	// CodeForbidden: the request is understood but not allowed (a route
	// that does not allow the upload path).
	CodeForbidden = "forbidden"
)

// Error is a rule violation: a stable code and a message safe to show the
// caller.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is makes errors.Is(err, ErrTooLarge) (and the other sentinels) match any
// *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	ErrInvalidRequest  = &Error{Code: CodeInvalidRequest}
	ErrInvalidFilename = &Error{Code: CodeInvalidFilename}
	ErrTooLarge        = &Error{Code: CodeTooLarge}
	ErrTooSmall        = &Error{Code: CodeTooSmall}
	ErrTypeNotAllowed  = &Error{Code: CodeTypeNotAllowed}
)

func newError(code, msg string) *Error { return &Error{Code: code, Message: msg} }
