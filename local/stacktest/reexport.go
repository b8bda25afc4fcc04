package stacktest

import (
	"testing"
	"time"

	"github.com/ossupload/ossupload/local/stacktest/base"
)

// Buffer collects output written by other goroutines or child processes
// while the test reads it (base.Buffer).
type Buffer = base.Buffer

// Poll calls cond until it returns true or timeout has passed (base.Poll).
func Poll(timeout time.Duration, cond func() bool) bool { return base.Poll(timeout, cond) }

// Eventually fails the test when cond is still false after timeout (base.Eventually).
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	base.Eventually(t, timeout, what, cond)
}
