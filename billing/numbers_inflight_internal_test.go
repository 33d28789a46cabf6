package billing

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain/numbering"
	"remit/eventstore"
	"remit/eventstore/sqlite"
)

// failFirstNumbers is the embedded store, except that its first append to
// the numbering stream takes its place in the order, tells the test, waits
// (for release to be closed, or a moment when there is none), and then
// fails without being written.
type failFirstNumbers struct {
	*sqlite.Store
	once    sync.Once
	queued  chan struct{}
	release chan struct{}
}

func (s *failFirstNumbers) AppendQueued(ctx context.Context, stream string, expected eventstore.ExpectedRevision, queued func(), events ...eventstore.EventData) (eventstore.AppendResult, error) {
	fail := false
	if stream == numbering.StreamName() {
		s.once.Do(func() { fail = true })
	}
	if !fail {
		return s.Store.AppendQueued(ctx, stream, expected, queued, events...)
	}
	queued()
	close(s.queued)
	if s.release != nil {
		<-s.release
	} else {
		time.Sleep(50 * time.Millisecond)
	}
	return eventstore.AppendResult{}, errors.New("disk I/O error (injected)")
}

func (s *failFirstNumbers) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	return s.AppendQueued(ctx, stream, expected, func() {}, events...)
}

// TestBatchReservationAfterAFailedQueuedBlock: a billing run's reservation
// (reserveNumbers, which holds the numbering lock through its retries)
// starts while an instant bill's block is queued and about to fail. The
// run's first decision builds on that block and is refused; it must then
// read the stream again rather than retry the same decision until it gives
// up, and both the run and the instant bill end with numbers 1..3.
func TestBatchReservationAfterAFailedQueuedBlock(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	store := &failFirstNumbers{Store: st, queued: make(chan struct{})}
	s := New(Config{Store: store, Now: time.Now, NewID: uuid.New})
	now := time.Now()
	req := func(cmd string) numberRequest {
		return numberRequest{InvoiceID: uuid.New(), Prefix: "INV-", Now: now, Meta: Meta{Actor: "test", CommandID: cmd}}
	}
	single := req("instant")
	got := make(chan string, 1)
	go func() {
		n, _, _, err := s.reserveNumber(ctx, single.InvoiceID, single.Prefix, single.Now, single.Meta, nil)
		if err != nil {
			t.Error(err)
		}
		got <- n
	}()
	<-store.queued
	run := []numberRequest{req("run-1"), req("run-2")}
	out, err := s.reserveNumbers(ctx, run)
	if err != nil {
		t.Fatalf("billing run's reservation: %v", err)
	}
	numbers := []string{<-got, out[run[0].InvoiceID].Number, out[run[1].InvoiceID].Number}
	slices.Sort(numbers)
	want := []string{numbering.FormatNumber("INV-", 1), numbering.FormatNumber("INV-", 2), numbering.FormatNumber("INV-", 3)}
	if !slices.Equal(numbers, want) {
		t.Fatalf("numbers %v, want %v", numbers, want)
	}
}

// TestNumberInFlightIsNobodysYet: an invoice is asked for its number again
// (a retried instant bill, a run over the same items) while the block
// numbering it is in flight. The second request must not be answered with
// that number before the block is: the block then fails, and the number
// given is the one the numbering stream records for the invoice, at its
// position, for both requests.
func TestNumberInFlightIsNobodysYet(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	store := &failFirstNumbers{Store: st, queued: make(chan struct{}), release: make(chan struct{})}
	s := New(Config{Store: store, Now: time.Now, NewID: uuid.New})
	invoiceID := uuid.New()
	type answer struct {
		number   string
		position uint64
		err      error
	}
	ask := func(cmd string) chan answer {
		got := make(chan answer, 1)
		go func() {
			n, pos, _, err := s.reserveNumber(ctx, invoiceID, "INV-", time.Now(), Meta{Actor: "test", CommandID: cmd}, nil)
			got <- answer{n, pos, err}
		}()
		return got
	}
	first := ask("instant")
	<-store.queued
	second := ask("instant-again")
	select {
	case a := <-second:
		t.Fatalf("the second request was answered %+v while the block numbering the invoice was in flight", a)
	case <-time.After(100 * time.Millisecond):
	}
	close(store.release)
	answers := []answer{<-first, <-second}
	recs, err := st.ReadStream(ctx, numbering.StreamName(), 0, eventstore.Forward, 0)
	if err != nil || len(recs) != 1 {
		t.Fatalf("numbering stream: %d events, %v; want the one reservation", len(recs), err)
	}
	for _, a := range answers {
		if a.err != nil {
			t.Fatal(a.err)
		}
		if want := numbering.FormatNumber("INV-", 1); a.number != want || a.position != recs[0].Position {
			t.Fatalf("answered %s at position %d, want %s at position %d (the stream's reservation)", a.number, a.position, want, recs[0].Position)
		}
	}
}
