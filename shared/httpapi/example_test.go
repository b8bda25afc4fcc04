package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/ossupload/ossupload/shared/httpapi"
)

func ExampleWriteError() {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r = r.WithContext(httpapi.WithRequestID(context.Background(), "1-abc"))
	w := httptest.NewRecorder()
	httpapi.WriteError(w, r, fmt.Errorf("check filename: %w",
		httpapi.Errorf(httpapi.CodeInvalidFilename, "filename must not be empty")))
	fmt.Print(w.Code, " ", w.Body.String())
	// Output: 400 {"error":{"code":"invalid_filename","message":"filename must not be empty"}}
}
