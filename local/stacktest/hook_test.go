package stacktest

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/ossupload/ossupload/shared/uploadhook"
)

func TestHookAppVerifiesCalls(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("hook-app-test-secret-0123456789ab"))
	other := "whsec_" + base64.StdEncoding.EncodeToString([]byte("some-other-secret-0123456789abcde"))
	app := StartHookApp(t, secret)
	app.SetAnswer(AnswerJSON(map[string]any{"allow": false, "message": "no"}))
	ask := func(s string) (uploadhook.Decision, error) {
		c := &uploadhook.Client{URL: app.URL, Secret: s, Timeout: 5 * time.Second, Now: time.Now}
		return c.Ask(context.Background(), uploadhook.Request{User: "u", Via: "form", Route: "default"})
	}
	d, err := ask(secret)
	if err != nil || d.Allow || d.Message != "no" {
		t.Fatalf("signed call: %+v, %v", d, err)
	}
	if calls := app.Calls(); len(calls) != 1 || calls[0].User != "u" {
		t.Fatalf("calls = %+v", calls)
	}
	if _, err := ask(other); !errors.Is(err, uploadhook.ErrUnavailable) {
		t.Fatalf("call under another secret: %v", err)
	}
	if app.Rejected() != 1 || len(app.Calls()) != 1 {
		t.Fatalf("rejected %d, calls %d: a badly signed call must be refused and not recorded", app.Rejected(), len(app.Calls()))
	}
}
