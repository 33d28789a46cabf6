package projections

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
)

// TestSummaryOwedMatchesInvoices checks the kept outstanding and overdue
// sums against the invoices themselves, on every day around the due dates,
// while invoices are paid in part, paid off, written off and voided.
func TestSummaryOwedMatchesInvoices(t *testing.T) {
	e := newEnv(t)
	cid := id("owed/client")
	e.MustAppend(client.StreamName(cid), "user:alice", client.ClientCreated{ClientID: cid, Name: "Owing Ltd", Currency: aud})
	m := NewModels()
	r := mustRunner(t, e, m, "")
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	first := date(2025, 3, 1)
	check := func(step string) {
		t.Helper()
		for d := first.AddDays(-3); d.Before(first.AddDays(40)); d = d.AddDays(1) {
			s, err := m.Summary(cid, d)
			if err != nil {
				t.Fatal(err)
			}
			all := m.ListInvoices(InvoiceQuery{ClientID: cid, Today: d, Paging: Paging{Limit: MaxLimit}})
			var outstanding, overdue decimal.Decimal
			var open, late int
			for _, it := range all.Items {
				switch it.Status {
				case invoice.StatusPaid, invoice.StatusVoid, invoice.StatusWrittenOff:
					continue
				case invoice.StatusOverdue:
					late++
					overdue = overdue.Add(it.Balance.Amount)
				}
				open++
				outstanding = outstanding.Add(it.Balance.Amount)
			}
			want := func(x decimal.Decimal) []string {
				if x.IsZero() {
					return nil
				}
				return []string{domain.Money{Amount: x, Currency: aud}.String()}
			}
			if s.OpenInvoices != open || s.OverdueInvoices != late ||
				!slices.Equal(moneyStrings(s.Outstanding), want(outstanding)) || !slices.Equal(moneyStrings(s.Overdue), want(overdue)) {
				t.Fatalf("%s, on %s: summary says %d open %v, %d overdue %v; invoices say %d open %v, %d overdue %v", step, d,
					s.OpenInvoices, moneyStrings(s.Outstanding), s.OverdueInvoices, moneyStrings(s.Overdue),
					open, want(outstanding), late, want(overdue))
			}
		}
	}
	invs := make([]invoiceID, 12)
	var last uint64
	for i := range invs {
		invs[i] = id(fmt.Sprintf("owed/invoice/%d", i))
		// Due dates spread over a month, some sharing a day.
		due := first.AddDays(3 * (i / 2) * (1 + i%2))
		last = e.MustAppend(invoice.StreamName(invs[i]), "user:alice",
			issued(t, invs[i], cid, fmt.Sprintf("INV-%06d", i+1), first.AddDays(-14), due, line(t, "Work", fmt.Sprint(100+10*i), id("owed/svc"), "")))
	}
	wait := func(pos uint64) {
		t.Helper()
		if err := r.WaitFor(waitCtx(t), pos); err != nil {
			t.Fatal(err)
		}
	}
	wait(last)
	check("all issued")
	wait(e.MustAppend(invoice.StreamName(invs[0]), "user:alice",
		invoice.InvoicePaymentRecorded{InvoiceID: invs[0], PaymentID: id("owed/p0"), Method: invoice.PaidByCash, Amount: aus("50"), Date: first}))
	check("one partly paid")
	wait(e.MustAppend(invoice.StreamName(invs[5]), "user:alice",
		invoice.InvoicePaymentRecorded{InvoiceID: invs[5], PaymentID: id("owed/p5"), Method: invoice.PaidByCash, Amount: aus("165"), Date: first}))
	check("one paid off")
	wait(e.MustAppend(invoice.StreamName(invs[7]), "user:alice", invoice.InvoiceVoided{InvoiceID: invs[7], Reason: "wrong client"}))
	check("one voided")
	wait(e.MustAppend(invoice.StreamName(invs[11]), "user:alice", invoice.InvoiceWrittenOff{InvoiceID: invs[11], Amount: aus("231"), Reason: "gone"}))
	check("one written off")

	// A snapshot restores the same sums.
	state, cp, err := m.Invoices.MarshalSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	restored := NewModels()
	for _, p := range restored.Projections() {
		if p.Name() == "invoices" {
			if err := p.UnmarshalSnapshot(state, cp); err != nil {
				t.Fatal(err)
			}
			continue
		}
		live, _ := m.Projection(p.Name())
		data, c, _ := live.MarshalSnapshot()
		if err := p.UnmarshalSnapshot(data, c); err != nil {
			t.Fatal(err)
		}
	}
	for d := first; d.Before(first.AddDays(40)); d = d.AddDays(7) {
		a, _ := m.Summary(cid, d)
		b, _ := restored.Summary(cid, d)
		if !slices.Equal(moneyStrings(a.Overdue), moneyStrings(b.Overdue)) || a.OverdueInvoices != b.OverdueInvoices ||
			!slices.Equal(moneyStrings(a.Outstanding), moneyStrings(b.Outstanding)) {
			t.Errorf("on %s restored summary owes %v/%v, live %v/%v", d, moneyStrings(b.Outstanding), moneyStrings(b.Overdue),
				moneyStrings(a.Outstanding), moneyStrings(a.Overdue))
		}
	}
}

type invoiceID = [16]byte

// TestActivityNamesAsTheyWere checks that a line names a contact or a
// proposal as it was called when the event happened, not as it is now.
func TestActivityNamesAsTheyWere(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	e.MustAppend(client.StreamName(acme), "user:alice", client.ClientPrimaryContactChanged{ClientID: acme, ContactID: bob})
	e.MustAppend(client.StreamName(acme), "user:alice",
		client.ClientContactChanged{ClientID: acme, Contact: client.Contact{ID: bob, Name: "Robert Roe", Email: "bob@acme.test"}})
	e.MustAppend(client.StreamName(acme), "user:alice", client.ClientContactRemoved{ClientID: acme, ContactID: bob})
	m := e.MustModels()
	lines, err := m.ActivityOf(SubjectClient, acme)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(texts(lines), "\n")
	for _, want := range []string{
		"Primary billing contact set to Bob Roe (by user:alice)",
		"Contact Robert Roe <bob@acme.test> changed (by user:alice)",
		"Contact Robert Roe removed (by user:alice)",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("client activity lacks %q:\n%s", want, all)
		}
	}
}

// TestRequestStreamsAreIgnored checks that the idempotency records old logs
// hold ("request-" streams) are passed over without a warning, while an
// unknown event type elsewhere is still skipped with one, both when catching
// up and live.
func TestRequestStreamsAreIgnored(t *testing.T) {
	e := newEnv(t)
	var logs bytes.Buffer
	requestEvent := func(n int) {
		e.MustAppendRaw(fmt.Sprintf("request-%064x", n), "APIRequestCompleted", `{"method":"POST","path":"/api/clients","response":{"status":201}}`)
	}
	requestEvent(1)
	e.MustAppendRaw("gadget-"+id("gadget/1").String(), "GadgetInvented", `{"x":1}`)
	e.MustAppend(client.StreamName(beta), "", client.ClientCreated{ClientID: beta, Name: "Beta Bakery", Currency: aud})
	m := NewModels()
	r, err := NewRunner(e.store, m.Projections(), RunnerOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	requestEvent(2)
	e.MustAppendRaw("gadget-"+id("gadget/2").String(), "GadgetInvented", `{"x":2}`)
	last := e.MustAppend(client.StreamName(zeta), "", client.ClientCreated{ClientID: zeta, Name: "Zeta Zinc", Currency: aud})
	if err := r.WaitFor(waitCtx(t), last); err != nil {
		t.Fatal(err)
	}
	for _, c := range []uuidName{{beta, "Beta Bakery"}, {zeta, "Zeta Zinc"}} {
		if s, err := m.Summary(c.id, today); err != nil || s.Name != c.name {
			t.Errorf("summary of %s: %q, %v", c.name, s.Name, err)
		}
	}
	if r.Skipped() != 2 || r.Ignored() != 2 {
		t.Errorf("skipped %d, ignored %d; want 2 unknown events skipped and 2 request events ignored", r.Skipped(), r.Ignored())
	}
	out := logs.String()
	if n := strings.Count(out, "GadgetInvented"); n != 2 {
		t.Errorf("%d warnings about the unknown events, want 2:\n%s", n, out)
	}
	if strings.Contains(out, "request-") || strings.Contains(out, "APIRequestCompleted") {
		t.Errorf("request events were warned about:\n%s", out)
	}
	for name, c := range r.Checkpoints() {
		if c != last {
			t.Errorf("%s at %d, want %d", name, c, last)
		}
	}
}

type uuidName struct {
	id   [16]byte
	name string
}
