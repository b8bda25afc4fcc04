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

// assumeUploader asks the STS emulator, through the official STS client,
// for an uploader session of user-42 narrowed to actions (a JSON list body)
// on uploads/user-42/*.
func assumeUploader(t *testing.T, e *env, actions string) alists.Credentials {
	t.Helper()
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
	req.Policy = `{"Version":"1","Statement":[{"Effect":"Allow","Action":[` + actions + `],"Resource":"acs:oss:*:*:` + testBucket + `/uploads/user-42/*"}]}`
	resp, err := client.AssumeRole(req)
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	return resp.Credentials
}

// The whole browser-upload credential flow with official clients only:
// alibaba-cloud-sdk-go services/sts asks the STS emulator for a session
// narrowed to one user's prefix, aliyun-oss-go-sdk uses it (V1 and V4).
func TestSTSClientToOSS(t *testing.T) {
	e := newEnv(t)
	c := assumeUploader(t, e, `"oss:PutObject","oss:GetObject"`)
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

// Setting tags while uploading needs oss:PutObjectTagging as well as
// oss:PutObject, as on OSS: an uploader's session cannot label its own object
// (for instance with the verifier's verdict) by PutObject, multipart or copy.
func TestUploadTagsNeedPutObjectTagging(t *testing.T) {
	e := newEnv(t)
	session := func(actions string) *aoss.Bucket {
		c := assumeUploader(t, e, actions)
		return e.bucket(t, c.AccessKeyId, c.AccessKeySecret, c.SecurityToken)
	}
	tags := aoss.SetTagging(aoss.Tagging{Tags: []aoss.Tag{{Key: "upload-verdict", Value: "verified"}}})
	replace := aoss.SetHeader("x-oss-tagging-directive", "Replace")

	uploader := session(`"oss:PutObject","oss:GetObject"`)
	const src = "uploads/user-42/plain.txt"
	if err := uploader.PutObject(src, strings.NewReader("plain")); err != nil {
		t.Fatalf("PutObject without tags: %v", err)
	}
	wantCode(t, uploader.PutObject("uploads/user-42/tagged.txt", strings.NewReader("x"), tags), "AccessDenied", 403)
	_, err := uploader.InitiateMultipartUpload("uploads/user-42/tagged-mp.bin", tags)
	wantCode(t, err, "AccessDenied", 403)
	_, err = uploader.CopyObject(src, "uploads/user-42/tagged-copy.txt", tags, replace)
	wantCode(t, err, "AccessDenied", 403)
	if _, err := uploader.CopyObject(src, "uploads/user-42/copy.txt"); err != nil {
		t.Fatalf("CopyObject keeping the source's tags: %v", err)
	}
	if _, err := uploader.GetObjectMeta("uploads/user-42/tagged.txt"); err == nil {
		t.Fatal("the refused tagged PutObject stored an object")
	}

	tagger := session(`"oss:PutObject","oss:PutObjectTagging","oss:GetObjectTagging"`)
	if err := tagger.PutObject("uploads/user-42/tagged.txt", strings.NewReader("x"), tags); err != nil {
		t.Fatalf("PutObject with tags and oss:PutObjectTagging: %v", err)
	}
	got, err := tagger.GetObjectTagging("uploads/user-42/tagged.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tags) != 1 || got.Tags[0].Value != "verified" {
		t.Fatalf("tags %+v", got.Tags)
	}
}
