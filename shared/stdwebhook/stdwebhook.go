// Package stdwebhook signs outgoing calls the Standard Webhooks way
// (https://github.com/standard-webhooks/standard-webhooks, spec/standard-webhooks.md
// v1.0.0), so receivers check them with a published standardwebhooks
// library: the completion webhook of verify, and the pre-sign hook.
package stdwebhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Header names (spec, "Webhook headers"). IDHeader is the message's
// idempotency key, the same for every attempt; TimestampHeader the
// attempt's Unix time in seconds; SignatureHeader "v1," followed by the
// base64 of HMAC-SHA256(key, id + "." + timestamp + "." + body) (spec,
// "Signature scheme").
const (
	IDHeader        = "webhook-id"
	TimestampHeader = "webhook-timestamp"
	SignatureHeader = "webhook-signature"
)

// SecretPrefix starts a symmetric secret: "whsec_" and the base64 of 24 to
// 64 random bytes (spec, "Signature scheme" table: "Random. Between 24 bytes
// (192 bits) and 64 bytes (512 bits)", "base64 encoded, prefixed with
// whsec_").
const SecretPrefix = "whsec_"

// Secret key lengths the specification allows.
const (
	MinSecretBytes = 24
	MaxSecretBytes = 64
)

// ParseSecret decodes a "whsec_<base64>" secret into its key. The error
// never contains the secret.
func ParseSecret(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("not in the Standard Webhooks format %s<base64 of %d-%d random bytes>", SecretPrefix, MinSecretBytes, MaxSecretBytes)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("the part after %s is not standard base64", SecretPrefix)
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return nil, fmt.Errorf("the key after %s is %d bytes, want %d to %d", SecretPrefix, len(key), MinSecretBytes, MaxSecretBytes)
	}
	return key, nil
}

// Sign returns the webhook-signature value for a message id (which must not
// contain "."), the attempt's Unix time ts and the exact body.
func Sign(key []byte, id string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SetHeaders sets the three headers on h for body sent at ts. HTTP header
// names are case-insensitive, so the canonical forms go out.
func SetHeaders(h http.Header, key []byte, id string, ts int64, body []byte) {
	h.Set(IDHeader, id)
	h.Set(TimestampHeader, strconv.FormatInt(ts, 10))
	h.Set(SignatureHeader, Sign(key, id, ts, body))
}
