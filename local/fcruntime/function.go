package fcruntime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"time"
)

// Function describes one function as s.yaml deploys it.
type Function struct {
	Name    string            // functionName
	Binary  string            // host build of the code package's handler binary
	Env     map[string]string // environmentVariables
	Timeout time.Duration     // default 3s; sent as x-fc-function-timeout (whole seconds, rounded up)
	// MemoryMB is reported to the function (not enforced). Default 128.
	MemoryMB int
	Handler  string // default "main"
	// Credentials returns the function role's credentials. It is called
	// at every process start (ALIBABA_CLOUD_* variables) and for every
	// invocation (x-fc-access-key-* headers). Nil: no credentials.
	Credentials       func(ctx context.Context) (Credentials, error)
	Region, AccountID string
	// MaxAsyncRetries bounds the retries of a failed asynchronous
	// invocation. 0 means FC's default of 3; negative means none.
	MaxAsyncRetries int
	// MaxAsyncEventAge (maxAsyncEventAgeInSeconds) is how long after it was
	// accepted an asynchronous event may still be retried; an older one is
	// not retried again. 0 means FC's default of 86400 s (FC 3.0
	// PutAsyncInvokeConfigInput: valid 1-604800, default 86400,
	// https://www.alibabacloud.com/help/en/functioncompute/api-fc-2023-03-30-struct-putasyncinvokeconfiginput).
	MaxAsyncEventAge time.Duration
}

// Credentials are a role's temporary credentials. String and GoString
// redact the secret and the token, so they are safe in logs.
type Credentials struct {
	AccessKeyID, AccessKeySecret, SecurityToken string
}

// String redacts the secret and the token.
func (c Credentials) String() string {
	return fmt.Sprintf("Credentials{AccessKeyID:%q AccessKeySecret:[redacted] SecurityToken:[redacted]}", c.AccessKeyID)
}

// GoString redacts like String.
func (c Credentials) GoString() string { return c.String() }

// namePattern is FC3's rule for function names.
var namePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,127}$`)

const (
	defaultTimeout  = 3 * time.Second
	defaultMemoryMB = 128
	defaultHandler  = "main"
	defaultRetries  = 3
	defaultEventAge = 86400 * time.Second
)

func (f Function) withDefaults() Function {
	if f.Timeout == 0 {
		f.Timeout = defaultTimeout
	}
	if f.MemoryMB == 0 {
		f.MemoryMB = defaultMemoryMB
	}
	if f.Handler == "" {
		f.Handler = defaultHandler
	}
	if f.MaxAsyncEventAge <= 0 {
		f.MaxAsyncEventAge = defaultEventAge
	}
	switch {
	case f.MaxAsyncRetries == 0:
		f.MaxAsyncRetries = defaultRetries
	case f.MaxAsyncRetries < 0:
		f.MaxAsyncRetries = 0
	}
	return f
}

func (f Function) validate() error {
	var errs []error
	if !namePattern.MatchString(f.Name) {
		errs = append(errs, fmt.Errorf("function name %q: want %s", f.Name, namePattern))
	}
	if f.Timeout < 0 {
		errs = append(errs, fmt.Errorf("function %s: negative timeout", f.Name))
	}
	if f.MemoryMB < 0 {
		errs = append(errs, fmt.Errorf("function %s: negative memory", f.Name))
	}
	st, err := os.Stat(f.Binary)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("function %s: binary: %w (build it for this machine first, e.g. make build-host)", f.Name, err))
	case st.IsDir() || st.Mode().Perm()&0o111 == 0:
		errs = append(errs, fmt.Errorf("function %s: binary %s is not an executable file", f.Name, f.Binary))
	}
	return errors.Join(errs...)
}

// timeoutSeconds is the x-fc-function-timeout value: whole seconds, at least 1.
func (f Function) timeoutSeconds() int {
	s := int((f.Timeout + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}
