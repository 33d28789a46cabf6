package emailer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain/client"
	"remit/processes/emailer"
)

// TestInvoiceEmailCarriesThePayNowLinkWhenNothingChargesIt: the email of
// an invoice that no collection charges carries its pay-now link; the email
// of one charged from a card on file does not.
func TestInvoiceEmailCarriesThePayNowLinkWhenNothingChargesIt(t *testing.T) {
	f := newFixture(t)
	ob := f.outbox(nil)
	ctx := context.Background()
	lines := []billing.InstantLine{{Description: "Advice", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(1450), TaxRate: decimal.NewFromInt(10)}}
	f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: f.clientID, Lines: lines}, f.meta()))
	cid := uuid.New()
	bare := f.ok(f.svc.CreateClient(ctx, billing.ClientRequest{
		Name: "Bare Bones", Kind: client.KindBusiness, Contacts: []client.Contact{{ID: cid, Name: "Cleo Park", Email: "cleo@bare.example"}}, PrimaryContactID: cid,
	}, f.meta())).ID
	open := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: bare, Lines: lines}, f.meta())).ID
	f.catchUp(ob)

	m := f.only("Invoice INV-000002")
	link := f.links(emailer.LinkPayInvoice, bare, open)
	contains(t, "invoice email", m.Text, "Pay it now by card or bank account: "+link)
	contains(t, "invoice email HTML", m.HTML, `href="`+link+`"`)
	if m := f.only("Invoice INV-000001"); strings.Contains(m.Text+m.HTML, emailer.LinkPayInvoice) {
		t.Errorf("the email of an invoice charged from a card carries a pay-now link:\n%s", m.Text)
	}
}
