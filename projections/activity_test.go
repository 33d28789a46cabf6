package projections

import (
	"testing"

	"remit/domain"
	"remit/domain/invoice"
	"remit/domain/service"
	"remit/eventstore"
)

// TestActivityLineLearnsItsInvoiceNumber: a billing run bills an item on an
// invoice just before it issues the invoice with its number. The item's
// line, rendered when it is applied, reads the number once it is known, also
// when the model was restored from a snapshot in between.
func TestActivityLineLearnsItsInvoiceNumber(t *testing.T) {
	svc, inv := id("service/learns"), id("invoice/learns")
	a := newActivity()
	var pos uint64
	apply := func(a *Activity, stream string, e domain.Event) {
		pos++
		a.Apply(Event{Position: pos, Stream: stream, Revision: pos, Type: e.EventType(),
			Metadata: eventstore.Metadata{Actor: "system:billing-run"}, Data: e})
	}
	apply(a, service.StreamName(svc), activated(svc, acme, "Bookkeeping", "100", monthly(date(2025, 1, 1)), date(2025, 1, 1), service.Automatic))
	apply(a, service.StreamName(svc), service.ScheduleItemBilled{ServiceID: svc, ItemKey: service.ItemKey(svc, 1), InvoiceID: inv})
	apply(a, service.StreamName(svc), service.ScheduleItemReleased{ServiceID: svc, ItemKey: service.ItemKey(svc, 1), InvoiceID: inv, Reason: "odd \x00 reason"})
	lastTwo := func(a *Activity) []ActivityLine {
		t.Helper()
		lines, err := a.of(SubjectService, svc)
		if err != nil || len(lines) != 3 {
			t.Fatalf("service activity %v, %v; want 3 lines", lines, err)
		}
		return lines[1:]
	}
	if got := lastTwo(a)[0].What; got != `Billing #1 of "Bookkeeping" billed on invoice (a new invoice)` {
		t.Fatalf("before the invoice is issued: %q", got)
	}

	data, cp, err := a.MarshalSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	restored := newActivity()
	if err := restored.UnmarshalSnapshot(data, cp); err != nil {
		t.Fatal(err)
	}
	issue := issued(t, inv, acme, "INV-000009", date(2025, 1, 1), date(2025, 1, 15), line(t, "Bookkeeping", "100", svc, service.ItemKey(svc, 1)))
	for name, m := range map[string]*Activity{"live": a, "restored": restored} {
		apply(m, invoice.StreamName(inv), issue)
		pos--
		got := lastTwo(m)
		if want := `Billing #1 of "Bookkeeping" billed on invoice INV-000009 (by system:billing-run)`; got[0].Text != want || got[0].Invoice != "INV-000009" {
			t.Errorf("%s: billed line %q (invoice %q), want %q", name, got[0].Text, got[0].Invoice, want)
		}
		// A reason that holds the mark cannot say where the number goes:
		// the line keeps what it said when it was applied.
		if want := "Billing #1 of \"Bookkeeping\" released from invoice (a new invoice): odd \x00 reason"; got[1].What != want {
			t.Errorf("%s: released line %q, want %q", name, got[1].What, want)
		}
	}
}

// TestActivityRefusesSnapshotOfEvents: a snapshot written when the model
// kept decoded events ("records") must not restore as an empty history; it
// is refused, and the runner replays the log instead.
func TestActivityRefusesSnapshotOfEvents(t *testing.T) {
	old := `{"records":[{"position":1,"revision":0,"at":"2025-01-01T09:00:00Z","stream":"client-` + acme.String() +
		`","type":"ClientCreated","data":{"client_id":"` + acme.String() + `","name":"Acme"}}]}`
	if err := newActivity().UnmarshalSnapshot([]byte(old), 1); err == nil {
		t.Fatal("a snapshot of events was restored")
	}
}

// TestCancelledCollectionLineNamesItsInvoice: the line of a cancelled
// collection carries its invoice (the UI links the number from it).
func TestCancelledCollectionLineNamesItsInvoice(t *testing.T) {
	svc, inv := id("service/cancel"), id("invoice/cancel")
	a := newActivity()
	var pos uint64
	apply := func(stream string, e domain.Event) {
		pos++
		a.Apply(Event{Position: pos, Stream: stream, Revision: pos, Type: e.EventType(),
			Metadata: eventstore.Metadata{Actor: "user:staff"}, Data: e})
	}
	apply(service.StreamName(svc), activated(svc, acme, "Bookkeeping", "100", monthly(date(2025, 1, 1)), date(2025, 1, 1), service.Automatic))
	apply(invoice.StreamName(inv), issued(t, inv, acme, "INV-000011", date(2025, 1, 1), date(2025, 1, 15), line(t, "Bookkeeping", "100", svc, service.ItemKey(svc, 1))))
	apply(invoice.StreamName(inv), invoice.InvoiceCollectionCancelled{InvoiceID: inv, Date: date(2025, 1, 3), Reason: "client asked"})
	lines, err := a.of(SubjectInvoice, inv)
	if err != nil || len(lines) == 0 {
		t.Fatalf("invoice activity %v, %v", lines, err)
	}
	last := lines[len(lines)-1]
	if last.InvoiceID != inv || last.Invoice != "INV-000011" {
		t.Errorf("cancelled collection line %q: invoice %v %q, want %v INV-000011", last.Text, last.InvoiceID, last.Invoice, inv)
	}
}
