package base

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestPollWaitsForTheCondition(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		calls := 0
		if !Poll(time.Second, func() bool { calls++; return time.Since(start) >= 100*time.Millisecond }) {
			t.Fatal("Poll gave up before its deadline")
		}
		if calls < 2 || time.Since(start) > 100*time.Millisecond+Tick {
			t.Errorf("%d calls, %v: want it to look again every %v until true", calls, time.Since(start), Tick)
		}
	})
}

func TestPollGivesUpAtTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if Poll(time.Second, func() bool { return false }) {
			t.Fatal("Poll reported a condition that never held")
		}
		if d := time.Since(start); d < time.Second || d > time.Second+Tick {
			t.Errorf("gave up after %v, want %v", d, time.Second)
		}
	})
}

func TestBufferTakesConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { fmt.Fprintf(&b, "line %d\n", i) })
	}
	wg.Wait()
	if n := strings.Count(b.String(), "\n"); n != 50 {
		t.Errorf("%d lines, want 50", n)
	}
	synctest.Test(t, func(t *testing.T) {
		go func() {
			time.Sleep(time.Second) // the bubble's fake clock
			b.Write([]byte("late\n"))
		}()
		if !b.WaitFor("late", 2*time.Second) {
			t.Error("WaitFor missed a write that came within its timeout")
		}
	})
}
