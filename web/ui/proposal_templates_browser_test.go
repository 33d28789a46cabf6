package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"remit/billing"
	"remit/domain/proposal"
	"remit/web/ui/uitest"
)

// TestBrowserProposalTemplates: in Chromium, staff create a template with
// three packages and an add-on, entering a bad package price first (the
// error shows beside that price) and then fixing it; start a proposal for
// one client from the template; and draft proposals for three clients at
// once from it (preview, then create), each offered for personalising;
// "Send them all" names the two still unsent (one was sent from its page)
// and sends those; the template editor previews the letter.
func TestBrowserProposalTemplates(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a := newApp(t)
	acme, birch, cedar := a.mustClient("Acme"), a.mustClient("Birch"), a.mustClient("Cedar")
	base := a.server.URL

	line := func(p, name, price, freq string) []chromedp.Action[chromedp.Void] {
		id := "f-" + strings.NewReplacer(".", "-", "[", "-", "]", "").Replace(p)
		return []chromedp.Action[chromedp.Void]{set(id+"name", name), set(id+"unit_price", price), set(id+"quantity", "1"),
			set(id+"tax_rate", "10"), set(id+"billing_rule-frequency", freq)}
	}
	actions := []chromedp.Action[chromedp.Void]{chromedp.Navigate(base + "/settings/firm"), chromedp.Click(chromedp.CSS(`main a[href="/settings/proposal-templates"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/settings/proposal-templates/new"]`)), chromedp.WaitVisible(chromedp.ID("f-name")),
		set("f-name", "Monthly bookkeeping & compliance"), set("f-title", "Bookkeeping and compliance"),
		set("f-letter", "Dear {{client_name}},\n\n{{firm_name}} will keep your books."),
		set("f-packages-0-name", "Bronze"), set("f-packages-1-name", "Silver"), set("f-packages-2-name", "Gold")}
	actions = append(actions, line("lines[0].", "Compliance", "100", "monthly")...)
	actions = append(actions, line("packages[0].lines[0].", "Bronze bookkeeping", "200", "monthly")...)
	actions = append(actions, line("packages[1].lines[0].", "Silver bookkeeping", "-400", "monthly")...)
	actions = append(actions, line("packages[2].lines[0].", "Gold bookkeeping", "800", "monthly")...)
	actions = append(actions, line("add_ons[0].", "Payroll", "50", "monthly")...)
	actions = append(actions, chromedp.Click(chromedp.CSS(`button[value="save"]`)), chromedp.WaitVisible(chromedp.ID("errors")))
	step(t, ctx, "fill in a template with a bad Silver price", actions...)
	if got := text(t, ctx, "#f-packages-1-lines-0-unit_price-err"); !strings.Contains(got, "negative") {
		t.Fatalf("the error beside Silver's price = %q", got)
	}
	if v := text(t, ctx, "#errors"); !strings.Contains(v, "negative") {
		t.Errorf("the error summary = %q", v)
	}
	screenshot(t, ctx, shots, "template-price-error")
	step(t, ctx, "fix Silver's price and save", set("f-packages-1-lines-0-unit_price", "400"), chromedp.Click(chromedp.CSS(`button[value="save"]`)))
	flash(t, ctx, `Template "Monthly bookkeeping & compliance" saved.`)
	if list := text(t, ctx, "main table"); !strings.Contains(list, "Bronze, Silver, Gold") || !strings.Contains(list, "1 add-on") {
		t.Errorf("templates list = %q", list)
	}
	screenshot(t, ctx, shots, "templates-list")

	step(t, ctx, "start a proposal for Acme from the template", chromedp.Navigate(base+"/clients/"+acme.String()+"/proposals/new"),
		chromedp.WaitVisible(chromedp.ID("template_id")), chromedp.Click(chromedp.CSS(`form[action$="/from-template"] button`)))
	flash(t, ctx, "drafted from the template")
	if got := text(t, ctx, "main"); !strings.Contains(got, "Silver: Silver bookkeeping") || !strings.Contains(got, "Payroll") || !strings.Contains(got, "Compliance") {
		t.Errorf("the proposal drafted from the template shows %q", got)
	}
	screenshot(t, ctx, shots, "proposal-from-template")

	step(t, ctx, "open bulk drafting", chromedp.Navigate(base+"/settings/proposal-templates"), chromedp.Click(chromedp.CSS(`a[href$="/proposals"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="client_ids"]`)))
	step(t, ctx, "tick three clients and preview",
		chromedp.Click(chromedp.ID("c-"+acme.String())), chromedp.Click(chromedp.ID("c-"+birch.String())), chromedp.Click(chromedp.ID("c-"+cedar.String())),
		chromedp.Click(chromedp.CSS(`button[value="preview"]`)), chromedp.WaitVisible(chromedp.CSS(`button[value="create"]`)))
	preview := text(t, ctx, "main table")
	for _, want := range []string{"Acme", "Birch", "Cedar", "Silver: A$550.00 a month", "Ready"} {
		if !strings.Contains(preview, want) {
			t.Errorf("preview lacks %q: %s", want, preview)
		}
	}
	screenshot(t, ctx, shots, "bulk-preview")
	step(t, ctx, "create the drafts", chromedp.Click(chromedp.CSS(`button[value="create"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href^="/proposals/"]`)))
	done := text(t, ctx, "main table")
	if n := strings.Count(done, "Drafted"); n != 3 {
		t.Errorf("%d drafted, want 3: %s", n, done)
	}
	screenshot(t, ctx, shots, "bulk-created")
	if s := a.get("/clients/" + cedar.String()); !strings.Contains(s.Body, "Bookkeeping and compliance") {
		t.Error("Cedar's page does not list the drafted proposal")
	}
	if n := count(t, ctx, `main table a[href$='/edit']`); n != 3 {
		t.Errorf("%d drafts offer Personalise, want 3", n)
	}

	// Birch's draft is sent from its own page first; "Send them all" then
	// names the two still unsent and sends those.
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('input[name="proposal_ids"]')].map(e => e.value)`))
	if err != nil || len(ids) != 3 {
		t.Fatalf("drafts to send: %v %v", ids, err)
	}
	for _, id := range ids {
		if p := a.proposal(uuid.MustParse(id)); p.ClientID == birch {
			a.wait(a.mustOK(a.svc.SendProposal(context.Background(), billing.SendProposalRequest{ProposalID: p.ID, RecipientEmail: "ada@birch.test"}, a.meta())))
		}
	}
	sentBefore := len(a.allOfType("ProposalSent"))
	step(t, ctx, "press Send them all", chromedp.Click(chromedp.ID("send-all")), chromedp.WaitVisible(chromedp.ID("send-all-confirm")))
	if got := text(t, ctx, "#h-confirm"); got != "Send 2 proposals?" {
		t.Errorf("confirmation %q, want it to name the 2 unsent", got)
	}
	if got := text(t, ctx, "#confirm-text"); !strings.Contains(got, "2 of the 3 drafts") {
		t.Errorf("confirmation text %q", got)
	}
	screenshot(t, ctx, shots, "send-them-all-confirm")
	step(t, ctx, "confirm", chromedp.Click(chromedp.ID("send-all-confirm")), chromedp.WaitVisible(chromedp.ID("sent")))
	sent := text(t, ctx, "#sent tbody")
	if strings.Count(sent, "Already sent") != 1 || strings.Count(sent, "\tSent") != 2 || !strings.Contains(sent, "ada@acme.test") || !strings.Contains(sent, "ada@cedar.test") {
		t.Errorf("sent table: %s", sent)
	}
	screenshot(t, ctx, shots, "send-them-all-done")
	if n := len(a.allOfType("ProposalSent")) - sentBefore; n != 2 {
		t.Errorf("%d proposals sent, want 2", n)
	}
	for _, id := range ids {
		if p := a.proposal(uuid.MustParse(id)); p.Status != proposal.StatusSent {
			t.Errorf("%s's proposal is %s after Send them all", p.ClientID, p.Status)
		}
	}

	// The template editor previews the letter as a client will read it.
	step(t, ctx, "preview the template's letter", chromedp.Navigate(base+"/settings/proposal-templates"),
		chromedp.Click(chromedp.CSS(`main table a[href^="/settings/proposal-templates/"]:not([href$="/proposals"])`)), chromedp.WaitVisible(chromedp.ID("f-letter")),
		chromedp.Click(chromedp.CSS(`button[value="preview"]`)), chromedp.WaitVisible(chromedp.ID("preview")))
	if got := text(t, ctx, "#preview"); !strings.Contains(got, "Dear ‹client name›,") || !strings.Contains(got, "Ledger & Co will keep your books.") || !strings.Contains(got, "Option 2: Silver") {
		t.Errorf("template preview: %s", got)
	}
	screenshot(t, ctx, shots, "template-letter-preview")
}
