// Command sign is the sign function for Function Compute 3.0 (HTTP trigger):
// it answers POST / with a signed PostObject form for the authenticated
// caller and GET /status with the verdict on one of the caller's uploads.
// See package uploadpolicy for the behaviour and functions/sign/app for the
// wiring it shares with the Lambda variant; this file only starts it.
package main

import (
	"os"

	signapp "github.com/ossupload/ossupload/functions/sign/app"
	"github.com/ossupload/ossupload/shared/baseconfig"
	"github.com/ossupload/ossupload/shared/fchttp"
)

func main() {
	h, logger, err := signapp.Setup(os.Getenv, signapp.Options{})
	if err != nil {
		baseconfig.LogRefusal(logger, err)
		os.Exit(1)
	}
	fchttp.Start(h) // not fc.Start: it reads any event whole, see fchttp.Start
}
