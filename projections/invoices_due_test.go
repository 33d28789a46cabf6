package projections

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
)

// TestClientsHasOverdueFollowsInvoices: the clients list filtered to
// has_overdue names exactly the clients with an invoice still expecting
// money after its due date, as invoices are issued, paid in full or in
// part, voided, credited and written off, each change in a batch of its
// own; the per-client table it reads agrees with the invoices' rows.
func TestClientsHasOverdueFollowsInvoices(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m, r := e.mustLiveModels(RunnerOptions{})
	step := func() {
		t.Helper()
		if err := r.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
	}
	names := []string{"Paid", "Part paid", "Voided", "Credited", "Written off", "Two invoices", "Unpaid"}
	clients := map[string]uuid.UUID{}
	for _, n := range names {
		c := id("client/overdue/" + n)
		clients[n] = c
		e.MustAppend(client.StreamName(c), "user:alice", client.ClientCreated{ClientID: c, Name: n, Kind: client.KindBusiness, Currency: aud})
	}
	inv := func(n string, i int) uuid.UUID { return id("invoice/overdue/" + n + "/" + string(rune('0'+i))) }
	issue := func(n string, i int, due domain.Date) {
		t.Helper()
		e.MustAppend(invoice.StreamName(inv(n, i)), "system", issued(t, inv(n, i), clients[n], n+string(rune('0'+i)), date(2025, 5, 1), due,
			line(t, "Fee", "100", uuid.Nil, "")))
		step()
	}
	for _, n := range names {
		issue(n, 1, date(2025, 5, 31)) // A$110.00 each
	}
	issue("Two invoices", 2, date(2025, 6, 20))
	overdue := func(today domain.Date) []string {
		t.Helper()
		p, err := m.ListClients(ctx, ClientQuery{Filter: ClientsHasOverdue, Today: today})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range p.Items {
			out = append(out, c.Name)
		}
		if len(out) != p.Total {
			t.Errorf("on %s: %d clients listed, total %d", today, len(out), p.Total)
		}
		return out
	}
	if got := overdue(date(2025, 5, 31)); len(got) != 0 {
		t.Errorf("on the due date: %v overdue", got)
	}
	if got, want := overdue(date(2025, 6, 1)), slices.Sorted(slices.Values(names)); !slices.Equal(got, want) {
		t.Errorf("after the due date: %v, want %v", got, want)
	}

	pay := func(n string, i int, amount string) {
		e.MustAppend(invoice.StreamName(inv(n, i)), "user:alice", invoice.InvoicePaymentRecorded{InvoiceID: inv(n, i), PaymentID: id("payment/" + n),
			Method: invoice.PaidByBankTransfer, Amount: aus(amount), Date: date(2025, 6, 2)})
	}
	pay("Paid", 1, "110")
	step()
	pay("Part paid", 1, "50")
	step()
	e.MustAppend(invoice.StreamName(inv("Voided", 1)), "user:alice", invoice.InvoiceVoided{InvoiceID: inv("Voided", 1), Reason: "duplicate"})
	step()
	e.MustAppend(invoice.StreamName(inv("Credited", 1)), "user:alice", invoice.InvoiceCreditNoteIssued{InvoiceID: inv("Credited", 1),
		CreditNoteID: id("credit/1"), Amount: aus("110"), Reason: "goodwill"})
	step()
	e.MustAppend(invoice.StreamName(inv("Written off", 1)), "user:alice", invoice.InvoiceWrittenOff{InvoiceID: inv("Written off", 1),
		Amount: aus("110"), Reason: "gone"})
	step()
	pay("Two invoices", 1, "110") // the earlier one: the later is not yet due
	step()

	for _, tt := range []struct {
		today domain.Date
		want  []string
	}{
		{date(2025, 6, 15), []string{"Part paid", "Unpaid"}},
		{date(2025, 6, 20), []string{"Part paid", "Unpaid"}},
		{date(2025, 6, 21), []string{"Part paid", "Two invoices", "Unpaid"}},
	} {
		if got := overdue(tt.today); !slices.Equal(got, tt.want) {
			t.Errorf("on %s: %v, want %v", tt.today, got, tt.want)
		}
	}

	// The table holds each client's earliest open due date, and no row
	// for a client with nothing open.
	rows, err := m.db.Query(ctx, "SELECT client_id, first_due FROM "+"rm_"+invoicesDueTable+" ORDER BY client_id")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var c, d string
		if err := rows.Scan(&c, &d); err != nil {
			t.Fatal(err)
		}
		got[c] = d
	}
	rows.Close()
	want := map[string]string{
		clients["Part paid"].String():    "2025-05-31",
		clients["Unpaid"].String():       "2025-05-31",
		clients["Two invoices"].String(): "2025-06-20",
	}
	if !maps.Equal(got, want) {
		t.Errorf("invoices_due = %v, want %v", got, want)
	}
	// And a replay agrees row for row (the log here has no numbering
	// stream: the number checks do not apply).
	rep, err := Reconcile(ctx, e.store, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, mm := range rep.Mismatches {
		if mm.Check != "invoice-number" {
			t.Errorf("reconcile: %+v", mm)
		}
	}
}
