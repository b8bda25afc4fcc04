// Package lambdahttp is what the AWS Lambda variants of sign and sts add to
// the handler they share with FC: the Lambda request id where the
// handler's logging and error responses look for it (shared/fchttp does
// the same with FC's).
package lambdahttp

import (
	"net/http"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/ossupload/ossupload/shared/httpapi"
)

// WithRequestID wraps h so each request carries the Lambda request id.
func WithRequestID(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if lc, ok := lambdacontext.FromContext(r.Context()); ok && lc.AwsRequestID != "" {
			r = r.WithContext(httpapi.WithRequestID(r.Context(), lc.AwsRequestID))
		}
		h.ServeHTTP(w, r)
	})
}
