package verifier_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/ossupload/ossupload/shared/verifier"
)

// A webhook receiver checks the signature over the exact body before
// trusting it, and rejects stale timestamps.
func ExampleVerify() {
	secret := []byte("whsec-test-0123456789abcdef")
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, r.ContentLength)
		_, _ = io.ReadFull(r.Body, body)
		err := verifier.Verify(secret, r.Header.Get(verifier.TimestampHeader), r.Header.Get(verifier.SignatureHeader), body, time.Unix(1700000030, 0), 5*time.Minute)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})

	body := `{"bucket":"b","key":"uploads/u1/a.png","verdict":"verified"}`
	for _, sig := range []string{verifier.Sign(secret, 1700000000, []byte(body)), strings.Repeat("0", 64)} {
		req := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
		req.Header.Set(verifier.TimestampHeader, "1700000000")
		req.Header.Set(verifier.SignatureHeader, sig)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}
	// Output:
	// 204
	// 401
}
