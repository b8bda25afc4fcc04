package verifier

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Webhook headers. The signature is lower-case hex of
// HMAC-SHA256(WEBHOOK_SECRET, timestamp + "." + body), where timestamp is the
// decimal Unix time in seconds sent in TimestampHeader and body is the exact
// request body. Receivers check it with Verify.
const (
	TimestampHeader = "X-Ossupload-Timestamp"
	SignatureHeader = "X-Ossupload-Signature"
)

// Notification is the JSON body of a webhook call. Receivers should treat
// (bucket, key, etag) as the delivery's identity: a crash between sending
// and recording the delivery can repeat it (see the package doc).
type Notification struct {
	Bucket      string    `json:"bucket"`
	Key         string    `json:"key"`
	Size        int64     `json:"size"`
	ETag        string    `json:"etag"`
	Owner       string    `json:"owner,omitempty"`
	SniffedType string    `json:"sniffedType,omitempty"`
	Verdict     string    `json:"verdict"`
	Reason      string    `json:"reason,omitempty"`
	Action      string    `json:"action,omitempty"`      // what was done to a rejected object: quarantine|delete|tag
	LocationKey string    `json:"locationKey,omitempty"` // where the object now lives (the quarantine key after a move)
	EventName   string    `json:"eventName,omitempty"`
	EventTime   time.Time `json:"eventTime,omitzero"`
	RequestID   string    `json:"requestId,omitempty"` // the OSS request that created the object
}

// Sign returns the signature for a body sent at timestamp ts (Unix seconds).
func Sign(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Webhook verification errors.
var (
	ErrBadSignature = errors.New("webhook signature does not match")
	ErrStale        = errors.New("webhook timestamp outside the allowed window")
)

// Verify checks a received webhook: the timestamp and signature header
// values, the exact body, the shared secret, the receiver's clock and the
// accepted clock difference (e.g. 5 minutes; 0 disables the window check).
// The MAC comparison is constant-time.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad %s", ErrBadSignature, TimestampHeader)
	}
	got, err := hex.DecodeString(signature)
	if err != nil {
		return fmt.Errorf("%w: %s is not hex", ErrBadSignature, SignatureHeader)
	}
	want, _ := hex.DecodeString(Sign(secret, ts, body))
	if !hmac.Equal(got, want) {
		return ErrBadSignature
	}
	if tolerance > 0 {
		d := now.Sub(time.Unix(ts, 0))
		if d > tolerance || d < -tolerance {
			return ErrStale
		}
	}
	return nil
}

// Notifier posts signed notifications.
type Notifier struct {
	URL      string
	Secret   []byte
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
		if last = w.post(ctx, body); last == nil {
			return nil
		}
	}
	return fmt.Errorf("webhook: %d attempts failed: %w", attempts, last)
}

func (w *Notifier) post(ctx context.Context, body []byte) error {
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ossupload-verify")
	req.Header.Set(TimestampHeader, strconv.FormatInt(ts, 10))
	req.Header.Set(SignatureHeader, Sign(w.Secret, ts, body))
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may carry a token: keep it out of errors and logs
		}
		return fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("receiver answered %d", resp.StatusCode)
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
