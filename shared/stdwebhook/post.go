package stdwebhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Message is one signed POST: Body (JSON) to URL, under the message id ID
// with the attempt's Unix time Timestamp, signed with Key.
type Message struct {
	URL       string
	UserAgent string
	Key       []byte
	ID        string
	Timestamp int64
	Body      []byte
}

// Post sends m as a Standard Webhooks call through client (nil:
// http.DefaultClient) within timeout, and returns the answer's status and
// at most maxAnswer+1 bytes of its body (so a caller can tell "too long"),
// read within the same timeout. A failed call's error never holds the URL,
// which may carry a token. A redirect is never followed: its 3xx is the
// answer.
func Post(ctx context.Context, client *http.Client, timeout time.Duration, m Message, maxAnswer int64) (status int, answer []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return 0, nil, errors.New("the webhook URL does not make a request")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", m.UserAgent)
	SetHeaders(req.Header, m.Key, m.ID, m.Timestamp, m.Body)
	resp, err := noRedirects(client).Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may carry a token: keep it out of errors and logs
		}
		return 0, nil, fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	answer, err = io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("reading the answer: %w", err)
	}
	return resp.StatusCode, answer, nil
}

// noRedirects is client (nil: http.DefaultClient) with redirects not
// followed. Followed, a 307/308 would re-send the call, body and signature
// headers, to whatever host the Location names, and a 301/302/303 would
// become a GET whose 2xx reads as accepted: that host's answer would be
// taken as the receiver's (the pre-sign hook's decision and metadata,
// verify's "delivered").
func noRedirects(client *http.Client) *http.Client {
	if client == nil {
		client = http.DefaultClient
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}
