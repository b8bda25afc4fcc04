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

	"github.com/ossupload/ossupload/shared/logging"
	"github.com/ossupload/ossupload/shared/uploadroutes"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// Tag names written on a checked object. upload-status and upload-reason are
// read by the sign function's GET /status.
const (
	TagStatus   = uploadrules.TagStatus // verified | rejected
	TagReason   = uploadrules.TagReason // a Reason* code, only when rejected
	TagETag     = uploadrules.TagETag   // the ETag the verdict belongs to
	TagType     = "upload-type"         // the sniffed content type
	TagNotified = "upload-notified"     // the ETag whose verdict the webhook has delivered
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
	Bucket string
	Rules  uploadrules.Rules // UPLOAD_*: the prefix and the cap of every route
	// Routes (UPLOAD_ROUTES) decide each object's route and so its sizes
	// and types; the zero Set is uploadroutes.Default(Rules).
	Routes uploadroutes.Set
	// PinKey (uploadpin.Key of UPLOAD_HOOK_SECRET) checks the upload pins
	// that vouch for the app's metadata; nil: that metadata is ignored.
	PinKey           []byte
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
		l = l.With(logging.RequestID(fc.RequestID))
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

// maxAttempts bounds how often Process judges an object again because it
// was overwritten while its verdict was being recorded.
const maxAttempts = 3

// Process handles one record: it checks the object, records the verdict as
// tags, notifies the webhook and applies the reject action, in an order that
// makes repeated delivery safe (see the package doc). It returns nil for
// records that need no retry (ignored, missing object, object changed
// meanwhile and left to its own event) and an error for transient failures.
//
// The object is the one stored under the event's key, read literally (see
// Decode). "Already done" is decided on that object alone: its own tags
// must hold the verdict for its current ETag (HEAD). When the event's eTag
// differs from the stored one, what is stored is judged; a never-judged
// object is never skipped.
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
	if why := v.ignored(rec.Key); why != "" {
		log.Debug("verify: ignoring key", "why", why)
		return nil
	}
	for range maxAttempts {
		again, err := v.once(ctx, log, rec)
		if err != nil || !again {
			return err
		}
		log.Info("verify: object overwritten while its verdict was recorded; judging the current version")
	}
	return fmt.Errorf("verify %q: %w: still changing after %d attempts", rec.Key, ErrChanged, maxAttempts)
}

// once judges the object currently stored under rec.Key and records,
// delivers and acts on its verdict. again is true when the object was
// overwritten after a verdict tag was written, so that tag may now sit on
// bytes it does not describe: the caller judges the object again.
func (v *Verifier) once(ctx context.Context, log *slog.Logger, rec Record) (again bool, err error) {
	key := rec.Key
	info, err := v.Store.Head(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return false, v.missing(ctx, log, rec)
	}
	if err != nil {
		return false, fmt.Errorf("head %q: %w", key, err)
	}
	log = log.With("key", key, "etag", info.ETag, "size", info.Size)
	if rec.ETag != "" && rec.ETag != info.ETag {
		log.Info("verify: the stored object is not the event's version; judging what is stored")
	}
	tags, err := v.Store.GetTags(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return false, v.missing(ctx, log, rec)
	}
	if err != nil {
		return false, fmt.Errorf("get tags %q: %w", key, err)
	}

	// The check always runs (HEAD + at most SniffLimit bytes, whole text
	// objects up to TextScanLimit): tags on an object under the upload
	// prefix could have been set by the uploader, so they never replace the
	// check. They only tell whether this verdict was already recorded and
	// delivered for these bytes (this ETag).
	verdict, err := v.check(ctx, key, info)
	if errors.Is(err, ErrChanged) {
		log.Info("verify: object overwritten while being checked; its own event verifies the new version")
		return false, nil
	}
	if errors.Is(err, ErrNotFound) {
		return false, v.missing(ctx, log, rec)
	}
	if err != nil {
		return false, err
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
		switch err := v.putTagsBound(ctx, key, info.ETag, tags); {
		case errors.Is(err, ErrNotFound):
			return false, v.missing(ctx, log, rec)
		case errors.Is(err, ErrChanged):
			return true, nil
		case err != nil:
			return false, err
		}
		log.Info("verify: verdict recorded", "status", verdict.Status, "reason", verdict.Reason, "route", verdict.Route, "sniffedType", verdict.SniffedType, "detail", verdict.Detail)
	}

	if tags[TagNotified] != info.ETag {
		if err := v.notify(ctx, rec, key, info, verdict); err != nil {
			return false, err
		}
		tags = maps.Clone(tags)
		tags[TagNotified] = info.ETag
		switch err := v.putTagsBound(ctx, key, info.ETag, tags); {
		case errors.Is(err, ErrNotFound):
			log.Info("verify: object deleted after its verdict was delivered")
			return false, nil
		case errors.Is(err, ErrChanged):
			return true, nil
		case err != nil:
			return false, err
		}
	}
	return v.act(ctx, log, key, info, verdict, tags)
}

// putTagsBound writes tags that describe the version etag of key. OSS has
// no conditional PutObjectTagging, so the ETag is checked by HEAD before
// the write (a changed object is not tagged) and after it (the object was
// overwritten in between, so the tags, which name etag, may sit on other
// bytes): both cases return ErrChanged. GET /status only trusts a verdict
// whose upload-etag equals the object's current ETag, so such tags are
// never read as a verdict; the caller judges the new version instead.
func (v *Verifier) putTagsBound(ctx context.Context, key, etag string, tags map[string]string) error {
	if err := v.sameVersion(ctx, key, etag); err != nil {
		return err
	}
	if err := v.putTags(ctx, key, tags); err != nil {
		return err
	}
	return v.sameVersion(ctx, key, etag)
}

// sameVersion returns nil when key's current ETag is etag, ErrChanged when
// it is another, ErrNotFound when it is gone.
func (v *Verifier) sameVersion(ctx context.Context, key, etag string) error {
	info, err := v.Store.Head(ctx, key)
	if err != nil {
		return fmt.Errorf("head %q: %w", key, err)
	}
	if info.ETag != etag {
		return fmt.Errorf("%q is now %s, not %s: %w", key, info.ETag, etag, ErrChanged)
	}
	return nil
}

// check applies the rules, reading at most SniffLimit bytes for the sniff,
// and only when the metadata rules pass; a text object is then read whole
// (up to TextScanLimit) and scanned for markup. Every read is If-Match on
// the HEAD's ETag, so the verdict describes exactly those bytes.
func (v *Verifier) check(ctx context.Context, key string, info ObjectInfo) (Verdict, error) {
	verdict, rules, ok := precheck(v.judge(), key, info)
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
	buf, err := io.ReadAll(io.LimitReader(body, n))
	body.Close()
	if err != nil {
		return Verdict{}, fmt.Errorf("read head of %q: %w", key, err)
	}
	verdict = contentCheck(rules, key, info, Sniff(buf), verdict)
	if verdict.Rejected() || !needsScan(info, verdict.SniffedType) {
		return verdict, nil
	}
	if info.Size > TextScanLimit {
		return textTooBig(verdict), nil
	}
	body, err = v.Store.GetRange(ctx, key, info.ETag, info.Size)
	if err != nil {
		return Verdict{}, fmt.Errorf("read %q: %w", key, err)
	}
	defer body.Close()
	found, err := ScanText(io.LimitReader(body, info.Size))
	if err != nil && !errors.Is(err, errNotASCIICompatible) {
		return Verdict{}, fmt.Errorf("read %q: %w", key, err)
	}
	return scanVerdict(verdict, found, err), nil
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
		Owner: verdict.Owner, Route: verdict.Route, Metadata: verdict.Metadata, SniffedType: verdict.SniffedType,
		Verdict: verdict.Status, Reason: verdict.Reason,
		EventName: rec.EventName, EventTime: rec.EventTime, RequestID: rec.RequestID,
	}
	if verdict.Rejected() {
		n.Action = v.actionFor(verdict.Reason, info.Size)
		if n.Action == ActionQuarantine {
			n.LocationKey = v.quarantineKey(key)
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

// notKeptForReview are the reasons whose objects are deleted outright when
// the action is quarantine: copying them would let an uploader make the
// function store (and keep for the quarantine lifetime) what it should
// never hold, or there is nothing to review.
//
//	too-large         never copied: size is the abuse (STS multipart has no size limit)
//	empty             nothing to review
//	not-plain-object  a symlink's copy would be its target's bytes; an appendable object keeps growing
//	storage-class     Archive objects cannot be copied before a restore
//	invalid-key       control characters break the tools reviewers use
//
// Every other reason is copied for review, the route's too (an upload that
// bypassed the server's signature is worth a look), but never an object
// larger than UPLOAD_MAX_BYTES: reasons judged before the size cap
// (outside-prefix, owner-mismatch: alice's session may write
// uploads/alice/../bob/x of any size) would otherwise make the function
// copy and keep gigabytes (and CopyObject stops at 1 GB anyway).
var notKeptForReview = map[string]bool{
	ReasonTooLarge: true, ReasonEmpty: true, ReasonNotPlainObject: true, ReasonStorageClass: true, ReasonInvalidKey: true,
}

// actionFor is what happens to an object of size bytes rejected for reason.
func (v *Verifier) actionFor(reason string, size int64) string {
	a := v.action()
	if a == ActionQuarantine && (notKeptForReview[reason] || size > v.Rules.MaxBytes) {
		return ActionDelete
	}
	return a
}

// quarantineKey is where key's quarantined copy lives (shared with the sign
// function's GET /status through uploadrules.QuarantineKey).
func (v *Verifier) quarantineKey(key string) string {
	return uploadrules.QuarantineKey(v.QuarantinePrefix, key)
}

// act applies the reject action to a rejected object whose verdict has been
// recorded and delivered: copy to the quarantine key (with the same tags,
// only while the object is still the judged version) and then delete the
// original; or delete it; or leave it tagged. An object that changed in
// the meantime is left to its own event.
func (v *Verifier) act(ctx context.Context, log *slog.Logger, key string, info ObjectInfo, verdict Verdict, tags map[string]string) (bool, error) {
	if !verdict.Rejected() {
		return false, nil
	}
	switch v.actionFor(verdict.Reason, info.Size) {
	case ActionTag:
		return false, nil
	case ActionDelete:
		return false, v.deleteVersion(ctx, log, key, info.ETag, "verify: rejected object deleted")
	}
	qkey := v.quarantineKey(key)
	if err := v.Store.Copy(ctx, key, qkey, info.ETag, tags); err != nil {
		switch {
		case errors.Is(err, ErrNotFound):
			return false, nil // deleted meanwhile
		case errors.Is(err, ErrChanged):
			log.Info("verify: object overwritten before its quarantine copy; its own event handles the new version")
			return false, nil
		}
		return false, fmt.Errorf("copy %q to quarantine: %w", key, err)
	}
	return false, v.deleteVersion(ctx, log, key, info.ETag, "verify: rejected object quarantined", "quarantineKey", qkey)
}

// deleteVersion deletes key if it is still the version etag. OSS has no
// conditional DeleteObject; the HEAD just before it keeps a newer upload
// from being deleted in all but a tiny window, and such a loss only ever
// removes an unjudged object (it is never served as verified).
func (v *Verifier) deleteVersion(ctx context.Context, log *slog.Logger, key, etag, msg string, attrs ...any) error {
	switch err := v.sameVersion(ctx, key, etag); {
	case errors.Is(err, ErrNotFound):
		return nil
	case errors.Is(err, ErrChanged):
		log.Info("verify: object overwritten before its deletion; its own event handles the new version")
		return nil
	case err != nil:
		return err
	}
	if err := v.Store.Delete(ctx, key); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	log.Info(msg, attrs...)
	return nil
}

// missing handles an event whose object is gone. If a previous delivery
// quarantined it, the quarantine copy's tags tell whether the verdict was
// delivered; otherwise the object was deleted meanwhile and there is
// nothing to check.
func (v *Verifier) missing(ctx context.Context, log *slog.Logger, rec Record) error {
	if v.action() == ActionQuarantine {
		done, err := v.quarantined(ctx, log, rec, rec.Key)
		if err != nil || done {
			return err
		}
	}
	log.Info("verify: object no longer exists, skipped")
	return nil
}

// quarantined reports whether key's quarantine copy carries this event's
// verdict, delivering it first if that had not happened.
func (v *Verifier) quarantined(ctx context.Context, log *slog.Logger, rec Record, key string) (bool, error) {
	qkey := v.quarantineKey(key)
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
		// The copy keeps the original's user metadata, so the route and
		// the pinned metadata are judged as the first delivery judged them.
		judged, _, _ := precheck(v.judge(), key, info)
		verdict.Route, verdict.Metadata = judged.Route, judged.Metadata
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
