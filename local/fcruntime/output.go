package fcruntime

import (
	"bytes"
	"io"
	"sync"
)

// syncWriter serialises writes of whole lines from many children.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// linePrefixer writes each complete line with a prefix; Flush writes a
// trailing partial line.
type linePrefixer struct {
	out    io.Writer
	prefix string
	mu     sync.Mutex
	buf    []byte
}

// maxLine bounds a buffered partial line; longer lines are split.
const maxLine = 64 << 10

func (l *linePrefixer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, b...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			if len(l.buf) < maxLine {
				break
			}
			i = maxLine - 1
		}
		line := make([]byte, 0, len(l.prefix)+i+2)
		line = append(line, l.prefix...)
		line = append(line, bytes.TrimSuffix(l.buf[:i+1], []byte("\n"))...)
		line = append(line, '\n')
		l.buf = l.buf[i+1:]
		if _, err := l.out.Write(line); err != nil {
			return len(b), nil // a broken log sink must not kill the child
		}
	}
	return len(b), nil
}

// Flush writes what is left without a newline.
func (l *linePrefixer) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		_, _ = l.out.Write(append([]byte(l.prefix), append(l.buf, '\n')...))
		l.buf = nil
	}
}
