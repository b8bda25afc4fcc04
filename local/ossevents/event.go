// Package ossevents builds the OSS event notification JSON that Function
// Compute's OSS trigger delivers, matches events against trigger rules
// (event names with wildcards, key prefix and suffix) and delivers them
// asynchronously, at least once, with retries and exponential back-off.
//
// The payload follows the OSS/STS protocol reference §4.1 and decodes into
// github.com/aliyun/fc-runtime-go-sdk/events.OssEvent.
package ossevents

import (
	"encoding/json"
	"strings"
	"time"
)

// DefaultAccountID is the account used for bucket ARNs and ownerIdentity
// when an Event names none (the local stack's development account).
const DefaultAccountID = "1234567890123456"

// Event is one object event as the emulator reports it.
type Event struct {
	Name        string // e.g. "ObjectCreated:PutObject"; a leading "oss:" is dropped
	Bucket      string
	Region      string // e.g. "cn-hangzhou"
	AccountID   string // bucket owner; DefaultAccountID if empty
	Key         string
	ETag        string // MD5 hex; quotes are dropped and it is upper-cased
	Size        int64
	DeltaSize   int64 // new size - old size; may be negative
	RequestID   string
	SourceIP    string
	PrincipalID string
	MimeType    string
	RuleID      string
	Time        time.Time
}

// Payload is the document delivered to the function: {"events":[...]}.
type Payload struct {
	Events []Record `json:"events"`
}

// Record is one entry of Payload.Events.
type Record struct {
	EventName         string            `json:"eventName"`
	EventSource       string            `json:"eventSource"`
	EventTime         string            `json:"eventTime"`
	EventVersion      string            `json:"eventVersion"`
	OSS               OSS               `json:"oss"`
	Region            string            `json:"region"`
	RequestParameters RequestParameters `json:"requestParameters"`
	ResponseElements  ResponseElements  `json:"responseElements"`
	UserIdentity      UserIdentity      `json:"userIdentity"`
}

// OSS is Record.OSS.
type OSS struct {
	Bucket           Bucket `json:"bucket"`
	Object           Object `json:"object"`
	OSSSchemaVersion string `json:"ossSchemaVersion"`
	RuleID           string `json:"ruleId"`
}

// Bucket is OSS.Bucket.
type Bucket struct {
	ARN           string `json:"arn"`
	Name          string `json:"name"`
	OwnerIdentity string `json:"ownerIdentity"`
	VirtualBucket string `json:"virtualBucket"`
}

// Object is OSS.Object.
type Object struct {
	DeltaSize  int64      `json:"deltaSize"`
	ETag       string     `json:"eTag"`
	Key        string     `json:"key"`
	ObjectMeta ObjectMeta `json:"objectMeta"`
	Size       int64      `json:"size"`
}

// ObjectMeta is Object.ObjectMeta.
type ObjectMeta struct {
	MimeType string `json:"mimeType"`
}

// RequestParameters is Record.RequestParameters.
type RequestParameters struct {
	SourceIPAddress string `json:"sourceIPAddress"`
}

// ResponseElements is Record.ResponseElements.
type ResponseElements struct {
	RequestID string `json:"requestId"`
}

// UserIdentity is Record.UserIdentity.
type UserIdentity struct {
	PrincipalID string `json:"principalId"`
}

// eventTimeLayout is ISO-8601 with milliseconds in UTC, as OSS writes it.
const eventTimeLayout = "2006-01-02T15:04:05.000Z"

// Record converts e into its wire form.
func (e Event) Record() Record {
	account := e.AccountID
	if account == "" {
		account = DefaultAccountID
	}
	return Record{
		EventName:    strings.TrimPrefix(e.Name, "oss:"),
		EventSource:  "acs:oss",
		EventTime:    e.Time.UTC().Format(eventTimeLayout),
		EventVersion: "1.0",
		OSS: OSS{
			Bucket: Bucket{ARN: "acs:oss:" + e.Region + ":" + account + ":" + e.Bucket, Name: e.Bucket, OwnerIdentity: account},
			Object: Object{DeltaSize: e.DeltaSize, ETag: strings.ToUpper(strings.Trim(e.ETag, `"`)), Key: e.Key,
				ObjectMeta: ObjectMeta{MimeType: e.MimeType}, Size: e.Size},
			OSSSchemaVersion: "1.0",
			RuleID:           e.RuleID,
		},
		Region:            e.Region,
		RequestParameters: RequestParameters{SourceIPAddress: e.SourceIP},
		ResponseElements:  ResponseElements{RequestID: e.RequestID},
		UserIdentity:      UserIdentity{PrincipalID: e.PrincipalID},
	}
}

// Marshal returns the OSS event JSON {"events":[...]} for e.
func Marshal(e Event) ([]byte, error) {
	return json.Marshal(Payload{Events: []Record{e.Record()}})
}

// Build is Marshal for positional values; meta["mimeType"] is the object's
// content type. These field types always encode, so the result is never nil.
func Build(eventName, bucket, region, key, etag string, size, deltaSize int64, requestID, sourceIP, principalID string,
	meta map[string]string, t time.Time) []byte {
	b, err := Marshal(newEvent(eventName, bucket, region, key, etag, size, deltaSize, requestID, sourceIP, principalID, meta, t))
	if err != nil { // unreachable: only strings and integers are encoded
		return nil
	}
	return b
}

func newEvent(eventName, bucket, region, key, etag string, size, deltaSize int64, requestID, sourceIP, principalID string,
	meta map[string]string, t time.Time) Event {
	return Event{Name: eventName, Bucket: bucket, Region: region, Key: key, ETag: etag, Size: size, DeltaSize: deltaSize,
		RequestID: requestID, SourceIP: sourceIP, PrincipalID: principalID, MimeType: meta["mimeType"], Time: t}
}
