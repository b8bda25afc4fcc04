package verifier_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/ossupload/ossupload/shared/verifier"
)

// A receiver checks each delivery with a Standard Webhooks library over the
// exact body before trusting it, and de-duplicates on webhook-id.
func ExampleNotifier() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // the same WEBHOOK_SECRET verify has
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		panic(err)
	}
	seen := map[string]bool{}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil || wh.Verify(body, r.Header) != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		id := r.Header.Get("webhook-id")
		fmt.Println("verified; first time:", !seen[id])
		seen[id] = true
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()

	n := verifier.Notification{Bucket: "b", Key: "uploads/u1/a.png", ETag: `"E1"`, Verdict: "verified"}
	good := &verifier.Notifier{URL: receiver.URL, Secret: secret, Attempts: 1}
	fmt.Println(good.Notify(context.Background(), n))
	fmt.Println(good.Notify(context.Background(), n)) // a repeat: same webhook-id
	forged := &verifier.Notifier{URL: receiver.URL, Secret: "whsec_YW5vdGhlci1zZWNyZXQtMDEyMzQ1Njc4OWFi", Attempts: 1}
	fmt.Println(forged.Notify(context.Background(), n))
	// Output:
	// verified; first time: true
	// <nil>
	// verified; first time: false
	// <nil>
	// webhook: 1 attempts failed: receiver answered 401
}
