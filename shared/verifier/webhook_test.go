package verifier_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/ossupload/ossupload/shared/verifier"
)

// delivery is one request as a receiver saw it.
type delivery struct {
	header http.Header
	body   []byte
}

// deliveries is a receiver that records every request and answers with
// the next status from answers (then 204).
func deliveries(t *testing.T, answers ...int) (*httptest.Server, func() []delivery) {
	var mu sync.Mutex
	var got []delivery
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, delivery{r.Header.Clone(), body})
		status := http.StatusNoContent
		if len(got) <= len(answers) {
			status = answers[len(got)-1]
		}
		mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []delivery { mu.Lock(); defer mu.Unlock(); return append([]delivery(nil), got...) }
}

// Every attempt verifies with the official Standard Webhooks library and
// carries the same webhook-id; another version of the object gets another.
func TestDeliveriesVerifyWithTheStandardWebhooksLibrary(t *testing.T) {
	const secret = "whsec_c2VjcmV0LWZvci10aGUtbGlicmFyeS10ZXN0LTAxMjM0NQ=="
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	srv, got := deliveries(t, http.StatusServiceUnavailable)
	n := &verifier.Notifier{URL: srv.URL, Secret: secret, Attempts: 3, Sleep: func(context.Context, time.Duration) error { return nil }}
	v1 := verifier.Notification{Bucket: "b", Key: "uploads/u1/a.png", ETag: `"5B3C1A2E053D763E1B002CC607C5A0FE"`, Verdict: "verified", Size: 68}
	v2 := v1
	v2.ETag = `"0CC175B9C0F1B6A831C399E269772661"`
	for _, n2 := range []verifier.Notification{v1, v1, v2} {
		if err := n.Notify(context.Background(), n2); err != nil {
			t.Fatal(err)
		}
	}
	d := got()
	if len(d) != 4 { // a 503 and its retry, then one each
		t.Fatalf("%d deliveries, want 4", len(d))
	}
	for i, x := range d {
		if err := wh.Verify(x.body, x.header); err != nil {
			t.Errorf("delivery %d: the library refuses it: %v\n%s %s", i, err, x.header, x.body)
		}
		if !strings.Contains(string(x.body), `"key":"uploads/u1/a.png"`) {
			t.Errorf("delivery %d body: %s", i, x.body)
		}
	}
	ids := make([]string, len(d))
	for i, x := range d {
		ids[i] = x.header.Get("webhook-id")
	}
	if ids[0] == "" || strings.Contains(ids[0], ".") || ids[1] != ids[0] || ids[2] != ids[0] || ids[3] == ids[0] {
		t.Errorf("webhook-id per delivery %q: want one non-empty id without '.' for the first version (retry and repeat), another for the second", ids)
	}
}

// The library refuses a delivery whose body was changed, one signed with
// another secret and one whose timestamp is older than its 5-minute window.
func TestStandardWebhooksLibraryRefusesForgeries(t *testing.T) {
	const secret = "whsec_c2VjcmV0LWZvci10aGUtbGlicmFyeS10ZXN0LTAxMjM0NQ=="
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	other, err := standardwebhooks.NewWebhook("whsec_" + base64.StdEncoding.EncodeToString([]byte("another-secret-of-24-bytes!")))
	if err != nil {
		t.Fatal(err)
	}
	srv, got := deliveries(t)
	n := &verifier.Notifier{URL: srv.URL, Secret: secret}
	note := verifier.Notification{Bucket: "b", Key: "uploads/u1/a.png", ETag: `"E1"`, Verdict: "verified"}
	if err := n.Notify(context.Background(), note); err != nil {
		t.Fatal(err)
	}
	n.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	if err := n.Notify(context.Background(), note); err != nil {
		t.Fatal(err)
	}
	d := got()
	if len(d) != 2 {
		t.Fatalf("%d deliveries", len(d))
	}
	if err := wh.Verify(d[0].body, d[0].header); err != nil {
		t.Fatalf("the fresh delivery is refused: %v", err)
	}
	tampered := []byte(strings.Replace(string(d[0].body), `"verified"`, `"rejected"`, 1))
	if string(tampered) == string(d[0].body) {
		t.Fatal("body not tampered")
	}
	if err := wh.Verify(tampered, d[0].header); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Errorf("tampered body: %v, want ErrNoMatchingSignature", err)
	}
	if err := other.Verify(d[0].body, d[0].header); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Errorf("another secret: %v, want ErrNoMatchingSignature", err)
	}
	if err := wh.Verify(d[1].body, d[1].header); !errors.Is(err, standardwebhooks.ErrMessageTooOld) {
		t.Errorf("10-minute-old timestamp: %v, want ErrMessageTooOld", err)
	}
	if err := wh.VerifyIgnoringTimestamp(d[1].body, d[1].header); err != nil {
		t.Errorf("the old delivery's signature itself: %v", err)
	}
}

func TestNotifierRefusesAPlainSecret(t *testing.T) {
	srv, got := deliveries(t)
	n := &verifier.Notifier{URL: srv.URL, Secret: "plain-old-secret-0123456789abcdef"}
	if err := n.Notify(context.Background(), verifier.Notification{Key: "k"}); err == nil || strings.Contains(err.Error(), "plain-old") {
		t.Errorf("Notify with a plain secret: %v", err)
	}
	if len(got()) != 0 {
		t.Error("sent unsigned or wrongly signed")
	}
}

func TestNotifierRetriesAndTimeout(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			// Never answers: longer than any per-attempt timeout. It
			// ends when the notifier gives up (or the test does).
			select {
			case <-r.Context().Done():
			case <-release:
			}
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer srv.Close()
	defer close(release) // before srv.Close, which waits for its handlers
	var delays []time.Duration
	n := &verifier.Notifier{URL: srv.URL, Secret: testSecret, Timeout: 100 * time.Millisecond, Attempts: 3, Backoff: 10 * time.Millisecond,
		Sleep: func(_ context.Context, d time.Duration) error { delays = append(delays, d); return nil }}
	if err := n.Notify(context.Background(), verifier.Notification{Key: "k"}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 || len(delays) != 2 || delays[1] != 2*delays[0] {
		t.Errorf("calls %d, back-off %v", calls.Load(), delays)
	}

	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadRequest) }))
	defer bad.Close()
	n.URL = bad.URL + "/hook?token=do-not-log-me"
	err := n.Notify(context.Background(), verifier.Notification{Key: "k"})
	if err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("non-2xx after retries: %v", err)
	}
	bad.Close()
	err = n.Notify(context.Background(), verifier.Notification{Key: "k"})
	if err == nil {
		t.Fatal("transport error not returned")
	}
	if strings.Contains(err.Error(), "do-not-log-me") {
		t.Errorf("error leaks the webhook URL's query: %v", err)
	}
}

// TestNotificationJSONFields pins the body's field names receivers read:
// "route" and "metadata" (the app's pinned metadata) beside the earlier
// ones, each left out when empty.
func TestNotificationJSONFields(t *testing.T) {
	for _, tc := range []struct {
		n    verifier.Notification
		want string
	}{
		{verifier.Notification{Bucket: "b", Key: "uploads/u1/avatars/a.png", Size: 68, ETag: "E", Owner: "u1", Route: "avatar",
			Metadata: map[string]string{"project": "p1", "team": "blue"}, Verdict: "verified"},
			`{"bucket":"b","key":"uploads/u1/avatars/a.png","size":68,"etag":"E","owner":"u1","route":"avatar","metadata":{"project":"p1","team":"blue"},"verdict":"verified"}`},
		{verifier.Notification{Bucket: "b", Key: "uploads/u1/a.png", Size: 68, ETag: "E", Verdict: "rejected", Reason: "unknown-route"},
			`{"bucket":"b","key":"uploads/u1/a.png","size":68,"etag":"E","verdict":"rejected","reason":"unknown-route"}`},
	} {
		got, err := json.Marshal(tc.n)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("body\n%s\nwant\n%s", got, tc.want)
		}
	}
}
