// Package app is the sts function's one wiring: environment -> Config ->
// Validate -> dependencies -> http.Handler. The FC main (functions/sts) and
// the Lambda main (functions/sts/lambda) both call Setup, so the two cannot
// wire the handler differently; tests call it without a binary.
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
	"github.com/ossupload/ossupload/shared/stsvend"
)

// Options are what the tests of sts replace; the zero value is production.
type Options struct {
	Now func() time.Time    // nil: time.Now
	STS stsvend.AssumeRoler // nil: the Alibaba Cloud SDK with credentials from getenv
	Log io.Writer           // JSON log output; nil: os.Stderr
}

// Setup reads the sts configuration through getenv and builds the handler
// that vends credentials. The logger comes back even with an error, for
// the caller's baseconfig.LogRefusal; a configuration error lists every
// problem, one "VARIABLE: what to fix" line each.
func Setup(getenv func(string) string, opts Options) (http.Handler, *slog.Logger, error) {
	cfg := stsvend.FromEnv(getenv)
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
	if opts.STS == nil {
		opts.STS = stsvend.NewSDK(credentials.Chain{Getenv: getenv}, cfg.Region, cfg.STSEndpoint)
	}
	deps := stsvend.Deps{Auth: authn, STS: opts.STS, Now: opts.Now, Logger: logger}
	if hook := cfg.HookClient(opts.Now); hook != nil { // a nil *Client must not become a non-nil Asker
		deps.Hook, deps.PinKey = hook, cfg.PinKey()
	}
	h, err := stsvend.New(cfg, deps)
	if err != nil {
		return nil, logger, fmt.Errorf("handler setup failed: %w", err)
	}
	return h, logger, nil
}

// Variables are the environment variables the sts function reads (beside
// the ALIBABA_CLOUD_* credentials FC provides), as its Config reads them:
// the list s.yaml and template.yaml are checked against.
func Variables() []string {
	return config.NamesRead(func(getenv func(string) string) { stsvend.FromEnv(getenv) })
}
