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
  LogProject: {Type: String, Default: ''}
Conditions:
  DefaultLogProject:
    Fn::Equals: [{Ref: LogProject}, '']
  CustomLogProject:
    Fn::Not: [{'Fn::Equals': [{Ref: LogProject}, '']}]
Resources:
  Logs:
    Type: ALIYUN::SLS::Project
    Properties:
      Name:
        Fn::If: [DefaultLogProject, {'Fn::Sub': '${NamePrefix}-logs-${ALIYUN::TenantId}'}, {Ref: LogProject}]
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
                Resource: [{'Fn::Sub': 'acs:ram::${ALIYUN::TenantId}:role/${NamePrefix}-uploader'}]
              - Effect: Allow
                Action: [log:PostLogStoreLogs]
                Resource:
                  - {'Fn::Sub': 'acs:log:${ALIYUN::Region}:${ALIYUN::TenantId}:project/${Logs.Name}/logstore/x'}
                  - {'Fn::If': [CustomLogProject, custom, default]}
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
                Resource: [{'Fn::Sub': 'acs:oss:*:${ALIYUN::TenantId}:${BucketName}/${UploadPrefix}*'}]
  Bucket:
    Type: ALIYUN::OSS::Bucket
    Properties: {BucketName: {Ref: BucketName}}
`

// The executor (ALIYUN::AccountId) and the owner (ALIYUN::TenantId) differ,
// as when a RAM user creates the stack: ARNs name the owner.
var pseudo = map[string]string{"ALIYUN::AccountId": "7", "ALIYUN::TenantId": "42", "ALIYUN::Region": "cn-x"}

func params(kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range pseudo {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestRolesResolveIntrinsics(t *testing.T) {
	roles, err := Roles([]byte(doc), params("BucketName", "b"))
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

func TestConditionsAndResourceAttributes(t *testing.T) {
	for _, tc := range []struct{ logProject, name, branch string }{
		{"", "app-logs-42", "default"},
		{"mine", "mine", "custom"},
	} {
		roles, err := Roles([]byte(doc), params("BucketName", "b", "LogProject", tc.logProject))
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Statement []struct{ Resource []string }
		}
		if err := json.Unmarshal(roles[0].Policies[0], &p); err != nil {
			t.Fatal(err)
		}
		want := []string{"acs:log:cn-x:42:project/" + tc.name + "/logstore/x", tc.branch}
		if got := p.Statement[1].Resource; !reflect.DeepEqual(got, want) {
			t.Errorf("LogProject %q: resources %v, want %v", tc.logProject, got, want)
		}
	}
}

func TestMissingParameterIsAnError(t *testing.T) {
	_, err := Roles([]byte(doc), params())
	if err == nil || !strings.Contains(err.Error(), "BucketName") {
		t.Fatalf("err = %v, want one naming BucketName", err)
	}
}
