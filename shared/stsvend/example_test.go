package stsvend_test

import (
	"fmt"

	"github.com/ossupload/ossupload/shared/stsvend"
)

func Example() {
	dir := "uploads/alice/"
	policy, _ := stsvend.SessionPolicy("ossupload-dev", dir)
	fmt.Println(policy)
	fmt.Println(stsvend.SessionName("alice"))
	fmt.Println(stsvend.SessionName("a"))
	opts, _ := stsvend.ClientOptionsFor("http://127.0.0.1:9000/ossupload-dev", "ossupload-dev", "cn-hangzhou")
	fmt.Printf("%+v\n", opts)
	// Output:
	// {"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject","oss:AbortMultipartUpload","oss:ListParts"],"Resource":["acs:oss:*:*:ossupload-dev/uploads/alice/*"]}]}
	// alice
	// a.ca978112ca1bbdcafac231b39a23dc
	// {Endpoint:http://127.0.0.1:9000 Secure:false SldEnable:true Cname:false}
}
