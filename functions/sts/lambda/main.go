// Command lambda is the sts function for AWS Lambda behind a Function URL
// (runtime provided.al2023, handler bootstrap, InvokeMode RESPONSE_STREAM),
// for teams whose API runs on AWS while their files live in OSS. It serves
// the very http.Handler the FC function serves (package stsvend); only the
// adapter differs: lambdaurl here, shared/fchttp on FC. AssumeRole is called
// with ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET (a RAM user the uploader role
// trusts): AWS has no Alibaba role to lend.
//
// Build with `make build-lambda` (-tags lambda.norpc, static linux/amd64).
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-lambda-go/lambdaurl"

	"github.com/ossupload/ossupload/shared/auth"
	"github.com/ossupload/ossupload/shared/credentials"
	"github.com/ossupload/ossupload/shared/httpapi"
	"github.com/ossupload/ossupload/shared/logging"
	"github.com/ossupload/ossupload/shared/stsvend"
)

func main() {
	h, logger, err := setup(os.Getenv, time.Now, nil)
	if err != nil {
		logger.Error("not starting", "problems", strings.Split(err.Error(), "\n"))
		os.Exit(1)
	}
	lambdaurl.Start(withRequestID(h))
}

// setup is the same wiring as functions/sts (environment -> Config ->
// Validate -> dependencies); now and the STS client are injected for the
// tests (sts nil = the Alibaba Cloud SDK with credentials from getenv).
func setup(getenv func(string) string, now func() time.Time, sts stsvend.AssumeRoler) (http.Handler, *slog.Logger, error) {
	cfg := stsvend.FromEnv(getenv)
	logger := logging.New(os.Stderr, cfg.LogLevel)
	if err := cfg.Validate(); err != nil {
		return nil, logger, err
	}
	ac := cfg.AuthConfig()
	ac.Now = now
	authn, err := auth.New(context.Background(), ac)
	if err != nil {
		return nil, logger, err
	}
	if sts == nil {
		sts = stsvend.NewSDK(credentials.Chain{Getenv: getenv}, cfg.Region, cfg.STSEndpoint)
	}
	h, err := stsvend.New(cfg, stsvend.Deps{Auth: authn, STS: sts, Now: now, Logger: logger})
	return h, logger, err
}

// withRequestID puts the Lambda request id where the handler's logging and
// error responses look for it (shared/fchttp does the same with FC's).
func withRequestID(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if lc, ok := lambdacontext.FromContext(r.Context()); ok && lc.AwsRequestID != "" {
			r = r.WithContext(httpapi.WithRequestID(r.Context(), lc.AwsRequestID))
		}
		h.ServeHTTP(w, r)
	})
}
