// Package app is the sign function's one wiring: environment -> Config ->
// Validate -> dependencies -> http.Handler. The FC main (functions/sign)
// and the Lambda main (functions/sign/lambda) both call Setup, so the two
// cannot wire the handler differently; tests call it without a binary.
package app

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/ossupload/ossupload/shared/baseconfig"
	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/credentials"
	"github.com/ossupload/ossupload/shared/uploadpolicy"
)

// Options are what the tests of sign replace; the zero value is production.
type Options struct {
	Now    func() time.Time // nil: time.Now
	Random io.Reader        // nil: crypto/rand
	Log    io.Writer        // JSON log output; nil: os.Stderr
}

// Setup reads the sign configuration through getenv and builds the handler
// of POST / (the form), POST /presign and GET /status, asking the app's
// pre-sign hook when UPLOAD_HOOK_URL is set. The logger comes back even with an
// error, for the caller's baseconfig.LogRefusal; a configuration error
// lists every problem, one "VARIABLE: what to fix" line each.
func Setup(getenv func(string) string, opts Options) (http.Handler, *slog.Logger, error) {
	cfg := uploadpolicy.FromEnv(getenv)
	logger := baseconfig.NewLogger(opts.Log, cfg.LogLevel)
	if err := cfg.Validate(); err != nil {
		return nil, logger, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	authn, err := cfg.Authenticator(opts.Now)
	if err != nil {
		return nil, logger, err
	}
	creds := credentials.Chain{Getenv: getenv}
	var hook uploadpolicy.Hook // nil unless UPLOAD_HOOK_URL (no typed nil in the interface)
	if c := cfg.HookClient(opts.Now); c != nil {
		hook = c
	}
	h, err := uploadpolicy.New(cfg, uploadpolicy.Deps{
		Auth:        authn,
		Credentials: creds,
		Tags: uploadpolicy.OSSTagReader{
			Endpoint: cfg.Endpoint, Region: cfg.Region, Bucket: cfg.Bucket, Credentials: creds,
		},
		Parts: uploadpolicy.OSSPartLister{
			Endpoint: cfg.Endpoint, Region: cfg.Region, Bucket: cfg.Bucket, Credentials: creds,
		},
		Now:    opts.Now,
		Random: opts.Random,
		Logger: logger,
		Hook:   hook,
		PinKey: cfg.PinKey(),
	})
	if err != nil {
		return nil, logger, fmt.Errorf("handler setup failed: %w", err)
	}
	return h, logger, nil
}

// Variables are the environment variables the sign function reads (beside
// the ALIBABA_CLOUD_* credentials FC provides), as its Config reads them:
// the list s.yaml and template.yaml are checked against.
func Variables() []string {
	return config.NamesRead(func(getenv func(string) string) { uploadpolicy.FromEnv(getenv) })
}
