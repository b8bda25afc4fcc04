// Package stsfn tests the sts function end to end on the local emulators:
// local/iam + local/sts + local/oss on loopback, the stsvend handler over
// HTTP signing AssumeRole with its own role's STS credentials, and the
// vended credentials used by the unmodified official clients (the Go OSS
// SDK here, ali-oss in Node in node_test.go).
package stsfn

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/ossupload/ossupload/local/rostemplate"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/local/iam"
	"github.com/ossupload/ossupload/local/oss"
	"github.com/ossupload/ossupload/local/stacktest"
	"github.com/ossupload/ossupload/local/sts"
	"github.com/ossupload/ossupload/shared/auth"
	"github.com/ossupload/ossupload/shared/credentials"
	"github.com/ossupload/ossupload/shared/stsvend"
)

const (
	bucket     = "ossupload-dev"
	region     = "cn-hangzhou"
	jwtSecret  = "e2e-jwt-secret-0123456789abcdef-0123456"
	devAK      = "LTAI5tE2EDevKey000000001"
	devSecret  = "e2eDevSecret00000000000000000001"
	testOrigin = "http://127.0.0.1:8080"
)

var (
	fnRoleARN       = iam.RoleARN("sts-function")
	uploaderRoleARN = iam.RoleARN("uploader")
)

// stack is the emulators plus the sts function's handler, all on loopback.
type stack struct {
	ids          *iam.Store
	ossURL       string
	stsURL       string
	fnURL        string
	assumeCalls  atomic.Int64 // AssumeRole requests that reached the STS emulator
	fnRequests   atomic.Int64 // requests that reached the sts function
	handler      http.Handler
	fnCreds      iam.Principal
	developerOSS *aoss.Bucket // the RAM user "dev", allowed everything on the bucket
	// verifyEvents receives every event payload that the verify function's
	// OSS trigger (as s.yaml configures it) delivers.
	verifyEvents chan []byte
}

// newStack: the RAM user "dev" may assume the role "sts-function" (the
// function's execution role), whose only permission is sts:AssumeRole on
// "uploader"; "uploader" trusts "sts-function" and may read, write, list
// and delete the whole uploads/ tree, so anything narrower a vended session
// shows comes from the function's session policy.
func newStack(t testing.TB) *stack {
	t.Helper()
	ids, err := iam.NewStore("", time.Now) // the SDKs stamp requests with the real clock
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{ids: ids}
	for _, err := range []error{
		ids.AddUser("dev", devAK, devSecret, stacktest.MustPolicy(t, `{"Version":"1","Statement":[
			{"Effect":"Allow","Action":"oss:*","Resource":["acs:oss:*:*:`+bucket+`","acs:oss:*:*:`+bucket+`/*"]},
			{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+fnRoleARN+`"}]}`)),
		ids.AddRole(iam.Role{ARN: fnRoleARN, Trust: []string{iam.UserARN("dev")}, Policies: []iam.Policy{stacktest.MustPolicy(t,
			`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+uploaderRoleARN+`"}]}`)}}),
		ids.AddRole(iam.Role{ARN: uploaderRoleARN, Trust: []string{fnRoleARN}, Policies: []iam.Policy{stacktest.MustPolicy(t, `{"Version":"1","Statement":[
			{"Effect":"Allow","Action":["oss:PutObject","oss:GetObject","oss:DeleteObject","oss:AbortMultipartUpload","oss:ListParts"],"Resource":"acs:oss:*:*:`+bucket+`/uploads/*"},
			{"Effect":"Allow","Action":"oss:ListObjects","Resource":"acs:oss:*:*:`+bucket+`"}]}`)}}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	dev, err := ids.Lookup(devAK)
	if err != nil {
		t.Fatal(err)
	}
	// The function runs with STS credentials of its own role, as FC gives them.
	if s.fnCreds, err = ids.AssumeRole(dev, fnRoleARN, "fc-sts-function", nil, time.Hour); err != nil {
		t.Fatal(err)
	}

	stsSrv := httptest.NewServer(countAssumeRole(&s.assumeCalls, sts.New(ids, time.Now)))
	t.Cleanup(stsSrv.Close)
	s.stsURL = stsSrv.URL

	s.verifyEvents = make(chan []byte, 256)
	events := verifyTrigger(t, s.verifyEvents)
	var ossSrv *oss.Server
	ossSrv, s.ossURL = stacktest.OSS(t, stacktest.Emulator{Region: region, IAM: ids, Events: events, Bucket: bucket, CORS: stacktest.BrowserCORS})
	// The bucket as template.yaml creates it.
	if err := ossSrv.SetBlockPublicAccess(bucket, true); err != nil {
		t.Fatal(err)
	}
	overwrite, err := rostemplate.LoadOverwriteRules("../../template.yaml", map[string]string{"BucketName": bucket, "UploadPrefix": "uploads/"})
	if err != nil || len(overwrite[bucket]) == 0 {
		t.Fatalf("template.yaml's overwrite rules: %v %v", overwrite, err)
	}
	var rules []oss.OverwriteRule
	for _, r := range overwrite[bucket] {
		rules = append(rules, oss.OverwriteRule{ID: r.ID, Action: r.Action, Prefix: r.Prefix, Suffix: r.Suffix, Principals: r.Principals})
	}
	if err := ossSrv.SetOverwriteConfig(bucket, rules); err != nil {
		t.Fatal(err)
	}

	s.handler = s.newHandler(t, nil)
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fnRequests.Add(1)
		s.handler.ServeHTTP(w, r)
	}))
	t.Cleanup(fn.Close)
	s.fnURL = fn.URL + "/"

	c, err := aoss.New(s.ossURL, devAK, devSecret)
	if err != nil {
		t.Fatal(err)
	}
	if s.developerOSS, err = c.Bucket(bucket); err != nil {
		t.Fatal(err)
	}
	return s
}

// newHandler builds the sts function's handler on the stack, with env
// overrides.
func (s *stack) newHandler(t testing.TB, overrides map[string]string) http.Handler {
	t.Helper()
	env := map[string]string{
		"OSS_BUCKET":           bucket,
		"OSS_REGION":           region,
		"OSS_UPLOAD_URL":       s.ossURL + "/" + bucket, // path style, as the local stack sets it
		"STS_ROLE_ARN":         uploaderRoleARN,
		"STS_ENDPOINT":         s.stsURL,
		"AUTH_JWT_SECRET":      jwtSecret,
		"CORS_ALLOWED_ORIGINS": testOrigin,
	}
	for k, v := range overrides {
		env[k] = v
	}
	cfg := stsvend.FromEnv(func(k string) string { return env[k] })
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	authn, err := auth.New(context.Background(), cfg.AuthConfig())
	if err != nil {
		t.Fatal(err)
	}
	fnCreds := credentials.Chain{Explicit: credentials.Credentials{AccessKeyID: s.fnCreds.AccessKeyID,
		AccessKeySecret: s.fnCreds.AccessKeySecret, SecurityToken: s.fnCreds.SecurityToken}}
	h, err := stsvend.New(cfg, stsvend.Deps{Auth: authn, STS: stsvend.NewSDK(fnCreds, region, cfg.STSEndpoint),
		Now: time.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// countAssumeRole counts the AssumeRole calls reaching the STS emulator.
func countAssumeRole(n *atomic.Int64, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("Action") == "AssumeRole" || r.Header.Get("x-acs-action") == "AssumeRole" {
			n.Add(1)
		}
		h.ServeHTTP(w, r)
	})
}

func jwtFor(t testing.TB, user string) string {
	t.Helper()
	tok, err := auth.IssueHS256([]byte(jwtSecret), user, "", "", time.Now().Add(-time.Minute), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// vend calls the sts function over HTTP as a browser would.
func (s *stack) vend(t testing.TB, user string) stsvend.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.fnURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+jwtFor(t, user))
	req.Header.Set("Origin", testOrigin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out stsvend.Response
	dec := json.NewDecoder(resp.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("sts function: %d %v", resp.StatusCode, err)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	return out
}

// ossCode is the OSS error code and status of err (errors.As on the SDK's
// ServiceError, value or pointer).
func ossCode(err error) (string, int) {
	var se aoss.ServiceError
	if errors.As(err, &se) {
		return se.Code, se.StatusCode
	}
	var sp *aoss.ServiceError
	if errors.As(err, &sp) {
		return sp.Code, sp.StatusCode
	}
	return "", 0
}

func wantDenied(t *testing.T, what string, err error) {
	t.Helper()
	if code, status := ossCode(err); code != "AccessDenied" || status != 403 {
		t.Errorf("%s: %v (code %q, status %d), want AccessDenied 403", what, err, code, status)
	}
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*131) ^ seed ^ byte(i>>9)
	}
	return b
}
