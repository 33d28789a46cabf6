package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/proposal"
)

// TestBrowserSendProposalToChosenContacts: in Chromium, staff open a
// proposal's send form, find the primary contact ticked, tick a second
// contact and send; once the outbox has run, the proposal page lists an
// email to each.
func TestBrowserSendProposalToChosenContacts(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	a := newApp(t)
	acme := a.mustClient("Acme")
	bctx := context.Background()
	res, err := a.svc.AddContact(bctx, billing.ContactRequest{ClientID: acme, Contact: client.Contact{Name: "Bea Acme", Email: "bea@acme.test"}}, a.meta())
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)
	res, err = a.svc.DraftProposal(bctx, billing.ProposalRequest{ClientID: acme, Title: "Books", Lines: []proposal.Line{
		{Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(690), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10),
			BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever}, Automatic: true},
	}}, a.meta())
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)
	page := a.server.URL + "/proposals/" + res.ID.String()

	step(t, ctx, "open the send form", chromedp.Navigate(page), chromedp.Click(chromedp.CSS(`a[href$="/send"]`)), chromedp.WaitVisible(chromedp.CSS(`input[name="contact_ids"]`)))
	checked, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('input[name="contact_ids"]')].map(e => (e.checked ? "x " : "  ") + e.labels[0].textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(checked) != 2 || !strings.HasPrefix(checked[0], "x Ada Acme") || !strings.HasPrefix(checked[1], "  Bea Acme") {
		t.Fatalf("send form contacts = %q, want Ada (primary) ticked and Bea offered", checked)
	}
	step(t, ctx, "tick Bea and send", chromedp.Click(chromedp.CSS(`input[name="contact_ids"]:not(:checked)`)), chromedp.Click(chromedp.CSS(`section form button[type=submit]`)))
	flash(t, ctx, "Proposal sent.")

	a.runOutbox(t.TempDir())
	step(t, ctx, "reload", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("h-emails")))
	emails := text(t, ctx, "#h-emails + table")
	for _, want := range []string{"ada@acme.test", "bea@acme.test", "Sent"} {
		if !strings.Contains(emails, want) {
			t.Errorf("the proposal's emails lack %q: %s", want, emails)
		}
	}
}
