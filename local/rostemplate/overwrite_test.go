package rostemplate

import (
	"reflect"
	"strings"
	"testing"
)

const overwriteDoc = `
Parameters:
  BucketName: {Type: String}
  UploadPrefix: {Type: String, Default: uploads/}
Resources:
  Bucket:
    Type: ALIYUN::OSS::Bucket
    Properties: {BucketName: {Ref: BucketName}}
  Protect:
    Type: ALIYUN::OSS::BucketOverwriteConfig
    Properties:
      Bucket: {Ref: BucketName}
      Rule:
        - Id: uploads
          Action: forbid
          Prefix: {Ref: UploadPrefix}
        - Action: forbid
          Suffix: .json
          Principals:
            Principal: ['arn:sts::1:assumed-role/r/*', '2']
  Other:
    Type: ALIYUN::OSS::BucketOverwriteConfig
    Properties:
      Bucket: {'Fn::Sub': '${BucketName}-logs'}
      Rule: [{Action: forbid}]
`

func TestOverwriteRules(t *testing.T) {
	got, err := OverwriteRules([]byte(overwriteDoc), map[string]string{"BucketName": "b", "UploadPrefix": "files/"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]OverwriteRule{
		"b": {
			{ID: "uploads", Action: "forbid", Prefix: "files/"},
			{Action: "forbid", Suffix: ".json", Principals: []string{"arn:sts::1:assumed-role/r/*", "2"}},
		},
		"b-logs": {{Action: "forbid"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	// The parameter default applies when none is given.
	got, err = OverwriteRules([]byte(overwriteDoc), map[string]string{"BucketName": "b"})
	if err != nil || got["b"][0].Prefix != "uploads/" {
		t.Fatalf("default prefix: %+v %v", got, err)
	}
}

func TestOverwriteRulesErrors(t *testing.T) {
	_, err := OverwriteRules([]byte(overwriteDoc), nil)
	if err == nil || !strings.Contains(err.Error(), "Ref BucketName") {
		t.Fatalf("unresolved bucket: %v", err)
	}
	doc := strings.Replace(overwriteDoc, "Bucket: {Ref: BucketName}\n      Rule:", "Bucket: [a]\n      Rule:", 1)
	if _, err := OverwriteRules([]byte(doc), map[string]string{"BucketName": "b"}); err == nil || !strings.Contains(err.Error(), "Protect: Bucket is not a string") {
		t.Fatalf("list bucket: %v", err)
	}
}
