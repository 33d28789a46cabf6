package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/eventstore/storetest"
)

// lockChildEnv names the data folder TestLockChild tries to open; without it
// the child test skips itself.
const lockChildEnv = "REMIT_TEST_LOCK_CHILD_DIR"

// TestLockChild is not a test on its own: TestLockOtherProcess re-executes the
// test binary to run it in a second process, which tries to open the folder
// for writing and prints what happened on one line.
func TestLockChild(t *testing.T) {
	dir := os.Getenv(lockChildEnv)
	if dir == "" {
		t.Skip("run by TestLockOtherProcess in a child process")
	}
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		fmt.Printf("refused locked=%t: %v\n", errors.Is(err, eventstore.ErrLocked), err)
		return
	}
	s.Close()
	fmt.Println("opened")
}

// TestLockSameProcess: a second writer in the same process is refused with
// ErrLocked and a message naming the folder; after Close the folder opens
// again.
func TestLockSameProcess(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := sqlite.Open(dir, sqlite.Options{})
	if err == nil {
		second.Close()
		s.Close()
		t.Fatal("a second Open for writing of the same folder succeeded")
	}
	assertLockedError(t, err, dir)

	s.Close()
	again := MustOpen(t, dir, sqlite.Options{})
	storetest.MustAppend(t, again, "client-1", eventstore.NoStream, storetest.Event("ClientAdded", 1))
}

// TestLockOtherProcess: a second process is refused while this one holds the
// folder, and may open it once this one has closed it.
func TestLockOtherProcess(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := runLockChild(t, dir)
	if !strings.HasPrefix(out, "refused locked=true: ") {
		s.Close()
		t.Fatalf("child process opening a locked folder printed %q, want a refusal with ErrLocked", out)
	}
	msg := strings.TrimPrefix(out, "refused locked=true: ")
	if !strings.Contains(msg, dir) {
		t.Errorf("the child's error %q does not name the folder %s", msg, dir)
	}
	if !strings.Contains(msg, fmt.Sprint(os.Getpid())) {
		t.Errorf("the child's error %q does not name the holder's pid %d", msg, os.Getpid())
	}

	s.Close()
	if out := runLockChild(t, dir); out != "opened" {
		t.Fatalf("child process opening a closed folder printed %q, want %q", out, "opened")
	}
}

// runLockChild runs TestLockChild on dir in a child process and returns the
// line it printed.
func runLockChild(t *testing.T, dir string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestLockChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), lockChildEnv+"="+dir)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child process: %v\n%s", err, b)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "refused ") || line == "opened" {
			return line
		}
	}
	t.Fatalf("child process printed no result:\n%s", b)
	return ""
}

func assertLockedError(t *testing.T, err error, dir string) {
	t.Helper()
	if !errors.Is(err, eventstore.ErrLocked) {
		t.Errorf("second Open: %v; want an error matching eventstore.ErrLocked", err)
	}
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("second Open: %q does not name the folder %s", err, dir)
	}
}

// TestDurableAcrossReopen: everything appended is there, unchanged, after
// Close and a fresh Open, and the store carries on where it stopped.
func TestDurableAcrossReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustAppend(t, s, "client-1", eventstore.NoStream, storetest.Events("ClientAdded", 0, 3)...)
	storetest.MustAppend(t, s, "invoice-1", eventstore.NoStream, storetest.Events("InvoiceIssued", 10, 2)...)
	storetest.MustAppend(t, s, "client-1", eventstore.Exact(2), storetest.Event("ClientRenamed", 20))
	before, err := s.ReadAll(ctx, 1, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = MustOpen(t, dir, sqlite.Options{})
	after, err := s.ReadAll(ctx, 1, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("after reopen %d events, want %d", len(after), len(before))
	}
	for i := range before {
		b, a := before[i], after[i]
		if a.ID != b.ID || a.Stream != b.Stream || a.Revision != b.Revision || a.Position != b.Position ||
			a.Type != b.Type || string(a.Data) != string(b.Data) || !a.Metadata.RecordedAt.Equal(b.Metadata.RecordedAt) ||
			string(a.Hash) != string(b.Hash) {
			t.Errorf("event %d changed across reopen:\n before %+v\n after  %+v", i, b, a)
		}
	}
	if head, _ := s.Head(ctx); head != 6 {
		t.Errorf("head after reopen = %d, want 6", head)
	}
	res := storetest.MustAppend(t, s, "client-1", eventstore.Exact(3), storetest.Event("ClientRenamed", 21))
	if res.Revision != 4 || res.Position != 7 {
		t.Errorf("append after reopen = %+v, want revision 4 at position 7", res)
	}
	if _, err := s.Verify(ctx); err != nil {
		t.Errorf("verify after reopen: %v", err)
	}
}

// TestInjectedClock: recorded-at is the injected clock's time, not the
// caller's and not the wall clock.
func TestInjectedClock(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2031, 2, 28, 23, 59, 58, 123456789, time.FixedZone("NZDT", 13*3600))
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := MustOpen(t, t.TempDir(), sqlite.Options{Clock: clock})

	e := storetest.Event("ClientAdded", 1)
	e.Metadata.RecordedAt = time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC) // ignored
	storetest.MustAppend(t, s, "client-1", eventstore.NoStream, e)
	mu.Lock()
	later := now.Add(36 * time.Hour)
	now = later
	mu.Unlock()
	storetest.MustAppend(t, s, "client-1", eventstore.Exact(0), storetest.Event("ClientRenamed", 2))

	evs, err := s.ReadStream(ctx, "client-1", 0, eventstore.Forward, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{time.Date(2031, 2, 28, 23, 59, 58, 123456789, time.FixedZone("NZDT", 13*3600)), later}
	if len(evs) != len(want) {
		t.Fatalf("read %d events, want %d", len(evs), len(want))
	}
	for i, e := range evs {
		if !e.Metadata.RecordedAt.Equal(want[i]) {
			t.Errorf("event %d recorded at %v, want the injected clock's %v", i, e.Metadata.RecordedAt, want[i])
		}
	}
}

// TestAppendAfterClose: every append after Close is refused with ErrClosed,
// promptly, and writes nothing.
func TestAppendAfterClose(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustAppend(t, s, "client-1", eventstore.NoStream, storetest.Event("ClientAdded", 0))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// The refusal must not depend on luck: try many times.
	for i := range 200 {
		done := make(chan error, 1)
		go func() {
			_, err := s.Append(ctx, "client-1", eventstore.Any, storetest.Event("ClientRenamed", i))
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, eventstore.ErrClosed) {
				t.Fatalf("append %d after Close: %v, want eventstore.ErrClosed", i, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("append %d after Close has not returned after 5s", i)
		}
	}

	s = MustOpen(t, dir, sqlite.Options{})
	if head, _ := s.Head(ctx); head != 1 {
		t.Errorf("head after refused appends = %d, want 1", head)
	}
}

// TestAppendsRacingClose: appends in flight while Close runs are each either
// written (nil error, and found after reopen) or refused with ErrClosed (and
// not written); none hangs and none is lost.
func TestAppendsRacingClose(t *testing.T) {
	ctx := context.Background()
	const rounds, appenders, perAppender = 8, 16, 30
	for round := range rounds {
		dir := t.TempDir()
		s, err := sqlite.Open(dir, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		type outcome struct {
			ev  eventstore.EventData
			err error
		}
		var mu sync.Mutex
		var outcomes []outcome
		acked := make(chan struct{}, appenders*perAppender)
		var wg sync.WaitGroup
		for a := range appenders {
			wg.Go(func() {
				stream := fmt.Sprintf("client-%d", a)
				for i := range perAppender {
					e := storetest.Event("ClientRenamed", i)
					_, err := s.Append(ctx, stream, eventstore.Any, e)
					mu.Lock()
					outcomes = append(outcomes, outcome{e, err})
					mu.Unlock()
					acked <- struct{}{}
				}
			})
		}
		// Close after a varying number of appends have returned, while the
		// others are queued or on their way.
		for range 1 + round*13 {
			<-acked
		}
		closed := make(chan struct{})
		go func() { s.Close(); close(closed) }()
		allDone := make(chan struct{})
		go func() { wg.Wait(); close(allDone) }()
		select {
		case <-allDone:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: appends racing Close have not all returned after 10s (an append was queued after the writer stopped and waits forever)", round)
		}
		<-closed

		s = MustOpen(t, dir, sqlite.Options{})
		stored, err := s.ReadAll(ctx, 1, eventstore.Forward, 0, eventstore.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		have := make(map[string]bool, len(stored))
		for _, e := range stored {
			have[e.ID.String()] = true
		}
		written, refused := 0, 0
		for _, o := range outcomes {
			switch {
			case o.err == nil:
				written++
				if !have[o.ev.ID.String()] {
					t.Errorf("round %d: append of %s returned nil but the event is missing after reopen", round, o.ev.ID)
				}
			case errors.Is(o.err, eventstore.ErrClosed):
				refused++
				if have[o.ev.ID.String()] {
					t.Errorf("round %d: append of %s was refused with ErrClosed but the event was written", round, o.ev.ID)
				}
			default:
				t.Errorf("round %d: append of %s: %v, want nil or ErrClosed", round, o.ev.ID, o.err)
			}
		}
		if len(stored) != written {
			t.Errorf("round %d: %d events stored, but %d appends returned nil", round, len(stored), written)
		}
		if _, err := s.Verify(ctx); err != nil {
			t.Errorf("round %d: verify: %v", round, err)
		}
		s.Close()
		t.Logf("round %d: %d written, %d refused", round, written, refused)
	}
}
