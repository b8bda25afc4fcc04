package osspolicy_test

import (
	"encoding/base64"
	"fmt"
	"time"

	"github.com/ossupload/ossupload/local/osspolicy"
)

func ExampleEvaluate() {
	policy := base64.StdEncoding.EncodeToString([]byte(
		`{"expiration":"2023-12-03T13:00:00.000Z","conditions":[["starts-with","$key","user/eric/"]]}`))
	now := time.Date(2023, 12, 3, 12, 0, 0, 0, time.UTC)

	err := osspolicy.Evaluate(policy, osspolicy.Form{Fields: map[string]string{"key": "user/bob/a.jpg"}}, "examplebucket", now)
	fmt.Println(err.(*osspolicy.Error).Status, err)
	// Output:
	// 403 AccessDenied: Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/eric/"]
}
