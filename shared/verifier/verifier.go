package verifier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/ossupload/ossupload/shared/uploadrules"
)

// Tag names written on a checked object. upload-status and upload-reason are
// read by the sign function's GET /status.
const (
	TagStatus   = "upload-status"   // verified | rejected
	TagReason   = "upload-reason"   // a Reason* code, only when rejected
	TagETag     = "upload-etag"     // the ETag the verdict belongs to
	TagType     = "upload-type"     // the sniffed content type
	TagNotified = "upload-notified" // the ETag whose verdict the webhook has delivered
)

// Reject actions (REJECT_ACTION).
const (
	ActionQuarantine = "quarantine"
	ActionDelete     = "delete"
	ActionTag        = "tag"
)

// Verifier checks uploaded objects named by OSS events. Construct it with
// its fields; it holds no per-invocation state and is safe for concurrent
// use when Store and Notifier are.
type Verifier struct {
	Bucket           string
	Rules            uploadrules.Rules
	QuarantinePrefix string
	Action           string    // ActionQuarantine (default), ActionDelete or ActionTag
	Store            Store     // OSS access
	Notifier         *Notifier // nil: no webhook
	Logger           *slog.Logger
}

// Handle processes one OSS event payload (the raw invocation body). It never
// panics. Poison input (malformed JSON, records without key or bucket) is
// logged and skipped. Every record is processed; the transient failures (OSS
// 5xx or network, webhook) are returned joined, so FC retries the whole
// invocation, and records already done are then recognised as duplicates.
func (v *Verifier) Handle(ctx context.Context, payload []byte) (err error) {
	log := v.logger(ctx)
	defer func() {
		if p := recover(); p != nil {
			log.Error("verify: internal error", "panic", fmt.Sprint(p))
			err = fmt.Errorf("verify: internal error: %v", p)
		}
	}()
	records, problems := Decode(payload)
	for _, p := range problems {
		log.Warn("verify: skipping poison event input", "error", p.Error(), "payloadBytes", len(payload))
	}
	var errs []error
	for _, rec := range records {
		if e := v.Process(ctx, rec); e != nil {
			log.Error("verify: record failed, invocation will be retried", "key", rec.Key, "etag", rec.ETag, "error", e.Error())
			errs = append(errs, e)
		}
	}
	return errors.Join(errs...)
}

func (v *Verifier) logger(ctx context.Context) *slog.Logger {
	l := v.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	if fc, ok := fccontext.FromContext(ctx); ok && fc != nil && fc.RequestID != "" {
		l = l.With("requestId", fc.RequestID)
	}
	return l
}

// ignored returns why a key is not for the verifier ("" when it is).
func (v *Verifier) ignored(key string) string {
	switch {
	case v.QuarantinePrefix != "" && strings.HasPrefix(key, v.QuarantinePrefix):
		return "key is under the quarantine prefix"
	case !strings.HasPrefix(key, v.Rules.Prefix):
		return "key is not under the upload prefix"
	}
	return ""
}

// Process handles one record: it checks the object, records the verdict as
// tags, notifies the webhook and applies the reject action, in an order that
// makes repeated delivery safe (see the package doc). It returns nil for
// records that need no retry (ignored, missing object, object changed
// meanwhile) and an error for transient failures.
func (v *Verifier) Process(ctx context.Context, rec Record) error {
	log := v.logger(ctx).With("eventKey", rec.Key, "eventEtag", rec.ETag, "event", rec.EventName, "ossRequestId", rec.RequestID)
	if !rec.Created() {
		log.Debug("verify: ignoring non-ObjectCreated event")
		return nil
	}
	if v.Bucket != "" && rec.Bucket != v.Bucket {
		log.Warn("verify: ignoring event for another bucket", "bucket", rec.Bucket)
		return nil
	}
	if why := v.ignored(rec.Key); why != "" && (rec.AltKey == "" || v.ignored(rec.AltKey) != "") {
		log.Debug("verify: ignoring key", "why", why)
		return nil
	}

	key, info, err := v.head(ctx, rec)
	if errors.Is(err, ErrNotFound) {
		return v.missing(ctx, log, rec)
	}
	if err != nil {
		return fmt.Errorf("head %q: %w", rec.Key, err)
	}
	log = log.With("key", key, "etag", info.ETag, "size", info.Size)
	tags, err := v.Store.GetTags(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return v.missing(ctx, log, rec)
	}
	if err != nil {
		return fmt.Errorf("get tags %q: %w", key, err)
	}

	// The check always runs (HEAD + at most SniffLimit bytes): tags on an
	// object under the upload prefix could have been set by the uploader, so
	// they never replace the check. They only tell whether this verdict was
	// already recorded and delivered.
	verdict, err := v.check(ctx, key, info)
	if errors.Is(err, ErrChanged) {
		log.Info("verify: object overwritten while being checked; its own event verifies the new version")
		return nil
	}
	if errors.Is(err, ErrNotFound) {
		return v.missing(ctx, log, rec)
	}
	if err != nil {
		return err
	}
	if recorded(tags, verdict, info.ETag) {
		if tags[TagNotified] == info.ETag {
			log.Info("verify: duplicate event, verdict already recorded and delivered", "status", verdict.Status)
			return v.act(ctx, log, key, info, verdict, tags)
		}
	} else {
		var dropped []string
		tags, dropped = withVerdict(tags, verdict, info.ETag)
		if len(dropped) > 0 {
			log.Warn("verify: user tags dropped to make room for the verdict (OSS allows 10 tags)", "dropped", dropped)
		}
		if v.Notifier == nil {
			tags[TagNotified] = info.ETag // nothing to deliver
		}
		if err := v.putTags(ctx, key, tags); errors.Is(err, ErrNotFound) {
			return v.missing(ctx, log, rec)
		} else if err != nil {
			return err
		}
		log.Info("verify: verdict recorded", "status", verdict.Status, "reason", verdict.Reason, "sniffedType", verdict.SniffedType, "detail", verdict.Detail)
	}

	if tags[TagNotified] != info.ETag {
		if err := v.notify(ctx, rec, key, info, verdict); err != nil {
			return err
		}
		tags = maps.Clone(tags)
		tags[TagNotified] = info.ETag
		if err := v.putTags(ctx, key, tags); errors.Is(err, ErrNotFound) {
			log.Info("verify: object deleted after its verdict was delivered")
			return nil
		} else if err != nil {
			return err
		}
	}
	return v.act(ctx, log, key, info, verdict, tags)
}

// head finds the object under the record's key, or its alternative reading.
func (v *Verifier) head(ctx context.Context, rec Record) (string, ObjectInfo, error) {
	var firstErr error
	for _, k := range []string{rec.Key, rec.AltKey} {
		if k == "" || v.ignored(k) != "" {
			continue
		}
		info, err := v.Store.Head(ctx, k)
		if err == nil {
			return k, info, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return "", ObjectInfo{}, err
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = ErrNotFound
	}
	return "", ObjectInfo{}, firstErr
}

// check applies the rules, reading at most SniffLimit bytes, and only when
// the metadata rules pass.
func (v *Verifier) check(ctx context.Context, key string, info ObjectInfo) (Verdict, error) {
	verdict, ok := precheck(v.Rules, key, info)
	if !ok {
		return verdict, nil
	}
	n := int64(SniffLimit)
	if info.Size < n {
		n = info.Size
	}
	body, err := v.Store.GetRange(ctx, key, info.ETag, n)
	if err != nil {
		return Verdict{}, fmt.Errorf("read head of %q: %w", key, err)
	}
	defer body.Close()
	buf, err := io.ReadAll(io.LimitReader(body, n))
	if err != nil {
		return Verdict{}, fmt.Errorf("read head of %q: %w", key, err)
	}
	return contentCheck(v.Rules, key, info, Sniff(buf), verdict), nil
}

// putTags writes tags; a missing object is reported as ErrNotFound, which
// callers treat as "deleted meanwhile".
func (v *Verifier) putTags(ctx context.Context, key string, tags map[string]string) error {
	if err := v.Store.PutTags(ctx, key, tags); err != nil {
		return fmt.Errorf("put tags %q: %w", key, err)
	}
	return nil
}

func (v *Verifier) notify(ctx context.Context, rec Record, key string, info ObjectInfo, verdict Verdict) error {
	if v.Notifier == nil {
		return nil
	}
	n := Notification{
		Bucket: rec.Bucket, Key: key, Size: info.Size, ETag: info.ETag,
		Owner: verdict.Owner, SniffedType: verdict.SniffedType,
		Verdict: verdict.Status, Reason: verdict.Reason,
		EventName: rec.EventName, EventTime: rec.EventTime, RequestID: rec.RequestID,
	}
	if verdict.Rejected() {
		n.Action = v.action()
		if n.Action == ActionQuarantine {
			n.LocationKey = v.QuarantinePrefix + key
		}
	}
	if err := v.Notifier.Notify(ctx, n); err != nil {
		return fmt.Errorf("notify %q: %w", key, err)
	}
	return nil
}

func (v *Verifier) action() string {
	if v.Action == "" {
		return ActionQuarantine
	}
	return v.Action
}

// act applies the reject action to a rejected object whose verdict has been
// recorded and delivered: copy to the quarantine key (with the same tags)
// and then delete the original, or delete it, or leave it tagged.
func (v *Verifier) act(ctx context.Context, log *slog.Logger, key string, info ObjectInfo, verdict Verdict, tags map[string]string) error {
	if !verdict.Rejected() {
		return nil
	}
	switch v.action() {
	case ActionTag:
		return nil
	case ActionDelete:
		if err := v.Store.Delete(ctx, key); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("delete %q: %w", key, err)
		}
		log.Info("verify: rejected object deleted")
		return nil
	}
	qkey := v.QuarantinePrefix + key
	if len(qkey) > MaxKeyBytes {
		log.Error("verify: quarantine key would be too long; object left in place, tagged rejected")
		return nil
	}
	if err := v.Store.Copy(ctx, key, qkey, tags); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil // deleted meanwhile
		}
		return fmt.Errorf("copy %q to quarantine: %w", key, err)
	}
	if err := v.Store.Delete(ctx, key); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("delete %q after quarantine copy: %w", key, err)
	}
	log.Info("verify: rejected object quarantined", "quarantineKey", qkey)
	return nil
}

// missing handles an event whose object is gone. If a previous delivery
// quarantined it, the quarantine copy's tags tell whether the verdict was
// delivered; otherwise the object was deleted meanwhile and there is
// nothing to check.
func (v *Verifier) missing(ctx context.Context, log *slog.Logger, rec Record) error {
	if v.action() == ActionQuarantine {
		for _, k := range []string{rec.Key, rec.AltKey} {
			if k == "" || v.ignored(k) != "" {
				continue
			}
			done, err := v.quarantined(ctx, log, rec, k)
			if err != nil || done {
				return err
			}
		}
	}
	log.Info("verify: object no longer exists, skipped")
	return nil
}

// quarantined reports whether key's quarantine copy carries this event's
// verdict, delivering it first if that had not happened.
func (v *Verifier) quarantined(ctx context.Context, log *slog.Logger, rec Record, key string) (bool, error) {
	qkey := v.QuarantinePrefix + key
	info, err := v.Store.Head(ctx, qkey)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("head quarantine copy of %q: %w", key, err)
	}
	tags, err := v.Store.GetTags(ctx, qkey)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get tags of quarantine copy of %q: %w", key, err)
	}
	etag := tags[TagETag]
	if etag == "" || tags[TagStatus] == "" || (rec.ETag != "" && rec.ETag != etag) {
		return false, nil // another version's copy
	}
	if tags[TagNotified] != etag {
		verdict := verdictFromTags(tags)
		verdict.Owner, _ = v.Rules.OwnerOf(key)
		info.ETag = etag
		if err := v.notify(ctx, rec, key, info, verdict); err != nil {
			return false, err
		}
		tags = maps.Clone(tags)
		tags[TagNotified] = etag
		if err := v.putTags(ctx, qkey, tags); err != nil && !errors.Is(err, ErrNotFound) {
			return false, err
		}
	}
	log.Info("verify: duplicate event, object already quarantined", "quarantineKey", qkey)
	return true, nil
}

func verdictFromTags(tags map[string]string) Verdict {
	return Verdict{Status: tags[TagStatus], Reason: tags[TagReason], SniffedType: tags[TagType]}
}

// recorded reports whether tags already hold verdict v for etag.
func recorded(tags map[string]string, v Verdict, etag string) bool {
	reason := ""
	if v.Rejected() {
		reason = v.Reason
	}
	return tags[TagETag] == etag && tags[TagStatus] == v.Status && tags[TagReason] == reason
}

// MaxTags is how many tags OSS allows on one object.
const MaxTags = 10

// withVerdict returns a copy of the object's tags with the verdict for etag.
// Stale verdict tags (of an earlier version, or set by the uploader) are
// replaced; user tags are kept, except that when they would push the total
// over MaxTags the last ones in key order are dropped (and returned), so an
// uploader cannot block the verdict by filling the tag set.
func withVerdict(tags map[string]string, v Verdict, etag string) (map[string]string, []string) {
	var user []string
	for k := range tags {
		switch k {
		case TagStatus, TagReason, TagETag, TagType, TagNotified:
			continue
		}
		user = append(user, k)
	}
	slices.Sort(user)
	room := MaxTags - 5 // status, reason, etag, type, notified
	var dropped []string
	if len(user) > room {
		user, dropped = user[:room], user[room:]
	}
	out := make(map[string]string, MaxTags)
	for _, k := range user {
		out[k] = tags[k]
	}
	out[TagStatus] = v.Status
	out[TagETag] = etag
	if v.Rejected() {
		out[TagReason] = v.Reason
	}
	if v.SniffedType != "" {
		out[TagType] = v.SniffedType
	}
	return out, dropped
}
