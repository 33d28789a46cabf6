package billing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain/numbering"
	"remit/eventstore"
	"remit/eventstore/sqlite"
)

// togetherStore is the embedded store, recording which streams each
// atomic block (AppendAtomic) wrote, and the plain appends made to the
// numbering stream and to invoice streams. When beat is set it is a store
// shared with another node (as PostgreSQL is: queued is called only once a
// block is written, since another node may take a failed block's place),
// and the first block that reserves numbers finds that node's append to
// the numbering stream at the revision it expected (a void of the number
// reserved under foreign), so it is refused.
type togetherStore struct {
	*sqlite.Store
	mu      sync.Mutex
	blocks  [][]string // the streams of each block written
	plain   []string   // streams of plain appends to numbering or invoices
	beat    bool
	foreign uuid.UUID
	refused int
}

func (s *togetherStore) notePlain(stream string) {
	if stream == numbering.StreamName() || strings.HasPrefix(stream, "invoice-") {
		s.mu.Lock()
		s.plain = append(s.plain, stream)
		s.mu.Unlock()
	}
}

func (s *togetherStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	res, err := s.Store.Append(ctx, stream, expected, events...)
	if err == nil {
		s.notePlain(stream)
	}
	return res, err
}

func (s *togetherStore) AppendQueued(ctx context.Context, stream string, expected eventstore.ExpectedRevision, queued func(), events ...eventstore.EventData) (eventstore.AppendResult, error) {
	res, err := s.Store.AppendQueued(ctx, stream, expected, queued, events...)
	if err == nil {
		s.notePlain(stream)
	}
	return res, err
}

func (s *togetherStore) AppendAtomic(ctx context.Context, appends []eventstore.StreamAppend, queued func()) ([]eventstore.AppendResult, error) {
	s.mu.Lock()
	shared := s.foreign != uuid.Nil
	beat := s.beat && appends[0].Stream == numbering.StreamName()
	s.beat = s.beat && !beat
	s.mu.Unlock()
	if beat {
		raw, _ := json.Marshal(numbering.InvoiceNumberVoided{Number: numbering.FormatNumber("INV-", 1), Sequence: 1, InvoiceID: s.foreign, Reason: "its request died", At: time.Now()})
		if _, err := s.Store.Append(ctx, numbering.StreamName(), appends[0].Expected, eventstore.EventData{ID: eventstore.NewEventID(), Type: "InvoiceNumberVoided", Data: raw,
			Metadata: eventstore.Metadata{Actor: "node-b", CommandID: "node-b/void"}}); err != nil {
			return nil, fmt.Errorf("the other node's void: %w", err)
		}
	}
	inQueue := queued
	if shared {
		inQueue = func() {}
	}
	res, err := s.Store.AppendAtomic(ctx, appends, inQueue)
	s.mu.Lock()
	if err != nil {
		s.refused++
		s.mu.Unlock()
		return nil, err
	}
	var streams []string
	for _, a := range appends {
		streams = append(streams, a.Stream)
	}
	s.blocks = append(s.blocks, streams)
	s.mu.Unlock()
	if shared {
		queued()
	}
	return res, nil
}

// issueConcurrently issues n instant bills at once through svc.
func issueConcurrently(t *testing.T, svc *billing.Service, client uuid.UUID, n int) []uuid.UUID {
	t.Helper()
	ids := make([]uuid.UUID, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := svc.IssueInvoice(context.Background(), billing.IssueInvoiceRequest{ClientID: client,
				Lines: []billing.InstantLine{{Description: fmt.Sprintf("Advice %d", i), Quantity: dec("1"), UnitPrice: dec("10")}}}, meta(fmt.Sprintf("issue-%d", i)))
			ids[i], errs[i] = res.ID, err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// wantIssuedWithNumbers checks that every invoice was written in a block
// that reserved its number (numbering first), and nothing of them or of
// the numbers by a plain append.
func wantIssuedWithNumbers(t *testing.T, store *togetherStore, ids []uuid.UUID) {
	t.Helper()
	store.mu.Lock()
	defer store.mu.Unlock()
	if len(store.plain) > 0 {
		t.Fatalf("plain appends to %v: an instant bill's number and invoice must be one append", store.plain)
	}
	for _, id := range ids {
		stream := "invoice-" + id.String()
		if !slices.ContainsFunc(store.blocks, func(b []string) bool { return b[0] == numbering.StreamName() && slices.Contains(b, stream) }) {
			t.Fatalf("%s was not written in the block that reserved its number (blocks %v)", stream, store.blocks)
		}
	}
}

// TestInstantBillIssuedWithItsNumber: on a store that appends to several
// streams at once, concurrent instant bills each get their number and
// their invoice in one append (blocks of numbers with their invoices), so
// no number is ever recorded without its invoice; numbers stay 1..n.
func TestInstantBillIssuedWithItsNumber(t *testing.T) {
	f := newFixture(t)
	f.mustSetUpFirm()
	cl := f.mustCreateClient("A")
	store := &togetherStore{Store: f.store}
	svc := billing.New(billing.Config{Store: store, Now: f.clock, NewID: f.newID})
	const n = 40
	ids := issueConcurrently(t, svc, cl, n)
	wantIssuedWithNumbers(t, store, ids)
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i + 1)
	}
	if got := f.invoiceNumbers(); !slices.Equal(got, want) {
		t.Fatalf("numbers %v, want 1..%d without gap or repeat", got, n)
	}
	// The same commands again answer the invoices already issued.
	again := issueConcurrently(t, svc, cl, n)
	if !slices.Equal(again, ids) {
		t.Fatalf("re-run named other invoices")
	}
	if got := f.invoiceNumbers(); !slices.Equal(got, want) {
		t.Fatalf("after the re-run numbers %v, want 1..%d", got, n)
	}
}

// TestInstantBillsTogetherWhenAnotherNodeTakesTheRevision: another node
// appends to the numbering stream at the revision a block (numbers and
// invoices) expected: the block is refused whole, nothing of it written,
// and decided again on the stream as it then is. Numbers: 1 the other
// node's (voided), 2..n+1 this node's, each reserved once.
func TestInstantBillsTogetherWhenAnotherNodeTakesTheRevision(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	cl := f.mustCreateClient("A")
	store := &togetherStore{Store: f.store, beat: true, foreign: uuid.New()}
	raw, _ := json.Marshal(numbering.InvoiceNumberReserved{Number: numbering.FormatNumber("INV-", 1), Sequence: 1, InvoiceID: store.foreign, At: time.Now()})
	if _, err := f.store.Append(ctx, numbering.StreamName(), eventstore.NoStream, eventstore.EventData{ID: eventstore.NewEventID(), Type: "InvoiceNumberReserved", Data: raw,
		Metadata: eventstore.Metadata{Actor: "node-b", CommandID: "node-b/reserve"}}); err != nil {
		t.Fatal(err)
	}
	svc := billing.New(billing.Config{Store: store, Now: f.clock, NewID: f.newID})
	const n = 12
	ids := issueConcurrently(t, svc, cl, n)
	wantIssuedWithNumbers(t, store, ids)
	if store.refused == 0 {
		t.Fatal("no block was refused: the other node's append did not happen")
	}
	seqs := map[uuid.UUID]int64{}
	for _, r := range f.events() {
		if r.Stream != numbering.StreamName() {
			continue
		}
		var many numbering.InvoiceNumbersReserved
		var one numbering.InvoiceNumberReserved
		switch r.Type {
		case "InvoiceNumbersReserved":
			if err := json.Unmarshal(r.Data, &many); err != nil {
				t.Fatal(err)
			}
		case "InvoiceNumberReserved":
			if err := json.Unmarshal(r.Data, &one); err != nil {
				t.Fatal(err)
			}
			many.InvoiceIDs, many.First, many.Prefix = []uuid.UUID{one.InvoiceID}, one.Sequence, "INV-"
		}
		for _, g := range many.Reservations() {
			if _, dup := seqs[g.InvoiceID]; dup {
				t.Fatalf("invoice %s numbered twice", g.InvoiceID)
			}
			seqs[g.InvoiceID] = g.Sequence
		}
	}
	var got []int64
	for _, id := range ids {
		got = append(got, seqs[id])
	}
	slices.Sort(got)
	for i, seq := range got {
		if seq != int64(i+2) {
			t.Fatalf("this node's numbers %v, want 2..%d", got, n+1)
		}
	}
	if len(seqs) != n+1 || seqs[store.foreign] != 1 {
		t.Fatalf("reservations %v: want the other node's 1 and this node's %d", seqs, n)
	}
}
