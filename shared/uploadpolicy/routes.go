package uploadpolicy

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"

	"github.com/ossupload/ossupload/shared/httpapi"
	"github.com/ossupload/ossupload/shared/logging"
	"github.com/ossupload/ossupload/shared/uploadhook"
	"github.com/ossupload/ossupload/shared/uploadpin"
	"github.com/ossupload/ossupload/shared/uploadroutes"
)

// Routes and the pre-sign hook (issue #18): a request names its route
// (uploadroutes), the app's hook (uploadhook) approves the upload before
// anything is signed, and the route, the hook's metadata and a pin
// (uploadpin) are pinned on the new object exactly, so verify can tell
// the route and the metadata the server signed from what an uploader made
// up.

// MaxClientPayloadBytes caps the request's clientPayload, as JSON.
const MaxClientPayloadBytes = 2 << 10

// Hook asks the app whether an upload may go ahead (*uploadhook.Client).
// A deny is a Decision with Allow false; any failure is an error
// (uploadhook.ErrUnavailable).
type Hook interface {
	Ask(ctx context.Context, r uploadhook.Request) (uploadhook.Decision, error)
}

// pickRoute returns the route named name (a request's "route") for an
// upload through path (uploadroutes.Set.Pick, the same rule sts applies).
func (h *Handler) pickRoute(name, path string) (uploadroutes.Route, error) {
	r, err := h.cfg.Routes.Pick(name, path)
	return r, httpapi.FromRule(err)
}

// checkClientPayload refuses a clientPayload larger than
// MaxClientPayloadBytes (it is passed to the hook untouched).
func checkClientPayload(raw json.RawMessage) error {
	if len(raw) > MaxClientPayloadBytes {
		return badRequest("clientPayload is %d bytes of JSON, at most %d", len(raw), MaxClientPayloadBytes)
	}
	return nil
}

// approve asks the hook, when one is configured, about up (whose key is
// final) and keeps the metadata it answers in up.meta, then computes the
// pin. Nothing is signed before it returns nil. Deny is 403 upload_denied
// with the app's message; no answer in time is 503 hook_unavailable, and
// the log says why (never the hook's URL or secret: uploadhook's errors
// hold neither).
func (h *Handler) approve(ctx context.Context, up *upload, via, filename string, payload json.RawMessage) error {
	if h.hook != nil {
		d, err := h.hook.Ask(ctx, uploadhook.Request{User: up.user, Via: via, Route: up.route.Name, Key: up.key,
			Filename: filename, ContentType: up.contentType, Size: up.size, ClientPayload: payload})
		if err == nil && d.Allow {
			for name := range d.Metadata {
				if uploadhook.ReservedMetadata(name) { // uploadhook.Client refuses these; a Hook must too
					err = uploadhook.ErrUnavailable
				}
			}
		}
		rid := logging.RequestID(httpapi.RequestID(ctx))
		switch {
		case err != nil:
			h.log.LogAttrs(ctx, slog.LevelError, "upload hook unavailable", rid, slog.String("user", up.user),
				slog.String("route", up.route.Name), slog.String("via", via), slog.String("error", err.Error()))
			return uploadhook.HTTPError(d, err)
		case !d.Allow:
			h.log.LogAttrs(ctx, slog.LevelInfo, "upload hook denied", rid, slog.String("user", up.user),
				slog.String("route", up.route.Name), slog.String("via", via), slog.String("key", up.key))
			return uploadhook.HTTPError(d, nil)
		}
		if len(d.Metadata) > 0 {
			up.meta = d.Metadata
		}
	}
	if h.pinKey != nil {
		// The declared type and size as the form fields and the presigned
		// initiate's headers pin them (x-oss-meta-declared-*): the pin then
		// vouches for the file the hook was asked about, not just its key.
		p := uploadpin.Pin{Route: up.route.Name, Owner: up.user, Scope: up.key, Metadata: up.meta, DeclaredType: up.contentType}
		if up.size > 0 {
			p.DeclaredSize = strconv.FormatInt(up.size, 10)
		}
		up.pin = uploadpin.Sign(h.pinKey, p)
	}
	return nil
}

// metaHeader is the header (and form field) of user metadata name.
func metaHeader(name string) string { return "x-oss-meta-" + name }

// sortedNames returns the names of meta in order: the order of the form
// fields, policy conditions and signed headers that pin them.
func sortedNames(meta map[string]string) []string {
	names := make([]string, 0, len(meta))
	for k := range meta {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// metaFields is Fields as JSON with the hook's metadata (Fields.Meta) as
// further x-oss-meta-<name> fields after the others, in name order.
// Fields alone encodes without them (Meta is "-"), so the answer of a
// form without metadata costs nothing more to write.
type metaFields struct{ f *Fields }

// plainFields is Fields without metaFields' method set, to encode it.
type plainFields Fields

func (m metaFields) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal((*plainFields)(m.f))
	if err != nil || len(m.f.Meta) == 0 {
		return b, err
	}
	b = b[:len(b)-1] // the closing brace: Fields always encodes as an object with members
	for _, name := range sortedNames(m.f.Meta) {
		k, _ := json.Marshal(metaHeader(name)) // strings always encode
		v, _ := json.Marshal(m.f.Meta[name])
		b = append(b, ',')
		b = append(b, k...)
		b = append(b, ':')
		b = append(b, v...)
	}
	return append(b, '}'), nil
}

// withMeta is a Response whose "fields" include the hook's metadata: the
// outer Fields member hides the embedded Response's (encoding/json takes
// the shallower of two members with one name).
type withMeta struct {
	*Response
	Fields metaFields `json:"fields"`
}

// answer is what sign writes for resp: resp itself, or withMeta when the
// hook answered metadata.
func answer(resp *Response) any {
	if len(resp.Fields.Meta) == 0 {
		return resp
	}
	return &withMeta{Response: resp, Fields: metaFields{&resp.Fields}}
}
