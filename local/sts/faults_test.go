package sts

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

func faultSetup(t *testing.T) (*Faults, string) {
	t.Helper()
	f := &Faults{}
	srv := httptest.NewServer(f.Wrap(New(newStore(t, time.Now), time.Now)))
	t.Cleanup(srv.Close)
	return f, strings.TrimPrefix(srv.URL, "http://")
}

// TestFaultThrottleAsAlibabaCloud: the official SDK sees the flow-control
// error Alibaba Cloud answers (400 Throttling.User), only for the chosen
// sessions and Times times; then AssumeRole works again.
func TestFaultThrottleAsAlibabaCloud(t *testing.T) {
	f, host := faultSetup(t)
	c := devClient(t, "LTAI5tDevKey000000000001", "devSecret0000000000000000000001")
	if err := f.Add(Fault{Op: "AssumeRole", Session: "alice*", Times: 2}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		_, err := c.AssumeRole(assumeReq(host, uploaderARN, "alice-1"))
		var se *sdkerrors.ServerError
		if !errors.As(err, &se) || se.HttpStatus() != 400 || se.ErrorCode() != "Throttling.User" ||
			se.Message() != "Request was denied due to user flow control." || se.RequestId() == "" {
			t.Fatalf("throttled call: %v", err)
		}
	}
	if _, err := c.AssumeRole(assumeReq(host, uploaderARN, "bob-1")); err != nil {
		t.Fatalf("other session: %v", err)
	}
	if _, err := c.AssumeRole(assumeReq(host, uploaderARN, "alice-1")); err != nil {
		t.Fatalf("after the throttling: %v", err)
	}
	if f.Hits() != 2 {
		t.Errorf("hits %d", f.Hits())
	}
}

// TestFaultServerErrors: 503 and 500 with Alibaba Cloud's server error
// codes; a dropped connection is a transport error.
func TestFaultServerErrors(t *testing.T) {
	f, host := faultSetup(t)
	c := devClient(t, "LTAI5tDevKey000000000001", "devSecret0000000000000000000001")
	for _, tc := range []struct {
		status int
		code   string
	}{{503, "ServiceUnavailable"}, {500, "InternalError"}} {
		if err := f.Add(Fault{Action: FaultError, Status: tc.status, Times: 1}); err != nil {
			t.Fatal(err)
		}
		_, err := c.AssumeRole(assumeReq(host, uploaderARN, "alice"))
		var se *sdkerrors.ServerError
		if !errors.As(err, &se) || se.HttpStatus() != tc.status || se.ErrorCode() != tc.code {
			t.Errorf("%d: %v", tc.status, err)
		}
	}
	if err := f.Add(Fault{Action: FaultDrop, Times: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := c.AssumeRole(assumeReq(host, uploaderARN, "alice"))
	var se *sdkerrors.ServerError
	if err == nil || errors.As(err, &se) {
		t.Errorf("drop: %v, want a transport error", err)
	}
	// Over HTTP: arm, list, clear.
	base := "http://" + host + "/_emulator/faults"
	resp, err := http.Post(base, "application/json", bytes.NewReader([]byte(`{"action":"slow","delay":"1h","session":"xy"}`)))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST: %v %v", resp, err)
	}
	resp, err = http.Post(base, "application/json", bytes.NewReader([]byte(`{"action":"error","status":418}`)))
	if err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("POST bad status: %v %v", resp, err)
	}
	req, _ := http.NewRequest(http.MethodDelete, base, nil)
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %v %v", resp, err)
	}
	if _, err := c.AssumeRole(assumeReq(host, uploaderARN, "xy")); err != nil {
		t.Errorf("after DELETE: %v", err)
	}
}
