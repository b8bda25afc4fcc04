// Package verify_test runs the verify function end to end on the local OSS
// emulator: objects uploaded with the official Go SDK (long-term and STS
// credentials), the emulator's event notifications turned into the OSS
// trigger payload and delivered to the verifier (in process, and as the
// built binary through the local FC runtime), the verdict read back from
// OSS, and webhooks checked by a receiver that verifies their signatures.
package verify_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	aoss "github.com/aliyun/aliyun-oss-go-sdk/oss"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/ossupload/ossupload/local/iam"
	"github.com/ossupload/ossupload/local/oss"
	"github.com/ossupload/ossupload/local/stacktest"
	"github.com/ossupload/ossupload/shared/credentials"
	"github.com/ossupload/ossupload/shared/verifier"
)

// TestMain removes the binaries the tests built.
func TestMain(m *testing.M) { stacktest.Main(m) }

const (
	bucket     = "ossupload-dev"
	region     = "cn-hangzhou"
	rootAK     = "LTAIrootE2EVERIFY"
	rootSecret = "rootSecretE2EVERIFY0123456789"
	devAK      = "LTAIdevE2EVERIFY"
	devSecret  = "devSecretE2EVERIFY0123456789"
	fcAK       = "LTAIfcE2EVERIFY"
	fcSecret   = "fcSecretE2EVERIFY0123456789"
	hookSecret = "whsec_aG9vay1zZWNyZXQtZm9yLXRoZS12ZXJpZnktZTJlLXRlc3Rz" // Standard Webhooks format
)

// stack is the emulator side of an end-to-end test.
type stack struct {
	ids      *iam.Store
	url      string
	events   chan oss.Event
	getBytes atomic.Int64 // response body bytes of GET object requests
	hook     *receiver
}

type publisher chan oss.Event

func (p publisher) Publish(e oss.Event) {
	select {
	case p <- e:
	default: // never block the emulator; tests size the buffer generously
	}
}

// newStack starts the OSS emulator on loopback with: root; user "dev" who may
// assume "uploader" (PutObject under uploads/); user "fc" (standing in for
// the FC service) who may assume "verify", whose policies are the verify
// role's from template.yaml (uploads/*: GetObject, GetObjectTagging,
// PutObjectTagging, DeleteObject; quarantine/*: GetObject, PutObject,
// PutObjectTagging, GetObjectTagging).
func newStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{events: make(chan oss.Event, 1000)}
	var err error
	if s.ids, err = iam.NewStore("", time.Now); err != nil {
		t.Fatal(err)
	}
	assume := stacktest.MustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	must(t, s.ids.AddRoot(rootAK, rootSecret))
	must(t, s.ids.AddUser("dev", devAK, devSecret, assume))
	must(t, s.ids.AddUser("fc", fcAK, fcSecret, assume))
	must(t, s.ids.AddRole(iam.Role{ARN: iam.RoleARN("uploader"), Trust: []string{iam.UserARN("dev")},
		Policies: []iam.Policy{stacktest.MustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject","oss:InitiateMultipartUpload","oss:UploadPart","oss:CompleteMultipartUpload","oss:AbortMultipartUpload"],"Resource":"acs:oss:*:*:`+bucket+`/uploads/*"}]}`)}}))
	must(t, s.ids.AddRole(iam.Role{ARN: iam.RoleARN("verify"), Trust: []string{iam.UserARN("fc")},
		Policies: []iam.Policy{stacktest.MustPolicy(t, `{"Version":"1","Statement":[
			{"Effect":"Allow","Action":["oss:GetObject","oss:GetObjectTagging","oss:PutObjectTagging","oss:DeleteObject"],"Resource":"acs:oss:*:`+iam.AccountID+`:`+bucket+`/uploads/*"},
			{"Effect":"Allow","Action":["oss:GetObject","oss:PutObject","oss:PutObjectTagging","oss:GetObjectTagging"],"Resource":"acs:oss:*:`+iam.AccountID+`:`+bucket+`/quarantine/*"}]}`)}}))
	_, s.url = stacktest.OSS(t, stacktest.Emulator{Region: region, IAM: s.ids, Events: publisher(s.events), Bucket: bucket, Wrap: s.countGets})
	s.hook = newReceiver(t)
	return s
}

// countGets counts the object bytes the emulator sends for GET requests: the
// bytes a reader of OSS actually transfers.
func (s *stack) countGets(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Query().Get("tagging") == "" && !r.URL.Query().Has("tagging") {
			w = &countingWriter{ResponseWriter: w, n: &s.getBytes}
		}
		h.ServeHTTP(w, r)
	})
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(n))
	return n, err
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// sts mints a session of role for the user with the given key.
func (s *stack) sts(t testing.TB, userAK, role, session string, policy string) credentials.Credentials {
	t.Helper()
	caller, err := s.ids.Lookup(userAK)
	must(t, err)
	var sp *iam.Policy
	if policy != "" {
		p := stacktest.MustPolicy(t, policy)
		sp = &p
	}
	p, err := s.ids.AssumeRole(caller, iam.RoleARN(role), session, sp, 0)
	must(t, err)
	return credentials.Credentials{AccessKeyID: p.AccessKeyID, AccessKeySecret: p.AccessKeySecret, SecurityToken: p.SecurityToken}
}

// client is an official Go SDK bucket handle (V4, the way apps upload).
func (s *stack) client(t testing.TB, c credentials.Credentials) *aoss.Bucket {
	t.Helper()
	opts := []aoss.ClientOption{aoss.AuthVersion(aoss.AuthV4), aoss.Region(region)}
	if c.SecurityToken != "" {
		opts = append(opts, aoss.SecurityToken(c.SecurityToken))
	}
	cl, err := aoss.New(s.url, c.AccessKeyID, c.AccessKeySecret, opts...)
	must(t, err)
	b, err := cl.Bucket(bucket)
	must(t, err)
	return b
}

func (s *stack) root(t testing.TB) *aoss.Bucket {
	return s.client(t, credentials.Credentials{AccessKeyID: rootAK, AccessKeySecret: rootSecret})
}

// staticCreds is a CredentialSource for the in-process verifier.
type staticCreds credentials.Credentials

func (c staticCreds) Resolve(context.Context) (credentials.Credentials, error) {
	return credentials.Credentials(c), nil
}

// drain takes every event the emulator has published so far and renders
// each as the OSS trigger payload FC delivers (OSS/STS protocol reference
// §4.1: {"events":[{eventName, eventSource, eventTime, eventVersion, oss:
// {bucket, object{deltaSize,eTag,key,objectMeta,size}, ossSchemaVersion,
// ruleId}, region, requestParameters, responseElements, userIdentity}]}).
// All events are returned, unfiltered, so the function's own guard (not a
// trigger filter) has to keep it from reacting to its own writes.
func (s *stack) drain() [][]byte {
	var out [][]byte
	for {
		select {
		case e := <-s.events:
			out = append(out, payload(e))
		default:
			return out
		}
	}
}

func payload(e oss.Event) []byte {
	type object struct {
		DeltaSize  int64             `json:"deltaSize"`
		ETag       string            `json:"eTag"`
		Key        string            `json:"key"`
		ObjectMeta map[string]string `json:"objectMeta"`
		Size       int64             `json:"size"`
	}
	type record struct {
		EventName    string `json:"eventName"`
		EventSource  string `json:"eventSource"`
		EventTime    string `json:"eventTime"`
		EventVersion string `json:"eventVersion"`
		OSS          struct {
			Bucket           map[string]string `json:"bucket"`
			Object           object            `json:"object"`
			OSSSchemaVersion string            `json:"ossSchemaVersion"`
			RuleID           string            `json:"ruleId"`
		} `json:"oss"`
		Region            string            `json:"region"`
		RequestParameters map[string]string `json:"requestParameters"`
		ResponseElements  map[string]string `json:"responseElements"`
		UserIdentity      map[string]string `json:"userIdentity"`
	}
	r := record{EventName: e.Name, EventSource: "acs:oss", EventTime: e.Time.UTC().Format("2006-01-02T15:04:05.000Z"), EventVersion: "1.0", Region: e.Region,
		RequestParameters: map[string]string{"sourceIPAddress": e.SourceIP}, ResponseElements: map[string]string{"requestId": e.RequestID},
		UserIdentity: map[string]string{"principalId": e.PrincipalID}}
	r.OSS.Bucket = map[string]string{"arn": "acs:oss:" + e.Region + ":" + iam.AccountID + ":" + e.Bucket, "name": e.Bucket, "ownerIdentity": iam.AccountID, "virtualBucket": ""}
	r.OSS.Object = object{DeltaSize: e.DeltaSize, ETag: e.ETag, Key: e.Key, ObjectMeta: map[string]string{"mimeType": e.ContentType}, Size: e.Size}
	r.OSS.OSSSchemaVersion, r.OSS.RuleID = "1.0", "verify-e2e"
	b, _ := json.Marshal(map[string][]record{"events": {r}})
	return b
}

// hookLib is the official Standard Webhooks library, set up as an app would.
var hookLib = func() *standardwebhooks.Webhook {
	wh, err := standardwebhooks.NewWebhook(hookSecret)
	if err != nil {
		panic(err)
	}
	return wh
}()

// receiver is the app's webhook endpoint: it verifies every delivery with
// the Standard Webhooks library and records what it accepted.
type receiver struct {
	mu     sync.Mutex
	got    []verifier.Notification
	ids    []string // the webhook-id of every request, refused ones too
	bad    int
	refuse bool // answer 503 to everything
	url    string
}

func (r *receiver) setRefuse(b bool) { r.mu.Lock(); r.refuse = b; r.mu.Unlock() }

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.ids = append(r.ids, req.Header.Get("webhook-id"))
		if r.refuse {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		if err := hookLib.Verify(body, req.Header); err != nil {
			r.bad++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var n verifier.Notification
		if err := json.Unmarshal(body, &n); err != nil {
			r.bad++
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		r.got = append(r.got, n)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

func (r *receiver) notifications() []verifier.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]verifier.Notification(nil), r.got...)
}

func (r *receiver) requestIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

func (r *receiver) forKey(key string) []verifier.Notification {
	var out []verifier.Notification
	for _, n := range r.notifications() {
		if n.Key == key {
			out = append(out, n)
		}
	}
	return out
}

func pngBytes(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 {
		img.Set(i, i, color.RGBA{G: 200, A: 255})
	}
	var b bytes.Buffer
	must(t, png.Encode(&b, img))
	return b.Bytes()
}

// exeBytes is the start of a Windows PE file: MZ header, e_lfanew -> "PE\0\0",
// x86-64 machine (Microsoft PE format specification).
func exeBytes() []byte {
	b := make([]byte, 4096)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x80)
	copy(b[0x40:], "This program cannot be run in DOS mode.\r\r\n$")
	copy(b[0x80:], "PE\x00\x00")
	binary.LittleEndian.PutUint16(b[0x84:], 0x8664)
	return b
}

// patternReader yields n bytes (head, then a pattern) without holding them.
type patternReader struct {
	head []byte
	off  int64
	n    int64
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	i := 0
	for ; i < len(b) && p.off < p.n; i++ {
		if p.off < int64(len(p.head)) {
			b[i] = p.head[p.off]
		} else {
			b[i] = byte(p.off*13) | 0x80
		}
		p.off++
	}
	return i, nil
}
