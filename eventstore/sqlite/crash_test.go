package sqlite_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/eventstore/storetest"

	"github.com/google/uuid"
)

// crashChildEnv names the data folder TestCrashChild appends to; without it
// the child test skips itself.
const crashChildEnv = "REMIT_TEST_CRASH_CHILD_DIR"

const (
	crashWriters = 6  // goroutines in the child, one stream each
	crashMaxK    = 20 // events per append: 1..crashMaxK
	crashRounds  = 3
)

// crashPayload is each event's data: event index of append number n, which
// has of events.
type crashPayload struct {
	Append int `json:"append"`
	Of     int `json:"of"`
	Index  int `json:"index"`
}

func crashStream(g int) string { return fmt.Sprintf("crash-%d", g) }

// TestCrashChild is not a test on its own: TestCrashSafety re-executes the
// test binary to run it in a child process that it kills with SIGKILL. It
// appends forever from several goroutines, each to its own stream with Exact
// expected revisions, and prints "acked <stream> <lastRevision>" once each
// append has returned.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("run by TestCrashSafety in a child process")
	}
	ctx := context.Background()
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		fmt.Printf("error open: %v\n", err)
		return
	}
	var outMu sync.Mutex
	say := func(format string, args ...any) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Fprintf(os.Stdout, format+"\n", args...) // os.Stdout is unbuffered: one write per line
	}
	// A safety net: the parent kills us long before this.
	stop := time.Now().Add(40 * time.Second)
	var wg sync.WaitGroup
	for g := range crashWriters {
		wg.Go(func() {
			stream := crashStream(g)
			// Resume after whatever an earlier, killed child left.
			expected, n := eventstore.NoStream, 0
			last, err := s.ReadStream(ctx, stream, eventstore.End, eventstore.Backward, 1)
			if err != nil {
				say("error read %s: %v", stream, err)
				return
			}
			if len(last) == 1 {
				var p crashPayload
				if err := json.Unmarshal(last[0].Data, &p); err != nil {
					say("error decode %s: %v", stream, err)
					return
				}
				expected, n = eventstore.Exact(last[0].Revision), p.Append
			}
			for time.Now().Before(stop) {
				n++
				k := 1 + rand.IntN(crashMaxK)
				evs := make([]eventstore.EventData, k)
				for i := range evs {
					evs[i] = eventstore.EventData{ID: uuid.New(), Type: "CrashTested",
						Data: json.RawMessage(fmt.Sprintf(`{"append":%d,"of":%d,"index":%d}`, n, k, i))}
				}
				res, err := s.Append(ctx, stream, expected, evs...)
				if err != nil {
					say("error append %s: %v", stream, err)
					return
				}
				say("acked %s %d", stream, res.Revision)
				expected = eventstore.Exact(res.Revision)
			}
		})
	}
	wg.Wait()
	s.Close()
}

// TestCrashSafety kills a child process that is appending, with SIGKILL,
// several times on the same folder, and checks after each kill that every
// acknowledged append is there, every append is whole, the chain verifies,
// positions have no gap, and appending carries on.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns and kills child processes")
	}
	dir := t.TempDir()
	acked := make(map[string]uint64) // stream → highest acknowledged revision
	for round := range crashRounds {
		n := runCrashChild(t, dir, 150+rand.IntN(250), acked)
		t.Logf("round %d: killed the child after %d acknowledged appends", round, n)
		s, err := sqlite.Open(dir, sqlite.Options{})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		checkAfterCrash(t, s, acked)
		s.Close()
		if t.Failed() {
			t.FailNow()
		}
	}

	s := MustOpen(t, dir, sqlite.Options{})
	ctx := context.Background()
	head, _ := s.Head(ctx)
	res := storetest.MustAppend(t, s, "client-after-crash", eventstore.NoStream, storetest.Events("ClientAdded", 0, 3)...)
	if res.Position != head+3 || res.Revision != 2 {
		t.Errorf("append after the crashes = %+v, want revision 2 at position %d", res, head+3)
	}
	rep, err := s.Verify(ctx)
	if err != nil || rep.Head != head+3 || rep.Events != head+3 {
		t.Errorf("Verify after appending past the crashes = %+v, %v; want head %d", rep, err, head+3)
	}
}

// runCrashChild starts TestCrashChild on dir, kills it with SIGKILL once it
// has acknowledged about kill appends (or after a deadline), records every
// acknowledgement it printed in acked, and returns how many there were.
func runCrashChild(t *testing.T, dir string, kill int, acked map[string]uint64) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill on time even if the child stalls (a slow disk, or no acks at all).
	deadline := time.AfterFunc(8*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()

	n := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "acked "):
			f := strings.Fields(line)
			if len(f) != 3 {
				t.Errorf("child printed %q", line)
				continue
			}
			rev, err := strconv.ParseUint(f[2], 10, 64)
			if err != nil {
				t.Errorf("child printed %q: %v", line, err)
				continue
			}
			if rev < acked[f[1]] {
				t.Errorf("child acknowledged %s at revision %d after revision %d", f[1], rev, acked[f[1]])
			}
			acked[f[1]] = rev
			n++
			if n == kill {
				cmd.Process.Kill() // SIGKILL; lines already in the pipe are still read
			}
		case strings.HasPrefix(line, "error "):
			t.Errorf("child: %s", line)
		}
	}
	cmd.Process.Kill()
	err = cmd.Wait()
	if n == 0 {
		t.Fatalf("child acknowledged no append (exit: %v)", err)
	}
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("child exited with %v, want it killed", err)
	}
	return n
}

// checkAfterCrash checks the store a killed child left behind.
func checkAfterCrash(t *testing.T, s *sqlite.Store, acked map[string]uint64) {
	t.Helper()
	ctx := context.Background()
	rep, err := s.Verify(ctx)
	if err != nil {
		t.Errorf("Verify after kill: %v", err)
	}
	head, _ := s.Head(ctx)
	all, err := s.ReadAll(ctx, 1, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range all {
		if e.Position != uint64(i+1) {
			t.Fatalf("position %d follows %d: the log has a gap", e.Position, i)
		}
	}
	if uint64(len(all)) != head || rep.Head != head || rep.Events != head {
		t.Errorf("%d events, Head %d, Verify %+v: they disagree", len(all), head, rep)
	}

	for g := range crashWriters {
		stream := crashStream(g)
		evs, err := s.ReadStream(ctx, stream, 0, eventstore.Forward, 0)
		if err != nil {
			t.Fatal(err)
		}
		want, ok := acked[stream]
		if ok && (len(evs) == 0 || evs[len(evs)-1].Revision < want) {
			t.Errorf("%s: acknowledged up to revision %d, but only %d events survived", stream, want, len(evs))
		}
		// Events group into whole appends 1, 2, 3…, each of "of" events
		// indexed 0..of-1.
		var cur crashPayload
		for i, e := range evs {
			var p crashPayload
			if err := json.Unmarshal(e.Data, &p); err != nil {
				t.Fatalf("%s revision %d: %v", stream, e.Revision, err)
			}
			if e.Revision != uint64(i) {
				t.Fatalf("%s: revision %d at index %d", stream, e.Revision, i)
			}
			if p.Index == 0 {
				if cur.Of != 0 && cur.Index != cur.Of-1 {
					t.Errorf("%s: append %d stops after %d of its %d events (revision %d starts append %d)",
						stream, cur.Append, cur.Index+1, cur.Of, e.Revision, p.Append)
				}
				if p.Append != cur.Append+1 || p.Of < 1 || p.Of > crashMaxK {
					t.Errorf("%s revision %d: append %d of %d events follows append %d", stream, e.Revision, p.Append, p.Of, cur.Append)
				}
			} else if p.Append != cur.Append || p.Of != cur.Of || p.Index != cur.Index+1 {
				t.Errorf("%s revision %d: %+v follows %+v", stream, e.Revision, p, cur)
			}
			cur = p
			if ok && e.Revision == want && p.Index != p.Of-1 {
				t.Errorf("%s: acknowledged revision %d is not the end of an append: %+v", stream, want, p)
			}
		}
		if cur.Of != 0 && cur.Index != cur.Of-1 {
			t.Errorf("%s: the last append, %d, has only %d of its %d events", stream, cur.Append, cur.Index+1, cur.Of)
		}
	}
}
