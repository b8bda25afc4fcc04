package uploadpolicy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ossupload/ossupload/shared/credentials"
)

// TestOSSTagReader runs the official SDK against a loopback server that
// answers like OSS (HeadObject with a quoted ETag, GetObjectTagging XML,
// 404 NoSuchKey), and checks the requests are V4-signed for the region and
// carry the security token.
func TestOSSTagReader(t *testing.T) {
	var gotAuth, gotToken, gotPath, gotQuery string
	var gotMethods []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotToken = r.Header.Get("Authorization"), r.Header.Get("X-Oss-Security-Token")
		gotPath, gotQuery = r.URL.Path, r.URL.RawQuery
		gotMethods = append(gotMethods, r.Method)
		w.Header().Set("x-oss-request-id", "rid")
		if r.Method == http.MethodHead {
			if strings.HasSuffix(r.URL.Path, "/missing") {
				w.WriteHeader(404)
				return
			}
			w.Header().Set("ETag", `"5eb63bbbe01eeed093cb22bb8f5acdc3"`)
			w.Header().Set("Last-Modified", "Mon, 23 Nov 2026 21:04:05 GMT")
			w.Header().Set("Content-Length", "11")
			return
		}
		if strings.HasSuffix(r.URL.Path, "/missing") {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(404)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><RequestId>rid</RequestId></Error>`))
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Tagging><TagSet><Tag><Key>upload-status</Key><Value>rejected</Value></Tag><Tag><Key>upload-reason</Key><Value>too-large</Value></Tag></TagSet></Tagging>`))
	}))
	defer srv.Close()
	creds := &countingCreds{creds: credentials.Credentials{AccessKeyID: testAK, AccessKeySecret: testAKSec, SecurityToken: testToken}}
	// "localhost" rather than the IP: the reader must choose path style itself.
	endpoint := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	tr := OSSTagReader{Endpoint: endpoint, Region: testRegion, Bucket: testBucket, Credentials: creds}

	st, err := tr.ObjectState(context.Background(), "uploads/alice/x.png")
	if err != nil {
		t.Fatal(err)
	}
	if st.Tags[TagStatus] != "rejected" || st.Tags[TagReason] != "too-large" || st.ETag != "5EB63BBBE01EEED093CB22BB8F5ACDC3" ||
		!st.LastModified.Equal(time.Date(2026, 11, 23, 21, 4, 5, 0, time.UTC)) {
		t.Fatalf("state %+v", st)
	}
	if len(gotMethods) != 2 || gotMethods[0] != http.MethodHead || gotMethods[1] != http.MethodGet {
		t.Errorf("requests %v, want HEAD then GET ?tagging", gotMethods)
	}
	if !strings.HasPrefix(gotAuth, "OSS4-HMAC-SHA256 Credential="+testAK+"/") || !strings.Contains(gotAuth, "/cn-hangzhou/oss/aliyun_v4_request") {
		t.Errorf("Authorization %q is not V4 for the region", gotAuth)
	}
	if gotToken != testToken {
		t.Errorf("security token header %q", gotToken)
	}
	if gotPath != "/"+testBucket+"/uploads/alice/x.png" || gotQuery != "tagging" {
		t.Errorf("request %s?%s", gotPath, gotQuery)
	}

	if _, err := tr.ObjectState(context.Background(), "uploads/alice/missing"); !errors.Is(err, ErrObjectNotFound) {
		t.Fatalf("missing object: %v", err)
	}
	if creds.calls.Load() != 2 {
		t.Errorf("credentials resolved %d times, want once per call", creds.calls.Load())
	}
}
