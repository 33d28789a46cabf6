package refunds_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/eventstore/sqlite"
	"remit/integrations/payments"
	"remit/integrations/payments/sandbox"
	"remit/processes/refunds"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	t     *testing.T
	store *sqlite.Store
	svc   *billing.Service
	gw    *sandbox.Gateway
	clk   *clock
	r     *refunds.Refunder
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{now: time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)}
	gw, err := sandbox.Open(dir, sandbox.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	svc := billing.New(billing.Config{Store: st, Now: clk.Now})
	f := &fixture{t: t, store: st, svc: svc, gw: gw, clk: clk, r: &refunds.Refunder{Billing: svc, Gateway: gw, Store: st}}
	f.ok(svc.SetUpFirm(context.Background(), billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", PaymentTermsDays: 14,
		Address: domain.Address{Line1: "1 George St", City: "Sydney", Country: "AU"}}, billing.Meta{CommandID: "firm"}))
	return f
}

func (f *fixture) ok(res billing.Result, err error) billing.Result {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("command failed: %v", err)
	}
	return res
}

// paidInvoice issues an instant bill of AUD 110.00 and collects it through
// the sandbox with token; it returns the invoice id and the charge.
func (f *fixture) paidInvoice(name, token string) (uuid.UUID, payments.ChargeResult) {
	f.t.Helper()
	ctx := context.Background()
	cl := f.ok(f.svc.CreateClient(ctx, billing.ClientRequest{Name: name, Kind: client.KindBusiness,
		Contacts: []client.Contact{{Name: "Alice", Email: "alice@client.test"}}}, billing.Meta{CommandID: "client-" + name})).ID
	inv := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: cl, Lines: []billing.InstantLine{{
		Description: "Advice", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.RequireFromString("100"), TaxRate: decimal.NewFromInt(10)}}},
		billing.Meta{CommandID: "issue-" + name})).ID
	attempt := uuid.NewSHA1(uuid.NameSpaceOID, []byte(name))
	ch, err := f.gw.Charge(ctx, payments.ChargeRequest{IdempotencyKey: attempt.String(), PaymentMethod: token, Amount: domain.MustMoney("110.00", "AUD")})
	if err != nil || ch.Status != payments.StatusSucceeded {
		f.t.Fatalf("charge: %+v %v", ch, err)
	}
	f.ok(f.svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: inv, AttemptID: attempt, Outcome: invoice.AttemptSucceeded,
		GatewayReference: ch.Reference, Amount: ch.Amount.Amount}, billing.Meta{CommandID: "collect-" + name}))
	return inv, ch
}

func (f *fixture) state(id uuid.UUID) invoice.State {
	f.t.Helper()
	recs, err := f.store.ReadStream(context.Background(), invoice.StreamName(id), 0, 0, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	var evs []domain.Event
	for _, r := range recs {
		e, err := invoice.DecodeEvent(r.Type, r.Data)
		if err != nil {
			f.t.Fatal(err)
		}
		evs = append(evs, e)
	}
	return invoice.Fold(evs)
}

func dec(s string) *decimal.Decimal { d := decimal.RequireFromString(s); return &d }

// TestRefundHalf: half of a collected payment is refunded through the
// gateway once, however often the request is repeated, and its credit note
// keeps the invoice paid.
func TestRefundHalf(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	inv, _ := f.paidInvoice("acme", sandbox.TokenCardSucceeds)
	req := billing.RefundRequest{InvoiceID: inv, Amount: dec("55.00"), Reason: "Half the work was not done"}
	meta := billing.Meta{Actor: "staff@firm.test", CommandID: "refund-req-1"}
	res := f.ok(f.r.Refund(ctx, req, meta))
	// The same request again (a retry after a lost answer): nothing more.
	if again := f.ok(f.r.Refund(ctx, req, meta)); again.ID != res.ID {
		t.Fatalf("a repeated request named refund %s, then %s", res.ID, again.ID)
	}
	st := f.state(inv)
	if len(st.Refunds) != 1 || !st.Refunded.Amount.Equal(decimal.RequireFromString("55")) || st.Status != invoice.StatusPaid || !st.Balance().IsZero() {
		t.Fatalf("after refunding half: refunds %d, refunded %s, status %s, balance %s", len(st.Refunds), st.Refunded, st.Status, st.Balance())
	}
	if !st.CreditNotes[billing.RefundCreditNoteID(res.ID)] {
		t.Fatal("the refund issued no credit note")
	}
	// The rest, with no amount: all that is left.
	f.ok(f.r.Refund(ctx, billing.RefundRequest{InvoiceID: inv, Reason: "The rest"}, billing.Meta{CommandID: "refund-req-2"}))
	if st := f.state(inv); !st.Refunded.Amount.Equal(decimal.RequireFromString("110")) || !st.Paid.IsZero() {
		t.Fatalf("after refunding the rest: refunded %s, paid %s", st.Refunded, st.Paid)
	}
	// Nothing is left: refused before the gateway is asked, nothing appended.
	_, err := f.r.Refund(ctx, billing.RefundRequest{InvoiceID: inv, Amount: dec("1.00"), Reason: "More"}, billing.Meta{CommandID: "refund-req-3"})
	if domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("refund of more than was collected: %v, want invalid", err)
	}
}

// TestRefundCrashBeforeRecording: the gateway refunded but the process died
// before the append; the same request again records the refund the gateway
// made, once.
func TestRefundCrashBeforeRecording(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	inv, ch := f.paidInvoice("acme", sandbox.TokenCardSucceeds)
	req := billing.RefundRequest{InvoiceID: inv, Amount: dec("10.00"), Reason: "Overcharged"}
	meta := billing.Meta{CommandID: "refund-crash"}
	plan, err := f.svc.PlanRefund(ctx, req, meta)
	if err != nil {
		t.Fatal(err)
	}
	first, err := f.gw.Refund(ctx, payments.RefundRequest{IdempotencyKey: "refund/" + plan.RefundID.String(), ChargeReference: ch.Reference, Amount: plan.Amount})
	if err != nil {
		t.Fatal(err)
	}
	// (crash)
	f.ok(f.r.Refund(ctx, req, meta))
	st := f.state(inv)
	if !st.Refunded.Amount.Equal(decimal.RequireFromString("10")) {
		t.Fatalf("refunded %s, want 10.00 once", st.Refunded)
	}
	recs, _ := f.store.ReadStream(ctx, invoice.StreamName(inv), 0, 0, 0)
	for _, r := range recs {
		if e, _ := invoice.DecodeEvent(r.Type, r.Data); e != nil {
			if rf, ok := e.(invoice.InvoicePaymentRefunded); ok && rf.GatewayRefundReference != first.Reference {
				t.Fatalf("recorded refund %s, the gateway made %s", rf.GatewayRefundReference, first.Reference)
			}
		}
	}
}

// TestSandboxDisputes: a payment by the disputed test card is disputed
// three days later (the invoice awaits payment again), then lost with its
// fee; polling again records nothing more.
func TestSandboxDisputes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	inv, _ := f.paidInvoice("acme", sandbox.TokenCardDisputed)
	won, _ := f.paidInvoice("beta", sandbox.TokenCardDisputeWon)
	f.clk.add(sandbox.DisputeOpenDays * 24 * time.Hour)
	if _, err := f.r.SyncDisputes(ctx, f.gw); err != nil {
		t.Fatal(err)
	}
	st := f.state(inv)
	if _, open := st.OpenDispute(); !open || st.Status != invoice.StatusAwaitingPayment || !st.Balance().Amount.Equal(decimal.RequireFromString("110")) {
		t.Fatalf("after the dispute opened: status %s, balance %s, open %v", st.Status, st.Balance(), open)
	}
	_, err := f.r.Refund(ctx, billing.RefundRequest{InvoiceID: inv, Amount: dec("1.00"), Reason: "x"}, billing.Meta{CommandID: "r"})
	if err == nil {
		t.Fatal("refunded a disputed payment")
	}
	f.clk.add((sandbox.DisputeCloseDays - sandbox.DisputeOpenDays) * 24 * time.Hour)
	for range 2 {
		if _, err := f.r.SyncDisputes(ctx, f.gw); err != nil {
			t.Fatal(err)
		}
	}
	st = f.state(inv)
	d := st.Disputes[billing.DisputeID(func() string {
		for _, d := range st.Disputes {
			return d.Reference
		}
		return ""
	}())]
	if d.Outcome != invoice.DisputeLost || !d.Fee.Amount.Equal(sandbox.DisputeFee) || st.Status != invoice.StatusAwaitingPayment {
		t.Fatalf("lost dispute %+v, status %s", d, st.Status)
	}
	if st := f.state(won); st.Status != invoice.StatusPaid || len(st.Disputes) != 1 {
		t.Fatalf("won dispute: status %s, %d disputes", st.Status, len(st.Disputes))
	}
}
