package emailer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"remit/billing"
)

// TestDisputeEmailsStaff: a disputed payment emails the firm's staff (the
// firm's own address), never the client, once however often the outbox
// replays the log.
func TestDisputeEmailsStaff(t *testing.T) {
	f := newFixture(t)
	ob := f.outbox(nil)
	ctx := context.Background()
	invoiceID := f.issue()
	f.collected(invoiceID, 1100) // charged as ch_1
	f.ok(f.svc.RecordDispute(ctx, billing.DisputeReport{InvoiceID: invoiceID, ChargeReference: "ch_1", GatewayDisputeReference: "dp_1",
		Amount: decimal.NewFromInt(1100), Reason: "fraudulent"}, f.meta()))
	f.catchUp(ob)
	f.catchUp(f.outbox(nil)) // a restarted outbox sends nothing again
	m := f.only("Payment disputed")
	if len(m.To) != 1 || m.To[0].Address != "accounts@ledger.example" {
		t.Fatalf("the dispute email went to %+v, want the firm's own address", m.To)
	}
	contains(t, "dispute email", m.Text, "INV-000001", "Harbour Cafe", "1,100.00 AUD", "fraudulent", "ch_1", "awaiting payment again")
	for _, s := range f.mp.Messages() {
		if strings.Contains(s.Subject, "disputed") && len(s.To) > 0 && s.To[0].Address == "ana@harbour.example" {
			t.Fatal("the client was emailed about the dispute")
		}
	}
}
