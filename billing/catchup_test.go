package billing_test

import (
	"context"
	"testing"

	"remit/billing"
	"remit/domain/service"
)

// TestIssueInvoiceMarksEveryItemOfAService: an invoice of several items of
// one service (a catch-up of missed months, billed by staff or by the demo
// loader) marks every one of them billed, so none is billed again on
// another invoice.
func TestIssueInvoiceMarksEveryItemOfAService(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.mustSetUpFirm()
	c := f.mustCreateClient("Acme")
	s := f.mustActivate(c, "Bookkeeping", true)
	keys := []string{service.ItemKey(s, 1), service.ItemKey(s, 2), service.ItemKey(s, 3)}
	inv := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c, ItemKeys: keys}, meta("catch-up")))
	for _, k := range keys[1:] {
		head := f.head()
		_, err := f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c, ItemKeys: []string{k}}, meta("again-"+k))
		f.refused(err, "conflict", head)
	}
	// Re-running the first command changes nothing.
	head := f.head()
	if res := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c, ItemKeys: keys}, meta("catch-up"))); res.ID != inv.ID || f.head() != head {
		t.Errorf("re-run: %+v, %d events appended", res, f.head()-head)
	}
}

// TestVoidReleasesEveryItemOfAService: voiding an invoice of several items
// of one service releases every one of them, so each can be billed again.
func TestVoidReleasesEveryItemOfAService(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.mustSetUpFirm()
	c := f.mustCreateClient("Acme")
	s := f.mustActivate(c, "Bookkeeping", true)
	keys := []string{service.ItemKey(s, 1), service.ItemKey(s, 2), service.ItemKey(s, 3)}
	inv := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c, ItemKeys: keys}, meta("catch-up")))
	f.ok(f.svc.VoidInvoice(ctx, billing.InvoiceRequest{InvoiceID: inv.ID, Reason: "wrong client"}, meta("void")))
	for _, k := range keys {
		f.ok(f.svc.BillItemNow(ctx, billing.BillItemRequest{ItemKey: k}, meta("rebill-"+k)))
	}
}
