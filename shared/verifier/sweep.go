package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/ossupload/ossupload/shared/sweepage"
)

// The sweep judges uploads whose OSS event was lost (FC dropped it after its
// retries, or it never fired). verify runs it on a timer trigger: it lists
// the upload prefix page by page, and every object older than MinAge that
// carries no delivered verdict for its current ETag goes through
// Verifier.Process, exactly as if its event had arrived, with the event name
// "ObjectCreated:Sweep". Verdicts are bound to the ETag (upload-etag tag, and
// every read after HEAD is If-Match), and the check is a function of the
// object's bytes and metadata, so a sweep and an event-driven run judging the
// same version reach the same verdict; MinAge is kept above the longest an
// event can still be retried (maxAsyncEventAgeInSeconds plus the function
// timeout), so the two rarely meet at all.
//
// Progress is kept in one small object, StateKey (under the quarantine
// prefix, which verify may already read and write): the ListObjects marker
// to resume from, empty once a full pass ended. A run stops listing when its
// time budget is spent and saves the marker, so a large bucket is covered
// over several runs; losing the state only means starting over.

// SweepEventName is the event name of the records the sweep builds.
const SweepEventName = "ObjectCreated:Sweep"

// DefaultSweepMinAge is SWEEP_MIN_AGE_SECONDS when unset (see sweepage).
const DefaultSweepMinAge = sweepage.Default

// sweepStateName is the state object's name under the quarantine prefix.
// Quarantine copies are QUARANTINE_PREFIX + an upload key, and upload keys
// start with UPLOAD_PREFIX, so they never collide with it (checked by
// SweepStateKey).
const sweepStateName = ".sweep-marker"

// SweepStore is what the sweep needs beyond Store. OSSStore implements it.
type SweepStore interface {
	// List returns up to max objects whose keys start with prefix and sort
	// after marker (ListObjects).
	List(ctx context.Context, prefix, marker string, max int) (ListPage, error)
	// ReadState returns the state object's content (ErrNotFound: none).
	ReadState(ctx context.Context, key string) (string, error)
	// WriteState replaces the state object's content.
	WriteState(ctx context.Context, key, value string) error
}

// ListPage is one page of a listing.
type ListPage struct {
	Objects    []ListedObject
	Truncated  bool
	NextMarker string
}

// ListedObject is one listed object.
type ListedObject struct {
	Key          string
	ETag         string // normalised like ObjectInfo.ETag
	Size         int64
	LastModified time.Time
}

// SweepStateKey returns the state object's key, or an error when the
// prefixes would let it collide with an upload or a quarantine copy.
func SweepStateKey(uploadPrefix, quarantinePrefix string) (string, error) {
	if quarantinePrefix == "" {
		return "", errors.New("sweep: QUARANTINE_PREFIX is empty, nowhere to keep the sweep state")
	}
	if strings.HasPrefix(sweepStateName, uploadPrefix) {
		return "", fmt.Errorf("sweep: UPLOAD_PREFIX %q would cover the state object %q", uploadPrefix, quarantinePrefix+sweepStateName)
	}
	return quarantinePrefix + sweepStateName, nil
}

// IsTimerEvent reports whether an invocation payload is an FC timer trigger's
// event ({"triggerTime": ..., "triggerName": ..., "payload": ...}: the shape
// of fc-runtime-go-sdk v0.3.1 events.TimerEvent) rather than an OSS event
// document ({"events": [...]}).
func IsTimerEvent(payload []byte) bool {
	var doc map[string]json.RawMessage
	if json.Unmarshal(payload, &doc) != nil {
		return false
	}
	_, events := doc["events"]
	_, when := doc["triggerTime"]
	_, name := doc["triggerName"]
	return !events && when && name
}

// Sweeper runs sweeps. Construct it with its fields.
type Sweeper struct {
	Verifier *Verifier // its Store, Rules.Prefix, Bucket, Notifier are used as for events
	List     SweepStore
	StateKey string
	MinAge   time.Duration
	PageSize int              // ListObjects max-keys; 100 when 0
	Budget   time.Duration    // stop listing after this long; see Run
	Now      func() time.Time // time.Now when nil
}

// SweepResult counts one run. Summary logging uses these names.
type SweepResult struct {
	Listed   int // objects listed
	Young    int // younger than MinAge: their event may still come
	Judged   int // verdict for the current ETag already recorded and delivered
	Verified int // judged by this run: verified
	Rejected int // judged by this run: rejected
	Errors   int // Process failed (retried on a later pass)
	Complete bool
	Marker   string // where the next run resumes ("" = from the start)
}

// Run sweeps once. It stops listing when ctx's deadline (less a margin for
// the object in hand) or Budget is reached, whichever is first, and saves
// where it stopped. It logs one summary line and returns an error when an
// object failed or listing failed, so the invocation shows as failed.
func (s *Sweeper) Run(ctx context.Context) (SweepResult, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	start := now()
	stopAt := time.Time{}
	if s.Budget > 0 {
		stopAt = start.Add(s.Budget)
	}
	if d, ok := ctx.Deadline(); ok {
		// Leave room for one object (HEAD, a 3 KiB read, tags, webhook) and
		// the state write.
		if d2 := d.Add(-30 * time.Second); stopAt.IsZero() || d2.Before(stopAt) {
			stopAt = d2
		}
	}
	pageSize := s.PageSize
	if pageSize <= 0 {
		pageSize = 100
	}
	v := s.Verifier
	log := v.logger(ctx)
	var res SweepResult
	var errs []error

	marker, err := s.List.ReadState(ctx, s.StateKey)
	if errors.Is(err, ErrNotFound) {
		marker, err = "", nil
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("read sweep state: %w", err))
		marker = ""
	}
	saved := marker
	rec := &verdictRecorder{Store: v.Store}
	judge := *v
	judge.Store = rec
	cutoff := start.Add(-s.MinAge)

list:
	for {
		page, err := s.List.List(ctx, v.Rules.Prefix, marker, pageSize)
		if err != nil {
			errs = append(errs, fmt.Errorf("list after %q: %w", marker, err))
			break
		}
		for _, o := range page.Objects {
			if (!stopAt.IsZero() && !now().Before(stopAt)) || ctx.Err() != nil {
				break list
			}
			res.Listed++
			s.one(ctx, log, &judge, rec, o, cutoff, &res)
			marker = o.Key
		}
		if !page.Truncated {
			res.Complete = true
			marker = ""
			break
		}
		if page.NextMarker != "" {
			marker = page.NextMarker
		}
	}
	res.Marker = marker
	if marker != saved {
		if err := s.List.WriteState(context.WithoutCancel(ctx), s.StateKey, marker); err != nil {
			errs = append(errs, fmt.Errorf("write sweep state: %w", err))
		}
	}
	if res.Errors > 0 {
		errs = append(errs, fmt.Errorf("sweep: %d objects failed", res.Errors))
	}
	level := slog.LevelInfo
	if len(errs) > 0 {
		level = slog.LevelError
	}
	log.Log(ctx, level, "verify: sweep run", "listed", res.Listed, "verified", res.Verified, "rejected", res.Rejected,
		"errors", res.Errors, "young", res.Young, "alreadyJudged", res.Judged, "complete", res.Complete,
		"minAgeSeconds", int64(s.MinAge/time.Second), "problems", len(errs))
	return res, errors.Join(errs...)
}

// one handles one listed object.
func (s *Sweeper) one(ctx context.Context, log *slog.Logger, judge *Verifier, rec *verdictRecorder, o ListedObject, cutoff time.Time, res *SweepResult) {
	if o.LastModified.After(cutoff) {
		res.Young++
		return
	}
	if judge.ignored(o.Key) != "" {
		return
	}
	tags, err := judge.Store.GetTags(ctx, o.Key)
	if errors.Is(err, ErrNotFound) {
		return // deleted (or quarantined) since the listing
	}
	if err != nil {
		res.Errors++
		log.Error("verify: sweep could not read tags", "key", o.Key, "error", err.Error())
		return
	}
	// Already judged and delivered for this version, and nothing left to do:
	// a verified object stays; a rejected one stays only with REJECT_ACTION
	// tag (otherwise it is moved or deleted, and Process finishes that).
	if tags[TagETag] == o.ETag && tags[TagNotified] == o.ETag &&
		(tags[TagStatus] == StatusVerified || (tags[TagStatus] == StatusRejected && judge.action() == ActionTag)) {
		res.Judged++
		return
	}
	rec.reset(o.Key)
	err = judge.Process(ctx, Record{
		EventName: SweepEventName,
		EventTime: o.LastModified,
		Bucket:    judge.Bucket,
		Key:       o.Key,
		ETag:      o.ETag,
		Size:      o.Size,
	})
	if err != nil {
		res.Errors++
		log.Error("verify: sweep could not judge object", "key", o.Key, "etag", o.ETag, "error", err.Error())
		return
	}
	switch rec.status() {
	case StatusVerified:
		res.Verified++
	case StatusRejected:
		res.Rejected++
	}
}

// verdictRecorder passes every call to Store and remembers the verdict the
// last Process wrote for the key in hand (on the object or its quarantine
// copy), so the sweep can count verdicts without a second code path.
type verdictRecorder struct {
	Store
	mu      sync.Mutex
	key     string
	verdict string
}

func (r *verdictRecorder) reset(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.key, r.verdict = key, ""
}

func (r *verdictRecorder) status() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.verdict
}

func (r *verdictRecorder) note(key string, tags map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if key == r.key && tags[TagStatus] != "" {
		r.verdict = tags[TagStatus]
	}
}

// PutTags implements Store.
func (r *verdictRecorder) PutTags(ctx context.Context, key string, tags map[string]string) error {
	err := r.Store.PutTags(ctx, key, tags)
	if err == nil {
		r.note(key, maps.Clone(tags))
	}
	return err
}

// Copy implements Store.
func (r *verdictRecorder) Copy(ctx context.Context, src, dst, etag string, tags map[string]string) error {
	err := r.Store.Copy(ctx, src, dst, etag, tags)
	if err == nil {
		r.note(src, tags)
	}
	return err
}
