package oss_test

import (
	"bytes"
	"testing"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// TestServerSideEncryptionRights: a write asking for SSE-KMS needs KMS
// rights on top of oss:PutObject (PutObject's permission table), so a
// session scoped to OSS actions is refused before anything is stored; an
// unknown algorithm is 400 InvalidEncryptionAlgorithmError; AES256 and SM4
// need nothing more.
func TestServerSideEncryptionRights(t *testing.T) {
	e := newEnv(t)
	p := e.assume(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":"acs:oss:*:*:`+testBucket+`/uploads/*"}]}`, 0)
	up := e.bucket(t, p.AccessKeyID, p.AccessKeySecret, p.SecurityToken)
	withKMS := e.assume(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":"acs:oss:*:*:`+testBucket+`/uploads/*"},
		{"Effect":"Allow","Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"*"}]}`, 0)
	kmsUp := e.bucket(t, withKMS.AccessKeyID, withKMS.AccessKeySecret, withKMS.SecurityToken)
	root := e.bucket(t, rootAK, rootSecret, "")
	cases := []struct {
		name   string
		b      *aoss.Bucket
		key    string
		opts   []aoss.Option
		code   string // "" = stored
		status int
	}{
		{"KMS without KMS rights", up, "uploads/kms.bin", []aoss.Option{aoss.ServerSideEncryption("KMS")}, "AccessDenied", 403},
		{"KMS with a key id, without KMS rights", up, "uploads/kms-id.bin", []aoss.Option{aoss.ServerSideEncryption("KMS"), aoss.ServerSideEncryptionKeyID("key-1")}, "AccessDenied", 403},
		{"KMS rights in the session policy only (the role has none)", kmsUp, "uploads/kms-sp.bin", []aoss.Option{aoss.ServerSideEncryption("KMS")}, "AccessDenied", 403},
		{"KMS as the account", root, "uploads/kms-root.bin", []aoss.Option{aoss.ServerSideEncryption("KMS")}, "", 0},
		{"unknown algorithm", up, "uploads/rot13.bin", []aoss.Option{aoss.ServerSideEncryption("ROT13")}, "InvalidEncryptionAlgorithmError", 400},
		{"lower-case aes256", up, "uploads/lower.bin", []aoss.Option{aoss.ServerSideEncryption("aes256")}, "InvalidEncryptionAlgorithmError", 400},
		{"AES256", up, "uploads/aes.bin", []aoss.Option{aoss.ServerSideEncryption("AES256")}, "", 0},
		{"SM4", up, "uploads/sm4.bin", []aoss.Option{aoss.ServerSideEncryption("SM4")}, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.b.PutObject(c.key, bytes.NewReader([]byte("x")), c.opts...)
			if c.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantCode(t, err, c.code, c.status)
			if ok, err := root.IsObjectExist(c.key); err != nil || ok {
				t.Errorf("refused write stored %s: %v %v", c.key, ok, err)
			}
		})
	}
	// Multipart and append take the header too.
	if _, err := up.InitiateMultipartUpload("uploads/mp.bin", aoss.ServerSideEncryption("KMS")); err == nil {
		t.Error("InitiateMultipartUpload with KMS accepted without KMS rights")
	}
	if _, err := up.AppendObject("uploads/ap.bin", bytes.NewReader([]byte("x")), 0, aoss.ServerSideEncryption("KMS")); err == nil {
		t.Error("AppendObject with KMS accepted without KMS rights")
	}
}
