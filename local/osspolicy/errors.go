// Package osspolicy checks PostObject policy documents the way OSS does:
// strict JSON parsing with OSS's grammar errors, evaluation of every
// condition against the submitted form, and the V1/V4 form signatures.
//
// It is pure: no clock, no I/O. The OSS emulator (local/oss) reads the
// multipart form, then calls Evaluate and VerifyV1/VerifyV4 and maps the
// returned *Error onto the wire.
//
// Facts follow the OSS/STS protocol reference §1 (PostObject; Alibaba Cloud
// OSS PostObject API reference, ali-oss and aliyun-oss-go-sdk behaviour).
package osspolicy

import "net/http"

// Error is a PostObject failure with the status, code and message OSS
// answers with. EC is OSS's error-center code when the reference names one.
// Condition is the offending condition as echoed in the message (set for
// failed conditions only).
type Error struct {
	Status    int
	Code      string
	Message   string
	EC        string
	Condition string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Codes used by this package.
const (
	CodeInvalidPolicyDocument = "InvalidPolicyDocument"
	CodeAccessDenied          = "AccessDenied"
	CodeEntityTooSmall        = "EntityTooSmall"
	CodeEntityTooLarge        = "EntityTooLarge"
	CodeInvalidArgument       = "InvalidArgument"
	CodeRequestTimeTooSkewed  = "RequestTimeTooSkewed"
)

// Error-center codes from the reference (§1.3, §1.4).
const (
	ECMissingExpiration   = "0006-00000208"
	ECMissingBoth         = "0006-00000209"
	ECExpirationNotString = "0006-00000210"
	ECExpirationEmpty     = "0006-00000211"
	ECPolicyExpired       = "0006-00000213"
	ECContentLengthRange  = "0006-00000219" // bounds not integers / malformed
	ECContentLengthMinMax = "0006-00000221" // max < min
	ECConditionType       = "0006-00000222" // a condition that is neither object nor array
	ECInListNotArray      = "0006-00000224"
	ECConditionFailed     = "0006-00000227"
	// ECConditionFieldAbsent: a condition names a field the form lacks
	// (https://help.aliyun.com/en/oss/user-guide/0006-00000226).
	ECConditionFieldAbsent = "0006-00000226"
	ECCredentialTerminal   = "0002-00000710"
	ECCredentialDateFormat = "0002-00000223"
)

func invalidPolicy(ec, msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidPolicyDocument, Message: "Invalid Policy: " + msg, EC: ec}
}
