package base

import (
	"bytes"
	"strings"
	"sync"
	"time"
)

// Buffer collects output written by other goroutines or child processes
// while the test reads it. The zero value is ready to use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// WaitFor reports whether s appears in the buffer within timeout: output
// that comes through a pipe can arrive after the event that caused it.
func (l *Buffer) WaitFor(s string, timeout time.Duration) bool {
	return Poll(timeout, func() bool { return strings.Contains(l.String(), s) })
}
