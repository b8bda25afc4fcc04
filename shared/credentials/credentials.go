// Package credentials resolves the Alibaba Cloud AccessKey a function runs
// with and keeps it out of logs: a Credentials value prints, marshals and
// logs with the secret and the security token redacted.
package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

// Environment variable names FC sets for the function's role.
const (
	EnvAccessKeyID     = "ALIBABA_CLOUD_ACCESS_KEY_ID"
	EnvAccessKeySecret = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
	EnvSecurityToken   = "ALIBABA_CLOUD_SECURITY_TOKEN"
)

// ErrNotFound is returned by Chain.Resolve when no source has credentials.
var ErrNotFound = errors.New("credentials: none found; run inside Function Compute with a role, or set " +
	EnvAccessKeyID + " and " + EnvAccessKeySecret + " (and " + EnvSecurityToken + " for STS credentials)")

// Credentials is an AccessKey pair with an optional STS security token.
// Every formatting path (fmt verbs, encoding/json, log/slog) redacts the
// secret and the token and shows only a prefix of the AccessKey ID.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// Valid reports whether both the AccessKey ID and secret are set.
func (c Credentials) Valid() bool { return c.AccessKeyID != "" && c.AccessKeySecret != "" }

// redacted is what Credentials looks like to the outside world.
type redacted struct {
	AccessKeyID     string `json:"accessKeyId"`
	AccessKeySecret string `json:"accessKeySecret"`
	SecurityToken   string `json:"securityToken,omitempty"`
}

const mask = "****"

// MaskID shows at most the first 4 characters of an AccessKey ID.
func MaskID(id string) string {
	if id == "" {
		return ""
	}
	if len(id) <= 8 {
		return mask
	}
	return id[:4] + mask
}

func maskSet(s string) string {
	if s == "" {
		return ""
	}
	return "[REDACTED]"
}

func (c Credentials) redacted() redacted {
	return redacted{AccessKeyID: MaskID(c.AccessKeyID), AccessKeySecret: maskSet(c.AccessKeySecret), SecurityToken: maskSet(c.SecurityToken)}
}

// String implements fmt.Stringer with the secret and token redacted.
func (c Credentials) String() string {
	r := c.redacted()
	return fmt.Sprintf("{AccessKeyID:%s AccessKeySecret:%s SecurityToken:%s}", r.AccessKeyID, r.AccessKeySecret, r.SecurityToken)
}

// GoString implements fmt.GoStringer (%#v) with the secret and token redacted.
func (c Credentials) GoString() string {
	r := c.redacted()
	return fmt.Sprintf("credentials.Credentials{AccessKeyID:%q, AccessKeySecret:%q, SecurityToken:%q}", r.AccessKeyID, r.AccessKeySecret, r.SecurityToken)
}

// Format implements fmt.Formatter so that every verb (%v, %+v, %s, %q, %x, ...)
// prints the redacted form.
func (c Credentials) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, c.GoString())
	case verb == 'q':
		fmt.Fprintf(f, "%q", c.String())
	default:
		fmt.Fprint(f, c.String())
	}
}

// MarshalJSON implements json.Marshaler with the secret and token redacted.
// To send credentials to a client, copy the fields into a response struct.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(c.redacted())
}

// LogValue implements slog.LogValuer with the secret and token redacted.
func (c Credentials) LogValue() slog.Value {
	r := c.redacted()
	return slog.GroupValue(
		slog.String("accessKeyId", r.AccessKeyID),
		slog.String("accessKeySecret", r.AccessKeySecret),
		slog.String("securityToken", r.SecurityToken),
	)
}

// Chain resolves credentials from, in order: the per-invocation FC context
// (fccontext credentials, which rotate), the ALIBABA_CLOUD_* environment
// variables, and Explicit.
type Chain struct {
	// Getenv reads the environment; nil means no environment source.
	Getenv func(string) string
	// Explicit is the last resort (for example the local stack's dev key).
	Explicit Credentials
}

// Resolve returns the first complete credentials found, or ErrNotFound.
func (c Chain) Resolve(ctx context.Context) (Credentials, error) {
	if fc, ok := fccontext.FromContext(ctx); ok && fc != nil && fc.Credentials.AccessKeyId != "" {
		cr := Credentials{AccessKeyID: fc.Credentials.AccessKeyId, AccessKeySecret: fc.Credentials.AccessKeySecret, SecurityToken: fc.Credentials.SecurityToken}
		if cr.Valid() {
			return cr, nil
		}
	}
	if c.Getenv != nil {
		cr := Credentials{AccessKeyID: c.Getenv(EnvAccessKeyID), AccessKeySecret: c.Getenv(EnvAccessKeySecret), SecurityToken: c.Getenv(EnvSecurityToken)}
		if cr.Valid() {
			return cr, nil
		}
	}
	if c.Explicit.Valid() {
		return c.Explicit, nil
	}
	return Credentials{}, ErrNotFound
}
