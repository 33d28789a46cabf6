package app

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestWorkerCheckNamesAStuckWorker: /readyz's check of a worker this node
// runs is ready while its loop turns, and not ready, naming the worker,
// when the loop stopped turning for more than 3 intervals or the worker is
// not running.
func TestWorkerCheckNamesAStuckWorker(t *testing.T) {
	a := &App{nodeName: "node-a"}
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		running bool
		beat    time.Time
		ok      bool
		detail  string
	}{
		{"OK", true, time.Now().Add(-time.Minute), true, "runs on this node (node-a)"},
		{"ErrStuck", true, time.Now().Add(-4 * time.Minute), false, "the email outbox is stuck"},
		{"ErrNeverTurned", true, time.Time{}, false, "the email outbox has not started its loop"},
		{"ErrNotRunning", false, time.Now(), false, "the email outbox is not running"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := a.workerCheck(ctx, "outbox", "the email outbox", tc.running, tc.beat, time.Minute)
			if c.OK != tc.ok || !strings.HasPrefix(c.Detail, tc.detail) {
				t.Fatalf("check %+v, want ok=%v and %q", c, tc.ok, tc.detail)
			}
		})
	}
}
