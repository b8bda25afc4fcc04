package rostemplate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const doc = `
ROSTemplateFormatVersion: '2015-09-01'
Parameters:
  NamePrefix: {Type: String, Default: app}
  BucketName: {Type: String}
  UploadPrefix: {Type: String, Default: uploads/}
Resources:
  StsRole:
    Type: ALIYUN::RAM::Role
    Properties:
      RoleName: {'Fn::Sub': '${NamePrefix}-sts'}
      AssumeRolePolicyDocument:
        Version: '1'
        Statement:
          - {Effect: Allow, Action: sts:AssumeRole, Principal: {Service: [fc.aliyuncs.com]}}
      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: '1'
            Statement:
              - Effect: Allow
                Action: [sts:AssumeRole]
                Resource: [{'Fn::Sub': 'acs:ram::${ALIYUN::AccountId}:role/${NamePrefix}-uploader'}]
  UploaderRole:
    Type: ALIYUN::RAM::Role
    Properties:
      RoleName: {'Fn::Sub': '${NamePrefix}-uploader'}
      MaxSessionDuration: 3600
      AssumeRolePolicyDocument:
        Version: '1'
        Statement:
          - {Effect: Allow, Action: sts:AssumeRole, Principal: {RAM: [{'Fn::GetAtt': [StsRole, Arn]}]}}
      Policies:
        - PolicyName: up
          PolicyDocument:
            Version: '1'
            Statement:
              - Effect: Allow
                Action: [oss:PutObject]
                Resource: [{'Fn::Sub': 'acs:oss:*:${ALIYUN::AccountId}:${BucketName}/${UploadPrefix}*'}]
  Bucket:
    Type: ALIYUN::OSS::Bucket
    Properties: {BucketName: {Ref: BucketName}}
`

func TestRolesResolveIntrinsics(t *testing.T) {
	roles, err := Roles([]byte(doc), map[string]string{"BucketName": "b", "ALIYUN::AccountId": "42"})
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) != 2 {
		t.Fatalf("got %d roles, want 2", len(roles))
	}
	sts, up := roles[0], roles[1]
	if sts.Name != "app-sts" || !reflect.DeepEqual(sts.TrustServices, []string{"fc.aliyuncs.com"}) {
		t.Errorf("sts role = %+v", sts)
	}
	if up.Name != "app-uploader" || up.MaxSessionDuration != 3600 ||
		!reflect.DeepEqual(up.TrustRAM, []string{"acs:ram::42:role/app-sts"}) {
		t.Errorf("uploader role = %+v", up)
	}
	var p struct {
		Statement []struct{ Resource []string }
	}
	if err := json.Unmarshal(up.Policies[0], &p); err != nil {
		t.Fatal(err)
	}
	if got := p.Statement[0].Resource[0]; got != "acs:oss:*:42:b/uploads/*" {
		t.Errorf("resource = %q", got)
	}
}

func TestMissingParameterIsAnError(t *testing.T) {
	_, err := Roles([]byte(doc), map[string]string{"ALIYUN::AccountId": "42"})
	if err == nil || !strings.Contains(err.Error(), "BucketName") {
		t.Fatalf("err = %v, want one naming BucketName", err)
	}
}
