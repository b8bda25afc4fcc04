package stsvend

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ossupload/ossupload/shared/credentials"
)

type staticCreds credentials.Credentials

func (s staticCreds) Resolve(context.Context) (credentials.Credentials, error) {
	if s.AccessKeyID == "" {
		return credentials.Credentials{}, credentials.ErrNotFound
	}
	return credentials.Credentials(s), nil
}

// fakeSTSServer answers like STS (OSS/STS protocol reference §5.2): the
// behaviour is chosen by RoleSessionName.
func fakeSTSServer(t *testing.T) (*httptest.Server, *[]http.Request) {
	var mu sync.Mutex
	var seen []http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, *r.Clone(context.Background()))
		mu.Unlock()
		q := r.URL.Query()
		w.Header().Set("Content-Type", "application/json")
		errBody := func(status int, code, msg string) {
			w.WriteHeader(status)
			w.Write([]byte(`{"RequestId":"R1","HostId":"sts.aliyuncs.com","Code":"` + code + `","Message":"` + msg + `"}`))
		}
		switch q.Get("RoleSessionName") {
		case "ok":
			w.Write([]byte(`{"RequestId":"R0","AssumedRoleUser":{"Arn":"acs:ram::1:role/uploader/ok","AssumedRoleId":"1:ok"},` +
				`"Credentials":{"AccessKeyId":"STS.abc","AccessKeySecret":"sec","SecurityToken":"tok","Expiration":"2026-11-24T00:14:30Z"}}`))
		case "throttle":
			errBody(400, "Throttling.User", "Request was denied due to user flow control.")
		case "flowcontrol":
			errBody(400, "Throttling", "Request was denied due to user flow control.")
		case "internal":
			errBody(500, "InternalError", "The request processing has failed due to some unknown error.")
		case "signature":
			errBody(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3DLTAIleak")
		case "nopermission":
			errBody(403, "NoPermission", "You are not authorized to do this action. You should be authorized by RAM.")
		case "garbage":
			w.Write([]byte(`{"Credentials":{}}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func TestSDKAssumeRole(t *testing.T) {
	srv, seen := fakeSTSServer(t)
	sdk := NewSDK(staticCreds{AccessKeyID: "STS.fn", AccessKeySecret: "fnsecret", SecurityToken: "fntoken"}, testRegion, srv.URL)
	got, err := sdk.AssumeRole(context.Background(), AssumeRoleInput{RoleARN: testRoleARN, SessionName: "ok", Policy: `{"Version":"1"}`, Duration: 900 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	want := Temporary{AccessKeyID: "STS.abc", AccessKeySecret: "sec", SecurityToken: "tok", Expiration: time.Date(2026, 11, 24, 0, 14, 30, 0, time.UTC)}
	if got != want {
		t.Fatalf("got %v want %v", got, want)
	}
	q := (*seen)[0].URL.Query()
	for k, v := range map[string]string{"Action": "AssumeRole", "AccessKeyId": "STS.fn", "SecurityToken": "fntoken",
		"RoleArn": testRoleARN, "RoleSessionName": "ok", "DurationSeconds": "900", "Policy": `{"Version":"1"}`} {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	// Long-term keys: no SecurityToken parameter.
	sdk.Credentials = staticCreds{AccessKeyID: "LTAIfn", AccessKeySecret: "fnsecret"}
	if _, err := sdk.AssumeRole(context.Background(), AssumeRoleInput{RoleARN: testRoleARN, SessionName: "ok", Duration: 900 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if _, ok := (*seen)[1].URL.Query()["SecurityToken"]; ok {
		t.Error("SecurityToken sent with long-term keys")
	}
	// No function credentials.
	sdk.Credentials = staticCreds{}
	if _, err := sdk.AssumeRole(context.Background(), AssumeRoleInput{SessionName: "ok"}); !errors.Is(err, credentials.ErrNotFound) {
		t.Fatalf("no credentials: %v", err)
	}
}

func TestSDKErrorsAreClassifiedWithoutUpstreamText(t *testing.T) {
	srv, _ := fakeSTSServer(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	// A listener that accepts and never answers: a timeout.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	for _, tc := range []struct {
		session, endpoint string
		kind              error
		code              string
	}{
		{"throttle", srv.URL, ErrThrottled, "Throttling.User"},
		{"flowcontrol", srv.URL, ErrThrottled, "Throttling"},
		{"internal", srv.URL, ErrUnavailable, "InternalError"},
		{"signature", srv.URL, ErrRejected, "SignatureDoesNotMatch"},
		{"nopermission", srv.URL, ErrRejected, "NoPermission"},
		{"garbage", srv.URL, ErrRejected, "MalformedResponse"},
		{"ok", closed.URL, ErrUnavailable, "Transport"},
		{"ok", "http://" + ln.Addr().String(), ErrUnavailable, "Timeout"},
	} {
		t.Run(tc.session+" "+tc.code, func(t *testing.T) {
			sdk := NewSDK(staticCreds{AccessKeyID: "LTAIfn", AccessKeySecret: "fnsecret"}, testRegion, tc.endpoint)
			sdk.Timeout = 300 * time.Millisecond
			_, err := sdk.AssumeRole(context.Background(), AssumeRoleInput{RoleARN: testRoleARN, SessionName: tc.session, Duration: 900 * time.Second})
			var se *STSError
			if !errors.As(err, &se) || !errors.Is(err, tc.kind) || se.Code != tc.code {
				t.Fatalf("got %v, want kind %v code %s", err, tc.kind, tc.code)
			}
			for _, s := range []string{"LTAIleak", "string to sign", "fnsecret", "flow control", "127.0.0.1"} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error text %q contains %q", err, s)
				}
			}
		})
	}
}

func TestSTSEndpoint(t *testing.T) {
	for _, tc := range []struct{ in, scheme, host string }{
		{"", "https", "sts.cn-hangzhou.aliyuncs.com"},
		{"http://127.0.0.1:9001", "http", "127.0.0.1:9001"},
		{"http://127.0.0.1:9001/", "http", "127.0.0.1:9001"},
		{"sts-vpc.cn-hangzhou.aliyuncs.com", "https", "sts-vpc.cn-hangzhou.aliyuncs.com"},
		{"https://sts.cn-shanghai.aliyuncs.com", "https", "sts.cn-shanghai.aliyuncs.com"},
	} {
		s, h, err := STSEndpoint(tc.in, testRegion)
		if err != nil || s != tc.scheme || h != tc.host {
			t.Errorf("%q: %s %s %v", tc.in, s, h, err)
		}
	}
	for _, bad := range []string{"ftp://x", "http://x/path", "http://x?q=1", "http://"} {
		if _, _, err := STSEndpoint(bad, testRegion); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
