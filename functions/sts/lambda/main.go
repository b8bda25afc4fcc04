// Command lambda is the sts function for AWS Lambda behind a Function URL
// (runtime provided.al2023, handler bootstrap, InvokeMode RESPONSE_STREAM),
// for teams whose API runs on AWS while their files live in OSS. It serves
// the very http.Handler the FC function serves, wired by the same
// functions/sts/app.Setup; only the adapter differs: lambdaurl here,
// shared/fchttp on FC. AssumeRole is called with
// ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET (a RAM user the uploader role trusts):
// AWS has no Alibaba role to lend.
//
// Build with `make build-lambda` (-tags lambda.norpc, static linux/amd64).
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambdaurl"

	stsapp "github.com/ossupload/ossupload/functions/sts/app"
	"github.com/ossupload/ossupload/shared/baseconfig"
	"github.com/ossupload/ossupload/shared/lambdahttp"
)

func main() {
	h, logger, err := stsapp.Setup(os.Getenv, stsapp.Options{})
	if err != nil {
		baseconfig.LogRefusal(logger, err)
		os.Exit(1)
	}
	lambdaurl.Start(lambdahttp.WithRequestID(h))
}
