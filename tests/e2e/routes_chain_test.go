package e2e

import (
	"encoding/base64"
	"strings"
	"testing"

	localstack "github.com/ossupload/ossupload/local/stack"
	"github.com/ossupload/ossupload/local/stacktest"
)

// TestHookMetadataReachesTheWebhook (#18) follows the app's metadata the
// whole way, with nothing computed by the test: the pre-sign hook answers
// {"project-id": "p-7"}, sign pins it in the form (or sts returns it in
// "headers"), the upload goes to the OSS emulator, verify judges the
// object, and the completion webhook (checked with the official Standard
// Webhooks library) carries the route and the metadata. An STS holder who
// changes the metadata keeps the pin but loses the upload:
// unpinned-metadata.
func TestHookMetadataReachesTheWebhook(t *testing.T) {
	hookSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("chain-test-pre-sign-hook-secret!"))
	webhookSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("chain-test-completion-webhook-32"))
	recv := startRouteReceiver(t, webhookSecret)
	hook := stacktest.StartHookApp(t, hookSecret)
	hook.SetAnswer(stacktest.AnswerJSON(map[string]any{"allow": true, "metadata": map[string]string{"project-id": "p-7"}}))
	s, _ := stacktest.Start(t, func(c *localstack.Config) {
		c.FunctionEnv = map[string]string{
			"UPLOAD_ROUTES":      routesJSON,
			"UPLOAD_HOOK_URL":    hook.URL,
			"UPLOAD_HOOK_SECRET": hookSecret,
			"WEBHOOK_URL":        recv.URL,
			"WEBHOOK_SECRET":     webhookSecret,
		}
	})
	png := realPNG(t)
	want := func(t *testing.T, d routeDelivery, verdict, reason, route string, meta map[string]string) {
		t.Helper()
		if d.Verdict != verdict || d.Reason != reason || d.Route != route || len(d.Metadata) != len(meta) || d.Metadata["project-id"] != meta["project-id"] {
			t.Fatalf("webhook = %+v, want %s %q route %q metadata %v", d, verdict, reason, route, meta)
		}
	}

	t.Run("form", func(t *testing.T) {
		code, a, raw := call(t, s, "", map[string]any{"route": "avatar", "filename": "me.png", "contentType": "image/png", "size": len(png),
			"clientPayload": map[string]string{"projectId": "p-7"}})
		if code != 200 || a.Fields["x-oss-meta-project-id"] != "p-7" || a.Fields["x-oss-meta-upload-pin"] == "" {
			t.Fatalf("sign: HTTP %d %s", code, raw)
		}
		if st, body := postFields(t, a.URL, asList(a.Fields), png); st/100 != 2 {
			t.Fatalf("form POST: HTTP %d %s", st, body)
		}
		want(t, recv.wait(t, a.Key), "verified", "", "avatar", map[string]string{"project-id": "p-7"})
		calls := hook.Calls()
		if last := calls[len(calls)-1]; last.Key != a.Key || last.Route != "avatar" || last.Via != "form" || !strings.Contains(string(last.ClientPayload), `"p-7"`) {
			t.Fatalf("the hook was asked %+v", last)
		}
	})

	t.Run("sts", func(t *testing.T) {
		a := mustVend(t, s, map[string]any{"route": "avatar"})
		if a.Headers["x-oss-meta-project-id"] != "p-7" || a.Headers["x-oss-meta-route"] != "avatar" || a.Headers["x-oss-meta-upload-pin"] == "" {
			t.Fatalf("sts headers = %v", a.Headers)
		}
		b := sdkBucket(t, s, a)
		honest := a.Dir + "honest.png"
		if err := putWithHeaders(b, a, honest, "image/png", png); err != nil {
			t.Fatal(err)
		}
		want(t, recv.wait(t, honest), "verified", "", "avatar", map[string]string{"project-id": "p-7"})

		forged := a
		forged.Headers = map[string]string{}
		for k, v := range a.Headers {
			forged.Headers[k] = v
		}
		forged.Headers["x-oss-meta-project-id"] = "p-8" // a project the app never granted
		key := a.Dir + "forged.png"
		if err := putWithHeaders(b, forged, key, "image/png", png); err != nil {
			t.Fatal(err)
		}
		want(t, recv.wait(t, key), "rejected", "unpinned-metadata", "avatar", nil)
	})
}
