package projections

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/domain/client"
	"remit/domain/invoice"
)

func mustRunner(t *testing.T, e *env, m *Models, dir string) *Runner {
	t.Helper()
	r, err := NewRunner(e.store, m.Projections(), RunnerOptions{Dir: dir, SnapshotInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestRunnerResumesFromSnapshot(t *testing.T) {
	e := newEnv(t)
	marks := e.fixture()
	dir := filepath.Join(t.TempDir(), "projections")

	m1 := NewModels()
	r1 := mustRunner(t, e, m1, dir)
	if err := r1.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r1.WaitFor(waitCtx(t), marks["june"]); err != nil {
		t.Fatal(err)
	}
	if err := r1.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range m1.Projections() {
		if _, err := os.Stat(filepath.Join(dir, p.Name()+".snapshot.json")); err != nil {
			t.Errorf("no snapshot for %s: %v", p.Name(), err)
		}
	}

	// While nothing runs, Acme pays the rest of INV-000001.
	pos := e.MustAppend(invoice.StreamName(inv1), "user:alice",
		invoice.InvoicePaymentRecorded{InvoiceID: inv1, PaymentID: id("payment/1b"), Method: invoice.PaidByCash, Amount: aus("60"), Date: today})

	m2 := NewModels()
	r2 := mustRunner(t, e, m2, dir)
	// Restored from the snapshots before reading any event.
	for name, c := range r2.Checkpoints() {
		if c != marks["june"] {
			t.Errorf("%s restored at %d, want %d", name, c, marks["june"])
		}
	}
	if s, err := m2.Summary(acme, today); err != nil || s.OverdueInvoices != 1 {
		t.Fatalf("restored summary: %+v, %v", s, err)
	}
	if err := r2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r2.Close() })
	if err := r2.WaitFor(waitCtx(t), pos); err != nil {
		t.Fatal(err)
	}
	s, _ := m2.Summary(acme, today)
	if s.OverdueInvoices != 0 || len(s.Overdue) != 0 {
		t.Errorf("after the payment, overdue = %v", moneyStrings(s.Overdue))
	}
	// Resumed, not replayed: the restored state equals a full replay.
	rep, err := Reconcile(context.Background(), e.store, m2)
	if err != nil || !rep.OK() {
		t.Errorf("resumed models differ from a replay: %+v, %v", rep.Mismatches, err)
	}
}

func TestRunnerDiscardsUnusableSnapshot(t *testing.T) {
	e := newEnv(t)
	marks := e.fixture()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "invoices.snapshot.json"), []byte(`{"format":1,"name":"invoices","checkpoint":3,"state":{nonsense`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "clients.snapshot.json"), []byte(`{"format":1,"name":"clients","checkpoint":999999,"state":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	m := NewModels()
	r := mustRunner(t, e, m, dir)
	if err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	for name, c := range r.Checkpoints() {
		if c != marks["june"] {
			t.Errorf("%s at %d, want %d", name, c, marks["june"])
		}
	}
	if rep, err := Reconcile(context.Background(), e.store, m); err != nil || !rep.OK() {
		t.Errorf("rebuilt models differ from a replay: %+v, %v", rep.Mismatches, err)
	}
}

func TestRunnerRebuild(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	m := NewModels()
	r := mustRunner(t, e, m, "")
	if err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	corruptInvoice(m, inv1)
	if d, _ := m.Invoice(inv1, today); d.Balance.String() == "AUD 60.00" {
		t.Fatal("corruption did not take")
	}
	if err := r.Rebuild(context.Background(), "invoices"); err != nil {
		t.Fatal(err)
	}
	if d, _ := m.Invoice(inv1, today); d.Balance.String() != "AUD 60.00" {
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
func corruptInvoice(m *Models, invoiceID [16]byte) {
	m.Invoices.mu.Lock()
	defer m.Invoices.mu.Unlock()
	r := m.Invoices.s.Invoices[invoiceID]
	r.State.Paid.Amount = r.State.Paid.Amount.Add(decimal.NewFromInt(7))
	r.Outstanding = r.Outstanding.Sub(decimal.NewFromInt(7))
}

func TestWaitFor(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	m := NewModels()
	r := mustRunner(t, e, m, "")
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })

	// Read your writes: once WaitFor returns, the query shows the append.
	for i := range 20 {
		pos := e.MustAppend(client.StreamName(beta), "user:alice",
			client.ClientContactAdded{ClientID: beta, Contact: client.Contact{ID: id("contact/beta/" + string(rune('a'+i))), Name: "Helper"}})
		if err := r.WaitFor(waitCtx(t), pos); err != nil {
			t.Fatal(err)
		}
		s, err := m.Summary(beta, today)
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

func TestQueriesWhileApplying(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	m := NewModels()
	r := mustRunner(t, e, m, t.TempDir())
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				m.Summary(acme, today)
				m.ListClients(ClientQuery{Today: today})
				m.Schedule(acme, ScheduleQuery{Today: today})
				m.ListInvoices(InvoiceQuery{Today: today})
				m.Invoice(inv1, today)
				m.ActivityOf(SubjectClient, acme)
				r.Snapshot()
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
	if d, _ := m.Invoice(inv5, today); d.SendCount != 50 {
		t.Errorf("send count = %d, want 50", d.SendCount)
	}
}
