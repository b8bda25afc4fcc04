// Command verify is the Function Compute function triggered by OSS
// ObjectCreated events: it checks each finished upload (size, sniffed type,
// owner prefix, policy-pinned metadata), tags the verdict, quarantines or
// deletes what fails and notifies the app's webhook. Its timer trigger runs
// the sweep, which judges uploads whose event was lost the same way. The
// logic lives in shared/verifier; this is only the composition root.
package main

import (
	"context"
	"os"

	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"github.com/ossupload/ossupload/shared/credentials"
	"github.com/ossupload/ossupload/shared/logging"
	"github.com/ossupload/ossupload/shared/verifier"
)

func main() {
	cfg, err := verifier.FromEnv(os.Getenv)
	logger := logging.New(os.Stdout, cfg.LogLevel)
	if err != nil {
		logger.Error("verify: refusing to start", "error", err.Error())
		os.Exit(2)
	}
	minAge, err := verifier.SweepMinAgeFromEnv(os.Getenv)
	if err != nil {
		logger.Error("verify: refusing to start", "error", err.Error())
		os.Exit(2)
	}
	store := &verifier.OSSStore{
		Endpoint:    cfg.Endpoint,
		Region:      cfg.Region,
		Bucket:      cfg.Bucket,
		Credentials: credentials.Chain{Getenv: os.Getenv},
	}
	v := &verifier.Verifier{
		Bucket:           cfg.Bucket,
		Rules:            cfg.Rules,
		QuarantinePrefix: cfg.QuarantinePrefix,
		Action:           cfg.RejectAction,
		Store:            store,
		Logger:           logger,
	}
	if cfg.WebhookURL != "" {
		v.Notifier = &verifier.Notifier{URL: cfg.WebhookURL, Secret: cfg.WebhookSecret, Timeout: cfg.WebhookTimeout}
	}
	stateKey, stateErr := verifier.SweepStateKey(cfg.Rules.Prefix, cfg.QuarantinePrefix)
	sweeper := &verifier.Sweeper{Verifier: v, List: store, StateKey: stateKey, MinAge: minAge}
	// The raw payload ([]byte) rather than events.OssEvent: decoding happens
	// per record inside Handle, so odd JSON never fails the invocation.
	fc.Start(func(ctx context.Context, payload []byte) error {
		if verifier.IsTimerEvent(payload) {
			if stateErr != nil {
				logger.Error("verify: sweep disabled", "error", stateErr.Error())
				return stateErr
			}
			_, err := sweeper.Run(ctx)
			return err
		}
		return v.Handle(ctx, payload)
	})
}
