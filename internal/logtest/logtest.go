// Package logtest has what tests need to read what a component logs.
package logtest

import (
	"bytes"
	"sync"
)

// Buffer is a log destination that several goroutines may write to (a
// server's, its background jobs') while a test reads it.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
