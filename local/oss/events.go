package oss

import (
	"time"

	"github.com/ossupload/ossupload/local/iam"
)

// Event is one object event as OSS notifications describe it.
type Event struct {
	Name        string // without the "oss:" prefix, e.g. "ObjectCreated:PutObject"
	Bucket      string
	Region      string
	Key         string
	ETag        string // upper-case hex, no quotes
	Size        int64
	DeltaSize   int64
	RequestID   string
	SourceIP    string
	PrincipalID string
	ContentType string
	Time        time.Time
}

// Publisher receives object events (the event-notification dispatcher).
type Publisher interface {
	Publish(e Event)
}

// publish reports an event after a successful write or delete.
func (s *Server) publish(rq *request, name string, obj Object, delta int64) {
	if s.events == nil {
		return
	}
	principal := iam.AccountID
	if rq.principal != nil && rq.principal.Kind == iam.KindAssumedRole {
		principal = rq.principal.AssumedRoleID
	} else if rq.principal != nil && rq.principal.Kind == iam.KindUser {
		principal = rq.principal.Name
	}
	s.events.Publish(Event{Name: name, Bucket: rq.bucket, Region: s.region, Key: obj.Key, ETag: obj.ETag, Size: obj.Size,
		DeltaSize: delta, RequestID: rq.id, SourceIP: sourceIP(rq.r), PrincipalID: principal, ContentType: obj.ContentType, Time: rq.now.UTC()})
}
