package stsfn

import (
	"context"
	"testing"
	"time"

	"github.com/ossupload/ossupload/local/oss"
	"github.com/ossupload/ossupload/local/ossevents"
	"github.com/ossupload/ossupload/local/sdevs"
	"github.com/ossupload/ossupload/shared/verifier"
)

// verifyTrigger is the verify function's OSS trigger exactly as s.yaml
// configures it (events and key filter), delivering each matching event's
// payload to out. It is the emulator's event publisher.
func verifyTrigger(t testing.TB, out chan<- []byte) oss.Publisher {
	t.Helper()
	fns, err := sdevs.Load("../../s.yaml", sdevs.Resolver{Getenv: func(string) string { return "" },
		Config: map[string]string{"AccountID": ossevents.DefaultAccountID}})
	if err != nil {
		t.Fatal(err)
	}
	d := ossevents.NewDispatcher()
	t.Cleanup(func() { _ = d.Close() })
	rules := 0
	for _, fn := range fns {
		for _, tr := range fn.Triggers {
			if fn.ID == "verify" && tr.Type == "oss" {
				d.Add(ossevents.Rule{Events: tr.Events, Prefix: tr.Prefix, Suffix: tr.Suffix},
					ossevents.SinkFunc(func(_ context.Context, payload []byte) error { out <- payload; return nil }))
				rules++
			}
		}
	}
	if rules != 1 {
		t.Fatalf("s.yaml: %d oss triggers on verify, want 1", rules)
	}
	return publisher{d}
}

type publisher struct{ d *ossevents.Dispatcher }

func (p publisher) Publish(e oss.Event) {
	p.d.PublishEvent(ossevents.Event{Name: e.Name, Bucket: e.Bucket, Region: e.Region, Key: e.Key, ETag: e.ETag,
		Size: e.Size, DeltaSize: e.DeltaSize, RequestID: e.RequestID, SourceIP: e.SourceIP, PrincipalID: e.PrincipalID,
		MimeType: e.ContentType, Time: e.Time})
}

// delivered waits until verify's trigger delivers an event named name
// (e.g. "ObjectCreated:AppendObject") for key, decoded as verify decodes it;
// events for other keys or of other names are skipped.
func (s *stack) delivered(t *testing.T, name, key string) verifier.Record {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case payload := <-s.verifyEvents:
			records, problems := verifier.Decode(payload)
			if len(problems) > 0 {
				t.Fatalf("verify cannot decode %s: %v", payload, problems)
			}
			for _, r := range records {
				if r.EventName == name && r.Key == key {
					return r
				}
			}
		case <-deadline:
			t.Fatalf("verify's trigger never delivered %s for %q", name, key)
			return verifier.Record{}
		}
	}
}
