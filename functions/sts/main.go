// Command sts is the sts function for Function Compute 3.0 (HTTP trigger):
// it answers POST / (or GET /) with STS temporary credentials that let the
// authenticated caller upload only under their own prefix, in the shape
// ali-oss wants. See package stsvend for the behaviour and functions/sts/app
// for the wiring it shares with the Lambda variant; this file only starts
// it.
package main

import (
	"os"

	stsapp "github.com/ossupload/ossupload/functions/sts/app"
	"github.com/ossupload/ossupload/shared/baseconfig"
	"github.com/ossupload/ossupload/shared/fchttp"
)

func main() {
	h, logger, err := stsapp.Setup(os.Getenv, stsapp.Options{})
	if err != nil {
		baseconfig.LogRefusal(logger, err)
		os.Exit(1)
	}
	fchttp.Start(h) // not fc.Start: it reads any event whole, see fchttp.Start
}
