package projections

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain/client"
	"remit/domain/invoice"
)

// A process that stops and starts again resumes from the tables where it
// left them: it queries them before reading any event, and what it then
// applies makes models equal to a replay of the log.
func TestModelsRunnerResumesFromItsTables(t *testing.T) {
	e := newEnv(t)
	marks := e.fixture()
	m1, r1 := e.mustLiveModels(RunnerOptions{})
	if err := r1.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r1.WaitFor(waitCtx(t), marks["june"]); err != nil {
		t.Fatal(err)
	}
	if err := r1.Close(); err != nil {
		t.Fatal(err)
	}

	// While nothing runs, Acme pays the rest of INV-000001.
	pos := e.MustAppend(invoice.StreamName(inv1), "user:alice",
		invoice.InvoicePaymentRecorded{InvoiceID: inv1, PaymentID: id("payment/1b"), Method: invoice.PaidByCash, Amount: aus("60"), Date: today})

	m2 := NewModels(m1.DB())
	r2, err := NewRunner(context.Background(), e.store, m2, RunnerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r2.Close() })
	for name, c := range r2.Checkpoints() {
		if c != marks["june"] {
			t.Errorf("%s resumed at %d, want %d", name, c, marks["june"])
		}
	}
	if s, err := m2.Summary(t.Context(), acme, today); err != nil || s.OverdueInvoices != 1 {
		t.Fatalf("summary before catching up: %+v, %v", s, err)
	}
	if err := r2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r2.WaitFor(waitCtx(t), pos); err != nil {
		t.Fatal(err)
	}
	s, _ := m2.Summary(t.Context(), acme, today)
	if s.OverdueInvoices != 0 || len(s.Overdue) != 0 {
		t.Errorf("after the payment, overdue = %v", moneyStrings(s.Overdue))
	}
	rep, err := Reconcile(context.Background(), e.store, m2)
	if err != nil || !rep.OK() {
		t.Errorf("resumed models differ from a replay: %+v, %v", rep.Mismatches, err)
	}
}

func TestModelsRunnerRebuild(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	m, r := e.mustLiveModels(RunnerOptions{})
	if err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	corruptInvoice(t, m, inv1)
	if d, _ := m.Invoice(t.Context(), inv1, today); d.Balance.String() == "AUD 60.00" {
		t.Fatal("corruption did not take")
	}
	if err := r.Rebuild(context.Background(), "invoices"); err != nil {
		t.Fatal(err)
	}
	if d, _ := m.Invoice(t.Context(), inv1, today); d.Balance.String() != "AUD 60.00" {
		t.Errorf("after rebuild balance = %s, want AUD 60.00", d.Balance)
	}
	if err := r.Rebuild(context.Background(), "nope"); err == nil {
		t.Error("rebuild of an unknown projection succeeded")
	}
	if rep, err := Reconcile(context.Background(), e.store, m); err != nil || !rep.OK() {
		t.Errorf("after rebuild: %+v, %v", rep.Mismatches, err)
	}
}

// corruptInvoice changes a live invoice behind the log's back.
func corruptInvoice(t *testing.T, m *Models, invoiceID uuid.UUID) {
	tamperDoc(t, m, "invoices", "invoices", invoiceID.String(), func(r *invoiceRecord) {
		r.State.Paid.Amount = r.State.Paid.Amount.Add(decimal.NewFromInt(7))
		r.Outstanding = r.Outstanding.Sub(decimal.NewFromInt(7))
	})
}

func TestModelsWaitFor(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	m, r := e.mustLiveModels(RunnerOptions{})
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Read your writes: once WaitFor returns, the query shows the append.
	for i := range 20 {
		pos := e.MustAppend(client.StreamName(beta), "user:alice",
			client.ClientContactAdded{ClientID: beta, Contact: client.Contact{ID: id("contact/beta/" + string(rune('a'+i))), Name: "Helper"}})
		if err := r.WaitFor(waitCtx(t), pos); err != nil {
			t.Fatal(err)
		}
		s, err := m.Summary(t.Context(), beta, today)
		if err != nil || len(s.Contacts) != i+2 {
			t.Fatalf("after append %d the summary shows %d contacts (%v)", i, len(s.Contacts), err)
		}
	}
	// A position not yet written times out with ctx's error.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	head, _ := e.store.Head(context.Background())
	if err := r.WaitFor(ctx, head+1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFor beyond the head = %v, want DeadlineExceeded", err)
	}
}

func TestModelsQueriesWhileApplying(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	m, r := e.mustLiveModels(RunnerOptions{})
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				m.Summary(t.Context(), acme, today)
				ok(m.ListClients(t.Context(), ClientQuery{Today: today}))
				m.Schedule(t.Context(), acme, ScheduleQuery{Today: today})
				ok(m.ListInvoices(t.Context(), InvoiceQuery{Today: today}))
				m.Invoice(t.Context(), inv1, today)
				m.ActivityOf(t.Context(), SubjectClient, acme)
				r.Checkpoints()
			}
		}()
	}
	var last uint64
	for i := range 50 {
		last = e.MustAppend(invoice.StreamName(inv5), "user:bob", invoice.InvoiceSent{InvoiceID: inv5, Recipient: "betty@beta.test", Resent: i > 0})
	}
	if err := r.WaitFor(waitCtx(t), last); err != nil {
		t.Fatal(err)
	}
	stop()
	wg.Wait()
	if d, _ := m.Invoice(t.Context(), inv5, today); d.SendCount != 50 {
		t.Errorf("send count = %d, want 50", d.SendCount)
	}
}
