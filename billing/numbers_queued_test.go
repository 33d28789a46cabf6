package billing_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain/numbering"
	"remit/eventstore"
	"remit/eventstore/sqlite"
)

// failingNumbering is the embedded store, except that some queued appends
// to the numbering stream (the blocks decided while another is in flight)
// take their place in the order (queued is called), wait a moment so that
// the next block is decided and queued behind them, and then fail without
// being written, as a commit that fails would. Appends made the careful
// way (Append: after a failed block, the stream read again) are not failed:
// the test is about the blocks queued behind a failing one, and a careful
// append that failed would rightly fail its command.
type failingNumbering struct {
	*sqlite.Store
	mu       sync.Mutex
	n        int          // queued numbering appends seen
	fail     map[int]bool // which of them fail
	injected int          // failures injected
	refused  int          // numbering appends the store then refused for a wrong expected version
	appended int          // numbering appends written
}

func (s *failingNumbering) AppendQueued(ctx context.Context, stream string, expected eventstore.ExpectedRevision, queued func(), events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if stream != numbering.StreamName() {
		return s.Store.AppendQueued(ctx, stream, expected, queued, events...)
	}
	s.mu.Lock()
	s.n++
	fail := s.fail[s.n]
	if fail {
		s.injected++
	}
	s.mu.Unlock()
	if fail {
		queued()
		time.Sleep(30 * time.Millisecond)
		return eventstore.AppendResult{}, errors.New("disk I/O error (injected)")
	}
	return s.appendNumbers(ctx, expected, queued, events...)
}

// AppendAtomic fails some blocks that reserve numbers (with the invoices
// issued in them, billing's issueTogether) as AppendQueued fails queued
// numbering appends: in their place in the order, after a moment, with
// nothing written.
func (s *failingNumbering) AppendAtomic(ctx context.Context, appends []eventstore.StreamAppend, queued func()) ([]eventstore.AppendResult, error) {
	if !slices.ContainsFunc(appends, func(a eventstore.StreamAppend) bool { return a.Stream == numbering.StreamName() }) {
		return s.Store.AppendAtomic(ctx, appends, queued)
	}
	s.mu.Lock()
	s.n++
	fail := s.fail[s.n]
	if fail {
		s.injected++
	}
	s.mu.Unlock()
	if fail {
		queued()
		time.Sleep(30 * time.Millisecond)
		return nil, errors.New("disk I/O error (injected)")
	}
	res, err := s.Store.AppendAtomic(ctx, appends, queued)
	s.mu.Lock()
	if errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		s.refused++
	} else if err == nil {
		s.appended++
	}
	s.mu.Unlock()
	return res, err
}

// appendNumbers appends to the numbering stream, counting the outcome.
func (s *failingNumbering) appendNumbers(ctx context.Context, expected eventstore.ExpectedRevision, queued func(), events ...eventstore.EventData) (eventstore.AppendResult, error) {
	res, err := s.Store.AppendQueued(ctx, numbering.StreamName(), expected, queued, events...)
	s.mu.Lock()
	if errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		s.refused++
	} else if err == nil {
		s.appended++
	}
	s.mu.Unlock()
	return res, err
}

func (s *failingNumbering) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if stream != numbering.StreamName() {
		return s.Store.Append(ctx, stream, expected, events...)
	}
	return s.appendNumbers(ctx, expected, func() {}, events...)
}

// TestGaplessNumbersWhenAQueuedBlockFails: a block of invoice numbers is
// decided and queued while the block before it is still being committed;
// when that earlier block fails, the blocks queued behind it fail too and
// are decided again, so every invoice is still issued, numbers stay 1..n
// without gap or repeat, and no number is given twice.
func TestGaplessNumbersWhenAQueuedBlockFails(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	clients := []uuid.UUID{f.mustCreateClient("A"), f.mustCreateClient("B")}
	store := &failingNumbering{Store: f.store, fail: map[int]bool{2: true, 5: true}}
	svc := billing.New(billing.Config{Store: store, Now: f.clock, NewID: f.newID})
	const n = 60
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			// Staggered, so that blocks form while others are in flight.
			time.Sleep(time.Duration(i%6) * 5 * time.Millisecond)
			_, err := svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: clients[i%2],
				Lines: []billing.InstantLine{{Description: fmt.Sprintf("Advice %d", i), Quantity: dec("1"), UnitPrice: dec("10")}}}, meta(fmt.Sprintf("issue-%d", i)))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := f.invoiceNumbers()
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i + 1)
	}
	if !slices.Equal(got, want) {
		for _, r := range f.events() {
			if r.Stream == numbering.StreamName() || r.Type == "InvoiceIssued" {
				t.Logf("%s@%d pos %d %s %s", r.Stream, r.Revision, r.Position, r.Type, r.Data)
			}
		}
		t.Fatalf("numbers %v, want 1..%d without gap or repeat", got, n)
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	if store.injected == 0 {
		t.Fatalf("only %d queued numbering appends: no injected failure happened", store.n)
	}
	t.Logf("queued numbering appends: %d, failed by injection: %d, refused behind a failed one: %d, written: %d", store.n, store.injected, store.refused, store.appended)
}
