// Command sts is the sts function for Function Compute 3.0 (HTTP trigger):
// it answers POST / (or GET /) with STS temporary credentials that let the
// authenticated caller upload only under their own prefix, in the shape
// ali-oss wants. See package stsvend for the behaviour; this file only
// wires it up.
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
	"github.com/ossupload/ossupload/shared/stsvend"
)

func main() {
	cfg := stsvend.FromEnv(os.Getenv)
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
	h, err := stsvend.New(cfg, stsvend.Deps{
		Auth:   authn,
		STS:    stsvend.NewSDK(credentials.Chain{Getenv: os.Getenv}, cfg.Region, cfg.STSEndpoint),
		Now:    time.Now,
		Logger: logger,
	})
	if err != nil {
		logger.Error("handler setup failed, not starting", "error", err.Error())
		os.Exit(1)
	}
	fchttp.Start(h) // not fc.Start: it reads any event whole, see fchttp.Start
}
