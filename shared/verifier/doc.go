// Package verifier checks objects uploaded to OSS after the fact, as OSS
// ObjectCreated events name them, and records, acts on and reports the
// verdict. It is the logic of the verify function (functions/verify).
//
// # What is checked
//
// For each ObjectCreated:* record whose key is under Rules.Prefix (keys under
// the quarantine prefix are ignored in code as well as by the trigger filter,
// so the function's own copies never trigger it): the object stored under
// the event's key, read literally (never URL-decoded), is judged. HEAD
// decides, in order: invalid-key (invalid UTF-8, control or bidirectional
// control characters), outside-prefix, owner-mismatch (x-oss-meta-owner vs
// the key's owner segment), not-plain-object (x-oss-object-type other than
// Normal or Multipart: symlinks, appendable objects), storage-class
// (Archive, ColdArchive, DeepColdArchive), empty, too-large
// (UPLOAD_MAX_BYTES), then the route (see Routes below: unknown-route,
// route-mismatch, too-large and too-small for the route's sizes,
// unpinned-metadata), size-mismatch (x-oss-meta-declared-size), unsafe-header (Content-Encoding other than
// identity, Content-Disposition other than attachment, Content-Type
// parameters other than an ASCII-compatible charset on text), type-mismatch
// (stored Content-Type vs x-oss-meta-declared-type, exact normalised media
// type) and type-not-allowed (stored, declared or extension type not in
// the route's types, UPLOAD_ALLOWED_TYPES without routes; active content - HTML, XHTML, SVG, XML, JavaScript,
// see uploadrules.IsActive - only when listed by its exact name). When those pass, the
// first SniffLimit (3 KiB) bytes are read with a ranged, If-Match GET and
// sniffed with github.com/gabriel-vasile/mimetype: type-mismatch (sniffed
// vs stored, declared and extension types; see consistent for the family
// rules) and type-not-allowed (see sniffAllowed; the stored, declared and
// name types were judged by uploadrules.Rules.Allows). A text object is then
// read whole (up to TextScanLimit, else unverifiable) and scanned for
// markup a sniffing browser would render (active-content; see ScanText).
//
// # Routes
//
// Each object is judged by one route (package uploadroutes): the one whose
// directory under the owner's prefix holds the key, which x-oss-meta-route
// must name (uploadroutes.Set.Judge). A key in no route's directory is
// rejected unknown-route; a route metadata naming another route, or absent
// when UPLOAD_ROUTES is set, route-mismatch. The route's types, maxBytes
// and minBytes then apply (uploadroutes.Route.Rules). Without UPLOAD_ROUTES
// the single default route is the UPLOAD_* rules with no directory, and
// the route metadata may be absent: objects are judged exactly as before
// routes existed.
//
// The app's metadata (user metadata other than the service's own names,
// uploadhook.ReservedMetadata) is passed to the webhook only when verify
// has the pin key (Verifier.PinKey, from UPLOAD_HOOK_SECRET) and the
// object's x-oss-meta-upload-pin is valid (uploadpin.Valid) for its route,
// owner, metadata and either its key with its declared type and size
// (sign) or the owner's route directory (sts). With the pin key, an object with app metadata or a pin that no
// valid pin vouches for is rejected unpinned-metadata: an STS holder can
// send any x-oss-meta-* header, so the app must never see metadata the
// server did not pin. Without it the app's metadata is ignored.
//
// # Verdict
//
// Tags on the object: upload-status (verified|rejected), upload-reason (the
// code, when rejected), upload-etag (the ETag the verdict belongs to),
// upload-type (sniffed type) and upload-notified (the ETag whose verdict the
// webhook has delivered). User tags are kept. A rejected object is then,
// per Action, copied to its quarantine key (uploadrules.QuarantineKey) with
// the same tags, only while its ETag is still the judged one
// (x-oss-copy-source-if-match), and deleted ("quarantine"); deleted
// ("delete"); or left tagged ("tag"). With "quarantine", the reasons in
// notKeptForReview (too-large, empty, not-plain-object, storage-class,
// invalid-key) are deleted outright, never copied, and so is any rejected
// object larger than UPLOAD_MAX_BYTES, whatever the reason: a copy is never
// larger than that.
//
// A verdict describes exactly the bytes it was computed on: every read is
// If-Match on the HEAD's ETag, the tags name that ETag, each tag write is
// preceded and followed by a HEAD (OSS has no conditional
// PutObjectTagging), and when the object changed around a write the current
// version is judged again. GET /status trusts only a verdict whose
// upload-etag is the object's current ETag.
//
// # Idempotency without a database
//
// The steps for one object version run in this order:
//
//  1. HEAD and check (at most 3 KiB read; text up to TextScanLimit). The
//     check always runs: tags on an upload could have been set by the
//     uploader, so they never stand in for it. If the tags already hold this verdict for this ETag, nothing
//     is written; otherwise the verdict tags are written (replacing any
//     stale or forged upload-* tags, including upload-notified).
//  2. If upload-notified ≠ this ETag: POST the webhook, then write
//     upload-notified = ETag (with no webhook configured it is written in
//     step 1).
//  3. Reject action: copy to quarantine (carrying upload-notified), then
//     delete the original; or delete; or nothing. Every tag write, the copy
//     and the delete apply only while the object's ETag is the judged one.
//
// Guarantees, for at-least-once delivery with retries:
//   - A duplicate of an event whose processing completed sends no webhook and
//     moves nothing: the object carries upload-notified = its ETag, or it is
//     gone and its quarantine copy carries upload-notified = the event's ETag.
//   - The webhook is never lost: upload-notified is written only after the
//     receiver answered 2xx, and a failure returns an error so FC retries.
//   - The webhook is sent at most once per object version except when the
//     process dies (or the tag write fails) between the receiver's 2xx and
//     the upload-notified write; then the retry sends it again. Receivers
//     de-duplicate on (bucket, key, etag).
//   - An object overwritten with a new ETag is checked again: the old
//     verdict's upload-etag no longer matches. A check that races an
//     overwrite stops on the If-Match failure; the newer version's own event
//     checks it.
//   - With Action "delete" (and for the reasons never kept for review), a
//     duplicate arriving after the deletion finds nothing and is skipped
//     (the webhook went out before the delete).
//   - Forged tags cannot change a verdict or prevent the action. The one
//     thing an uploader able to tag its own upload could do is pre-set the
//     exact true verdict with upload-notified and so suppress the webhook
//     for that upload; deployments keep oss:PutObjectTagging out of the
//     uploader's permissions (template.yaml does).
//   - Users' own tags are kept, but dropped (last in key order) when the
//     verdict needs the room (OSS allows 10 tags per object).
//
// # Errors
//
// A missing object (deleted meanwhile) is logged and skipped. Poison input
// (malformed JSON, a record without bucket or key, an impossible key) is
// logged and skipped without blocking the other records. Other OSS errors
// and webhook failures are returned, joined across the batch, so FC retries
// the invocation. Handle never panics.
//
// # Webhook
//
// A JSON Notification (with the object's route and its pinned app
// metadata) POSTed to the configured URL the Standard Webhooks way: webhook-id (MessageID: stable per object version), webhook-timestamp
// (Unix seconds of the attempt) and webhook-signature = "v1," + base64
// HMAC-SHA256(key, id.timestamp.body), the key being the bytes of the
// whsec_ secret (stdwebhook.ParseSecret). Receivers check it with a standardwebhooks
// library. Each attempt is bounded by Notifier.Timeout; failed attempts
// (transport error or non-2xx) are retried with exponential back-off.
package verifier
