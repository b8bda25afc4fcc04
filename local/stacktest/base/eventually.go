package base

import (
	"testing"
	"time"
)

// Tick is how often Poll looks again. Poll is for conditions another
// process brings about; in-process timers belong in testing/synctest.
const Tick = 20 * time.Millisecond

// Poll calls cond until it returns true or timeout has passed, and
// reports whether it returned true.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(Tick)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
}

// Eventually is Poll that fails the test, saying what did not happen,
// when cond is still false after timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(timeout, cond) {
		t.Fatalf("%s: not within %v", what, timeout)
	}
}
