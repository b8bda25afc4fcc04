package oss_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	alists "github.com/aliyun/alibaba-cloud-sdk-go/services/sts"
	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/local/iam"
	"github.com/ossupload/ossupload/local/sts"
)

// The whole browser-upload credential flow with official clients only:
// alibaba-cloud-sdk-go services/sts asks the STS emulator for a session
// narrowed to one user's prefix, aliyun-oss-go-sdk uses it (V1 and V4).
func TestSTSClientToOSS(t *testing.T) {
	e := newEnv(t)
	stsSrv := httptest.NewServer(sts.New(e.ids, e.clock.Now))
	t.Cleanup(stsSrv.Close)

	client, err := alists.NewClientWithAccessKey("cn-hangzhou", devAK, devSecret)
	if err != nil {
		t.Fatal(err)
	}
	req := alists.CreateAssumeRoleRequest()
	req.Scheme = "http"
	req.Domain = strings.TrimPrefix(stsSrv.URL, "http://")
	req.RoleArn = iam.RoleARN("uploader")
	req.RoleSessionName = "user-42"
	req.Policy = `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject","oss:GetObject"],"Resource":"acs:oss:*:*:` + testBucket + `/uploads/user-42/*"}]}`
	resp, err := client.AssumeRole(req)
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	c := resp.Credentials
	if !strings.HasPrefix(c.AccessKeyId, "STS.") {
		t.Fatalf("AccessKeyId %q", c.AccessKeyId)
	}
	for _, sg := range signings {
		t.Run(sg.name, func(t *testing.T) {
			b := e.bucket(t, c.AccessKeyId, c.AccessKeySecret, c.SecurityToken, sg.opts...)
			key := "uploads/user-42/" + sg.name + ".txt"
			if err := b.PutObject(key, strings.NewReader("from sts")); err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			rc, err := b.GetObject(key)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if string(got) != "from sts" {
				t.Fatalf("got %q", got)
			}
			wantCode(t, b.PutObject("uploads/user-43/x.txt", strings.NewReader("x")), "AccessDenied", 403)
			_, err = b.ListObjects(aoss.Prefix("uploads/"))
			wantCode(t, err, "AccessDenied", 403)
		})
	}
}
