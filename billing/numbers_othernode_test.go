package billing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain/invoice"
	"remit/domain/numbering"
	"remit/eventstore"
)

// otherNode is a store without a queue of its own (as PostgreSQL is) shared
// with another node: when the first numbering append of this node reaches
// it, it lets a second invoice of this node line up behind it, then the
// other node appends to the numbering stream first (it voids the number it
// had reserved), at the revision this append expected, and this append
// fails.
type otherNode struct {
	eventstore.Store // no AppendQueued: every append answers before it is queued
	mu               sync.Mutex
	beaten           bool
	arrived          chan struct{} // closed when the append to be beaten arrives
	lineUp           chan struct{} // closed when the second invoice waits its turn
	foreign          uuid.UUID
}

func (s *otherNode) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	s.mu.Lock()
	beat := stream == numbering.StreamName() && !s.beaten
	s.beaten = s.beaten || beat
	s.mu.Unlock()
	if beat {
		close(s.arrived)
		<-s.lineUp
		// The other node voids the number it reserved for an invoice whose
		// request died: the stream moves on, no number is taken.
		raw, _ := json.Marshal(numbering.InvoiceNumberVoided{Number: numbering.FormatNumber("INV-", 1), Sequence: 1, InvoiceID: s.foreign, Reason: "its request died", At: time.Now()})
		if _, err := s.Store.Append(ctx, stream, expected, eventstore.EventData{ID: eventstore.NewEventID(), Type: "InvoiceNumberVoided", Data: raw,
			Metadata: eventstore.Metadata{Actor: "node-b", CommandID: "node-b/void"}}); err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("the other node's void: %w", err)
		}
	}
	return s.Store.Append(ctx, stream, expected, events...)
}

// TestGaplessNumbersWhenAnotherNodeTakesTheRevision: on a store shared by
// two nodes, the other node appends to the numbering stream at the revision
// a block of this node expected, so that block fails. The invoice lined up
// behind it must not be numbered from the failed block (it would skip the
// failed block's number: a gap): the numbers are 1 (the other node's,
// voided) and 2..4 for this node's three invoices, each reserved once.
func TestGaplessNumbersWhenAnotherNodeTakesTheRevision(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	cl := f.mustCreateClient("A")
	store := &otherNode{Store: f.store, arrived: make(chan struct{}), lineUp: make(chan struct{}), foreign: uuid.New()}
	raw, _ := json.Marshal(numbering.InvoiceNumberReserved{Number: numbering.FormatNumber("INV-", 1), Sequence: 1, InvoiceID: store.foreign, At: time.Now()})
	if _, err := f.store.Append(ctx, numbering.StreamName(), eventstore.NoStream, eventstore.EventData{ID: eventstore.NewEventID(), Type: "InvoiceNumberReserved", Data: raw,
		Metadata: eventstore.Metadata{Actor: "node-b", CommandID: "node-b/reserve"}}); err != nil {
		t.Fatal(err)
	}
	svc := billing.New(billing.Config{Store: store, Now: f.clock, NewID: f.newID})
	issue := func(i int) error {
		_, err := svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: cl,
			Lines: []billing.InstantLine{{Description: fmt.Sprintf("Advice %d", i), Quantity: dec("1"), UnitPrice: dec("10")}}}, meta(fmt.Sprintf("issue-%d", i)))
		return err
	}
	errs := make(chan error, 3)
	go func() { errs <- issue(1) }()
	<-store.arrived
	go func() { errs <- issue(2) }()
	time.Sleep(100 * time.Millisecond) // the second invoice waits for the numbering lock
	close(store.lineUp)
	go func() { errs <- issue(3) }()
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	reserved := map[int64]uuid.UUID{}
	last := int64(0)
	for _, r := range f.events() {
		if r.Stream != numbering.StreamName() || r.Type == "InvoiceNumberVoided" {
			continue
		}
		var many numbering.InvoiceNumbersReserved
		var ones []numbering.InvoiceNumberReserved
		if r.Type == "InvoiceNumbersReserved" && json.Unmarshal(r.Data, &many) == nil {
			ones = many.Reservations()
		} else {
			var one numbering.InvoiceNumberReserved
			if err := json.Unmarshal(r.Data, &one); err != nil {
				t.Fatal(err)
			}
			ones = []numbering.InvoiceNumberReserved{one}
		}
		for _, one := range ones {
			if prev, dup := reserved[one.Sequence]; dup {
				t.Fatalf("number %d reserved twice (%s and %s)", one.Sequence, prev, one.InvoiceID)
			}
			reserved[one.Sequence] = one.InvoiceID
			last = max(last, one.Sequence)
		}
	}
	var issued []int64
	for _, r := range f.events() {
		if r.Type != "InvoiceIssued" {
			continue
		}
		var e invoice.InvoiceIssued
		if err := json.Unmarshal(r.Data, &e); err != nil {
			t.Fatal(err)
		}
		for seq, id := range reserved {
			if id == e.InvoiceID {
				if numbering.FormatNumber("INV-", seq) != e.Number {
					t.Fatalf("invoice %s issued as %s, reserved %d", e.InvoiceID, e.Number, seq)
				}
				issued = append(issued, seq)
			}
		}
	}
	if len(issued) != 3 || last != 4 || len(reserved) != 4 {
		t.Fatalf("issued %v, reserved %v (last %d): want the other node's 1 and our three invoices 2..4, each number reserved once and none skipped", issued, reserved, last)
	}
	for _, n := range issued {
		if reserved[n] == store.foreign {
			t.Fatalf("our invoice has the other node's number %d", n)
		}
	}
}
