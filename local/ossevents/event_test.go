package ossevents

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"
)

// The payload of the OSS/STS protocol reference §4.1 (from the OSS trigger
// documentation, decode verified there with fc-runtime-go-sdk v0.3.1
// events.OssEvent); ruleId shortened to the part the reference prints.
const referencePayload = `{"events":[{
  "eventName":"ObjectCreated:PostObject",
  "eventSource":"acs:oss",
  "eventTime":"2024-05-20T06:21:35.000Z",
  "eventVersion":"1.0",
  "oss":{
    "bucket":{"arn":"acs:oss:cn-hangzhou:1234567890123456:examplebucket","name":"examplebucket","ownerIdentity":"1234567890123456","virtualBucket":""},
    "object":{"deltaSize":29203,"eTag":"7D73E1052AF595535DE90994F4C3E6D5","key":"uploads/u1/a.jpg","objectMeta":{"mimeType":"image/jpeg"},"size":29203},
    "ossSchemaVersion":"1.0","ruleId":"9adac8e2"},
  "region":"cn-hangzhou",
  "requestParameters":{"sourceIPAddress":"198.51.100.7"},
  "responseElements":{"requestId":"5FF16B65F05BC932307A3C3C"},
  "userIdentity":{"principalId":"1234567890123456"}}]}`

func referenceEvent() Event {
	return Event{
		Name: "oss:ObjectCreated:PostObject", Bucket: "examplebucket", Region: "cn-hangzhou", AccountID: "1234567890123456",
		Key: "uploads/u1/a.jpg", ETag: `"7d73e1052af595535de90994f4c3e6d5"`, Size: 29203, DeltaSize: 29203,
		RequestID: "5FF16B65F05BC932307A3C3C", SourceIP: "198.51.100.7", PrincipalID: "1234567890123456",
		MimeType: "image/jpeg", RuleID: "9adac8e2",
		Time: time.Date(2024, 5, 20, 14, 21, 35, 0, time.FixedZone("CST", 8*3600)),
	}
}

// The built JSON equals the reference document member for member (names,
// nesting, types and values), from an event whose ETag is quoted lower-case
// hex, whose name has the oss: prefix and whose time is not in UTC.
func TestMarshalMatchesReference(t *testing.T) {
	got, err := Marshal(referenceEvent())
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(referencePayload), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("got  %s\nwant %s", got, compact(t, referencePayload))
	}
}

func compact(t *testing.T, s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The real FC Go runtime type decodes every field.
func TestDecodesWithFCRuntimeSDK(t *testing.T) {
	e := referenceEvent()
	e.DeltaSize = -100
	e.Time = time.Date(2024, 5, 20, 6, 21, 35, 123456789, time.UTC)
	b := Build(e.Name, e.Bucket, e.Region, e.Key, e.ETag, e.Size, e.DeltaSize, e.RequestID, e.SourceIP, e.PrincipalID,
		map[string]string{"mimeType": e.MimeType}, e.Time)
	var ev events.OssEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Events) != 1 {
		t.Fatalf("%d events", len(ev.Events))
	}
	r := ev.Events[0]
	s := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return *p
	}
	checks := []struct{ name, got, want string }{
		{"eventName", s(r.EventName), "ObjectCreated:PostObject"},
		{"eventSource", s(r.EventSource), "acs:oss"},
		{"eventVersion", s(r.EventVersion), "1.0"},
		{"region", s(r.Region), "cn-hangzhou"},
		{"sourceIPAddress", s(r.RequestParameters.SourceIPAddress), "198.51.100.7"},
		{"requestId", s(r.ResponseElements.RequestID), "5FF16B65F05BC932307A3C3C"},
		{"principalId", s(r.UserIdentity.PrincipalID), "1234567890123456"},
		{"arn", s(r.Oss.Bucket.Arn), "acs:oss:cn-hangzhou:1234567890123456:examplebucket"},
		{"bucket name", s(r.Oss.Bucket.Name), "examplebucket"},
		{"ownerIdentity", s(r.Oss.Bucket.OwnerIdentity), "1234567890123456"},
		{"virtualBucket", s(r.Oss.Bucket.VirtualBucket), ""},
		{"eTag", s(r.Oss.Object.ETag), "7D73E1052AF595535DE90994F4C3E6D5"},
		{"key", s(r.Oss.Object.Key), "uploads/u1/a.jpg"},
		{"mimeType", s(r.Oss.Object.ObjectMeta.MimeType), "image/jpeg"},
		{"ossSchemaVersion", s(r.Oss.OssSchemaVersion), "1.0"},
		{"ruleId", s(r.Oss.RuleID), ""}, // Build has no rule; the dispatcher sets it
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if r.Oss.Object.Size == nil || *r.Oss.Object.Size != 29203 || r.Oss.Object.DeltaSize == nil || *r.Oss.Object.DeltaSize != -100 {
		t.Errorf("size/deltaSize %v %v", r.Oss.Object.Size, r.Oss.Object.DeltaSize)
	}
	// Milliseconds, truncated, in UTC.
	if r.EventTime == nil || !r.EventTime.Equal(time.Date(2024, 5, 20, 6, 21, 35, 123e6, time.UTC)) {
		t.Errorf("eventTime %v", r.EventTime)
	}
	if !bytes.Contains(b, []byte(`"eventTime":"2024-05-20T06:21:35.123Z"`)) {
		t.Errorf("eventTime text in %s", b)
	}
}

// Keys and content types come from users: they must be encoded, never
// spliced into the document.
func TestMarshalEscapesUserValues(t *testing.T) {
	e := referenceEvent()
	e.Key = `uploads/u1/"},"x":{"a.jpg` + "\n\u2028写真"
	e.MimeType = `text/html"; evil`
	b, err := Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var p Payload
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.Events[0].OSS.Object.Key != e.Key || p.Events[0].OSS.Object.ObjectMeta.MimeType != e.MimeType {
		t.Fatalf("round trip %+v", p.Events[0].OSS.Object)
	}
}
