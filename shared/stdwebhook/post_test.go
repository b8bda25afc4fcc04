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
