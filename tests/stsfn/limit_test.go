package stsfn

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ossupload/ossupload/local/fcruntime"
	"github.com/ossupload/ossupload/local/stacktest"
)

// TestBinaryRefusesHugeBodyInSmallMemory: a 31 MiB body (under FC's 32 MB
// HTTP trigger limit) sent through the local FC runtime's HTTP trigger to
// the real sts binary, with and without a token, is answered 413
// request_too_large, no AssumeRole is made, and the process's peak resident
// memory stays under 64 MiB; a normal request then still vends.
func TestBinaryRefusesHugeBodyInSmallMemory(t *testing.T) {
	bin := stacktest.Build(t, "functions/sts", stacktest.Host)
	s := newStack(t)
	creds := fcruntime.Credentials{AccessKeyID: s.fnCreds.AccessKeyID, AccessKeySecret: s.fnCreds.AccessKeySecret,
		SecurityToken: s.fnCreds.SecurityToken}
	rt, _ := stacktest.Function(t, fcruntime.Config{}, fcruntime.Function{
		Name: "sts", Binary: bin, Timeout: 10 * time.Second, MemoryMB: 128,
		Credentials: func(ctx context.Context) (fcruntime.Credentials, error) { return creds, nil },
		Env: map[string]string{
			"OSS_BUCKET": bucket, "OSS_REGION": region, "OSS_UPLOAD_URL": s.ossURL + "/" + bucket,
			"STS_ROLE_ARN": uploaderRoleARN, "STS_ENDPOINT": s.stsURL,
			"AUTH_JWT_SECRET": jwtSecret, "CORS_ALLOWED_ORIGINS": testOrigin,
		},
	})
	trigger := stacktest.HTTPTrigger(t, rt, "sts")
	post := func(body []byte, tok string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, trigger+"/", bytes.NewReader(body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, b := stacktest.Do(t, req)
		return resp.StatusCode, string(b)
	}
	huge := bytes.Repeat([]byte("{}"), (31<<20)/2)
	for _, tok := range []string{jwtFor(t, "erin"), ""} {
		if status, body := post(huge, tok); status != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"request_too_large"`) {
			t.Fatalf("authenticated=%v: %d %.300s", tok != "", status, body)
		}
	}
	if n := s.assumeCalls.Load(); n != 0 {
		t.Errorf("%d AssumeRole calls for refused requests", n)
	}
	hwm := stacktest.PeakRSS(t, rt.PID("sts"))
	t.Logf("sts process peak RSS after two 31 MiB bodies: %.1f MiB", float64(hwm)/(1<<20))
	if hwm >= 64<<20 {
		t.Errorf("peak RSS %d bytes, want under 64 MiB", hwm)
	}
	if status, body := post(nil, jwtFor(t, "erin")); status != http.StatusOK {
		t.Errorf("normal request afterwards: %d %.300s", status, body)
	}
}
