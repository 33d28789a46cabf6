package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
)

var revisionField = regexp.MustCompile(`name="revision" value="(\d+)"`)

// TestProposalEditor: staff personalise a draft in the editor. A bad
// signatory email is shown beside its field and saves nothing; a good
// save replaces the draft through the same command as the API, keeping what
// the form does not show (the line's discount and pro-rata rule) and
// taking signatories from the ticked contact and the typed row; a second
// save from the same (now stale) form is refused with a clear conflict,
// nothing overwritten; a sent proposal can no longer be edited.
func TestProposalEditor(t *testing.T) {
	a := newApp(t)
	ctx := context.Background()
	acme := a.mustClient("Acme")
	rule := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, AnchorDay: 1, ProRataFirst: true, Start: domain.StartOnAcceptance, End: domain.EndNever}
	res := a.mustOK(a.svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: acme, Title: "Books", Lines: []proposal.Line{
		{Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(690), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10), BillingRule: rule, Automatic: true,
			Discount: domain.Discount{Kind: domain.DiscountPercent, Value: decimal.NewFromInt(5)}},
	}}, a.meta()))
	a.wait(res)
	pid := res.ID
	before := a.proposal(pid)
	c, err := a.models.Summary(ctx, acme, domain.DateOf(now, nil))
	if err != nil {
		t.Fatal(err)
	}
	ada := c.Contacts[0]

	edit := a.get("/proposals/" + pid.String() + "/edit")
	m := revisionField.FindStringSubmatch(edit.Body)
	if edit.Status != http.StatusOK || m == nil || !strings.Contains(edit.Body, "Dear Acme,") {
		t.Fatalf("editor: %d, revision %v, preview shown %v", edit.Status, m, strings.Contains(edit.Body, "Dear Acme,"))
	}
	// The editor's parts, each a section the bar at the top leads to, in
	// this order: Details, Letter (with its preview), Services, Signatories.
	at := -1
	for _, part := range []string{"details", "letter", "services", "signatories"} {
		i := strings.Index(edit.Body, `<section class="card" id="sec-`+part+`"`)
		if i <= at || !strings.Contains(edit.Body, `href="#sec-`+part+`"`) {
			t.Errorf("the editor's %s section is missing, out of order or not linked from the bar", part)
		}
		at = i
	}
	if i := strings.Index(edit.Body, `id="f-letter"`); i < strings.Index(edit.Body, `id="sec-letter"`) || i > strings.Index(edit.Body, `id="sec-services"`) {
		t.Error("the letter is not in the Letter section")
	}
	form := url.Values{"revision": {m[1]}, "action": {"save"}, "title": {"Books 2025"}, "letter": {"Dear {{client_name}}, signed by {{signatories}}."},
		"lines[0].id": {before.Lines[0].ID.String()}, "lines[0].name": {"Bookkeeping"}, "lines[0].unit_price": {"720"}, "lines[0].quantity": {"1"},
		"lines[0].tax_rate": {"10"}, "lines[0].billing_rule.frequency": {"monthly"}, "lines[0].automatic": {"on"},
		"signatory_contacts": {ada.ID.String()}, "signatories[0].name": {"Zed Partner"}, "signatories[0].email": {"not-an-email"}}

	head := a.head()
	bad := a.post("/proposals/"+pid.String()+"/edit", form)
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `id="f-signatories-0-email-err"`) {
		t.Fatalf("bad email: %d\n%s", bad.Status, errorsOf(bad.Body))
	}
	if a.head() != head {
		t.Fatal("a refused save appended")
	}

	form.Set("signatories[0].email", "zed@partners.test")
	a.mustPost("/proposals/"+pid.String()+"/edit", form, "Draft &#34;Books 2025&#34; saved.")
	p := a.proposal(pid)
	l := p.Lines[0]
	if p.Title != "Books 2025" || !l.UnitPrice.Equal(decimal.NewFromInt(720)) || l.ID != before.Lines[0].ID || l.BillingRule != rule || !l.Discount.Value.Equal(decimal.NewFromInt(5)) {
		t.Errorf("after the save: title %q, line %+v", p.Title, l)
	}
	if len(p.Signatories) != 2 || p.Signatories[0].ContactID != ada.ID || p.Signatories[0].Email != ada.Email || p.Signatories[1].Email != "zed@partners.test" {
		t.Errorf("signatories %+v", p.Signatories)
	}
	if !strings.Contains(a.get("/proposals/"+pid.String()+"/edit").Body, "signed by "+ada.Name+", Zed Partner.") {
		t.Error("the preview does not show the saved letter with its placeholders filled")
	}

	// The same form again: it was opened at the old revision.
	head = a.head()
	form.Set("title", "Books 2025 — my version")
	stale := a.post("/proposals/"+pid.String()+"/edit", form)
	if stale.Status != http.StatusConflict || !strings.Contains(stale.Body, "Someone else saved this draft while you were editing it") {
		t.Fatalf("stale save: %d\n%s", stale.Status, errorsOf(stale.Body))
	}
	if a.head() != head || a.proposal(pid).Title != "Books 2025" {
		t.Fatal("a stale save overwrote the draft")
	}

	a.wait(a.mustOK(a.svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: pid, RecipientEmail: "ada@acme.test"}, a.meta())))
	if got := a.get("/proposals/" + pid.String() + "/edit"); got.Status != http.StatusSeeOther {
		t.Errorf("editing a sent proposal: %d", got.Status)
	}
}
