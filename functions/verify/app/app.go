// Package app is the verify function's one wiring: environment -> Config ->
// Validate -> dependencies -> the FC event handler. functions/verify calls
// Setup and hands the handler to fc.Start; tests call it without a binary.
package app

import (
	"context"
	"io"
	"log/slog"

	"github.com/ossupload/ossupload/shared/baseconfig"
	"github.com/ossupload/ossupload/shared/config"
	"github.com/ossupload/ossupload/shared/credentials"
	"github.com/ossupload/ossupload/shared/verifier"
)

// Handler answers one invocation: an OSS event document or, from the timer
// trigger, the sweep. It takes the raw payload ([]byte) rather than
// events.OssEvent: decoding happens per record inside Verifier.Handle, so
// odd JSON never fails the invocation.
type Handler func(ctx context.Context, payload []byte) error

// Options are what tests replace; the zero value is production.
type Options struct {
	Log io.Writer // JSON log output; nil: os.Stderr
}

// Setup reads the configuration through getenv and builds the handler. The
// logger is returned even with an error, so the caller can log the refusal
// (baseconfig.LogRefusal); the error then lists every configuration
// problem, one "VARIABLE: what to fix" line each.
func Setup(getenv func(string) string, opts Options) (Handler, *slog.Logger, error) {
	cfg := verifier.FromEnv(getenv)
	logger := baseconfig.NewLogger(opts.Log, cfg.LogLevel)
	if err := cfg.Validate(); err != nil {
		return nil, logger, err
	}
	store := &verifier.OSSStore{
		Endpoint:    cfg.Endpoint,
		Region:      cfg.Region,
		Bucket:      cfg.Bucket,
		Credentials: credentials.Chain{Getenv: getenv},
	}
	v := &verifier.Verifier{
		Bucket:           cfg.Bucket,
		Rules:            cfg.Rules,
		Routes:           cfg.Routes,
		PinKey:           cfg.PinKey(),
		QuarantinePrefix: cfg.QuarantinePrefix,
		Action:           cfg.RejectAction,
		Store:            store,
		Logger:           logger,
	}
	if cfg.WebhookURL != "" {
		v.Notifier = &verifier.Notifier{URL: cfg.WebhookURL, Secret: cfg.WebhookSecret, Timeout: cfg.WebhookTimeout}
	}
	stateKey, stateErr := verifier.SweepStateKey(cfg.Rules.Prefix, cfg.QuarantinePrefix)
	sweeper := &verifier.Sweeper{Verifier: v, List: store, StateKey: stateKey, MinAge: cfg.SweepMinAge}
	return func(ctx context.Context, payload []byte) error {
		if verifier.IsTimerEvent(payload) {
			if stateErr != nil {
				logger.Error("verify: sweep disabled", "error", stateErr.Error())
				return stateErr
			}
			_, err := sweeper.Run(ctx)
			return err
		}
		return v.Handle(ctx, payload)
	}, logger, nil
}

// Variables are the environment variables the verify function reads
// (beside the ALIBABA_CLOUD_* credentials FC provides), as its Config reads
// them: the list s.yaml and template.yaml are checked against.
func Variables() []string {
	return config.NamesRead(func(getenv func(string) string) { verifier.FromEnv(getenv) })
}
