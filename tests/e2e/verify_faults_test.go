package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/shared/verifier"

	"github.com/ossupload/ossupload/local/stacktest"
)

// sYAMLShortVerify is s.yaml with the webhook on and verify's timeout cut
// from 120 s to secs, so a call slower than the timeout ends in seconds.
func sYAMLShortVerify(t *testing.T, secs int) string {
	t.Helper()
	path := sYAMLWithWebhook(t)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const line = "      timeout: 120\n"
	if strings.Count(string(b), line) != 1 {
		t.Fatalf("s.yaml: verify's timeout line not found once")
	}
	out := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(out, []byte(strings.Replace(string(b), line, fmt.Sprintf("      timeout: %d\n", secs), 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// faultList is what the OSS emulator still has armed.
func faultList(t *testing.T, emulator string) []json.RawMessage {
	t.Helper()
	res, err := http.Get(strings.TrimSuffix(emulator, "/") + "/_emulator/faults")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var l []json.RawMessage
	if err := json.NewDecoder(res.Body).Decode(&l); err != nil {
		t.Fatal(err)
	}
	return l
}

// judged waits until key's verdict is recorded and delivered: on the
// object itself (verified), or on its quarantine copy with the original
// gone (rejected). It reads with the developer's key and never through
// HeadObject or GetObject, so it spends none of the faults under test.
func judged(t *testing.T, b *oss.Bucket, key string, rejected bool) map[string]string {
	t.Helper()
	where := key
	if rejected {
		where = "quarantine/" + key
	}
	var tags map[string]string
	stacktest.Eventually(t, 60*time.Second, key+": a delivered verdict", func() bool {
		res, err := b.GetObjectTagging(where)
		if err != nil {
			return false
		}
		tags = map[string]string{}
		for _, tg := range res.Tags {
			tags[tg.Key] = tg.Value
		}
		if tags[verifier.TagStatus] == "" || tags[verifier.TagNotified] != tags[verifier.TagETag] {
			return false
		}
		if rejected {
			if _, err := b.GetObjectTagging(key); err == nil {
				return false // copied, not yet deleted
			}
		}
		return true
	})
	return tags
}

// TestVerifyUnderOSSFaults: verify meets OSS 503s on each call it makes
// (HeadObject, GetObject, PutObjectTagging, CopyObject), an answer slower
// than its timeout, and a crash (its process killed, as FC kills one out
// of memory) between recording a verdict and quarantining the object.
// FC's async retries (maxAsyncRetryAttempts from s.yaml) carry every upload
// to exactly one correct verdict: recorded on the object, quarantined
// once, delivered to the webhook at least once with the same identity,
// and served by GET /status; nothing is left pending once the faults stop.
// The sweep is kept out of it (its default age of two hours), so only the
// retries can recover.
func TestVerifyUnderOSSFaults(t *testing.T) {
	hook, hookURL := newHookReceiver(t)
	s := startStackArgs(t, "", []string{"-s", sYAMLShortVerify(t, 4)}, "WEBHOOK_URL="+hookURL, "WEBHOOK_SECRET="+sweepHookSecret)
	dev := devBucket(t, s)
	good, bad := realPNG(t), []byte("#!/bin/sh\necho this is not a picture\n")
	upload := func(name string) string { return "uploads/*/*/*/*/*-" + name }
	quarantined := func(name string) string { return "quarantine/uploads/*/*/*/*/*-" + name }

	cases := []struct {
		name    string
		content []byte
		faults  []string // %s is the file name
		// rejected uploads end in quarantine (type-mismatch)
		rejected bool
	}{
		{"head-503.png", good, []string{`{"op":"HeadObject","key":%q,"status":503,"times":2}`}, false},
		{"get-503.png", bad, []string{`{"op":"GetObject","key":%q,"status":503,"times":2}`}, true},
		{"tag-503.png", good, []string{`{"op":"PutObjectTagging","key":%q,"status":503,"times":2}`}, false},
		{"tag-500-bad.png", bad, []string{`{"op":"PutObjectTagging","key":%q,"status":500,"times":1}`}, true},
		{"slow.png", bad, []string{`{"op":"GetObject","key":%q,"action":"slow","delay":"1h","times":1}`}, true},
		{"drop.png", good, []string{`{"op":"HeadObject","key":%q,"action":"drop","times":1}`}, false},
		// Killed after the quarantine copy, before the original is deleted.
		{"killed-late.png", bad, []string{`{"op":"DeleteObject","key":%q,"action":"kill","function":"ossupload-verify","times":1}`}, true},
	}
	// The copy into quarantine names the quarantine key.
	copyCases := []struct {
		name  string
		fault string
	}{
		{"copy-503.png", `{"op":"CopyObject","key":%q,"status":503,"times":2}`},
		// Killed after the verdict is tagged and delivered, before the copy.
		{"killed.png", `{"op":"CopyObject","key":%q,"action":"kill","function":"ossupload-verify","times":1}`},
	}
	for _, c := range cases {
		for _, f := range c.faults {
			armFault(t, s.OSS, fmt.Sprintf(f, upload(c.name)))
		}
	}
	for _, c := range copyCases {
		armFault(t, s.OSS, fmt.Sprintf(c.fault, quarantined(c.name)))
		cases = append(cases, struct {
			name     string
			content  []byte
			faults   []string
			rejected bool
		}{c.name, bad, nil, true})
	}

	keys := map[string]string{}
	for _, c := range cases {
		keys[c.name] = postForm(t, s, c.name, "image/png", c.content)
	}
	for _, c := range cases {
		key := keys[c.name]
		tags := judged(t, dev, key, c.rejected)
		want, reason := "verified", ""
		if c.rejected {
			want, reason = "rejected", "type-mismatch"
		}
		if tags[verifier.TagStatus] != want || tags[verifier.TagReason] != reason {
			t.Errorf("%s: tags %v, want %s %s", c.name, tags, want, reason)
		}
		etag := tags[verifier.TagETag]
		if c.rejected {
			// Quarantined once: one copy, the uploaded bytes, the original gone.
			res, err := dev.ListObjectsV2(oss.Prefix("quarantine/" + key))
			if err != nil || len(res.Objects) != 1 {
				t.Errorf("%s: quarantine holds %d objects (%v), want 1", c.name, len(res.Objects), err)
			}
			if body := objectBytes(t, dev, "quarantine/"+key); !bytes.Equal(body, c.content) {
				t.Errorf("%s: the quarantine copy holds other bytes", c.name)
			}
		} else if h, err := dev.GetObjectDetailedMeta(key); err != nil || strings.Trim(h.Get("ETag"), `"`) != etag {
			t.Errorf("%s: the verdict names ETag %s, the object has %v (%v)", c.name, etag, h.Get("ETag"), err)
		}
		// Delivered at least once, every delivery the same notification.
		n := hook.forKey(key)
		if len(n) == 0 {
			t.Errorf("%s: no webhook", c.name)
		}
		for _, d := range n {
			if d.ETag != etag || d.Verdict != want || d.Reason != reason || d.Bucket != s.Bucket {
				t.Errorf("%s: webhook %+v does not match the verdict %s (%s) for ETag %s", c.name, d, want, reason, etag)
			}
			if c.rejected && (d.Action != "quarantine" || d.LocationKey != "quarantine/"+key) {
				t.Errorf("%s: webhook action %q at %q", c.name, d.Action, d.LocationKey)
			}
		}
	}
	// Every fault was met (the test is not vacuous), and none is left.
	if l := faultList(t, s.OSS); len(l) != 0 {
		t.Errorf("faults never hit: %s", l)
	}
	for _, c := range cases {
		if st, reason := waitVerdict(t, s, keys[c.name]); (st == "rejected") != c.rejected || (c.rejected && reason != "type-mismatch") {
			t.Errorf("%s: GET /status %s (%s)", c.name, st, reason)
		}
	}
	logs := s.Logs.String()
	for _, want := range []string{"Process exited unexpectedly before completing request", "async invocation failed; will retry"} {
		if !strings.Contains(logs, want) {
			t.Errorf("stack output lacks %q", want)
		}
	}
	if strings.Contains(logs, "async invocation failed for good") {
		t.Errorf("an event ran out of retries")
	}
	if hook.bad != 0 {
		t.Errorf("%d webhook deliveries did not verify", hook.bad)
	}
}

func objectBytes(t *testing.T, b *oss.Bucket, key string) []byte {
	t.Helper()
	r, err := b.GetObject(key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// TestVerifyFaultOutlastsRetries: OSS fails verify's reads of an upload
// for longer than FC's retries last (maxAsyncRetryAttempts: 3), so its
// event ends in the failure destination and the upload stays pending;
// once OSS recovers, the sweep judges it: one verdict, one webhook.
func TestVerifyFaultOutlastsRetries(t *testing.T) {
	hook, hookURL := newHookReceiver(t)
	s := startStackArgs(t, "", []string{"-s", sYAMLWithWebhook(t), "-timer-interval", "300ms"},
		"SWEEP_MIN_AGE_SECONDS=2", "WEBHOOK_URL="+hookURL, "WEBHOOK_SECRET="+sweepHookSecret)
	armFault(t, s.OSS, `{"op":"GetObject","key":"uploads/*/*/*/*/*-stuck.png","status":503}`)
	key := postForm(t, s, "stuck.png", "image/png", []byte("#!/bin/sh\necho this is not a picture\n"))

	stacktest.Eventually(t, 30*time.Second, "the event's retries running out", func() bool {
		return strings.Contains(s.Logs.String(), "async invocation failed for good")
	})
	// No verdict yet: pending, or overdue once the upload is older than
	// SWEEP_MIN_AGE_SECONDS (2 s here).
	if code, st, _, _ := getStatus(t, s, key); code != http.StatusOK || (st != "pending" && st != "overdue") {
		t.Fatalf("while OSS fails: HTTP %d %q, want pending or overdue", code, st)
	}
	if n := hook.forKey(key); len(n) != 0 {
		t.Fatalf("webhook before any verdict: %+v", n)
	}
	clearFaults(t, s.OSS)
	if st, reason := waitVerdict(t, s, key); st != "rejected" || reason != "type-mismatch" {
		t.Fatalf("after the fault: %s (%s), want rejected (type-mismatch)", st, reason)
	}
	tags := judged(t, devBucket(t, s), key, true)
	// A few more sweeps over the judged upload change nothing.
	runs := strings.Count(s.Logs.String(), "verify: sweep run")
	stacktest.Eventually(t, 30*time.Second, "three more sweep runs", func() bool {
		return strings.Count(s.Logs.String(), "verify: sweep run") >= runs+3
	})
	if n := hook.forKey(key); len(n) != 1 || n[0].ETag != tags[verifier.TagETag] || n[0].EventName != "ObjectCreated:Sweep" {
		t.Errorf("webhooks %+v, want one from the sweep for ETag %s", n, tags[verifier.TagETag])
	}
	// The lost event went to the failure destination, as on FC.
	dests, _ := filepath.Glob(filepath.Join(s.Data, "destinations", "*.jsonl"))
	var lost []byte
	for _, d := range dests {
		b, _ := os.ReadFile(d)
		lost = append(lost, b...)
	}
	if !bytes.Contains(lost, []byte(key)) {
		t.Errorf("the failure destination lacks the event of %s: %s", key, lost)
	}
}
