package ui_test

import (
	"context"
	"strings"
	"testing"

	"remit/billing"
	"remit/domain/ledger"
	"remit/integrations/accounting"
	"remit/processes/ledgersync"
)

// fakeLedger takes every push, payouts included.
type fakeLedger struct{}

func (fakeLedger) Name() string { return "xero" }
func (fakeLedger) PushInvoice(_ context.Context, i accounting.Invoice) (accounting.Ack, error) {
	return accounting.Ack{LedgerID: "INV-" + i.Number, ContactID: "C-1"}, nil
}
func (fakeLedger) PushPayment(context.Context, accounting.Payment) (accounting.Ack, error) {
	return accounting.Ack{LedgerID: "PAY-1"}, nil
}
func (fakeLedger) PushCreditNote(context.Context, accounting.CreditNote) (accounting.Ack, error) {
	return accounting.Ack{LedgerID: "CN-1"}, nil
}
func (fakeLedger) PushVoid(_ context.Context, v accounting.Void) (accounting.Ack, error) {
	return accounting.Ack{LedgerID: v.InvoiceLedgerID}, nil
}

func (fakeLedger) PushTransfer(context.Context, accounting.Transfer) (accounting.Ack, error) {
	return accounting.Ack{LedgerID: "BT-1"}, nil
}

func (fakeLedger) PushExpense(context.Context, accounting.Expense) (accounting.Ack, error) {
	return accounting.Ack{LedgerID: "SPEND-1"}, nil
}

// TestPayoutPageShowsLedgerSync: with Xero connected, a new payout reads
// "Pending" on the Payouts page and its own page, then "Synced" with Xero's
// id of its transfer once the ledger sync pushed it.
func TestPayoutPageShowsLedgerSync(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := ledgersync.Connect(ctx, a.store, dir, ledgersync.ConnectRequest{Provider: "xero", TenantID: "t-1", Now: now,
		Mapping: ledger.Mapping{RevenueAccount: "200", ClearingAccount: "610"}, Secrets: ledgersync.Secrets{ClientID: "c", ClientSecret: "s"}},
		billing.Meta{Actor: "staff", CommandID: "connect"}); err != nil {
		t.Fatal(err)
	}
	acme := a.mustClient("Acme")
	inv := a.mustInvoice(acme, "100")
	a.mustSandboxPayout(inv.String(), "110.00")
	list := a.get("/payouts")
	mustContain(t, list, "<th scope=\"col\">Ledger</th>", "Pending")
	i := strings.Index(list.Body, `href="/payouts/`)
	link := list.Body[i+len(`href="`):]
	link = link[:strings.IndexByte(link, '"')]
	mustContain(t, a.get(link), "Xero", "Pending")

	s, err := ledgersync.Open(ledgersync.Config{Store: a.store, DataDir: dir, Ledgers: map[string]accounting.Ledger{"xero": fakeLedger{}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.runner.WaitFor(ctx, a.head()); err != nil {
		t.Fatal(err)
	}
	mustContain(t, a.get(link), "Synced", "BT-1")
	mustContain(t, a.get("/payouts"), "Synced")
	mustContain(t, a.get("/ledger"), "Payouts of the payment gateway: 1 of 1 synced.")
}
