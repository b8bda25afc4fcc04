package stdwebhook

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestPost: the call is a signed JSON POST a receiver can check, the
// answer is cut at maxAnswer+1 bytes, and a failed call's error does not
// repeat the URL (its token).
func TestPost(t *testing.T) {
	key := []byte("0123456789abcdef01234567")
	body := []byte(`{"type":"x"}`)
	var got *http.Request
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		w.WriteHeader(201)
		io.WriteString(w, strings.Repeat("a", 100))
	}))
	defer srv.Close()

	m := Message{URL: srv.URL + "/hook?token=s3cr3t", UserAgent: "ua-test", Key: key, ID: "msg_1", Timestamp: 1700000000, Body: body}
	status, answer, err := Post(context.Background(), srv.Client(), time.Second, m, 10)
	if err != nil || status != 201 || len(answer) != 11 {
		t.Fatalf("Post = %d, %d bytes, %v; want 201, 11 bytes", status, len(answer), err)
	}
	if got.Method != http.MethodPost || got.Header.Get("Content-Type") != "application/json" || got.Header.Get("User-Agent") != "ua-test" || string(gotBody) != string(body) {
		t.Errorf("request %s %q %q %q", got.Method, got.Header.Get("Content-Type"), got.Header.Get("User-Agent"), gotBody)
	}
	if got.Header.Get(IDHeader) != "msg_1" || got.Header.Get(TimestampHeader) != "1700000000" || got.Header.Get(SignatureHeader) != Sign(key, "msg_1", 1700000000, body) {
		t.Errorf("webhook headers %v", got.Header)
	}

	// A port nothing listens on: the error names neither the URL nor its token.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String() + "/hook?token=s3cr3t"
	l.Close()
	m.URL = dead
	status, _, err = Post(context.Background(), nil, time.Second, m, 10)
	if err == nil || status != 0 || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("dead receiver: status %d, error %v", status, err)
	}
	m.URL = "http://h/\x7f?token=s3cr3t"
	if _, _, err := Post(context.Background(), nil, time.Second, m, 10); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("bad URL: error %v", err)
	}
}

// A redirect is the receiver's answer, never followed: following it would
// re-send a 307/308 call, body and signature, to whatever host Location
// names (and turn a 301/302/303 into a GET whose 2xx reads as delivered),
// and take that host's answer as the receiver's: the pre-sign hook's
// decision, or verify's "delivered".
func TestPostDoesNotFollowRedirects(t *testing.T) {
	elsewhere := make(chan string, 10)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere <- r.Method
		io.WriteString(w, `{"allow":true}`)
	}))
	defer other.Close()
	m := Message{UserAgent: "ua-test", Key: []byte("0123456789abcdef01234567"), ID: "msg_1", Timestamp: 1700000000, Body: []byte(`{}`)}
	for _, status := range []int{301, 302, 303, 307, 308} {
		srv := httptest.NewServer(http.RedirectHandler(other.URL+"/elsewhere", status))
		m.URL = srv.URL
		for _, client := range []*http.Client{nil, srv.Client()} {
			got, _, err := Post(context.Background(), client, time.Second, m, 10)
			if err != nil || got != status {
				t.Errorf("redirect %d: Post = %d, %v; want %d", status, got, err, status)
			}
		}
		srv.Close()
	}
	if len(elsewhere) != 0 {
		t.Fatalf("the redirects' host was called %d times", len(elsewhere))
	}
}
