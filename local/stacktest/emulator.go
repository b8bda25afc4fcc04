package stacktest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ossupload/ossupload/local/iam"
	"github.com/ossupload/ossupload/local/oss"
)

// BrowserCORS is the CORS rule ali-oss's README asks for on a bucket that
// browsers upload to (OSS/STS protocol reference §2.9).
var BrowserCORS = []oss.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "PUT", "POST", "DELETE", "HEAD"},
	AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag", "x-oss-request-id"}, MaxAgeSeconds: 600}}

// Emulator configures OSS, the OSS emulator of an in-process test stack.
type Emulator struct {
	Region string
	IAM    *iam.Store
	Events oss.Publisher // optional
	Bucket string        // created with CORS
	CORS   []oss.CORSRule
	// Wrap, if set, wraps the emulator's handler (to count or record
	// requests).
	Wrap func(http.Handler) http.Handler
}

// OSS starts the OSS emulator with data in a temporary directory and one
// bucket, serves it on loopback until the test ends, and returns it and
// its URL.
func OSS(t testing.TB, e Emulator) (*oss.Server, string) {
	t.Helper()
	srv, err := oss.New(oss.Config{Region: e.Region, DataDir: t.TempDir(), IAM: e.IAM, Events: e.Events})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateBucket(e.Bucket, e.CORS); err != nil {
		t.Fatal(err)
	}
	var h http.Handler = srv
	if e.Wrap != nil {
		h = e.Wrap(srv)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return srv, ts.URL
}
