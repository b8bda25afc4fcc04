package uploadhook_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/ossupload/ossupload/shared/uploadhook"
)

var (
	appSecret   = "whsec_" + base64.StdEncoding.EncodeToString([]byte("the-apps-pre-sign-hook-secret-0123"))
	otherSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("not-the-apps-secret-0123456789abc"))
)

// app is the app's hook endpoint on loopback: it checks each call with the
// official Standard Webhooks library under its secret (401 if that fails)
// and answers with answer(request).
func app(t *testing.T, secret string, answer func(w http.ResponseWriter, r *http.Request, got uploadhook.Request)) string {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := wh.Verify(body, r.Header); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var got uploadhook.Request
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("hook body: %v", err)
		}
		answer(w, r, got)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func reply(s string) func(http.ResponseWriter, *http.Request, uploadhook.Request) {
	return func(w http.ResponseWriter, _ *http.Request, _ uploadhook.Request) { _, _ = io.WriteString(w, s) }
}

var call = uploadhook.Request{User: "user-42", Via: "form", Route: "avatar", Key: "uploads/user-42/avatars/2026/12/01/00112233aabbccdd-avatar.png", Filename: "avatar.png", ContentType: "image/png", Size: 2048,
	ClientPayload: json.RawMessage(`{"projectId":"p-7"}`)}

func TestAllowWithMetadata(t *testing.T) {
	seenc := make(chan uploadhook.Request, 1)
	url := app(t, appSecret, func(w http.ResponseWriter, _ *http.Request, got uploadhook.Request) {
		seenc <- got
		_, _ = io.WriteString(w, `{"allow":true,"metadata":{"project-id":"p-7"}}`)
	})
	c := &uploadhook.Client{URL: url, Secret: appSecret, Now: time.Now}
	d, err := c.Ask(context.Background(), call)
	if err != nil || !d.Allow || d.Metadata["project-id"] != "p-7" || len(d.Metadata) != 1 {
		t.Fatalf("Ask = %+v, %v", d, err)
	}
	seen := <-seenc
	want := call
	want.Type = "upload.requested"
	if seen.Type != want.Type || seen.User != want.User || seen.Via != want.Via || seen.Filename != want.Filename ||
		seen.ContentType != want.ContentType || seen.Size != want.Size || string(seen.ClientPayload) != string(want.ClientPayload) ||
		seen.Route != want.Route || seen.Key != want.Key {
		t.Errorf("the app saw %+v, want %+v", seen, want)
	}
}

func TestDenyCarriesTheAppsMessage(t *testing.T) {
	c := &uploadhook.Client{URL: app(t, appSecret, reply(`{"allow":false,"message":"project p-7 is read-only"}`)), Secret: appSecret, Now: time.Now}
	d, err := c.Ask(context.Background(), call)
	if err != nil || d.Allow {
		t.Fatalf("Ask = %+v, %v", d, err)
	}
	e := uploadhook.HTTPError(d, nil)
	if e.Status() != http.StatusForbidden || e.Code.String() != "upload_denied" || e.Message != "project p-7 is read-only" {
		t.Errorf("HTTPError = %+v", e)
	}
}

// Everything that is not a clear, valid answer in time is ErrUnavailable,
// which callers turn into a 503 without a signature.
func TestUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secret string // the app's
		answer func(http.ResponseWriter, *http.Request, uploadhook.Request)
	}{
		{"bad signature (app has another secret)", otherSecret, reply(`{"allow":true}`)},
		{"slow", appSecret, func(w http.ResponseWriter, r *http.Request, _ uploadhook.Request) { <-r.Context().Done() }},
		{"500 with an allow body", appSecret, func(w http.ResponseWriter, _ *http.Request, _ uploadhook.Request) {
			w.WriteHeader(500)
			_, _ = io.WriteString(w, `{"allow":true}`)
		}},
		{"not JSON", appSecret, reply(`allow`)},
		{"no allow", appSecret, reply(`{"message":"ok"}`)},
		{"allow not boolean", appSecret, reply(`{"allow":"yes"}`)},
		{"metadata name with underscore", appSecret, reply(`{"allow":true,"metadata":{"project_id":"p"}}`)},
		{"metadata name upper case", appSecret, reply(`{"allow":true,"metadata":{"Project":"p"}}`)},
		{"metadata value with newline", appSecret, reply(`{"allow":true,"metadata":{"p":"a\nb"}}`)},
		{"metadata too large", appSecret, reply(`{"allow":true,"metadata":{"p":"` + strings.Repeat("x", 2100) + `"}}`)},
		{"metadata on a deny", appSecret, reply(`{"allow":false,"metadata":{"p":"x"}}`)},
		{"message with control character", appSecret, reply(`{"allow":false,"message":"no\u0007"}`)},
		{"metadata names the owner", appSecret, reply(`{"allow":true,"metadata":{"owner":"mallory"}}`)},
		{"metadata names the route", appSecret, reply(`{"allow":true,"metadata":{"route":"document"}}`)},
		{"metadata names the declared type", appSecret, reply(`{"allow":true,"metadata":{"declared-type":"image/png"}}`)},
		{"metadata names the declared size", appSecret, reply(`{"allow":true,"metadata":{"declared-size":"1"}}`)},
		{"metadata names another declared-", appSecret, reply(`{"allow":true,"metadata":{"declared-sha256":"x"}}`)},
		{"metadata name starts with upload-", appSecret, reply(`{"allow":true,"metadata":{"upload-status":"verified"}}`)},
		{"metadata value empty", appSecret, reply(`{"allow":true,"metadata":{"p":""}}`)},
		{"metadata value with a leading space", appSecret, reply(`{"allow":true,"metadata":{"p":" x"}}`)},
		{"metadata value with a trailing space", appSecret, reply(`{"allow":true,"metadata":{"p":"x "}}`)},
		{"metadata value not ASCII", appSecret, reply(`{"allow":true,"metadata":{"p":"项目"}}`)},
		// 2049 bytes as OSS counts them (x-oss-meta-p and the value), 2038 without the prefix.
		{"metadata too large counting x-oss-meta-", appSecret, reply(`{"allow":true,"metadata":{"p":"` + strings.Repeat("x", 2037) + `"}}`)},
		{"metadata name too long", appSecret, reply(`{"allow":true,"metadata":{"` + strings.Repeat("n", 65) + `":"x"}}`)},
		{"message with a bidirectional override", appSecret, reply(`{"allow":false,"message":"ok \u202egpj.exe"}`)},
		{"message too long", appSecret, reply(`{"allow":false,"message":"` + strings.Repeat("m", 257) + `"}`)},
		{"answer too large", appSecret, reply(`{"allow":true,"message":"` + strings.Repeat(" ", 17<<10) + `"}`)},
		// A name given twice, in any letter case, is read differently by
		// the app's JSON library (JavaScript: case-sensitive, last wins)
		// and encoding/json (case-insensitive, last wins; objects merged).
		{"allow named twice in other case", appSecret, reply(`{"allow":false,"message":"no","Allow":true}`)},
		{"allow named twice", appSecret, reply(`{"allow":false,"allow":true}`)},
		{"metadata named twice in other case", appSecret, reply(`{"allow":true,"metadata":{"project-id":"p-7"},"METADATA":{"project-id":"p-9"}}`)},
		{"metadata named twice (merged by encoding/json)", appSecret, reply(`{"allow":true,"metadata":{"a":"1"},"metadata":{"b":"2"}}`)},
		{"a metadata name twice", appSecret, reply(`{"allow":true,"metadata":{"project-id":"p-7","project-id":"p-9"}}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &uploadhook.Client{URL: app(t, tc.secret, tc.answer) + "/hook?token=keep-me-out", Secret: appSecret, Timeout: 200 * time.Millisecond, Now: time.Now}
			start := time.Now()
			d, err := c.Ask(context.Background(), call)
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("Ask took %v with a 200 ms timeout", took)
			}
			if !errors.Is(err, uploadhook.ErrUnavailable) {
				t.Fatalf("Ask = %+v, %v; want ErrUnavailable", d, err)
			}
			if strings.Contains(err.Error(), "keep-me-out") {
				t.Errorf("the error leaks the URL: %v", err)
			}
			if e := uploadhook.HTTPError(d, err); e.Status() != http.StatusServiceUnavailable || e.Code.String() != "hook_unavailable" {
				t.Errorf("HTTPError = %+v", e)
			}
		})
	}
}

// Answers at each limit are valid: a 64-byte name, metadata of exactly
// MaxMetadataBytes as OSS counts it, a 256-byte message in the app's
// language.
func TestAnswersAtTheLimits(t *testing.T) {
	name := strings.Repeat("n", uploadhook.MaxMetadataName)
	value := strings.Repeat("v", uploadhook.MaxMetadataBytes-len("x-oss-meta-")*2-len(name)-len("project-id")-len("p-7"))
	c := &uploadhook.Client{URL: app(t, appSecret, reply(`{"allow":true,"metadata":{"`+name+`":"`+value+`","project-id":"p-7"}}`)), Secret: appSecret, Now: time.Now}
	if d, err := c.Ask(context.Background(), call); err != nil || !d.Allow || d.Metadata[name] != value {
		t.Fatalf("metadata at the limit: %+v, %v", d, err)
	}
	msg := strings.Repeat("只", (uploadhook.MaxMessageBytes-4)/3) + " p-7" // 3 bytes each in UTF-8
	c = &uploadhook.Client{URL: app(t, appSecret, reply(`{"allow":false,"message":"`+msg+`"}`)), Secret: appSecret, Now: time.Now}
	if d, err := c.Ask(context.Background(), call); err != nil || d.Allow || d.Message != msg || len(msg) != uploadhook.MaxMessageBytes {
		t.Fatalf("message of %d bytes: %+v, %v", len(msg), d, err)
	}
}

// Without a usable secret or URL nothing is sent and nothing is signed:
// the caller gets the same 503 as for a hook that does not answer.
func TestBadConfigurationSendsNothing(t *testing.T) {
	calls := make(chan struct{}, 10)
	url := app(t, appSecret, func(w http.ResponseWriter, _ *http.Request, _ uploadhook.Request) {
		calls <- struct{}{}
		_, _ = io.WriteString(w, `{"allow":true}`)
	})
	for _, tc := range []struct{ name, url, secret string }{
		{"no secret", url, ""},
		{"secret without whsec_", url, strings.TrimPrefix(appSecret, "whsec_")},
		{"secret not base64", url, "whsec_!!!"},
		{"secret too short", url, "whsec_" + base64.StdEncoding.EncodeToString([]byte("short"))},
		{"no URL", "", appSecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &uploadhook.Client{URL: tc.url, Secret: tc.secret, Now: time.Now}
			d, err := c.Ask(context.Background(), call)
			if !errors.Is(err, uploadhook.ErrUnavailable) || d.Allow {
				t.Fatalf("Ask = %+v, %v; want ErrUnavailable", d, err)
			}
			if tc.secret != "" && strings.Contains(err.Error(), strings.TrimPrefix(tc.secret, "whsec_")) {
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
	if len(calls) != 0 {
		t.Errorf("the app was called %d times", len(calls))
	}
}

// The wire names are the contract receivers code against (README "Pre-sign hook").
func TestRequestWireNames(t *testing.T) {
	bodies := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bodies <- must(io.ReadAll(r.Body))
		_, _ = io.WriteString(w, `{"allow":true}`)
	}))
	defer srv.Close()
	c := &uploadhook.Client{URL: srv.URL, Secret: appSecret, Now: time.Now}
	if _, err := c.Ask(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(<-bodies, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"type": "upload.requested", "user": "user-42", "via": "form", "route": "avatar", "key": call.Key,
		"filename": "avatar.png", "contentType": "image/png", "size": 2048.0, "clientPayload": map[string]any{"projectId": "p-7"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body = %v\nwant %v", got, want)
	}
}

// The signature covers the body: the library refuses a call whose body was
// changed on the way, and one whose timestamp is outside its window.
func TestCallsAreSignedOverTheBody(t *testing.T) {
	wh, err := standardwebhooks.NewWebhook(appSecret)
	if err != nil {
		t.Fatal(err)
	}
	type delivery struct {
		header http.Header
		body   []byte
	}
	got := make(chan delivery, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- delivery{r.Header.Clone(), must(io.ReadAll(r.Body))}
		_, _ = io.WriteString(w, `{"allow":true}`)
	}))
	defer srv.Close()
	c := &uploadhook.Client{URL: srv.URL, Secret: appSecret, Now: func() time.Time { return time.Now().Add(-10 * time.Minute) }}
	if _, err := c.Ask(context.Background(), call); err != nil {
		t.Fatal(err)
	}
	d := <-got
	header, body := d.header, d.body
	if err := wh.VerifyIgnoringTimestamp(body, header); err != nil {
		t.Fatalf("the call does not verify: %v", err)
	}
	if err := wh.Verify(body, header); !errors.Is(err, standardwebhooks.ErrMessageTooOld) {
		t.Errorf("10-minute-old call: %v, want ErrMessageTooOld", err)
	}
	tampered := []byte(strings.Replace(string(body), `"size":2048`, `"size":1`, 1))
	if err := wh.VerifyIgnoringTimestamp(tampered, header); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) || string(tampered) == string(body) {
		t.Errorf("tampered body: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A hook that answers a redirect is not answering: Ask must not follow it
// to another host and take that host's answer as the app's decision (the
// default client re-sends a 307/308 POST with its body and signature
// headers, and accepts whatever the other end says). A redirect is
// ErrUnavailable, and the other host never sees the call.
func TestRedirectIsNotAnAnswer(t *testing.T) {
	elsewhere := make(chan string, 4)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere <- r.Method
		_, _ = io.WriteString(w, `{"allow":true,"metadata":{"project-id":"p-other"}}`)
	}))
	t.Cleanup(other.Close)
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			url := app(t, appSecret, func(w http.ResponseWriter, r *http.Request, _ uploadhook.Request) {
				http.Redirect(w, r, other.URL+"/hook", status)
			})
			c := &uploadhook.Client{URL: url, Secret: appSecret, Timeout: time.Second, Now: time.Now}
			d, err := c.Ask(context.Background(), call)
			if !errors.Is(err, uploadhook.ErrUnavailable) {
				t.Fatalf("Ask after a %d = %+v, %v; want ErrUnavailable", status, d, err)
			}
			select {
			case m := <-elsewhere:
				t.Fatalf("the call was sent on to the redirect's host (%s)", m)
			default:
			}
			// A client of the caller's own, too.
			c.Client = &http.Client{}
			if d, err := c.Ask(context.Background(), call); !errors.Is(err, uploadhook.ErrUnavailable) {
				t.Fatalf("Ask with Client after a %d = %+v, %v; want ErrUnavailable", status, d, err)
			}
			if len(elsewhere) != 0 {
				t.Fatal("the call was sent on to the redirect's host with a caller's Client")
			}
		})
	}
}
