package verifier

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The fixtures in testdata are shaped after the payloads documented for OSS
// triggers: the OSS event notification sample (OSS/STS protocol reference §4.1,
// from the OSS "event notification" docs and fc-runtime-go-sdk
// events/README_OSS.md) and the fc3 component's trigger template
// (src/subCommands/trigger-template/event-template/oss.json, FC3 reference
// §4.4). Hostile ones (huge key, wrong types, garbage) are hand-made.
func TestDecodeFixtures(t *testing.T) {
	type want struct {
		names    []string // EventName per decoded record
		keys     []string // Key per decoded record
		problems int      // poison records or payload
	}
	cases := []struct {
		file  string
		want  want
		check func(t *testing.T, recs []Record)
	}{
		{"post_object.json", want{[]string{"ObjectCreated:PostObject"}, []string{"uploads/u1/a.jpg"}, 0}, func(t *testing.T, r []Record) {
			got := r[0]
			wantRec := Record{
				EventName: "ObjectCreated:PostObject", EventSource: "acs:oss",
				EventTime: time.Date(2024, 5, 20, 6, 21, 35, 0, time.UTC), Region: "cn-hangzhou",
				Bucket: "examplebucket", Key: "uploads/u1/a.jpg", ETag: "7D73E1052AF595535DE90994F4C3E6D5",
				Size: 29203, DeltaSize: 29203, MimeType: "image/jpeg", RequestID: "5FF16B65F05BC932307A3C3C",
				SourceIP: "198.51.100.7", PrincipalID: "1234567890123456", RuleID: "9adac8e253828f4f7c0466d941fa3db81161e853",
			}
			if got != wantRec {
				t.Errorf("record:\n got %+v\nwant %+v", got, wantRec)
			}
		}},
		{"put_object.json", want{[]string{"ObjectCreated:PutObject"}, []string{"uploads/dev-user/2023/05/06/0123456789abcdef-photo.png"}, 0}, func(t *testing.T, r []Record) {
			if r[0].Size != 122539 || r[0].ETag != "688A7BF4F233DC9C88A80BF985AB7329" || r[0].Bucket != "ossupload-dev" || !r[0].Created() {
				t.Errorf("record %+v", r[0])
			}
		}},
		{"complete_multipart.json", want{[]string{"ObjectCreated:CompleteMultipartUpload"}, []string{"uploads/dev-user/video.mp4"}, 0}, func(t *testing.T, r []Record) {
			if r[0].ETag != "5B1FA5C5A3A6E4B4A3C2D1E0F9A8B7C6-3" || r[0].Size != 15728640 || r[0].EventTime.Nanosecond() != 123e6 {
				t.Errorf("record %+v", r[0])
			}
		}},
		{"batch.json", want{
			[]string{"ObjectCreated:PutObject", "ObjectRemoved:DeleteObject", "ObjectCreated:PostObject"},
			[]string{"uploads/u1/one.txt", "uploads/u1/gone.txt", "uploads/u2/four.png"}, 1}, func(t *testing.T, r []Record) {
			if r[1].Created() || r[1].DeltaSize != -7 {
				t.Errorf("removed record %+v", r[1])
			}
		}},
		// The key is the object's literal name: a key that looks
		// percent-encoded names the object with those very bytes.
		{"url_encoded_key.json", want{[]string{"ObjectCreated:PutObject"}, []string{"uploads/dev-user/my%20photo%E5%9B%BE.png"}, 0}, nil},
		{"literal_percent_key.json", want{[]string{"ObjectCreated:PutObject"}, []string{"uploads/dev-user/100% done.txt"}, 0}, nil},
		{"missing_fields.json", want{[]string{"ObjectCreated:PutObject"}, []string{"uploads/u1/minimal.png"}, 4}, func(t *testing.T, r []Record) {
			if r[0].ETag != "" || r[0].Size != 0 || !r[0].EventTime.IsZero() || r[0].RequestID != "" {
				t.Errorf("minimal record %+v", r[0])
			}
		}},
		{"object_removed.json", want{[]string{"ObjectRemoved:DeleteObject"}, []string{"uploads/u1/a.jpg"}, 0}, func(t *testing.T, r []Record) {
			if r[0].Created() {
				t.Error("ObjectRemoved reported as Created")
			}
		}},
		{"extra_fields.json", want{[]string{"ObjectCreated:AppendObject"}, []string{"uploads/u1/log.txt"}, 0}, func(t *testing.T, r []Record) {
			if r[0].Position == nil || *r[0].Position != 100 {
				t.Errorf("Position = %v, want 100", r[0].Position)
			}
			if r[0].ETag != "D41D8CD98F00B204E9800998ECF8427E" {
				t.Errorf("ETag = %q (quotes not stripped or not upper-cased)", r[0].ETag)
			}
		}},
		{"wrong_types.json", want{[]string{"ObjectCreated:PutObject"}, []string{"uploads/u1/t.png"}, 2}, func(t *testing.T, r []Record) {
			if r[0].Size != 42 || !r[0].EventTime.IsZero() || r[0].DeltaSize != 0 {
				t.Errorf("lenient fields: %+v", r[0])
			}
		}},
		{"huge_key.json", want{[]string{"ObjectCreated:PutObject"}, []string{"uploads/u1/ok.png"}, 1}, nil},
		{"garbage.json", want{nil, nil, 1}, nil},
		{"truncated.json", want{nil, nil, 1}, nil},
		{"events_not_array.json", want{nil, nil, 1}, nil},
		{"wrong_envelope.json", want{nil, nil, 1}, nil},
	}
	for _, tc := range cases {
		t.Run(strings.TrimSuffix(tc.file, ".json"), func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			recs, problems := Decode(b)
			if len(problems) != tc.want.problems {
				t.Errorf("problems = %d %v, want %d", len(problems), problems, tc.want.problems)
			}
			for _, p := range problems {
				if !errors.Is(p, ErrPoison) {
					t.Errorf("problem %v does not wrap ErrPoison", p)
				}
			}
			if len(recs) != len(tc.want.names) {
				t.Fatalf("decoded %d records, want %d: %+v", len(recs), len(tc.want.names), recs)
			}
			for i, r := range recs {
				if r.EventName != tc.want.names[i] || r.Key != tc.want.keys[i] {
					t.Errorf("record %d = %q %q, want %q %q", i, r.EventName, r.Key, tc.want.names[i], tc.want.keys[i])
				}
			}
			if tc.check != nil {
				tc.check(t, recs)
			}
		})
	}
}

// TestKeyIsLiteral: an event's key is used exactly as it arrives, so two
// objects whose names differ only by a percent-escape ("x.png" and the
// literal "x%2Epng") are never confused.
func TestKeyIsLiteral(t *testing.T) {
	for _, key := range []string{"uploads/u1/x%2Epng", "uploads/u1/a%20b.png", "uploads%2Fu1%2Fa.png", "uploads/u1/a+b.png", "uploads/u1/100%.txt"} {
		payload, err := json.Marshal(map[string]any{"events": []any{map[string]any{
			"eventName": "ObjectCreated:PutObject",
			"oss":       map[string]any{"bucket": map[string]any{"name": "b"}, "object": map[string]any{"key": key, "eTag": "0CC175B9C0F1B6A831C399E269772661"}},
		}}})
		if err != nil {
			t.Fatal(err)
		}
		recs, problems := Decode(payload)
		if len(problems) != 0 || len(recs) != 1 || recs[0].Key != key {
			t.Errorf("Decode(key %q) = %+v, %v", key, recs, problems)
		}
	}
}
