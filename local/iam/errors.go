package iam

import "net/http"

// Error is the typed error of this package: an HTTP status, a stable
// Alibaba Cloud style code and a message safe to show to the caller.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is reports whether target is an *Error with the same Code, so the
// sentinels below work with errors.Is.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Error codes (the STS/RAM wire codes where one exists).
const (
	CodeAccessKeyNotFound = "InvalidAccessKeyId.NotFound"
	CodeTokenExpired      = "InvalidSecurityToken.Expired"
	CodePolicyGrammar     = "InvalidParameter.PolicyGrammar"
	CodePolicySize        = "InvalidParameter.PolicySize"
	CodeRoleArn           = "InvalidParameter.RoleArn"
	CodeRoleSessionName   = "InvalidParameter.RoleSessionName"
	CodeDurationSeconds   = "InvalidParameter.DurationSeconds"
	CodeRoleNotExist      = "EntityNotExist.Role"
	CodeNoPermission      = "NoPermission"
	CodeAccessDenied      = "AccessDenied"
	CodeInternal          = "InternalError"
)

// Sentinels for errors.Is.
var (
	// ErrNotFound: no user, root key or session has this AccessKeyId.
	ErrNotFound = &Error{Status: http.StatusNotFound, Code: CodeAccessKeyNotFound, Message: "Specified access key is not found."}
	// ErrExpired: the STS session of this AccessKeyId has expired.
	ErrExpired = &Error{Status: http.StatusBadRequest, Code: CodeTokenExpired, Message: "Specified SecurityToken is expired."}
	// ErrAccessDenied: policy evaluation did not allow the request.
	ErrAccessDenied = &Error{Status: http.StatusForbidden, Code: CodeAccessDenied, Message: "You are not authorized to do this action. You should be authorized by RAM."}
)

func grammarError(detail string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodePolicyGrammar,
		Message: "The parameter Policy has not passed grammar check: " + detail + "."}
}
