package verifier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/ossupload/ossupload/shared/stdwebhook"
)

// Notification is the JSON body of a webhook call. Receivers should treat
// (bucket, key, etag) as the delivery's identity: a crash between sending
// and recording the delivery can repeat it (see the package doc).
type Notification struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	ETag   string `json:"etag"`
	Owner  string `json:"owner,omitempty"`
	Route  string `json:"route,omitempty"` // the route whose directory holds the key
	// Metadata are the app's metadata (from the pre-sign hook) that the
	// upload's pin vouches for; absent without a valid pin or a hook.
	Metadata    map[string]string `json:"metadata,omitempty"`
	SniffedType string            `json:"sniffedType,omitempty"`
	Verdict     string            `json:"verdict"`
	Reason      string            `json:"reason,omitempty"`
	Action      string            `json:"action,omitempty"`      // what was done to a rejected object: quarantine|delete|tag
	LocationKey string            `json:"locationKey,omitempty"` // where the object now lives (the quarantine key after a move)
	EventName   string            `json:"eventName,omitempty"`
	EventTime   time.Time         `json:"eventTime,omitzero"`
	RequestID   string            `json:"requestId,omitempty"` // the OSS request that created the object
}

// MessageID is the webhook-id of the notification for one object version:
// "msg_" and the hex of the first 16 bytes of SHA-256 over bucket, key and
// ETag. Every attempt, an FC retry and the sweep send the same id for the
// same version, so a receiver de-duplicates on it (Standard Webhooks spec,
// "Webhook metadata"). It never contains "." (spec, "Signature scheme").
func MessageID(bucket, key, etag string) string {
	h := sha256.New()
	for _, s := range []string{bucket, key, etag} {
		h.Write([]byte(s))
		h.Write([]byte{0}) // a separator no bucket, key or ETag contains
	}
	return "msg_" + hex.EncodeToString(h.Sum(nil)[:16])
}

// Notifier posts signed notifications.
type Notifier struct {
	URL      string
	Secret   string           // "whsec_<base64>", see stdwebhook.ParseSecret
	Client   *http.Client     // nil: http.DefaultClient semantics with Timeout per attempt
	Timeout  time.Duration    // per attempt; default 5 s
	Attempts int              // default 3
	Backoff  time.Duration    // first retry delay, doubled each time; default 500 ms
	Now      func() time.Time // default time.Now
	// Sleep waits between attempts; default honours ctx. Tests inject a no-op.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Notify sends n, retrying transport errors and non-2xx answers with
// back-off. It returns an error when every attempt failed.
func (w *Notifier) Notify(ctx context.Context, n Notification) error {
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("webhook: encode: %w", err)
	}
	key, err := stdwebhook.ParseSecret(w.Secret)
	if err != nil {
		return fmt.Errorf("webhook: secret: %w", err)
	}
	id := MessageID(n.Bucket, n.Key, n.ETag)
	attempts := w.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	delay := w.Backoff
	if delay <= 0 {
		delay = 500 * time.Millisecond
	}
	var last error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			if err := w.sleep(ctx, delay); err != nil {
				return fmt.Errorf("webhook: %w (last attempt: %v)", err, last)
			}
			delay *= 2
		}
		if last = w.post(ctx, key, id, body); last == nil {
			return nil
		}
	}
	return fmt.Errorf("webhook: %d attempts failed: %w", attempts, last)
}

func (w *Notifier) post(ctx context.Context, key []byte, id string, body []byte) error {
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	// The timestamp is the attempt's, the id the event's (spec, "Webhook
	// metadata").
	status, _, err := stdwebhook.Post(ctx, w.Client, timeout, stdwebhook.Message{
		URL: w.URL, UserAgent: "ossupload-verify", Key: key, ID: id, Timestamp: now().Unix(), Body: body,
	}, 64<<10)
	if status == 0 {
		return err // no answer; a 2xx whose body then broke off was still delivered
	}
	if status < 200 || status > 299 {
		return fmt.Errorf("receiver answered %d", status)
	}
	return nil
}

func (w *Notifier) sleep(ctx context.Context, d time.Duration) error {
	if w.Sleep != nil {
		return w.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
