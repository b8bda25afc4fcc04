package e2e

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossupload/ossupload/local/stacktest"
)

// stsBucket asks the sts function for the dev user's credentials and returns
// an official SDK client on them, with the user's upload folder.
func stsBucket(t *testing.T, s *stack) (*oss.Bucket, string) {
	t.Helper()
	var creds struct {
		AccessKeyID     string `json:"accessKeyId"`
		AccessKeySecret string `json:"accessKeySecret"`
		STSToken        string `json:"stsToken"`
		Bucket          string `json:"bucket"`
		Dir             string `json:"dir"`
	}
	if code := callJSON(t, "POST", s.Functions["sts"], s.JWT, map[string]any{}, &creds); code != http.StatusOK {
		t.Fatalf("sts: HTTP %d", code)
	}
	if !strings.HasPrefix(creds.AccessKeyID, "STS.") || creds.Bucket != s.Bucket {
		t.Fatalf("credentials = %+v", creds)
	}
	client, err := oss.New(s.OSS, creds.AccessKeyID, creds.AccessKeySecret, oss.SecurityToken(creds.STSToken),
		oss.AuthVersion(oss.AuthV4), oss.Region(s.Region))
	if err != nil {
		t.Fatal(err)
	}
	b, err := client.Bucket(creds.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	return b, creds.Dir
}

// devBucket is a client with the developer's AccessKey (full access to the
// bucket), standing in for anything other than the verify function that
// could leave tags on an object.
func devBucket(t *testing.T, s *stack) *oss.Bucket {
	t.Helper()
	client, err := oss.New(s.OSS, s.AccessKeyID, s.AccessKeySecret, oss.AuthVersion(oss.AuthV4), oss.Region(s.Region))
	if err != nil {
		t.Fatal(err)
	}
	b, err := client.Bucket(s.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type statusAnswer struct {
	Status      string `json:"status"`
	Reason      string `json:"reason"`
	Quarantined bool   `json:"quarantined"`
	Error       struct {
		Code string `json:"code"`
	} `json:"error"`
}

func status(t *testing.T, s *stack, key string) (int, statusAnswer) {
	t.Helper()
	var st statusAnswer
	code := callJSON(t, "GET", strings.TrimSuffix(s.Functions["sign"], "/")+"/status?key="+url.QueryEscape(key), s.JWT, nil, &st)
	return code, st
}

func otherPNG(t *testing.T) []byte {
	img := image.NewGray(image.Rect(0, 0, 9, 9))
	img.Set(4, 4, color.White)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestVerdictsThroughTheStack drives issue 12's verdict rules through the
// whole local stack: uploads with the official SDK and the STS credentials
// the sts function hands out, the OSS trigger running the verify binary,
// and the sign function's GET /status.
func TestVerdictsThroughTheStack(t *testing.T) {
	s := startStack(t, "")
	up, dir := stsBucket(t, s)
	dev := devBucket(t, s)

	// Item 1: the stored Content-Type is judged, not only the declared one.
	t.Run("stored text/html behind a declared image/png", func(t *testing.T) {
		key := dir + "sec/disguised.png"
		body := append(realPNG(t), "<html><script>alert(document.domain)</script></html>"...)
		if err := up.PutObject(key, bytes.NewReader(body), oss.ContentType("text/html"), oss.Meta("declared-type", "image/png")); err != nil {
			t.Fatal(err)
		}
		if st, reason := waitVerdict(t, s, key); st != "rejected" || reason != "type-mismatch" {
			t.Errorf("verdict %s (%s), want rejected type-mismatch", st, reason)
		}
	})

	// Item 3: an object under the literal key x%2Epng, next to a verified
	// x.png, gets its own verdict (the old reading of the event key left it
	// pending for ever).
	t.Run("shadow key judged on its own", func(t *testing.T) {
		good, shadow := dir+"sec/x.png", dir+"sec/x%2Epng"
		if err := up.PutObject(good, bytes.NewReader(realPNG(t)), oss.ContentType("image/png")); err != nil {
			t.Fatal(err)
		}
		if st, _ := waitVerdict(t, s, good); st != "verified" {
			t.Fatalf("x.png: %s", st)
		}
		exe := append([]byte("MZ"), bytes.Repeat([]byte{0}, 510)...)
		if err := up.PutObject(shadow, bytes.NewReader(exe), oss.ContentType("image/png")); err != nil {
			t.Fatal(err)
		}
		if st, reason := waitVerdict(t, s, shadow); st != "rejected" || reason != "type-mismatch" {
			t.Errorf("x%%2Epng: %s (%s), want rejected type-mismatch", st, reason)
		}
		if code, st := status(t, s, good); code != http.StatusOK || st.Status != "verified" {
			t.Errorf("x.png afterwards: HTTP %d %+v", code, st)
		}
	})

	// Item 4: /status answers a verdict only for the bytes it describes.
	t.Run("a verdict left on other bytes is pending", func(t *testing.T) {
		key := dir + "sec/photo.png"
		if err := up.PutObject(key, bytes.NewReader(realPNG(t)), oss.ContentType("image/png")); err != nil {
			t.Fatal(err)
		}
		if st, _ := waitVerdict(t, s, key); st != "verified" {
			t.Fatalf("first version: %s", st)
		}
		h, err := dev.GetObjectDetailedMeta(key)
		if err != nil {
			t.Fatal(err)
		}
		firstETag := strings.Trim(h.Get("ETag"), `"`)
		// The bucket's overwrite protection rule refuses replacing the
		// object, so the second version comes after a delete.
		if err := dev.DeleteObject(key); err != nil {
			t.Fatal(err)
		}
		if err := up.PutObject(key, bytes.NewReader(otherPNG(t)), oss.ContentType("image/png")); err != nil {
			t.Fatal(err)
		}
		if st, _ := waitVerdict(t, s, key); st != "verified" {
			t.Fatalf("second version: %s", st)
		}
		// The first version's verdict lands on the second version's bytes,
		// as a tag write racing the overwrite would leave it.
		for _, tags := range []map[string]string{
			{"upload-status": "verified", "upload-etag": firstETag},
			{"upload-status": "rejected", "upload-reason": "type-mismatch", "upload-etag": firstETag},
			{"upload-status": "verified"},
		} {
			var tg oss.Tagging
			for k, v := range tags {
				tg.Tags = append(tg.Tags, oss.Tag{Key: k, Value: v})
			}
			if err := dev.PutObjectTagging(key, tg); err != nil {
				t.Fatal(err)
			}
			if code, st := status(t, s, key); code != http.StatusOK || st.Status != "pending" {
				t.Errorf("tags %v on other bytes: HTTP %d %+v, want pending", tags, code, st)
			}
		}
	})

	// Item 7: a key no object can have is a bad request, not a retry.
	t.Run("status of a key over 1023 bytes", func(t *testing.T) {
		code, st := status(t, s, dir+strings.Repeat("k", 1024-len(dir)))
		if code != http.StatusBadRequest || st.Error.Code != "invalid_request" {
			t.Errorf("HTTP %d %+v, want 400 invalid_request", code, st)
		}
	})

	// Item 6: a key too long to keep its name under the quarantine prefix
	// is still quarantined, and /status finds it there.
	t.Run("long key quarantined", func(t *testing.T) {
		key := dir + "sec/" + strings.Repeat("q", 1015-len(dir)-len("sec/")) + ".png"
		exe := append([]byte("MZ"), bytes.Repeat([]byte{0}, 510)...)
		if err := up.PutObject(key, bytes.NewReader(exe), oss.ContentType("image/png")); err != nil {
			t.Fatal(err)
		}
		if st, reason := waitVerdict(t, s, key); st != "rejected" {
			t.Fatalf("verdict %s (%s)", st, reason)
		}
		// verify tags the verdict before it copies and deletes, so the
		// first rejected answer can still be the object in place: poll
		// until the move is done (or the deadline says it never is).
		var code int
		var st statusAnswer
		stacktest.Poll(30*time.Second, func() bool {
			code, st = status(t, s, key)
			return code != http.StatusOK || st.Quarantined
		})
		if code != http.StatusOK || st.Status != "rejected" || !st.Quarantined {
			t.Errorf("HTTP %d %+v, want rejected and quarantined", code, st)
		}
		if ok, err := dev.IsObjectExist(key); err != nil || ok {
			t.Errorf("the rejected upload is still in place (%v, %v)", ok, err)
		}
	})
}
