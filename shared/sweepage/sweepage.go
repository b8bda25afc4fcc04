// Package sweepage reads SWEEP_MIN_AGE_SECONDS: the age after which an
// upload that still has no verdict for its current bytes is the sweep's to
// judge. The verify function's sweep judges such uploads; the sign
// function's GET /status calls them overdue. Both read the setting through
// FromEnv, so they agree on its name, default and bounds.
package sweepage

import (
	"time"

	"github.com/ossupload/ossupload/shared/config"
)

// EnvName is the environment variable.
const EnvName = "SWEEP_MIN_AGE_SECONDS"

// Default is the age when EnvName is unset: two hours, above the one-hour
// maxAsyncEventAgeInSeconds plus the 120 s timeout of the deployment files,
// so the sweep never races an event FC may still retry.
const Default = 2 * time.Hour

// Bounds of EnvName (whole seconds).
const (
	Min = time.Second
	Max = 30 * 24 * time.Hour
)

// FromEnv returns EnvName as a duration, Default when unset; a value that is
// not a whole number of seconds in [Min, Max] is recorded as a problem in
// env (read with env.Err) and Default returned.
func FromEnv(env *config.Env) time.Duration {
	return time.Duration(env.Int(EnvName, int64(Default/time.Second), int64(Min/time.Second), int64(Max/time.Second))) * time.Second
}

// Valid reports whether d is an age FromEnv can return.
func Valid(d time.Duration) bool {
	return d >= Min && d <= Max && d%time.Second == 0
}
