// Command sign is the sign function for Function Compute 3.0 (HTTP trigger):
// it answers POST / with a signed PostObject form for the authenticated
// caller and GET /status with the verdict on one of the caller's uploads.
// See package uploadpolicy for the behaviour; this file only wires it up.
package main

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/ossupload/ossupload/shared/auth"
	"github.com/ossupload/ossupload/shared/credentials"
	"github.com/ossupload/ossupload/shared/fchttp"
	"github.com/ossupload/ossupload/shared/logging"
	"github.com/ossupload/ossupload/shared/uploadpolicy"
)

func main() {
	cfg := uploadpolicy.FromEnv(os.Getenv)
	logger := logging.New(os.Stderr, cfg.LogLevel)
	if err := cfg.Validate(); err != nil {
		logger.Error("invalid configuration, not starting", "problems", strings.Split(err.Error(), "\n"))
		os.Exit(1)
	}
	ac := cfg.AuthConfig()
	ac.Now = time.Now
	authn, err := auth.New(context.Background(), ac)
	if err != nil {
		logger.Error("authentication setup failed, not starting", "error", err.Error())
		os.Exit(1)
	}
	creds := credentials.Chain{Getenv: os.Getenv}
	h, err := uploadpolicy.New(cfg, uploadpolicy.Deps{
		Auth:        authn,
		Credentials: creds,
		Tags: uploadpolicy.OSSTagReader{
			Endpoint: cfg.Endpoint, Region: cfg.Region, Bucket: cfg.Bucket, Credentials: creds,
		},
		Parts: uploadpolicy.OSSPartLister{
			Endpoint: cfg.Endpoint, Region: cfg.Region, Bucket: cfg.Bucket, Credentials: creds,
		},
		Now:    time.Now,
		Logger: logger,
	})
	if err != nil {
		logger.Error("handler setup failed, not starting", "error", err.Error())
		os.Exit(1)
	}
	fchttp.Start(h) // not fc.Start: it reads any event whole, see fchttp.Start
}
