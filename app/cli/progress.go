package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress reports a long run: a redrawn bar with counts and rate on a
// terminal, plain lines every few seconds otherwise (logs, CI).
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	label    string
	tty      bool
	start    time.Time
	last     time.Time
	every    time.Duration
	done     int
	total    int
	finished bool
}

func newProgress(w io.Writer, label string) *progress {
	p := &progress{w: w, label: label, start: time.Now(), every: 5 * time.Second}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty, p.every = true, 100*time.Millisecond
		}
	}
	return p
}

// Update records done of total (total <= 0: unknown) and redraws when due.
func (p *progress) Update(done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.total = done, total
	if now := time.Now(); now.Sub(p.last) >= p.every {
		p.last = now
		p.draw(false)
	}
}

// Finish draws the final state once.
func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	p.draw(true)
}

func (p *progress) draw(final bool) {
	el := time.Since(p.start)
	rate := 0.0
	if s := el.Seconds(); s > 0 {
		rate = float64(p.done) / s
	}
	counts := fmt.Sprintf("%d", p.done)
	if p.total > 0 {
		counts = fmt.Sprintf("%d/%d", p.done, p.total)
	}
	if !p.tty {
		if final || p.done > 0 {
			fmt.Fprintf(p.w, "%s: %s (%.0f/s, %s)\n", p.label, counts, rate, el.Round(100*time.Millisecond))
		}
		return
	}
	bar := ""
	if p.total > 0 {
		const width = 30
		n := p.done * width / p.total
		bar = "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "] "
	}
	end := ""
	if final {
		end = "\n"
	}
	fmt.Fprintf(p.w, "\r%s %s%s  %.0f/s  %s   %s", p.label, bar, counts, rate, el.Round(100*time.Millisecond), end)
}
