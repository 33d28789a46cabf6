package emailer_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	mailbox "remit/domain/outbox"
	"remit/eventstore"
	"remit/integrations/mail"
	"remit/processes/emailer"
	"remit/projections/rmdb"
)

// readsFrom is a store that records where each read of the whole log
// starts: a restarted outbox must not read it from the start again.
type readsFrom struct {
	eventstore.Store
	mu    sync.Mutex
	froms []uint64
}

func (s *readsFrom) ReadAll(ctx context.Context, from uint64, dir eventstore.Direction, limit int, f eventstore.Filter) ([]eventstore.RecordedEvent, error) {
	s.mu.Lock()
	s.froms = append(s.froms, from)
	s.mu.Unlock()
	return s.Store.ReadAll(ctx, from, dir, limit, f)
}

func (s *readsFrom) lowest() (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.froms) == 0 {
		return 0, false
	}
	return slices.Min(s.froms), true
}

// stateDB is an outbox state database that outlives the outboxes of a test,
// as the read models' database outlives a `remit serve`.
func stateDB(t *testing.T) *rmdb.DB {
	t.Helper()
	db, err := rmdb.OpenSQLite(filepath.Join(t.TempDir(), "readmodels.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func (f *fixture) outboxOn(st eventstore.Store, db *rmdb.DB, m mail.Mailer) *emailer.Outbox {
	f.t.Helper()
	if m == nil {
		m = f.smtp()
	}
	ob, err := emailer.New(emailer.Config{Store: st, Mailer: m, From: "accounts@ledger.example", Now: f.clk.Now, LinkFor: f.links, State: db})
	if err != nil {
		f.t.Fatal(err)
	}
	return ob
}

// TestRestartResumesFromItsCheckpoint: an outbox keeping its state in a
// database (remit serve's read models) starts again where it stopped: it
// sends nothing twice, reads no event before its checkpoint, and emails
// what happened while it was down once; its daily check of the next day
// still finds the card about to expire, once.
func TestRestartResumesFromItsCheckpoint(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	db := stateDB(t)
	f.issue()
	f.issue()
	handled, _ := f.store.Head(ctx) // the first outbox reads the log up to here at least
	first := f.outboxOn(f.store, db, nil)
	if err := first.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	first.Close()
	if n := f.onceEach(); n != 2 {
		t.Fatalf("%d emails before the restart, want 2", n)
	}

	f.issue() // while it is down
	st := &readsFrom{Store: f.store}
	again := f.outboxOn(st, db, nil)
	defer again.Close()
	f.catchUp(again)
	f.catchUp(again)
	if n := f.onceEach(); n != 3 {
		t.Fatalf("%d emails after the restart, want 3 (the invoice issued while it was down, once)", n)
	}
	if from, ok := st.lowest(); !ok || from < handled {
		t.Errorf("the restarted outbox read the log from position %d (read: %v); it had handled it up to %d", from, ok, handled)
	}

	// The card (expiring at the end of June) comes within the 30 days'
	// notice in June: the daily check, whose set of clients is in the
	// database, announces it once, however often it runs or restarts.
	f.clk.set(f.clk.Now().AddDate(0, 3, 0))
	if err := again.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	again.Close()
	third := f.outboxOn(f.store, db, nil)
	defer third.Close()
	if err := third.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.onceEach(); n != 4 {
		t.Fatalf("%d emails after the daily checks, want 4 (3 invoices and the expiring card)", n)
	}
}

// TestQueuedEmailSurvivesARestart: an email queued while the mail server
// was down is in the outbox's database, and the restarted outbox sends it
// once without reading the log again.
func TestQueuedEmailSurvivesARestart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	db := stateDB(t)
	f.mp.Stop()
	f.issue()
	first := f.outboxOn(f.store, db, nil)
	f.catchUp(first) // queued, not sent
	first.Close()
	head, _ := f.store.Head(ctx)
	f.mp.Restart()

	st := &readsFrom{Store: f.store}
	again := f.outboxOn(st, db, nil)
	defer again.Close()
	f.catchUp(again)
	f.catchUp(again)
	if n := f.onceEach(); n != 1 {
		t.Fatalf("%d emails after the restart, want the one queued", n)
	}
	if from, ok := st.lowest(); ok && from < head-2 {
		// It reads from its checkpoint: at most the email's own events
		// (queued, sent) past the head it had seen.
		t.Errorf("the restarted outbox read the log from position %d; it had handled it up to %d", from, head)
	}
}

// TestSentEmailWhoseStateWasLostIsNotSentAgain: the process died after the
// mail server accepted an email and EmailSent was stored, but before the
// outbox wrote its state (the email still pending there, the checkpoint
// before it): the restarted outbox finds the outcome in the store and does
// not send it again.
func TestSentEmailWhoseStateWasLostIsNotSentAgain(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	db := stateDB(t)
	f.issue()
	first := f.outboxOn(f.store, db, nil)
	f.catchUp(first)
	first.Close()
	if n := f.onceEach(); n != 1 {
		t.Fatalf("%d emails, want 1", n)
	}
	// Undo what the state database learnt from the send, as a crash
	// before its write would have left it.
	raw, err := json.Marshal(f.queued(t))
	if err != nil {
		t.Fatal(err)
	}
	err = db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		tx.Exec(`UPDATE outbox_emails SET status = 'queued'`)
		tx.Exec(`INSERT INTO outbox_pending (email_id, queued) VALUES (?, ?)`, f.queued(t).EmailID.String(), string(raw))
		tx.Exec(`UPDATE outbox_state SET next = 1`)
		return tx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	again := f.outboxOn(f.store, db, nil)
	defer again.Close()
	f.catchUp(again)
	f.catchUp(again)
	if n := f.onceEach(); n != 1 {
		t.Fatalf("%d emails after the restart, want still 1", n)
	}
}

// queued is the one EmailQueued in the log.
func (f *fixture) queued(t *testing.T) mailbox.EmailQueued {
	t.Helper()
	recs, err := f.store.ReadAll(context.Background(), 0, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"EmailQueued"}})
	if err != nil || len(recs) != 1 {
		t.Fatalf("EmailQueued events: %d, %v", len(recs), err)
	}
	var q mailbox.EmailQueued
	if err := json.Unmarshal(recs[0].Data, &q); err != nil {
		t.Fatal(err)
	}
	return q
}

// TestLiveOutboxRestartsAfterItsOwnRecordsOnce: a live outbox (Start)
// writes no state for its own EmailQueued and EmailSent coming back, so its
// stored checkpoint may stop before them; an outbox started again on the
// same state database reads them again and sends nothing twice, and the
// next invoice is emailed once.
func TestLiveOutboxRestartsAfterItsOwnRecordsOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	db := stateDB(t)
	dir := t.TempDir()
	files := func() int {
		t.Helper()
		got, err := filepath.Glob(filepath.Join(dir, "*.eml"))
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	waitSent := func(ob *emailer.Outbox, n int) {
		t.Helper()
		for range 500 {
			head, err := f.store.Head(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := ob.WaitFor(ctx, head); err != nil {
				t.Fatal(err)
			}
			if sent := f.emailEvents(); len(sent) == 2*n && files() == n {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("email events %v, %d files; want %d emails sent", f.emailEvents(), files(), n)
	}
	first := f.outboxOn(f.store, db, mail.Files{Dir: dir})
	if err := first.Start(ctx); err != nil {
		t.Fatal(err)
	}
	f.issue()
	waitSent(first, 1)
	first.Close()

	again := f.outboxOn(f.store, db, mail.Files{Dir: dir})
	if err := again.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	f.issue()
	waitSent(again, 2)
	f.catchUp(again)
	if got := f.emailEvents(); !slices.Equal(got, []string{"EmailQueued", "EmailSent", "EmailQueued", "EmailSent"}) {
		t.Errorf("email events after the restart: %v, want each invoice's queued and sent once", got)
	}
	if n := files(); n != 2 {
		t.Errorf("%d .eml files, want 2", n)
	}
	if st, err := again.Stats(ctx); err != nil || st.Queued != 0 {
		t.Errorf("%d emails queued after the restart (%v), want none", st.Queued, err)
	}
}
