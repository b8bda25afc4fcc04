package deps

import (
	_ "github.com/MicahParks/keyfunc/v3"
	_ "github.com/aliyun/alibaba-cloud-sdk-go/services/sts"
	_ "github.com/aliyun/aliyun-oss-go-sdk/oss"
	_ "github.com/aliyun/fc-runtime-go-sdk/events"
	_ "github.com/aliyun/fc-runtime-go-sdk/fc"
	_ "github.com/aliyun/fc-runtime-go-sdk/fccontext"
	_ "github.com/aws/aws-lambda-go/events"
	_ "github.com/aws/aws-lambda-go/lambda"
	_ "github.com/aws/aws-lambda-go/lambdaurl"
	_ "github.com/gabriel-vasile/mimetype"
	_ "github.com/golang-jwt/jwt/v5"
	_ "go.yaml.in/yaml/v3"
)
