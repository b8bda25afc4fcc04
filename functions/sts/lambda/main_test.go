package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	fcevents "github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-lambda-go/lambdaurl"
	"github.com/golang-jwt/jwt/v5"

	stsapp "github.com/ossupload/ossupload/functions/sts/app"
	"github.com/ossupload/ossupload/shared/fchttp"
	"github.com/ossupload/ossupload/shared/lambdahttp"
	"github.com/ossupload/ossupload/shared/stsvend"
)

const jwtSecret = "lambda-variant-test-secret-0123456789abcdef"

var (
	fixedNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	testEnv  = map[string]string{
		"OSS_BUCKET":           "ossupload-dev",
		"OSS_REGION":           "cn-hangzhou",
		"UPLOAD_PREFIX":        "uploads/",
		"AUTH_JWT_SECRET":      jwtSecret,
		"CORS_ALLOWED_ORIGINS": "https://app.example.com",
		"STS_ROLE_ARN":         "acs:ram::1234567890123456:role/ossupload-uploader",
		"LOG_LEVEL":            "error",
	}
)

// fakeSTS answers AssumeRole with fixed credentials and records the input.
type fakeSTS struct{ got []stsvend.AssumeRoleInput }

func (f *fakeSTS) AssumeRole(_ context.Context, in stsvend.AssumeRoleInput) (stsvend.Temporary, error) {
	f.got = append(f.got, in)
	return stsvend.Temporary{
		AccessKeyID:     "STS.NUgYrLnoC37mZZCNnAbez2xXZ",
		AccessKeySecret: "fake-secret-for-the-adapter-test",
		SecurityToken:   "CAIS-fake-security-token",
		Expiration:      fixedNow.Add(15 * time.Minute),
	}, nil
}

func newTestHandler(t *testing.T, sts stsvend.AssumeRoler) http.Handler {
	t.Helper()
	h, _, err := stsapp.Setup(func(k string) string { return testEnv[k] }, stsapp.Options{Now: func() time.Time { return fixedNow }, STS: sts, Log: io.Discard})
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	return h
}

func token(t *testing.T, sub string) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": sub, "iat": fixedNow.Unix(), "exp": fixedNow.Add(time.Hour).Unix(),
	}).SignedString([]byte(jwtSecret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fixture(t *testing.T, name, tok string, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(bytes.ReplaceAll(b, []byte("${TOKEN}"), []byte(tok)), v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestLambdaAnswersLikeFC: the same request as a Function URL event and as
// an FC HTTP trigger event gets the same status, body and headers.
func TestLambdaAnswersLikeFC(t *testing.T) {
	for _, tc := range []struct {
		name       string
		token      string
		wantStatus int
		wantInBody string
	}{
		{"credentials", token(t, "alice"), http.StatusOK, `"dir":"uploads/alice/"`},
		{"bad token", "not-a-jwt", http.StatusUnauthorized, `"code":"unauthorized"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fcEv fcevents.HTTPTriggerEvent
			fixture(t, "fc-http-request.json", tc.token, &fcEv)
			var lEv events.LambdaFunctionURLRequest
			fixture(t, "function-url-request.json", tc.token, &lEv)

			fcSTS, lSTS := &fakeSTS{}, &fakeSTS{}
			fcResp, err := fchttp.Wrap(newTestHandler(t, fcSTS))(context.Background(), fcEv)
			if err != nil {
				t.Fatal(err)
			}
			fcBody := fcResp.Body
			if fcResp.IsBase64Encoded {
				b, _ := base64.StdEncoding.DecodeString(fcBody)
				fcBody = string(b)
			}
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: lEv.RequestContext.RequestID})
			lResp, err := lambdaurl.Wrap(lambdahttp.WithRequestID(newTestHandler(t, lSTS)))(ctx, &lEv)
			if err != nil {
				t.Fatal(err)
			}
			lb, err := io.ReadAll(lResp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if fcResp.StatusCode != tc.wantStatus || lResp.StatusCode != tc.wantStatus {
				t.Fatalf("status FC %d, Lambda %d, want %d\nFC: %s\nLambda: %s", fcResp.StatusCode, lResp.StatusCode, tc.wantStatus, fcBody, lb)
			}
			if fcBody != string(lb) {
				t.Errorf("bodies differ\nFC:     %s\nLambda: %s", fcBody, lb)
			}
			if !strings.Contains(fcBody, tc.wantInBody) {
				t.Errorf("body lacks %s: %s", tc.wantInBody, fcBody)
			}
			for _, name := range []string{"Content-Type", "Access-Control-Allow-Origin", "Cache-Control"} {
				if a, b := header(fcResp.Headers, name), header(lResp.Headers, name); a != b {
					t.Errorf("%s: FC %q, Lambda %q", name, a, b)
				}
			}
			if len(fcSTS.got) != len(lSTS.got) || (len(fcSTS.got) == 1 && fcSTS.got[0] != lSTS.got[0]) {
				t.Errorf("AssumeRole calls differ: FC %+v, Lambda %+v", fcSTS.got, lSTS.got)
			}
		})
	}
}

func header(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func TestSetupRejectsBadConfiguration(t *testing.T) {
	env := map[string]string{"OSS_BUCKET": "ossupload-dev", "OSS_REGION": "cn-hangzhou", "AUTH_JWT_SECRET": "short-secret-value"}
	_, _, err := stsapp.Setup(func(k string) string { return env[k] }, stsapp.Options{STS: &fakeSTS{}, Log: io.Discard})
	if err == nil {
		t.Fatal("setup accepted an invalid configuration")
	}
	for _, want := range []string{"STS_ROLE_ARN", "AUTH_JWT_SECRET"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "short-secret-value") {
		t.Errorf("error leaks the secret: %v", err)
	}
}
