package verifier

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/events"

	"github.com/ossupload/ossupload/shared/uploadrules"
)

// MaxKeyBytes is the longest object key OSS accepts (1023 bytes). A record
// whose key is longer cannot name a real object and is treated as poison.
const MaxKeyBytes = uploadrules.MaxKeyBytes

// Record is one OSS event notification record, decoded into plain values.
// The SDK's pointer structs stop at Decode.
type Record struct {
	EventName   string // e.g. "ObjectCreated:PutObject" (no "oss:" prefix)
	EventSource string
	EventTime   time.Time // zero when absent or unparsable
	Region      string
	Bucket      string
	// Key is oss.object.key exactly as the event carries it. OSS event
	// notifications (and so FC's OSS trigger) carry the object's name
	// itself, not a URL-encoded form: FC's "Formats of event for different
	// triggers"
	// (https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/formats-of-event-for-different-triggers)
	// documents oss.object.key as the object name, and Alibaba's own
	// trigger sample (aliyun/serverless-aliyun-function-compute,
	// test/project/src/ossTriggerHandler.js) passes it unchanged to GetObject.
	// So it is never decoded: "a%2Epng" names the object "a%2Epng", never
	// "a.png", and an event names exactly one object.
	Key         string
	ETag        string // upper-case hex, no quotes ("" when absent)
	Size        int64
	DeltaSize   int64
	MimeType    string // objectMeta.mimeType
	RequestID   string // responseElements.requestId
	SourceIP    string
	PrincipalID string
	RuleID      string
	Position    *int64 // oss.object.position (AppendObject); absent from the SDK struct
}

// Created reports whether the record is an ObjectCreated:* event.
func (r Record) Created() bool { return strings.HasPrefix(r.EventName, "ObjectCreated:") }

// ErrPoison marks an event or record that can never be processed (malformed
// JSON, missing key or bucket, impossible key). Such input is logged and
// skipped, never retried.
var ErrPoison = errors.New("poison event")

// extra holds the documented record fields that events.OssEventRecord lacks,
// and the fields it types too strictly for real payloads.
type extra struct {
	EventTime json.RawMessage `json:"eventTime"`
	OSS       struct {
		Object struct {
			Position  json.RawMessage `json:"position"`
			Size      json.RawMessage `json:"size"`
			DeltaSize json.RawMessage `json:"deltaSize"`
		} `json:"object"`
	} `json:"oss"`
}

// Decode parses an OSS event payload ({"events":[...]}) into records. It never
// panics. A payload that is not such a document yields no records and an
// error wrapping ErrPoison. Each record is decoded on its own: a poison record
// becomes an entry in problems (wrapping ErrPoison) and does not stop the
// others. Records are returned in payload order.
func Decode(payload []byte) (records []Record, problems []error) {
	var doc struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(payload, &doc); err != nil {
		return nil, []error{fmt.Errorf("%w: payload is not an OSS event document: %v", ErrPoison, err)}
	}
	if doc.Events == nil {
		return nil, []error{fmt.Errorf("%w: payload has no \"events\" array", ErrPoison)}
	}
	for i, raw := range doc.Events {
		rec, err := decodeRecord(raw)
		if err != nil {
			problems = append(problems, fmt.Errorf("record %d: %w", i, err))
			continue
		}
		records = append(records, rec)
	}
	return records, problems
}

// decodeRecord converts one raw record. Numbers and times are taken leniently
// (a bad eventTime or size does not make the record poison); only what
// processing needs (bucket, key) is mandatory.
func decodeRecord(raw json.RawMessage) (Record, error) {
	var sdk events.OssEventRecord
	var ex extra
	if err := json.Unmarshal(raw, &ex); err != nil {
		return Record{}, fmt.Errorf("%w: record is not a JSON object: %v", ErrPoison, err)
	}
	// The SDK struct fails as a whole on a wrongly typed field (eventTime as a
	// number, size as a string). Decode it with those fields blanked, and read
	// them from ex instead.
	var generic map[string]json.RawMessage
	if err := json.Unmarshal(raw, &generic); err != nil {
		return Record{}, fmt.Errorf("%w: record is not a JSON object: %v", ErrPoison, err)
	}
	delete(generic, "eventTime")
	if o, ok := generic["oss"]; ok {
		generic["oss"] = stripObjectNumbers(o)
	}
	cleaned, err := json.Marshal(generic)
	if err != nil {
		return Record{}, fmt.Errorf("%w: %v", ErrPoison, err)
	}
	if err := json.Unmarshal(cleaned, &sdk); err != nil {
		return Record{}, fmt.Errorf("%w: record does not match the OSS event shape: %v", ErrPoison, err)
	}
	r := fromSDK(&sdk)
	r.EventTime = parseTime(ex.EventTime)
	r.Size, _ = parseInt(ex.OSS.Object.Size)
	r.DeltaSize, _ = parseInt(ex.OSS.Object.DeltaSize)
	if p, ok := parseInt(ex.OSS.Object.Position); ok {
		r.Position = &p
	}
	switch {
	case r.Bucket == "":
		return Record{}, fmt.Errorf("%w: record has no oss.bucket.name", ErrPoison)
	case r.Key == "":
		return Record{}, fmt.Errorf("%w: record has no oss.object.key", ErrPoison)
	case len(r.Key) > MaxKeyBytes:
		return Record{}, fmt.Errorf("%w: key is %d bytes, longer than OSS allows (%d)", ErrPoison, len(r.Key), MaxKeyBytes)
	}
	return r, nil
}

// stripObjectNumbers removes size, deltaSize and position from oss.object so
// that the SDK struct (which types them as *int) cannot fail on them.
func stripObjectNumbers(ossRaw json.RawMessage) json.RawMessage {
	var o map[string]json.RawMessage
	if json.Unmarshal(ossRaw, &o) != nil {
		return ossRaw // let the SDK decode report it
	}
	obj, ok := o["object"]
	if !ok {
		return ossRaw
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(obj, &m) != nil {
		return ossRaw
	}
	delete(m, "size")
	delete(m, "deltaSize")
	delete(m, "position")
	b, err := json.Marshal(m)
	if err != nil {
		return ossRaw
	}
	o["object"] = b
	b, err = json.Marshal(o)
	if err != nil {
		return ossRaw
	}
	return b
}

func fromSDK(e *events.OssEventRecord) Record {
	var r Record
	r.EventName = str(e.EventName)
	r.EventSource = str(e.EventSource)
	r.Region = str(e.Region)
	if e.RequestParameters != nil {
		r.SourceIP = str(e.RequestParameters.SourceIPAddress)
	}
	if e.ResponseElements != nil {
		r.RequestID = str(e.ResponseElements.RequestID)
	}
	if e.UserIdentity != nil {
		r.PrincipalID = str(e.UserIdentity.PrincipalID)
	}
	if o := e.Oss; o != nil {
		r.RuleID = str(o.RuleID)
		if b := o.Bucket; b != nil {
			r.Bucket = str(b.Name)
		}
		if obj := o.Object; obj != nil {
			r.Key = str(obj.Key)
			r.ETag = NormalizeETag(str(obj.ETag))
			if obj.ObjectMeta != nil {
				r.MimeType = str(obj.ObjectMeta.MimeType)
			}
		}
	}
	return r
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// parseTime accepts an RFC 3339 string (OSS sends "2024-05-20T06:21:35.000Z").
func parseTime(raw json.RawMessage) time.Time {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// parseInt accepts a JSON integer or a string holding one.
func parseInt(raw json.RawMessage) (int64, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		n = json.Number(s)
	}
	v, err := n.Int64()
	if err != nil {
		return 0, false
	}
	return v, true
}

// NormalizeETag returns an ETag as OSS events carry it: upper-case, no quotes,
// no weak prefix. HEAD answers `"ABC…"`; events carry `ABC…`.
func NormalizeETag(s string) string { return uploadrules.NormalizeETag(s) }
