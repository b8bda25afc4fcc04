package stsvend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// AssumeRoler is the one STS call the handler makes.
type AssumeRoler interface {
	AssumeRole(ctx context.Context, in AssumeRoleInput) (Temporary, error)
}

// AssumeRoleInput are the parameters of one AssumeRole call.
type AssumeRoleInput struct {
	RoleARN     string
	SessionName string
	Policy      string // session policy JSON
	Duration    time.Duration
}

// Temporary are STS credentials. String, GoString and LogValue redact the
// secret and the token.
type Temporary struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
	Expiration      time.Time
}

// String redacts the secret and the token.
func (t Temporary) String() string {
	return fmt.Sprintf("{AccessKeyID:%s AccessKeySecret:<redacted> SecurityToken:<redacted> Expiration:%s}", t.AccessKeyID, t.Expiration.UTC().Format(time.RFC3339))
}

// GoString redacts the secret and the token.
func (t Temporary) GoString() string { return "stsvend.Temporary" + t.String() }

// LogValue redacts the secret and the token.
func (t Temporary) LogValue() slog.Value {
	return slog.GroupValue(slog.String("accessKeyId", t.AccessKeyID), slog.Time("expiration", t.Expiration))
}

// Error kinds an AssumeRoler reports, checked with errors.Is. The handler
// maps them to the wire once: ErrThrottled and ErrUnavailable to 503 with
// Retry-After, ErrRejected (and anything else) to 502.
var (
	ErrThrottled   = errors.New("sts: throttled")
	ErrUnavailable = errors.New("sts: unavailable")
	ErrRejected    = errors.New("sts: request rejected")
)

// STSError is a failed STS call. It carries only the STS error code and HTTP
// status, never the upstream message (which can contain the string to sign).
type STSError struct {
	Kind   error  // ErrThrottled, ErrUnavailable or ErrRejected
	Code   string // STS error code, e.g. "Throttling.User", or a transport description
	Status int    // upstream HTTP status; 0 for transport failures
}

func (e *STSError) Error() string {
	return fmt.Sprintf("%v: code %s, status %d", e.Kind, e.Code, e.Status)
}

// Unwrap lets errors.Is match the kind.
func (e *STSError) Unwrap() error { return e.Kind }
