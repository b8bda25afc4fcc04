package nodeconf

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"

	localstack "github.com/ossupload/ossupload/local/stack"

	"github.com/ossupload/ossupload/local/stacktest"
)

// hookDelivery is one line of tests/node/webhook_receiver.mjs.
type hookDelivery struct {
	Listening     string
	ID            string
	Error         string // the library's verdict on the delivery as received
	TamperedError string // ... on the same headers with the body changed
	LaterError    string // ... on the delivery ten minutes after it was sent
	Key, Verdict  string
	FirstAttempt  bool
	Status        int
}

// The completion webhook of the real verify function, run by the local
// stack, is received by a Node app and verified with the npm Standard
// Webhooks library (README "Webhook"). The receiver refuses the first
// attempt, and the retry carries the same webhook-id; the library refuses
// the delivery with its body changed, and the delivery once it is older
// than the library's 5-minute window.
func TestWebhookVerifiedByTheNpmStandardWebhooksLibrary(t *testing.T) {
	nodeBin, root := stacktest.RequireNode(t), stacktest.RepoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "tests", "node_modules", "standardwebhooks", "package.json")); err != nil {
		if os.Getenv("REQUIRE_NODE") == "1" {
			t.Fatal("REQUIRE_NODE=1 but tests/node_modules/standardwebhooks is missing (run: npm ci --prefix tests)")
		}
		t.Skip("tests/node_modules/standardwebhooks is missing (run: npm ci --prefix tests)")
	}
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("nodeconf-webhook-secret-0123456789"))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	arg, _ := json.Marshal(map[string]string{"secret": secret})
	cmd := exec.CommandContext(ctx, nodeBin, "tests/node/webhook_receiver.mjs", string(arg))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "NODE_NO_WARNINGS=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan hookDelivery)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var d hookDelivery
			if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
				d.Error = "unreadable line " + sc.Text()
			}
			lines <- d
		}
	}()
	defer func() {
		stdin.Close()
		for range lines {
		}
		if err := cmd.Wait(); err != nil {
			t.Errorf("node: %v\n%s", err, stderr.String())
		}
	}()
	first, ok := <-lines
	if !ok || first.Listening == "" {
		t.Fatalf("the receiver did not start: %+v\n%s", first, stderr.String())
	}

	// verify's webhook lines, as the header of s.yaml says to add them.
	b, err := os.ReadFile(filepath.Join(root, "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "        WEBHOOK_TIMEOUT_SECONDS: ${vars.webhookTimeout}\n"
	if strings.Count(string(b), anchor) != 1 {
		t.Fatal("s.yaml: verify's WEBHOOK_TIMEOUT_SECONDS line not found once")
	}
	syaml := filepath.Join(t.TempDir(), "s.yaml")
	doc := strings.Replace(string(b), anchor, anchor+"        WEBHOOK_URL: ${env('WEBHOOK_URL')}\n        WEBHOOK_SECRET: ${env('WEBHOOK_SECRET')}\n", 1)
	if err := os.WriteFile(syaml, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"WEBHOOK_URL": first.Listening, "WEBHOOK_SECRET": secret}
	s, _ := stacktest.Start(t, func(c *localstack.Config) {
		c.SYAML = syaml
		c.Getenv = func(k string) string { return env[k] }
	})

	client, err := aoss.New(s.Ready.OSS, s.Ready.AccessKeyID, s.Ready.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	bucket, err := client.Bucket(s.Ready.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	png, _ := base64.StdEncoding.DecodeString(tinyPNG)
	key := "uploads/" + s.Ready.User + "/webhook-node/a.png"
	if err := bucket.PutObject(key, bytes.NewReader(png), aoss.ContentType("image/png")); err != nil {
		t.Fatal(err)
	}

	var got []hookDelivery
	for d := range lines {
		got = append(got, d)
		if d.Status == 204 || d.Status == 401 || len(got) > 5 {
			break
		}
	}
	if len(got) != 2 {
		t.Fatalf("deliveries %+v, want a refused first attempt and its retry", got)
	}
	for i, d := range got {
		if d.Error != "" {
			t.Errorf("delivery %d: the library refuses it: %s", i, d.Error)
		}
		if d.Key != key || d.Verdict == "" {
			t.Errorf("delivery %d: key %q verdict %q, want %s", i, d.Key, d.Verdict, key)
		}
		if d.TamperedError != "No matching signature found" {
			t.Errorf("delivery %d with its body changed: the library says %q, want No matching signature found", i, d.TamperedError)
		}
		if d.LaterError != "Message timestamp too old" {
			t.Errorf("delivery %d ten minutes later: the library says %q, want Message timestamp too old", i, d.LaterError)
		}
	}
	if got[0].ID == "" || got[1].ID != got[0].ID || !got[0].FirstAttempt || got[1].FirstAttempt {
		t.Errorf("webhook-id of the attempt and its retry: %q %q, want the same", got[0].ID, got[1].ID)
	}
}
