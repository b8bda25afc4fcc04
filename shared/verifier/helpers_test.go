package verifier_test

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
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/ossupload/ossupload/shared/uploadrules"
	"github.com/ossupload/ossupload/shared/verifier"
	"github.com/ossupload/ossupload/shared/verifier/verifiertest"
)

const (
	testBucket = "ossupload-dev"
	testSecret = "whsec_dmVyaWZpZXItdW5pdC10ZXN0cy1zZWNyZXQtMDEyMw==" // base64 of 31 bytes
)

// pngBytes encodes a real 8x8 PNG with the standard library.
func pngBytes(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{R: 255, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// exeBytes builds the start of a Windows PE executable: the MZ DOS header
// with e_lfanew pointing at a "PE\0\0" signature and an x86-64 COFF header
// (Microsoft PE format spec, "MS-DOS Stub" and "Signature" sections).
func exeBytes() []byte {
	b := make([]byte, 1024)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x80)
	copy(b[0x40:], "This program cannot be run in DOS mode.\r\r\n$")
	copy(b[0x80:], "PE\x00\x00")
	binary.LittleEndian.PutUint16(b[0x84:], 0x8664)
	return b
}

// receiver is a webhook endpoint that checks every delivery with the
// Standard Webhooks library and records the notifications.
type receiver struct {
	t      *testing.T
	mu     sync.Mutex
	got    []verifier.Notification
	status int // answer; 0 = 204
	srv    *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := libVerify(testSecret, body, req.Header); err != nil {
			t.Errorf("webhook signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var n verifier.Notification
		if err := json.Unmarshal(body, &n); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.status != 0 {
			w.WriteHeader(r.status)
			return
		}
		r.got = append(r.got, n)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) setStatus(s int) { r.mu.Lock(); r.status = s; r.mu.Unlock() }

func (r *receiver) notifications() []verifier.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]verifier.Notification(nil), r.got...)
}

type fixture struct {
	store *verifiertest.Fake
	recv  *receiver
	v     *verifier.Verifier
}

func newFixture(t *testing.T, action string) *fixture {
	f := &fixture{store: verifiertest.NewFake(), recv: newReceiver(t)}
	f.v = &verifier.Verifier{
		Bucket:           testBucket,
		Rules:            uploadrules.Rules{Prefix: "uploads/", MaxBytes: 1 << 20, AllowedTypes: []string{"image/*", "application/pdf", "text/plain", "text/csv"}},
		QuarantinePrefix: "quarantine/",
		Action:           action,
		Store:            f.store,
		Notifier: &verifier.Notifier{URL: f.recv.srv.URL, Secret: testSecret, Timeout: 2 * time.Second, Attempts: 3,
			Sleep: func(context.Context, time.Duration) error { return nil }},
	}
	return f
}

// libVerify checks a delivery with the official Standard Webhooks library.
func libVerify(secret string, body []byte, h http.Header) error {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return err
	}
	return wh.Verify(body, h)
}

// event builds an OSS event payload with the documented shape (OSS/STS
// protocol reference §4.1).
func event(name, key, etag string, size int64) []byte {
	return events(record{name, key, etag, size})
}

type record struct {
	name, key, etag string
	size            int64
}

func events(recs ...record) []byte {
	type obj struct {
		ETag string `json:"eTag"`
		Key  string `json:"key"`
		Size int64  `json:"size"`
	}
	type rec struct {
		EventName string `json:"eventName"`
		EventTime string `json:"eventTime"`
		OSS       struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object obj `json:"object"`
		} `json:"oss"`
		Region           string            `json:"region"`
		ResponseElements map[string]string `json:"responseElements"`
	}
	var doc struct {
		Events []rec `json:"events"`
	}
	for i, r := range recs {
		var e rec
		e.EventName, e.EventTime, e.Region = r.name, "2024-06-01T10:00:00.000Z", "cn-hangzhou"
		e.OSS.Bucket.Name = testBucket
		e.OSS.Object = obj{r.etag, r.key, r.size}
		e.ResponseElements = map[string]string{"requestId": "REQ" + string(rune('A'+i))}
		doc.Events = append(doc.Events, e)
	}
	b, _ := json.Marshal(doc)
	return b
}
