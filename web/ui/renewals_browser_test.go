package ui_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
	"remit/web/ui/uitest"
)

// TestBrowserBulkRenewal: five clients accepted proposals; staff open an
// accepted proposal's page, press Renew…, find it alone ticked on the
// Renewals page, tick the other four, choose +5 % rounded to the dollar,
// preview (each row's old and new totals, nothing written), and renew:
// five renewals are drafted and sent, and the outbox emails each client's
// renewal to that client.
func TestBrowserBulkRenewal(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a := newApp(t)
	bctx := context.Background()
	var first string
	for i := 1; i <= 5; i++ {
		c := a.mustClient(fmt.Sprintf("Client %d", i))
		res, err := a.svc.DraftProposal(bctx, billing.ProposalRequest{ClientID: c, Title: "Books 2025", StartDate: domain.MustDate(2025, 4, 1), Lines: []proposal.Line{
			{Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(int64(100 * i)), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10), Automatic: true,
				BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, AnchorDay: 1, Start: domain.StartOnProposalStart, End: domain.EndNever}},
		}}, a.meta())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.svc.SendProposal(bctx, billing.SendProposalRequest{ProposalID: res.ID, RecipientEmail: fmt.Sprintf("c%d@client.test", i)}, a.meta()); err != nil {
			t.Fatal(err)
		}
		acc, err := a.svc.AcceptProposal(bctx, billing.AcceptProposalRequest{ProposalID: res.ID, AcceptedByName: "Alice", AcceptedByEmail: "alice@client.test", SignatureName: "Alice"}, a.meta())
		if err != nil {
			t.Fatal(err)
		}
		a.wait(acc)
		if i == 1 {
			first = res.ID.String()
		}
	}

	step(t, ctx, "open the first proposal and press Renew", chromedp.Navigate(a.server.URL+"/proposals/"+first), chromedp.Click(chromedp.ID("renew")), chromedp.WaitVisible(chromedp.ID("candidates")))
	ticked, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('input[name="proposal_ids"]')].map(e => (e.checked ? "x " : "  ") + e.closest("tr").cells[1].textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ticked, "|") != "x Client 1|  Client 2|  Client 3|  Client 4|  Client 5" {
		t.Fatalf("candidates %q, want the five clients with Client 1 ticked", ticked)
	}
	step(t, ctx, "tick the others, +5 % to the dollar, preview",
		chromedp.Click(chromedp.CSS(`#candidates tr:nth-child(2) input`)), chromedp.Click(chromedp.CSS(`#candidates tr:nth-child(3) input`)),
		chromedp.Click(chromedp.CSS(`#candidates tr:nth-child(4) input`)), chromedp.Click(chromedp.CSS(`#candidates tr:nth-child(5) input`)),
		chromedp.SetValue(chromedp.ID("price_kind"), "percent"), set("f-price_value", "5"), chromedp.SetValue(chromedp.ID("rounding"), "dollar"),
		chromedp.Click(chromedp.CSS(`button[value="preview"]`)), chromedp.WaitVisible(chromedp.CSS(`h1`)))
	if !strings.Contains(text(t, ctx, "main"), "Preview") {
		t.Fatalf("no preview: %s", text(t, ctx, "main"))
	}
	screenshot(t, ctx, shots, "renewals-preview")
	preview := text(t, ctx, "#preview tbody")
	// 100n + 10 % tax a month, twelve a year; +5 %: 105n → 115.50n.
	for _, want := range []string{
		"Client 1\tBooks 2025\t1 Apr 2026\tA$110.00 a month\tA$115.50 a month\tA$1,320.00\tA$1,386.00",
		"Client 3\tBooks 2025\t1 Apr 2026\tA$330.00 a month\tA$346.50 a month\tA$3,960.00\tA$4,158.00",
		"Client 5\tBooks 2025\t1 Apr 2026\tA$550.00 a month\tA$577.50 a month\tA$6,600.00\tA$6,930.00",
	} {
		if !strings.Contains(preview, want) {
			t.Errorf("preview lacks %q:\n%s", want, preview)
		}
	}
	if n := strings.Count(preview, "Books 2025"); n != 5 {
		t.Errorf("the preview lists %d proposals, want 5", n)
	}
	sentBefore := len(a.allOfType("ProposalSent"))
	step(t, ctx, "renew", chromedp.Click(chromedp.ID("renew")))
	flash(t, ctx, "5 renewals drafted and sent.")
	screenshot(t, ctx, shots, "renewals-done")

	// Really sent: five renewals in the log, one to each client, each
	// emailed to whom the client's original went.
	sent := a.allOfType("ProposalSent")[sentBefore:]
	clients := map[uuid.UUID]bool{}
	for _, r := range sent {
		p := a.proposal(uuid.MustParse(strings.TrimPrefix(r.Stream, "proposal-")))
		if p.RenewalOf == uuid.Nil || p.Status != proposal.StatusSent {
			t.Errorf("sent proposal %s: renewal of %s, %s", p.ID, p.RenewalOf, p.Status)
		}
		clients[p.ClientID] = true
	}
	if len(sent) != 5 || len(clients) != 5 {
		t.Fatalf("%d renewals sent to %d clients, want 5 and 5", len(sent), len(clients))
	}
	out := t.TempDir()
	a.runOutbox(out)
	to := map[string]bool{}
	for _, e := range emls(t, out) {
		for i := 1; i <= 5; i++ {
			// The renewal starts a year after the original (1 April 2025).
			if strings.Contains(e, fmt.Sprintf("To: <c%d@client.test>", i)) && strings.Contains(e, "Books 2025, starting 1 April 2026") {
				to[fmt.Sprint(i)] = true
			}
		}
	}
	if len(to) != 5 {
		t.Errorf("renewal emails reached clients %v, want all five", to)
	}
}
