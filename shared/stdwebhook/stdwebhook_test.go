package stdwebhook_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/ossupload/ossupload/shared/stdwebhook"
)

// The signing vector of the Standard Webhooks repository's own tests
// (standard-webhooks libraries/go/webhook_test.go TestWebhookSign, and the
// same values in libraries/javascript/src/webhook.test.ts); the
// specification itself shows a signature without its secret. Re-checked
// with OpenSSL 3.0:
//
//	printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' \
//	  | openssl dgst -sha256 -mac HMAC -macopt hexkey:$(printf %s MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw | base64 -d | xxd -p -c 100) -binary | base64
const (
	vecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTS     = 1614265330
	vecBody   = `{"test": 2432232314}`
	vecSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignVector(t *testing.T) {
	key, err := stdwebhook.ParseSecret(vecSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := stdwebhook.Sign(key, vecID, vecTS, []byte(vecBody)); got != vecSig {
		t.Errorf("Sign = %s, want %s", got, vecSig)
	}
}

func TestParseSecret(t *testing.T) {
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", n))) }
	for _, tc := range []struct {
		name, secret string
		ok           bool
	}{
		{"24 bytes", "whsec_" + b64(24), true},
		{"64 bytes", "whsec_" + b64(64), true},
		{"old plain secret", "whsec-e2e-0123456789abcdef0123456789", false},
		{"no prefix", b64(32), false},
		{"not base64", "whsec_not*base64*at*all*0123456789", false},
		{"23 bytes", "whsec_" + b64(23), false},
		{"65 bytes", "whsec_" + b64(65), false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, err := stdwebhook.ParseSecret(tc.secret)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseSecret: %v, want ok=%t", err, tc.ok)
			}
			if err != nil && tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("the error repeats the secret: %v", err)
			}
			if tc.ok && string(key) != strings.Repeat("k", len(key)) {
				t.Errorf("key %q", key)
			}
		})
	}
}
