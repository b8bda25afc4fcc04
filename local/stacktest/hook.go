package stacktest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/ossupload/ossupload/shared/uploadhook"
)

// HookApp is the app's pre-sign hook on loopback, for end-to-end tests: it
// checks every call with the official Standard Webhooks library under its
// secret (401 when that fails, and the call is not recorded) and answers
// with Answer.
type HookApp struct {
	URL string
	// Answer decides each verified call; the default allows with no
	// metadata. It may block (a slow app) until the request's context ends.
	Answer func(w http.ResponseWriter, r *http.Request, call uploadhook.Request)

	mu       sync.Mutex
	calls    []uploadhook.Request
	rejected int
}

// StartHookApp starts a HookApp verifying calls with secret (whsec_...).
func StartHookApp(t testing.TB, secret string) *HookApp {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	a := &HookApp{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := wh.Verify(body, r.Header); err != nil {
			a.mu.Lock()
			a.rejected++
			a.mu.Unlock()
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var call uploadhook.Request
		if err := json.Unmarshal(body, &call); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		a.calls = append(a.calls, call)
		answer := a.Answer
		a.mu.Unlock()
		if answer == nil {
			_, _ = io.WriteString(w, `{"allow":true}`)
			return
		}
		answer(w, r, call)
	}))
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	return a
}

// SetAnswer replaces the answer (safe while calls arrive).
func (a *HookApp) SetAnswer(f func(w http.ResponseWriter, r *http.Request, call uploadhook.Request)) {
	a.mu.Lock()
	a.Answer = f
	a.mu.Unlock()
}

// Calls returns the verified calls so far.
func (a *HookApp) Calls() []uploadhook.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]uploadhook.Request(nil), a.calls...)
}

// Rejected counts the calls whose signature did not verify.
func (a *HookApp) Rejected() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rejected
}

// AnswerJSON is an Answer that writes v as JSON with status 200.
func AnswerJSON(v any) func(http.ResponseWriter, *http.Request, uploadhook.Request) {
	return func(w http.ResponseWriter, _ *http.Request, _ uploadhook.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
}
