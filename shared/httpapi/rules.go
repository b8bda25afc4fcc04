package httpapi

import (
	"errors"

	"github.com/ossupload/ossupload/shared/uploadrules"
)

// FromRule maps an *uploadrules.Error (and the route errors of
// uploadroutes, which use it) to its wire code, once for sign and sts.
// uploadrules does not depend on the HTTP edge (verify uses it too), so its
// codes are plain strings of the same names; any other error, or a code
// outside the set, is returned as it is (an internal error at the edge).
func FromRule(err error) error {
	if err == nil {
		return nil // before errors.As: its target escapes (BenchmarkSign)
	}
	var re *uploadrules.Error
	if !errors.As(err, &re) {
		return err
	}
	code, ok := ruleCodes[re.Code]
	if !ok {
		return err
	}
	return Errorf(code, "%s", re.Message)
}

var ruleCodes = map[string]Code{
	uploadrules.CodeInvalidRequest:  CodeInvalidRequest,
	uploadrules.CodeInvalidFilename: CodeInvalidFilename,
	uploadrules.CodeTooLarge:        CodeTooLarge,
	uploadrules.CodeTooSmall:        CodeTooSmall,
	uploadrules.CodeTypeNotAllowed:  CodeTypeNotAllowed,
	uploadrules.CodeForbidden:       CodeForbidden,
}
