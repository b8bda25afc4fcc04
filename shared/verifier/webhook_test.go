package verifier_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ossupload/ossupload/shared/verifier"
)

// Vector computed independently of this code with OpenSSL 3.0:
//
//	printf '1700000000.{"bucket":"b","key":"uploads/u1/a.png","verdict":"verified"}' \
//	  | openssl dgst -sha256 -hmac 'whsec-test-0123456789abcdef'
const (
	vecSecret = "whsec-test-0123456789abcdef"
	vecTS     = "1700000000"
	vecBody   = `{"bucket":"b","key":"uploads/u1/a.png","verdict":"verified"}`
	vecSig    = "34cbc074bed16d422923c46f00c222505604b411bada7d67fdba7236937b7303"
)

func TestSignVector(t *testing.T) {
	if got := verifier.Sign([]byte(vecSecret), 1700000000, []byte(vecBody)); got != vecSig {
		t.Errorf("Sign = %s, want %s", got, vecSig)
	}
}

func TestVerify(t *testing.T) {
	at := time.Unix(1700000000, 0)
	cases := []struct {
		name            string
		secret, ts, sig string
		body            string
		now             time.Time
		tolerance       time.Duration
		want            error
	}{
		{"valid", vecSecret, vecTS, vecSig, vecBody, at, 5 * time.Minute, nil},
		{"valid upper-case hex", vecSecret, vecTS, strings.ToUpper(vecSig), vecBody, at, 5 * time.Minute, nil},
		{"valid no window", vecSecret, vecTS, vecSig, vecBody, at.Add(24 * time.Hour), 0, nil},
		{"body changed", vecSecret, vecTS, vecSig, strings.Replace(vecBody, "verified", "rejected", 1), at, 5 * time.Minute, verifier.ErrBadSignature},
		{"timestamp changed", vecSecret, "1700000001", vecSig, vecBody, at, 5 * time.Minute, verifier.ErrBadSignature},
		{"wrong secret", "other", vecTS, vecSig, vecBody, at, 5 * time.Minute, verifier.ErrBadSignature},
		{"not hex", vecSecret, vecTS, "zz", vecBody, at, 5 * time.Minute, verifier.ErrBadSignature},
		{"empty signature", vecSecret, vecTS, "", vecBody, at, 5 * time.Minute, verifier.ErrBadSignature},
		{"bad timestamp", vecSecret, "soon", vecSig, vecBody, at, 5 * time.Minute, verifier.ErrBadSignature},
		{"too old", vecSecret, vecTS, vecSig, vecBody, at.Add(6 * time.Minute), 5 * time.Minute, verifier.ErrStale},
		{"from the future", vecSecret, vecTS, vecSig, vecBody, at.Add(-6 * time.Minute), 5 * time.Minute, verifier.ErrStale},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := verifier.Verify([]byte(tc.secret), tc.ts, tc.sig, []byte(tc.body), tc.now, tc.tolerance)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestNotifierRetriesAndTimeout(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			time.Sleep(300 * time.Millisecond) // longer than the per-attempt timeout
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer srv.Close()
	var delays []time.Duration
	n := &verifier.Notifier{URL: srv.URL, Secret: []byte("s"), Timeout: 100 * time.Millisecond, Attempts: 3, Backoff: 10 * time.Millisecond,
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
