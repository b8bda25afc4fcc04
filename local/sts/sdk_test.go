package sts

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	alists "github.com/aliyun/alibaba-cloud-sdk-go/services/sts"

	"github.com/ossupload/ossupload/local/iam"
)

// Conformance: the unmodified alibaba-cloud-sdk-go sts client against the
// emulator over loopback. The SDK stamps requests with the real clock, so
// the emulator here uses time.Now too.

var (
	uploaderARN = iam.RoleARN("uploader")
	chainARN    = iam.RoleARN("chain")
)

func mustPolicy(t testing.TB, doc string) iam.Policy {
	t.Helper()
	p, err := iam.ParsePolicy([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newStore: "dev" may assume uploader and chain; "stranger" holds
// sts:AssumeRole but no role trusts it; uploader also trusts chain sessions.
func newStore(t testing.TB, now func() time.Time) *iam.Store {
	t.Helper()
	s, err := iam.NewStore("", now)
	if err != nil {
		t.Fatal(err)
	}
	assume := mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"acs:ram::*:role/*"}]}`)
	for _, err := range []error{
		s.AddUser("dev", "LTAI5tDevKey000000000001", "devSecret0000000000000000000001", assume),
		s.AddUser("stranger", "LTAI5tStrangerKey0000001", "strangerSecret00000000000000001", assume),
		s.AddRoot("LTAI5tRootKey00000000001", "rootSecret000000000000000000001"),
		s.AddRole(iam.Role{ARN: uploaderARN, Trust: []string{iam.UserARN("dev"), chainARN},
			Policies: []iam.Policy{mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject","oss:AbortMultipartUpload","oss:ListParts"],"Resource":"acs:oss:*:*:ossupload-dev/uploads/*"}]}`)}}),
		s.AddRole(iam.Role{ARN: chainARN, Trust: []string{iam.UserARN("dev")}, Policies: []iam.Policy{assume}}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func sdkSetup(t *testing.T) (*iam.Store, string) {
	t.Helper()
	store := newStore(t, time.Now)
	srv := httptest.NewServer(New(store, time.Now))
	t.Cleanup(srv.Close)
	return store, strings.TrimPrefix(srv.URL, "http://")
}

func assumeReq(host, arn, session string) *alists.AssumeRoleRequest {
	req := alists.CreateAssumeRoleRequest()
	req.Scheme = "http"
	req.Domain = host
	req.RoleArn = arn
	req.RoleSessionName = session
	return req
}

func devClient(t *testing.T, ak, sk string) *alists.Client {
	t.Helper()
	c, err := alists.NewClientWithAccessKey("cn-hangzhou", ak, sk)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func checkCredentials(t *testing.T, store *iam.Store, resp *alists.AssumeRoleResponse, session string) iam.Principal {
	t.Helper()
	c := resp.Credentials
	if !strings.HasPrefix(c.AccessKeyId, "STS.") || c.AccessKeySecret == "" || !strings.HasPrefix(c.SecurityToken, "CAIS") || resp.RequestId == "" {
		t.Fatalf("response %+v", resp)
	}
	exp, err := time.Parse("2006-01-02T15:04:05Z", c.Expiration)
	if err != nil {
		t.Fatalf("Expiration %q: %v", c.Expiration, err)
	}
	if d := time.Until(exp); d < 55*time.Minute || d > 61*time.Minute { // default DurationSeconds 3600
		t.Fatalf("Expiration %v away", d)
	}
	if resp.AssumedRoleUser.Arn != "acs:ram::"+iam.AccountID+":role/uploader/"+session || !strings.HasSuffix(resp.AssumedRoleUser.AssumedRoleId, ":"+session) {
		t.Fatalf("AssumedRoleUser %+v", resp.AssumedRoleUser)
	}
	p, err := store.Lookup(c.AccessKeyId)
	if err != nil || p.SecurityToken != c.SecurityToken || p.AccessKeySecret != c.AccessKeySecret {
		t.Fatalf("Lookup of minted key: %v", err)
	}
	return p
}

func TestSDKAssumeRole(t *testing.T) {
	store, host := sdkSetup(t)
	resp, err := devClient(t, "LTAI5tDevKey000000000001", "devSecret0000000000000000000001").AssumeRole(assumeReq(host, uploaderARN, "alice"))
	if err != nil {
		t.Fatal(err)
	}
	p := checkCredentials(t, store, resp, "alice")
	if err := store.Authorize(p, "oss:PutObject", "acs:oss:*:"+iam.AccountID+":ossupload-dev/uploads/alice/a.png"); err != nil {
		t.Fatalf("role policy: %v", err)
	}
	if err := store.Authorize(p, "oss:GetObject", "acs:oss:*:"+iam.AccountID+":ossupload-dev/uploads/alice/a.png"); err == nil {
		t.Fatal("role does not grant GetObject")
	}
}

func TestSDKAssumeRoleWithSessionPolicy(t *testing.T) {
	store, host := sdkSetup(t)
	req := assumeReq(host, uploaderARN, "user-42")
	// What shared/stsvend sends: upload-only under the caller's own prefix.
	req.Policy = `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject","oss:AbortMultipartUpload"],"Resource":["acs:oss:*:*:ossupload-dev/uploads/user-42/*"]}]}`
	req.DurationSeconds = requests.NewInteger(3600)
	resp, err := devClient(t, "LTAI5tDevKey000000000001", "devSecret0000000000000000000001").AssumeRole(req)
	if err != nil {
		t.Fatal(err)
	}
	p := checkCredentials(t, store, resp, "user-42")
	own := "acs:oss:*:" + iam.AccountID + ":ossupload-dev/uploads/user-42/a.png"
	other := "acs:oss:*:" + iam.AccountID + ":ossupload-dev/uploads/user-43/a.png"
	if err := store.Authorize(p, "oss:PutObject", own); err != nil {
		t.Fatalf("own prefix: %v", err)
	}
	if err := store.Authorize(p, "oss:PutObject", other); err == nil {
		t.Fatal("session policy not applied: other user's prefix allowed")
	}
	if err := store.Authorize(p, "oss:ListParts", own); err == nil {
		t.Fatal("session policy not applied: ListParts is role-only")
	}
}

func TestSDKCallerWithSTSCredentials(t *testing.T) {
	store, host := sdkSetup(t)
	hop, err := devClient(t, "LTAI5tDevKey000000000001", "devSecret0000000000000000000001").AssumeRole(assumeReq(host, chainARN, "hop"))
	if err != nil {
		t.Fatal(err)
	}
	c := hop.Credentials
	client, err := alists.NewClientWithStsToken("cn-hangzhou", c.AccessKeyId, c.AccessKeySecret, c.SecurityToken)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.AssumeRole(assumeReq(host, uploaderARN, "alice"))
	if err != nil {
		t.Fatalf("chained AssumeRole: %v", err)
	}
	checkCredentials(t, store, resp, "alice")

	// The same STS key with a token that belongs to another session.
	other, err := devClient(t, "LTAI5tDevKey000000000001", "devSecret0000000000000000000001").AssumeRole(assumeReq(host, chainARN, "hop2"))
	if err != nil {
		t.Fatal(err)
	}
	bad, err := alists.NewClientWithStsToken("cn-hangzhou", c.AccessKeyId, c.AccessKeySecret, other.Credentials.SecurityToken)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.AssumeRole(assumeReq(host, uploaderARN, "alice"))
	wantServerError(t, err, 400, "InvalidSecurityToken.MismatchWithAccessKey", "")
	// STS key sent without its token: the SDK's plain AccessKey client.
	_, err = devClient(t, c.AccessKeyId, c.AccessKeySecret).AssumeRole(assumeReq(host, uploaderARN, "alice"))
	wantServerError(t, err, 400, "MissingSecurityToken", "SecurityToken is mandatory for this action.")
}

func wantServerError(t *testing.T, err error, status int, code, message string) *sdkerrors.ServerError {
	t.Helper()
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("err = %T %v, want *errors.ServerError", err, err)
	}
	if se.HttpStatus() != status || se.ErrorCode() != code || (message != "" && !strings.HasPrefix(se.Message(), message)) {
		t.Fatalf("got %d %s %q, want %d %s %q", se.HttpStatus(), se.ErrorCode(), se.Message(), status, code, message)
	}
	if se.RequestId() == "" {
		t.Fatal("error without RequestId")
	}
	return se
}

func TestSDKErrors(t *testing.T) {
	_, host := sdkSetup(t)
	dev := func() *alists.Client {
		return devClient(t, "LTAI5tDevKey000000000001", "devSecret0000000000000000000001")
	}
	pad := strings.Repeat("a", 1024)
	for _, c := range []struct {
		name    string
		client  *alists.Client
		mutate  func(*alists.AssumeRoleRequest)
		status  int
		code    string
		message string
	}{
		{"unknown AccessKeyId", devClient(t, "LTAI5tNobody000000000001", "x"), nil, 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."},
		{"untrusted caller", devClient(t, "LTAI5tStrangerKey0000001", "strangerSecret00000000000000001"), nil, 403, "NoPermission",
			"You are not authorized to do this action. You should be authorized by RAM."},
		{"root AccessKey", devClient(t, "LTAI5tRootKey00000000001", "rootSecret000000000000000000001"), nil, 403, "NoPermission", "Roles may not be assumed by root accounts."},
		{"bad session name", dev(), func(r *alists.AssumeRoleRequest) { r.RoleSessionName = "alice smith" }, 400, "InvalidParameter.RoleSessionName", "The parameter RoleSessionName is wrongly formed."},
		{"session name too short", dev(), func(r *alists.AssumeRoleRequest) { r.RoleSessionName = "a" }, 400, "InvalidParameter.RoleSessionName", ""},
		{"duration below 900", dev(), func(r *alists.AssumeRoleRequest) { r.DurationSeconds = requests.NewInteger(899) }, 400, "InvalidParameter.DurationSeconds",
			"The Min/Max value of DurationSeconds is 15min/1hr."},
		{"duration above role max", dev(), func(r *alists.AssumeRoleRequest) { r.DurationSeconds = requests.NewInteger(3601) }, 400, "InvalidParameter.DurationSeconds", ""},
		{"policy grammar", dev(), func(r *alists.AssumeRoleRequest) {
			r.Policy = `{"Version":"1","Statement":[{"Effect":"Permit","Action":"oss:PutObject","Resource":"*"}]}`
		}, 400, "InvalidParameter.PolicyGrammar", "The parameter Policy has not passed grammar check"},
		{"policy not json", dev(), func(r *alists.AssumeRoleRequest) { r.Policy = `{"Version":"1"` }, 400, "InvalidParameter.PolicyGrammar", ""},
		{"policy too large", dev(), func(r *alists.AssumeRoleRequest) {
			r.Policy = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:PutObject","Resource":"acs:oss:*:*:b/` + pad + `"}]}`
		}, 400, "InvalidParameter.PolicySize", ""},
		{"unknown role", dev(), func(r *alists.AssumeRoleRequest) { r.RoleArn = iam.RoleARN("ghost") }, 404, "EntityNotExist.Role", ""},
		{"malformed role ARN", dev(), func(r *alists.AssumeRoleRequest) { r.RoleArn = "uploader" }, 400, "InvalidParameter.RoleArn", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := assumeReq(host, uploaderARN, "alice")
			if c.mutate != nil {
				c.mutate(req)
			}
			_, err := c.client.AssumeRole(req)
			wantServerError(t, err, c.status, c.code, c.message)
		})
	}
}

// A wrong secret: the emulator answers SignatureDoesNotMatch with its string
// to sign; the SDK finds it equal to its own and recommends
// "InvalidAccessKeySecret" (reference §5.2), keeping the code.
func TestSDKBadSecret(t *testing.T) {
	_, host := sdkSetup(t)
	_, err := devClient(t, "LTAI5tDevKey000000000001", "wrongSecret").AssumeRole(assumeReq(host, uploaderARN, "alice"))
	se := wantServerError(t, err, 400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3DLTAI5tDevKey000000000001%26")
	if !strings.HasPrefix(se.Recommend(), "InvalidAccessKeySecret") {
		t.Fatalf("Recommend = %q: the SDK's string to sign differs from ours", se.Recommend())
	}
	if strings.Contains(se.Error(), "devSecret") {
		t.Fatal("secret leaked into the error")
	}
}
