package peers_test

import (
	"errors"
	"testing"

	"remit/test/peers"
)

// recorder is a testing.TB that records how a test was stopped instead of
// stopping.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Skip(...any)           { r.skipped = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Skipf(string, ...any)  { r.skipped = true }

func TestMissingSkipsUnlessRequired(t *testing.T) {
	t.Run("NotRequired", func(t *testing.T) {
		t.Setenv(peers.RequireEnv, "")
		r := &recorder{TB: t}
		peers.Need(r, "no-such-peer")
		if !r.skipped || r.failed {
			t.Errorf("skipped %v, failed %v; want a skip", r.skipped, r.failed)
		}
	})
	t.Run("Required", func(t *testing.T) {
		t.Setenv(peers.RequireEnv, "1")
		r := &recorder{TB: t}
		peers.Need(r, "no-such-peer")
		if r.skipped || !r.failed {
			t.Errorf("skipped %v, failed %v; want a failure", r.skipped, r.failed)
		}
		r = &recorder{TB: t}
		peers.NeedTool(r, "no-such-remit-tool", "install it")
		if r.skipped || !r.failed {
			t.Errorf("missing tool: skipped %v, failed %v; want a failure", r.skipped, r.failed)
		}
	})
}

func TestPath(t *testing.T) {
	if _, err := peers.Path("no-such-peer"); !errors.Is(err, peers.ErrMissing) {
		t.Errorf("a missing peer: %v, want ErrMissing", err)
	}
}
