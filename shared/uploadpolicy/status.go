package uploadpolicy

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/ossupload/ossupload/shared/httpapi"
)

// Verdict tags written by the verify function.
const (
	TagStatus = "upload-status"
	TagReason = "upload-reason"
)

// ErrObjectNotFound is returned by a TagReader when the object does not exist.
var ErrObjectNotFound = errors.New("object not found")

// TagReader reads the tags of an object in the configured bucket.
type TagReader interface {
	ObjectTags(ctx context.Context, key string) (map[string]string, error)
}

// StatusResponse is the answer of GET /status.
type StatusResponse struct {
	Key    string `json:"key"`
	Status string `json:"status"` // pending | verified | rejected
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
	if key == "" {
		h.fail(w, r, httpapi.Errorf(http.StatusBadRequest, "invalid_request", "key is required"))
		return
	}
	if owner, ok := h.cfg.Rules.OwnerOf(key); !ok || owner != id.UserID {
		h.fail(w, r, httpapi.Errorf(http.StatusForbidden, "forbidden", "the key is not one of your uploads"))
		return
	}
	if h.deps.Tags == nil {
		h.fail(w, r, unavailable())
		return
	}
	ctx, cancel := context.WithTimeout(ctx, TagReadTimeout)
	defer cancel()
	tags, err := h.deps.Tags.ObjectTags(ctx, key)
	quarantined := false
	if errors.Is(err, ErrObjectNotFound) && h.cfg.QuarantinePrefix != "" {
		// The verify function moves a rejected upload to
		// QUARANTINE_PREFIX + key, verdict tags and all. Only a rejection
		// counts there: the uploader cannot write under that prefix, but
		// anything else found there says nothing about this upload.
		var qtags map[string]string
		if qtags, err = h.deps.Tags.ObjectTags(ctx, h.cfg.QuarantinePrefix+key); err == nil {
			if qtags[TagStatus] == "rejected" {
				tags, quarantined = qtags, true
			} else {
				err = ErrObjectNotFound
			}
		}
	}
	switch {
	case errors.Is(err, ErrObjectNotFound):
		h.fail(w, r, httpapi.Errorf(http.StatusNotFound, "not_found",
			"no object at this key: not uploaded yet, or deleted after rejection"))
		return
	case err != nil:
		h.log.ErrorContext(ctx, "read object tags", "request_id", httpapi.RequestID(ctx), "key", key, "error", err.Error())
		h.fail(w, r, unavailable())
		return
	}
	resp := StatusResponse{Key: key, Status: "pending", Quarantined: quarantined}
	switch tags[TagStatus] {
	case "verified":
		resp.Status = "verified"
	case "rejected":
		resp.Status, resp.Reason = "rejected", tags[TagReason]
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, resp)
}
