package httpapi_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ossupload/ossupload/shared/httpapi"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// Every uploadrules code reaches the wire as the httpapi code of the same
// name, wrapped or not.
func TestFromRuleMapsEveryCode(t *testing.T) {
	for _, code := range []string{uploadrules.CodeInvalidRequest, uploadrules.CodeInvalidFilename,
		uploadrules.CodeTooLarge, uploadrules.CodeTooSmall, uploadrules.CodeTypeNotAllowed, uploadrules.CodeForbidden} {
		err := httpapi.FromRule(fmt.Errorf("ctx: %w", &uploadrules.Error{Code: code, Message: "m"}))
		var he *httpapi.Error
		if !errors.As(err, &he) || he.Code.String() != code || he.Message != "m" {
			t.Errorf("%s: FromRule = %#v", code, err)
		}
	}
	// A code outside the set stays the error it was (an internal error).
	odd := &uploadrules.Error{Code: "odd", Message: "m"}
	if err := httpapi.FromRule(odd); err != odd {
		t.Errorf("unknown code mapped to %#v", err)
	}
	if httpapi.FromRule(nil) != nil {
		t.Error("FromRule(nil) is not nil")
	}
}
