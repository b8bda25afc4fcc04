// Command verify is the Function Compute function triggered by OSS
// ObjectCreated events: it checks each finished upload (size, sniffed type,
// owner prefix, policy-pinned metadata), tags the verdict, quarantines or
// deletes what fails and notifies the app's webhook. The logic lives in
// shared/verifier; this is only the composition root.
package main

import (
	"context"
	"os"

	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"github.com/ossupload/ossupload/shared/credentials"
	"github.com/ossupload/ossupload/shared/httpapi"
	"github.com/ossupload/ossupload/shared/verifier"
)

func main() {
	cfg, err := verifier.FromEnv(os.Getenv)
	logger := httpapi.NewLogger(os.Stdout, cfg.LogLevel)
	if err != nil {
		logger.Error("verify: refusing to start", "error", err.Error())
		os.Exit(2)
	}
	v := &verifier.Verifier{
		Bucket:           cfg.Bucket,
		Rules:            cfg.Rules,
		QuarantinePrefix: cfg.QuarantinePrefix,
		Action:           cfg.RejectAction,
		Store: &verifier.OSSStore{
			Endpoint:    cfg.Endpoint,
			Region:      cfg.Region,
			Bucket:      cfg.Bucket,
			Credentials: credentials.Chain{Getenv: os.Getenv},
		},
		Logger: logger,
	}
	if cfg.WebhookURL != "" {
		v.Notifier = &verifier.Notifier{URL: cfg.WebhookURL, Secret: []byte(cfg.WebhookSecret), Timeout: cfg.WebhookTimeout}
	}
	// The raw payload ([]byte) rather than events.OssEvent: decoding happens
	// per record inside Handle, so odd JSON never fails the invocation.
	fc.Start(func(ctx context.Context, payload []byte) error {
		return v.Handle(ctx, payload)
	})
}
