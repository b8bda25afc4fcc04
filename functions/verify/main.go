// Command verify is the Function Compute function triggered by OSS
// ObjectCreated events: it checks each finished upload (size, sniffed type,
// owner prefix, policy-pinned metadata), tags the verdict, quarantines or
// deletes what fails and notifies the app's webhook. Its timer trigger runs
// the sweep, which judges uploads whose event was lost the same way. The
// logic lives in shared/verifier and the wiring in functions/verify/app;
// this file only starts it.
package main

import (
	"os"

	"github.com/aliyun/fc-runtime-go-sdk/fc"

	verifyapp "github.com/ossupload/ossupload/functions/verify/app"
	"github.com/ossupload/ossupload/shared/baseconfig"
)

func main() {
	handle, logger, err := verifyapp.Setup(os.Getenv, verifyapp.Options{})
	if err != nil {
		baseconfig.LogRefusal(logger, err)
		os.Exit(1)
	}
	fc.Start(handle)
}
