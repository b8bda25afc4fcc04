// Package uploadhook asks the app, before anything is signed, whether an
// upload may go ahead (UPLOAD_HOOK_URL): the caller, the upload path, the
// route, the key when known, the file's name, type and size and an opaque
// client payload are POSTed as
// JSON, signed the Standard Webhooks way like verify's completion webhook
// (package stdwebhook), and the app answers allow or deny, with a message
// for the caller and metadata to pin on the object (never under the
// service's own names, see ReservedMetadata). Anything but a clear
// answer in time (transport error, timeout, non-2xx, a redirect, which is
// never followed, unreadable or invalid JSON, a name given twice) is
// ErrUnavailable: the caller gets a 503 and no signature.
package uploadhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ossupload/ossupload/shared/httpapi"
	"github.com/ossupload/ossupload/shared/stdwebhook"
)

// Request is the JSON body of a hook call.
type Request struct {
	Type          string          `json:"type"` // always "upload.requested"
	User          string          `json:"user"`
	Via           string          `json:"via"`           // form | presign | sts
	Route         string          `json:"route"`         // the route the caller named ("default" without UPLOAD_ROUTES)
	Key           string          `json:"key,omitempty"` // the object key that will be signed, when known (not for sts)
	Filename      string          `json:"filename,omitempty"`
	ContentType   string          `json:"contentType,omitempty"`
	Size          int64           `json:"size,omitempty"`
	ClientPayload json.RawMessage `json:"clientPayload,omitempty"` // as the caller sent it, or absent
}

// Decision is the app's answer.
type Decision struct {
	Allow    bool              `json:"allow"`
	Message  string            `json:"message,omitempty"`  // shown to the caller on deny
	Metadata map[string]string `json:"metadata,omitempty"` // pinned as x-oss-meta-<name>
}

// ErrUnavailable is every failure to get a valid answer in time.
var ErrUnavailable = errors.New("upload hook unavailable")

// Limits on an answer. OSS user metadata names may hold only letters,
// digits and hyphens (upper case is folded to lower case), values only
// visible ASCII, and the names (with x-oss-meta-) and values of an object's
// user metadata at most 8 KB in all
// (https://help.aliyun.com/en/oss/user-guide/0011-00000004,
// https://help.aliyun.com/en/oss/user-guide/0011-00000002); the hook gets
// a quarter of that, counted the same way, so the service's own metadata
// always fits.
const (
	MaxAnswerBytes   = 16 << 10
	MaxMessageBytes  = 256
	MaxMetadataBytes = 2 << 10 // sum of len("x-oss-meta-"+name) + len(value)
	MaxMetadataName  = 64
)

// metaPrefix starts every user metadata header.
const metaPrefix = "x-oss-meta-"

// ReservedMetadata reports whether a metadata name is the service's own,
// which the hook may not set: what sign pins and verify trusts (owner,
// route, declared-type, declared-size and any other declared-*) and
// anything starting with upload- (kept for the service, like the
// upload-status and upload-reason tags).
func ReservedMetadata(name string) bool {
	switch name {
	case "owner", "route":
		return true
	}
	return strings.HasPrefix(name, "declared-") || strings.HasPrefix(name, "upload-")
}

// Client calls the hook.
type Client struct {
	URL     string
	Secret  string        // whsec_<base64>, see stdwebhook.ParseSecret
	Timeout time.Duration // the whole call; default 3 s
	Client  *http.Client  // nil: http.DefaultClient; redirects are never followed (stdwebhook.Post)
	// Now gives the call's timestamp; required (time is passed in).
	Now func() time.Time
}

// Ask sends r and returns the app's decision. A deny is a Decision with
// Allow false, not an error.
func (c *Client) Ask(ctx context.Context, r Request) (Decision, error) {
	r.Type = "upload.requested"
	body, err := json.Marshal(r)
	if err != nil {
		return Decision{}, fmt.Errorf("%w: encode: %v", ErrUnavailable, err)
	}
	key, err := stdwebhook.ParseSecret(c.Secret)
	if err != nil {
		return Decision{}, fmt.Errorf("%w: secret: %v", ErrUnavailable, err)
	}
	var idb [16]byte
	_, _ = rand.Read(idb[:])
	id := "msg_" + hex.EncodeToString(idb[:]) // one call, one id: calls are not retried
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	status, answer, err := stdwebhook.Post(ctx, c.Client, timeout, stdwebhook.Message{
		URL: c.URL, UserAgent: "ossupload-hook", Key: key, ID: id, Timestamp: c.Now().Unix(), Body: body,
	}, MaxAnswerBytes)
	if err != nil {
		return Decision{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if status < 200 || status > 299 {
		return Decision{}, fmt.Errorf("%w: the hook answered %d", ErrUnavailable, status)
	}
	if len(answer) > MaxAnswerBytes {
		return Decision{}, fmt.Errorf("%w: answer larger than %d bytes", ErrUnavailable, MaxAnswerBytes)
	}
	var d struct {
		Allow *bool `json:"allow"`
		Decision
	}
	if err := json.Unmarshal(answer, &d); err != nil || d.Allow == nil {
		return Decision{}, fmt.Errorf("%w: the answer is not JSON with a boolean \"allow\"", ErrUnavailable)
	}
	// A name given twice (in any letter case) means one thing to the app's
	// JSON library and another to encoding/json, which matches names
	// case-insensitively, keeps the last and merges objects: the app may
	// have meant {"allow":false,...,"Allow":true} as a deny.
	if name := httpapi.DuplicateName(answer); name != "" {
		return Decision{}, fmt.Errorf("%w: the answer names %q twice", ErrUnavailable, name)
	}
	d.Decision.Allow = *d.Allow
	if err := check(d.Decision); err != nil {
		return Decision{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return d.Decision, nil
}

func check(d Decision) error {
	if len(d.Message) > MaxMessageBytes || !printable(d.Message) {
		return fmt.Errorf("message: at most %d bytes of printable UTF-8", MaxMessageBytes)
	}
	if !d.Allow && len(d.Metadata) > 0 {
		return errors.New("metadata on a deny")
	}
	total := 0
	for k, v := range d.Metadata {
		total += len(metaPrefix) + len(k) + len(v)
		if k == "" || len(k) > MaxMetadataName {
			return fmt.Errorf("metadata name of %d bytes, want 1 to %d", len(k), MaxMetadataName)
		}
		for _, c := range []byte(k) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("metadata name %q: only a-z, 0-9 and - (OSS folds upper case, so two names could become one)", k)
			}
		}
		if ReservedMetadata(k) {
			return fmt.Errorf("metadata name %q is the service's own", k)
		}
		// A header value loses leading and trailing blanks on the way, and
		// some clients drop an empty header: either would break a signed
		// header or the policy's exact match.
		if v == "" || v[0] == ' ' || v[len(v)-1] == ' ' || !visibleASCII(v) {
			return fmt.Errorf("metadata %q: value must be visible ASCII, not empty, without leading or trailing spaces", k)
		}
	}
	if total > MaxMetadataBytes {
		return fmt.Errorf("metadata of %d bytes, at most %d", total, MaxMetadataBytes)
	}
	return nil
}

func visibleASCII(s string) bool {
	for _, c := range []byte(s) {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// printable reports whether the deny message is valid UTF-8 without
// control or format characters (bidirectional overrides could make it read
// as something else): apps answer in their users' language, and the
// message reaches the caller inside a JSON body.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}

// HTTPError is the caller's answer for a failed Ask or a deny: 503
// hook_unavailable (no detail: it may name the app's internals) or 403
// upload_denied with the app's message.
func HTTPError(d Decision, err error) *httpapi.Error {
	if err != nil {
		return httpapi.Errorf(httpapi.CodeHookUnavailable, "the app could not approve this upload now; try again later")
	}
	msg := d.Message
	if msg == "" {
		msg = "the app refused this upload"
	}
	return httpapi.Errorf(httpapi.CodeUploadDenied, "%s", msg)
}
