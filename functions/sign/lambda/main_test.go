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

	signapp "github.com/ossupload/ossupload/functions/sign/app"
	"github.com/ossupload/ossupload/shared/fchttp"
	"github.com/ossupload/ossupload/shared/lambdahttp"
)

const jwtSecret = "lambda-variant-test-secret-0123456789abcdef"

var (
	fixedNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	testEnv  = map[string]string{
		"OSS_BUCKET":                      "ossupload-dev",
		"OSS_REGION":                      "cn-hangzhou",
		"UPLOAD_PREFIX":                   "uploads/",
		"UPLOAD_MAX_BYTES":                "1048576",
		"UPLOAD_ALLOWED_TYPES":            "image/*",
		"AUTH_JWT_SECRET":                 jwtSecret,
		"CORS_ALLOWED_ORIGINS":            "https://app.example.com",
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     "LTAI5tExampleAccessKeyID",
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "ExampleAccessKeySecretValue0123",
		"LOG_LEVEL":                       "error",
	}
)

// fixedRandom is the same byte sequence for every handler, so the key's
// random part is the same on both adapters.
func fixedRandom() io.Reader {
	return bytes.NewReader(bytes.Repeat([]byte{0x5a, 0xc3, 0x11, 0x7e}, 64))
}

func newTestHandler(t *testing.T) http.Handler {
	t.Helper()
	h, _, err := signapp.Setup(func(k string) string { return testEnv[k] }, signapp.Options{Now: func() time.Time { return fixedNow }, Random: fixedRandom(), Log: io.Discard})
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

// fixture reads testdata/name with ${TOKEN} replaced.
func fixture(t *testing.T, name, tok string, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("${TOKEN}"), []byte(tok))
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

type answer struct {
	status  int
	body    string
	headers map[string]string
}

func viaFC(t *testing.T, h http.Handler, ev fcevents.HTTPTriggerEvent) answer {
	t.Helper()
	resp, err := fchttp.Wrap(h)(context.Background(), ev)
	if err != nil {
		t.Fatalf("fchttp: %v", err)
	}
	body := resp.Body
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	}
	return answer{resp.StatusCode, body, resp.Headers}
}

func viaLambda(t *testing.T, h http.Handler, ev *events.LambdaFunctionURLRequest) answer {
	t.Helper()
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: ev.RequestContext.RequestID})
	resp, err := lambdaurl.Wrap(lambdahttp.WithRequestID(h))(ctx, ev)
	if err != nil {
		t.Fatalf("lambdaurl: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, string(b), resp.Headers}
}

// TestLambdaAnswersLikeFC: the same request as a Function URL event and as
// an FC HTTP trigger event gets the same status and body (fixed clock and
// randomness), and the same CORS and content-type headers.
func TestLambdaAnswersLikeFC(t *testing.T) {
	for _, tc := range []struct {
		name       string
		token      string
		wantStatus int
		wantInBody string
	}{
		{"signed form", token(t, "alice"), http.StatusOK, `"key":"uploads/alice/2026/01/02/`},
		{"bad token", "not-a-jwt", http.StatusUnauthorized, `"code":"unauthorized"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fcEv fcevents.HTTPTriggerEvent
			fixture(t, "fc-http-request.json", tc.token, &fcEv)
			var lEv events.LambdaFunctionURLRequest
			fixture(t, "function-url-request.json", tc.token, &lEv)

			fc := viaFC(t, newTestHandler(t), fcEv)
			lam := viaLambda(t, newTestHandler(t), &lEv)

			if fc.status != tc.wantStatus || lam.status != tc.wantStatus {
				t.Fatalf("status FC %d, Lambda %d, want %d\nFC body: %s\nLambda body: %s", fc.status, lam.status, tc.wantStatus, fc.body, lam.body)
			}
			if fc.body != lam.body {
				t.Errorf("bodies differ\nFC:     %s\nLambda: %s", fc.body, lam.body)
			}
			if !strings.Contains(fc.body, tc.wantInBody) {
				t.Errorf("body lacks %s: %s", tc.wantInBody, fc.body)
			}
			for _, name := range []string{"Content-Type", "Access-Control-Allow-Origin", "Cache-Control"} {
				if fcV, lV := header(fc.headers, name), header(lam.headers, name); fcV != lV {
					t.Errorf("%s: FC %q, Lambda %q", name, fcV, lV)
				}
			}
			if got := header(lam.headers, "Access-Control-Allow-Origin"); got != "https://app.example.com" {
				t.Errorf("Access-Control-Allow-Origin = %q", got)
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

// A bad configuration stops the function before it serves anything, naming
// every problem and never the secret.
func TestSetupRejectsBadConfiguration(t *testing.T) {
	env := map[string]string{"OSS_REGION": "oss-cn-hangzhou", "AUTH_JWT_SECRET": "short-secret-value"}
	_, _, err := signapp.Setup(func(k string) string { return env[k] }, signapp.Options{Log: io.Discard})
	if err == nil {
		t.Fatal("setup accepted an invalid configuration")
	}
	for _, want := range []string{"OSS_BUCKET", "OSS_REGION", "AUTH_JWT_SECRET"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "short-secret-value") {
		t.Errorf("error leaks the secret: %v", err)
	}
}
