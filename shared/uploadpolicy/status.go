package uploadpolicy

import (
	"context"
	"errors"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/ossupload/ossupload/shared/httpapi"
	"github.com/ossupload/ossupload/shared/logging"
	"github.com/ossupload/ossupload/shared/ossclient"
	"github.com/ossupload/ossupload/shared/uploadrules"
)

// Verdict tags written by the verify function.
const (
	TagStatus = uploadrules.TagStatus
	TagReason = uploadrules.TagReason
	TagETag   = uploadrules.TagETag
)

// ErrObjectNotFound is returned by a TagReader when the object does not
// exist: ossclient's, the value verify's store reports too.
var ErrObjectNotFound = ossclient.ErrNotFound

// ObjectState is what GET /status reads about an object: its current ETag
// and Last-Modified (HEAD) and its tags.
type ObjectState struct {
	ETag string
	// LastModified is when the current bytes were written (zero: unknown).
	LastModified time.Time
	Tags         map[string]string
}

// TagReader reads objects in the configured bucket.
type TagReader interface {
	// ObjectState returns the object's current ETag, Last-Modified and tags
	// (for an upload: HEAD needs oss:GetObject).
	ObjectState(ctx context.Context, key string) (ObjectState, error)
	// ObjectTags returns the object's tags only (for a quarantined copy,
	// where the sign role may only read tags).
	ObjectTags(ctx context.Context, key string) (map[string]string, error)
}

// StatusResponse is the answer of GET /status.
type StatusResponse struct {
	Key string `json:"key"`
	// Status is verified or rejected (a verdict on the current bytes),
	// pending (none yet, and the upload is younger than
	// SWEEP_MIN_AGE_SECONDS: its event may still come), or overdue (none,
	// and older: its event was lost or keeps failing; the sweep judges it).
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Quarantined is true when the verdict was found on the quarantined
	// copy: the upload was moved out of the caller's prefix.
	Quarantined bool `json:"quarantined,omitempty"`
}

// TagReadTimeout bounds the tag reads of one GET /status (an OSS round trip
// in the region takes milliseconds), so a hanging OSS is answered 503 well
// before the function's own timeout, which the caller would see as FC's 502.
const TagReadTimeout = 3 * time.Second

func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := h.deps.Auth.Authenticate(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	key := r.URL.Query().Get("key")
	switch {
	case key == "":
		h.fail(w, r, httpapi.Errorf(httpapi.CodeInvalidRequest, "key is required"))
		return
	case len(key) > uploadrules.MaxKeyBytes || !utf8.ValidString(key):
		// No object can have this key (OSS keys are 1 to 1023 bytes of UTF-8).
		h.fail(w, r, httpapi.Errorf(httpapi.CodeInvalidRequest, "key is not a valid object key (at most 1023 bytes of UTF-8)"))
		return
	}
	if owner, ok := h.cfg.Rules.OwnerOf(key); !ok || owner != id.UserID {
		h.fail(w, r, httpapi.Errorf(httpapi.CodeForbidden, "the key is not one of your uploads"))
		return
	}
	if h.deps.Tags == nil {
		h.fail(w, r, unavailable())
		return
	}
	ctx, cancel := context.WithTimeout(ctx, TagReadTimeout)
	defer cancel()
	resp := StatusResponse{Key: key, Status: "pending"}
	obj, err := h.deps.Tags.ObjectState(ctx, key)
	if err == nil {
		// A verdict counts only for the bytes it was computed on: its
		// upload-etag must be the object's current ETag. Anything else
		// (an overwrite not judged yet, tags left on other bytes) is pending.
		resp.Status, resp.Reason = uploadrules.VerdictFor(obj.Tags, obj.ETag)
		if resp.Status == "pending" && h.overdue(obj.LastModified) {
			resp.Status = "overdue"
		}
	} else if errors.Is(err, ErrObjectNotFound) && h.cfg.QuarantinePrefix != "" {
		// The verify function moves a rejected upload to its quarantine
		// key (uploadrules.QuarantineKey), verdict tags and all. Only a
		// rejection counts there: the uploader cannot write under that
		// prefix, but anything else found there says nothing about this
		// upload. The copy's own ETag is not compared: OSS does not promise
		// that a copy keeps its source's ETag.
		var q map[string]string
		if q, err = h.deps.Tags.ObjectTags(ctx, uploadrules.QuarantineKey(h.cfg.QuarantinePrefix, key)); err == nil {
			if q[TagStatus] == "rejected" {
				resp.Status, resp.Reason, resp.Quarantined = "rejected", q[TagReason], true
			} else {
				err = ErrObjectNotFound
			}
		}
	}
	switch {
	case errors.Is(err, ErrObjectNotFound):
		h.fail(w, r, httpapi.Errorf(httpapi.CodeNotFound,
			"no object at this key: not uploaded yet, or deleted after rejection"))
		return
	case err != nil:
		h.log.ErrorContext(ctx, "read object state", logging.RequestID(httpapi.RequestID(ctx)), "key", key, "error", err.Error())
		h.fail(w, r, unavailable())
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, resp)
}

// overdue reports whether bytes written at lastModified have waited for a
// verdict as long as the sweep waits before judging them itself: the
// moment the sweep counts an object as old enough (verifier.Sweeper: not
// after now - SWEEP_MIN_AGE_SECONDS). An unknown time is not overdue.
func (h *Handler) overdue(lastModified time.Time) bool {
	return !lastModified.IsZero() && !lastModified.After(h.deps.Now().Add(-h.cfg.SweepMinAge))
}
