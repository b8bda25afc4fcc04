package e2e

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// An upload-only session cannot replace its own verified upload: the local
// stack's bucket carries template.yaml's overwrite protection rule, so a
// second PutObject and a multipart upload completing onto the same key are
// refused with 409 FileAlreadyExists, and the verified bytes and their
// verdict stay.
func TestVerifiedUploadCannotBeOverwritten(t *testing.T) {
	s := startStack(t, "")
	var creds struct {
		AccessKeyID     string `json:"accessKeyId"`
		AccessKeySecret string `json:"accessKeySecret"`
		STSToken        string `json:"stsToken"`
		Bucket          string `json:"bucket"`
		Dir             string `json:"dir"`
	}
	if code := callJSON(t, "POST", s.Functions["sts"], s.JWT, map[string]any{}, &creds); code != http.StatusOK {
		t.Fatalf("sts: HTTP %d", code)
	}
	up := ossBucket(t, s.OSS, s.Region, creds.Bucket, creds.AccessKeyID, creds.AccessKeySecret, oss.SecurityToken(creds.STSToken))
	dev := ossBucket(t, s.OSS, s.Region, s.Bucket, s.AccessKeyID, s.AccessKeySecret)

	original := realPNG(t)
	key := creds.Dir + "keep/photo.png"
	if err := up.PutObject(key, bytes.NewReader(original), oss.ContentType("image/png")); err != nil {
		t.Fatal(err)
	}
	if status, reason := waitVerdict(t, s, key); status != "verified" {
		t.Fatalf("verdict %s (%s), want verified", status, reason)
	}

	hostile := []byte("<html><script>alert(1)</script>")
	wantFileExists(t, "PutObject", up.PutObject(key, bytes.NewReader(hostile), oss.ContentType("image/png"), oss.ForbidOverWrite(false)))
	imur, err := up.InitiateMultipartUpload(key, oss.ContentType("image/png"))
	if err != nil {
		t.Fatalf("InitiateMultipartUpload: %v", err)
	}
	part, err := up.UploadPart(imur, bytes.NewReader(hostile), int64(len(hostile)), 1)
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	_, err = up.CompleteMultipartUpload(imur, []oss.UploadPart{part})
	wantFileExists(t, "CompleteMultipartUpload", err)

	rc, err := dev.GetObject(key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, original) {
		t.Fatalf("the verified object now holds %q", got)
	}
	tags, err := dev.GetObjectTagging(key)
	if err != nil {
		t.Fatal(err)
	}
	verdict := ""
	for _, tag := range tags.Tags {
		if tag.Key == "upload-status" {
			verdict = tag.Value
		}
	}
	if verdict != "verified" {
		t.Fatalf("tags after the refused writes: %+v", tags.Tags)
	}
	if status, reason := waitVerdict(t, s, key); status != "verified" {
		t.Fatalf("/status after the refused writes: %s (%s)", status, reason)
	}

	// The rule the stack set is template.yaml's, under the functions' prefix.
	resp, err := dev.Do(http.MethodGet, "", map[string]interface{}{"overwriteConfig": nil}, nil, nil, nil)
	if err != nil {
		t.Fatalf("GetBucketOverwriteConfig: %v", err)
	}
	defer resp.Body.Close()
	var cfg struct {
		Rules []struct{ Action, Prefix, Suffix string } `xml:"Rule"`
	}
	if err := xml.NewDecoder(resp.Body).Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	prefix := strings.SplitAfter(creds.Dir, "/")[0]
	if len(cfg.Rules) != 1 || cfg.Rules[0].Action != "forbid" || cfg.Rules[0].Prefix != prefix || cfg.Rules[0].Suffix != "" {
		t.Fatalf("overwrite rules %+v, want forbid under %q", cfg.Rules, prefix)
	}
}

// ossBucket is a V4 Go SDK client of the local stack's OSS.
func ossBucket(t *testing.T, endpoint, region, bucket, ak, secret string, opts ...oss.ClientOption) *oss.Bucket {
	t.Helper()
	opts = append(opts, oss.AuthVersion(oss.AuthV4), oss.Region(region))
	c, err := oss.New(endpoint, ak, secret, opts...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Bucket(bucket)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func wantFileExists(t *testing.T, what string, err error) {
	t.Helper()
	var se oss.ServiceError
	if !errors.As(err, &se) || se.StatusCode != http.StatusConflict || se.Code != "FileAlreadyExists" {
		t.Fatalf("%s over a verified upload: %v, want 409 FileAlreadyExists", what, err)
	}
}
