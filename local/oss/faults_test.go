package oss_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/local/oss"
)

// faultEnv is the emulator behind Faults.Wrap, as the local stack serves it.
func faultEnv(t *testing.T) (*env, *oss.Faults, *aoss.Bucket) {
	t.Helper()
	e := newEnv(t)
	f := &oss.Faults{}
	ts := httptest.NewServer(f.Wrap(e.srv))
	t.Cleanup(ts.Close)
	e.url = ts.URL
	b := e.bucket(t, rootAK, rootSecret, "")
	for _, k := range []string{"uploads/alice/a.png", "uploads/bob/b.png"} {
		if err := b.PutObject(k, strings.NewReader("data"), aoss.SetTagging(aoss.Tagging{Tags: []aoss.Tag{{Key: "upload-status", Value: "verified"}}})); err != nil {
			t.Fatal(err)
		}
	}
	return e, f, b
}

// TestFaultErrorsAreOSSErrors: the official SDK sees OSS's own error for an
// injected fault (503 ServiceUnavailable, 500 InternalError, with a request
// id), only for the chosen operation and keys, and only Times times.
func TestFaultErrorsAreOSSErrors(t *testing.T) {
	_, f, b := faultEnv(t)
	if err := f.Add(oss.Fault{Op: "GetObjectTagging", Key: "uploads/alice/*", Status: 503, Times: 2}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		_, err := b.GetObjectTagging("uploads/alice/a.png")
		wantCode(t, err, "ServiceUnavailable", 503)
		var se aoss.ServiceError
		if !errors.As(err, &se) || se.RequestID == "" || se.Message != "Thread pool is almost full, please retry later" {
			t.Fatalf("error %#v", err)
		}
	}
	// Spent: the third call, other keys and other operations are served.
	if _, err := b.GetObjectTagging("uploads/alice/a.png"); err != nil {
		t.Fatalf("after Times: %v", err)
	}
	if err := f.Add(oss.Fault{Op: "GetObjectTagging", Key: "uploads/alice/*", Status: 500}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetObjectTagging("uploads/bob/b.png"); err != nil {
		t.Errorf("other key: %v", err)
	}
	if _, err := b.GetObjectMeta("uploads/alice/a.png"); err != nil {
		t.Errorf("other operation: %v", err)
	}
	_, err := b.GetObjectTagging("uploads/alice/a.png")
	wantCode(t, err, "InternalError", 500)
	// HEAD carries the error in x-oss-err, as OSS does.
	f.Clear()
	if err := f.Add(oss.Fault{Op: "HeadObject"}); err != nil {
		t.Fatal(err)
	}
	_, err = b.GetObjectDetailedMeta("uploads/bob/b.png")
	wantCode(t, err, "ServiceUnavailable", 503)
	f.Clear()
	if _, err := b.GetObjectDetailedMeta("uploads/bob/b.png"); err != nil {
		t.Errorf("after Clear: %v", err)
	}
	if f.Hits() != 4 {
		t.Errorf("Hits %d, want 4", f.Hits())
	}
}

// TestFaultSlowAndDrop: a slow answer runs past the client's timeout; a
// dropped connection is a transport error, not an HTTP answer.
func TestFaultSlowAndDrop(t *testing.T) {
	e, f, _ := faultEnv(t)
	get := func(timeout time.Duration) (*http.Response, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.url+"/"+testBucket+"/uploads/alice/a.png", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	if err := f.Add(oss.Fault{Op: "GetObject", Action: oss.FaultSlow, Delay: time.Hour, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := get(200 * time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow: %v, want the client's deadline", err)
	}
	if err := f.Add(oss.Fault{Op: "GetObject", Action: oss.FaultDrop, Times: 1}); err != nil {
		t.Fatal(err)
	}
	if resp, err := get(5 * time.Second); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("drop: %v %v, want a connection error", resp, err)
	}
	// Anonymous GET of a private object once the faults are spent: 403 from the emulator itself.
	if resp, err := get(5 * time.Second); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("after the faults: %v %v", resp, err)
	}
}

// TestFaultAdminEndpoint: faults armed and cleared over HTTP.
func TestFaultAdminEndpoint(t *testing.T) {
	e, f, b := faultEnv(t)
	do := func(method, body string) int {
		req, _ := http.NewRequest(method, e.url+"/_emulator/faults", bytes.NewReader([]byte(body)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := do(http.MethodPost, `{"op":"GetObjectTagging","key":"uploads/*/*","action":"error","status":500}`); s != http.StatusNoContent {
		t.Fatalf("POST: %d", s)
	}
	for _, bad := range []string{`{"action":"explode"}`, `{"status":404}`, `{"delay":"soon","action":"slow"}`, `{"key":"["}`, `{"typo":1}`} {
		if s := do(http.MethodPost, bad); s != http.StatusBadRequest {
			t.Errorf("POST %s: %d, want 400", bad, s)
		}
	}
	_, err := b.GetObjectTagging("uploads/bob/b.png")
	wantCode(t, err, "InternalError", 500)
	if s := do(http.MethodDelete, ""); s != http.StatusNoContent {
		t.Fatalf("DELETE: %d", s)
	}
	if _, err := b.GetObjectTagging("uploads/bob/b.png"); err != nil || f.Hits() != 1 {
		t.Errorf("after DELETE: %v, hits %d", err, f.Hits())
	}
}

// TestFaultKill: the kill action calls the killer with the named function
// before the caller gets any answer (its connection is dropped, the object
// untouched); it refuses to arm without a killer or a function.
func TestFaultKill(t *testing.T) {
	_, f, b := faultEnv(t)
	if err := f.Add(oss.Fault{Op: "CopyObject", Action: oss.FaultKill, Function: "verify"}); err == nil {
		t.Fatal("kill armed without a killer")
	}
	var killed []string
	f.SetKiller(func(fn string) error { killed = append(killed, fn); return nil })
	if err := f.Add(oss.Fault{Op: "CopyObject", Action: oss.FaultKill}); err == nil {
		t.Fatal("kill armed without a function")
	}
	if err := f.Add(oss.Fault{Op: "CopyObject", Key: "quarantine/*/*", Action: oss.FaultKill, Function: "verify", Times: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CopyObject("uploads/alice/a.png", "quarantine/alice/a.png"); err == nil {
		t.Fatal("the killed call got an answer")
	}
	if len(killed) != 1 || killed[0] != "verify" {
		t.Fatalf("killer calls %v, want [verify]", killed)
	}
	if ok, err := b.IsObjectExist("quarantine/alice/a.png"); err != nil || ok {
		t.Fatalf("the killed copy happened: %v %v", ok, err)
	}
	if _, err := b.CopyObject("uploads/alice/a.png", "quarantine/alice/a.png"); err != nil {
		t.Fatalf("after Times: %v", err)
	}
}
