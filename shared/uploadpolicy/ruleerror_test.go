package uploadpolicy

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ossupload/ossupload/shared/httpapi"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// Every uploadrules code reaches the wire as the httpapi code of the same
// name, wrapped or not.
func TestRuleErrorMapsEveryCode(t *testing.T) {
	for _, code := range []string{uploadrules.CodeInvalidRequest, uploadrules.CodeInvalidFilename,
		uploadrules.CodeTooLarge, uploadrules.CodeTooSmall, uploadrules.CodeTypeNotAllowed} {
		err := ruleError(fmt.Errorf("ctx: %w", &uploadrules.Error{Code: code, Message: "m"}))
		var he *httpapi.Error
		if !errors.As(err, &he) || he.Code.String() != code || he.Message != "m" {
			t.Errorf("%s: ruleError = %#v", code, err)
		}
	}
}
