package iam_test

import (
	"fmt"

	"github.com/ossupload/ossupload/local/iam"
)

// A session may do what both the role and its session policy allow.
func ExampleEvaluate() {
	role, _ := iam.ParsePolicy([]byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"acs:oss:*:*:bkt/uploads/*"}]}`))
	session, _ := iam.ParsePolicy([]byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:PutObject","Resource":"acs:oss:*:*:bkt/uploads/user-42/*"}]}`))
	groups := [][]iam.Policy{{role}, {session}}
	fmt.Println(iam.Evaluate(groups, "oss:PutObject", "acs:oss:*:1234567890123456:bkt/uploads/user-42/a.png", nil))
	fmt.Println(iam.Evaluate(groups, "oss:GetObject", "acs:oss:*:1234567890123456:bkt/uploads/user-42/a.png", nil))
	fmt.Println(iam.Evaluate(groups, "oss:PutObject", "acs:oss:*:1234567890123456:bkt/uploads/user-43/a.png", nil))
	// Output:
	// Allowed
	// ImplicitDeny
	// ImplicitDeny
}
