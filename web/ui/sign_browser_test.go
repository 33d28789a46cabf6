package ui_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/proposal"
	"remit/domain/service"
	"remit/eventstore"
	"remit/processes/signeddoc"
	"remit/web/auth"
	"remit/web/ui/uitest"
)

// TestBrowserTwoSignatoriesSign: in headless Chromium, a proposal with a
// letter, two packages, an add-on and two signatories. Alice opens her link,
// reads the letter (its markup stays text), picks the Full package and the
// add-on, updates the total, tries to sign without typing her name (the
// error shows beside the field), then signs; the page thanks her and says
// it waits for Bob. Bob's link shows the choice fixed; he signs and the
// proposal is accepted, with the chosen services started.
func TestBrowserTwoSignatoriesSign(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a, links := newLinkApp(t)
	u := a.server.URL
	acme := a.mustClient("Acme")
	monthly := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever}
	line := func(name string, price int64) proposal.Line {
		return proposal.Line{Name: name, UnitPrice: decimal.NewFromInt(price), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10), BillingRule: monthly, Automatic: true}
	}
	tax := line("Tax return", 900)
	tax.Terms = "We lodge the return by its **due date**."
	res, err := a.svc.DraftProposal(context.Background(), billing.ProposalRequest{ClientID: acme, Title: "Services 2026", Lines: []proposal.Line{tax},
		ProposalOffer: billing.ProposalOffer{
			Letter:      "Dear {{client_name}},\n\n**{{firm_name}}** is pleased to offer the services below. <script>alert(1)</script>\n\nFees: {{fees}}.",
			Packages:    []proposal.Package{{Name: "Basic", Lines: []proposal.Line{line("Basic books", 200)}}, {Name: "Full", Description: "books and payroll", Lines: []proposal.Line{line("Full books", 400)}}},
			AddOns:      []proposal.Line{line("Advisory calls", 150)},
			Signatories: []proposal.Signatory{{Name: "Alice Ng", Email: "alice@acme.test"}, {Name: "Bob Ng", Email: "bob@acme.test"}},
		}}, a.meta())
	if err != nil {
		t.Fatal(err)
	}
	pid := res.ID
	a.wait(a.mustOK(a.svc.SendProposal(context.Background(), billing.SendProposalRequest{ProposalID: pid, RecipientEmail: "alice@acme.test"}, a.meta())))
	st := a.proposal(pid)
	full, advisory := st.Packages[1].ID, st.AddOns[0].ID
	link := func(who uuid.UUID) string {
		return u + "/c/p/" + links.Sign(auth.Link{ClientID: acme, Purpose: auth.PurposeAcceptProposal, Resource: pid, Signatory: who, Expires: now.Add(time.Hour)})
	}

	step(t, ctx, "Alice opens her link", chromedp.Navigate(link(st.Signatories[0].ID)), chromedp.WaitVisible(chromedp.ID("f-signed_name")))
	letter := text(t, ctx, ".letter")
	if !strings.Contains(letter, "Dear Acme,") || !strings.Contains(letter, "We lodge the return by its due date.") || strings.Contains(letter, "{{") {
		t.Errorf("the letter: %s", letter)
	}
	if n := count(t, ctx, ".letter script"); n != 0 {
		t.Errorf("the letter's <script> became markup (%d script elements)", n)
	}
	step(t, ctx, "choose Full and the add-on, update the total",
		chromedp.Click(chromedp.ID("pkg-"+full.String())), chromedp.Click(chromedp.ID("addon-"+advisory.String())),
		// The page before the update shows a total too (the first package's):
		// rename it so that the wait below finds the updated page's.
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#chosen-total').id = 'total-before-update'`),
		chromedp.Click(chromedp.CSS(`button[value=update]`)), chromedp.WaitVisible(chromedp.ID("chosen-total")))
	if got := text(t, ctx, "#chosen-total"); !strings.Contains(got, "1,595.00 a month") { // (900 + 400 + 150) × 1.1
		t.Errorf("total after update %q", got)
	}
	screenshot(t, ctx, shots, "proposal-letter-and-choice")

	head := a.head()
	step(t, ctx, "sign without a name", chromedp.Click(chromedp.ID("f-agree")), chromedp.Click(chromedp.CSS(`button[value=sign]`)),
		chromedp.WaitVisible(chromedp.ID("f-signed_name-err")))
	if e := text(t, ctx, "#f-signed_name-err"); !strings.Contains(e, "type your full name") {
		t.Errorf("error beside the name: %q", e)
	}
	if a.head() != head {
		t.Errorf("a refused signature appended")
	}
	screenshot(t, ctx, shots, "signature-without-a-name")
	step(t, ctx, "Alice signs", set("f-signed_name", "Alice Ng"), chromedp.Click(chromedp.CSS(`button[value=sign]`)))
	flash(t, ctx, "Thank you, Alice Ng")
	if s := text(t, ctx, "#signed-thanks"); !strings.Contains(s, "Thank you, Alice Ng. Waiting for Bob Ng to sign.") {
		t.Errorf("after Alice signed: %q", s)
	}
	screenshot(t, ctx, shots, "alice-signed-waiting-for-bob")

	step(t, ctx, "Bob opens his link", chromedp.Navigate(link(st.Signatories[1].ID)), chromedp.WaitVisible(chromedp.ID("choice-fixed")))
	if s := text(t, ctx, "#choice-fixed"); !strings.Contains(s, "Full") || !strings.Contains(s, "Advisory calls") {
		t.Errorf("Bob's page: choice %q", s)
	}
	if !strings.Contains(text(t, ctx, ".letter"), "Chosen: Full, add-ons: Advisory calls") {
		t.Error("the document Bob reads does not name the choice")
	}
	screenshot(t, ctx, shots, "bob-sees-the-choice")
	step(t, ctx, "Bob signs", set("f-signed_name", "Bob Ng"), chromedp.Click(chromedp.ID("f-agree")), chromedp.Click(chromedp.CSS(`button[value=sign]`)))
	flash(t, ctx, "Thank you, Bob Ng")
	if s := text(t, ctx, "#main"); !strings.Contains(s, "Accepted by Bob Ng") {
		t.Errorf("after Bob signed: %s", s)
	}
	screenshot(t, ctx, shots, "proposal-accepted-by-both")

	st = a.proposal(pid)
	if st.Status != proposal.StatusAccepted || len(st.Signatures) != 2 || st.Signatures[0].IP != "127.0.0.1" || st.Signatures[0].UserAgent == "" {
		t.Fatalf("after both signed: status %s, signatures %+v", st.Status, st.Signatures)
	}
	if len(st.Views) != 2 {
		t.Errorf("views %+v, want one per signatory", st.Views)
	}
	var names []string
	for _, spec := range proposal.ServicesToActivate(st) {
		names = append(names, spec.Name)
		if got := a.types(service.StreamName(spec.ServiceID)); len(got) != 1 {
			t.Errorf("service %s: %v", spec.Name, got)
		}
	}
	if strings.Join(names, ",") != "Tax return,Full books,Advisory calls" {
		t.Errorf("services %v", names)
	}

	// Once the signed PDF is filed, Bob's page offers it for download.
	if err := (&signeddoc.Filer{Billing: a.svc, Store: a.store, DataDir: t.TempDir()}).CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "Bob opens his link again", chromedp.Navigate(link(st.Signatories[1].ID)), chromedp.WaitVisible(chromedp.CSS(`a[href$="/signed.pdf"]`)))
	screenshot(t, ctx, shots, "signed-document-to-download")
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('a[href$="/signed.pdf"]').getAttribute("href")`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u + href)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "%PDF-") {
		t.Errorf("the signed PDF from Bob's link: %d %.60q", resp.StatusCode, body)
	}
}

func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("`+sel+`").length`))
	if err != nil {
		t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

func (a *app) mustOK(res billing.Result, err error) billing.Result {
	a.tb.Helper()
	if err != nil {
		a.tb.Fatal(err)
	}
	return res
}

// proposal folds a proposal's stream.
func (a *app) proposal(id uuid.UUID) proposal.State {
	a.tb.Helper()
	recs, err := a.store.ReadStream(context.Background(), proposal.StreamName(id), 0, eventstore.Forward, 0)
	if err != nil {
		a.tb.Fatal(err)
	}
	var st proposal.State
	for _, r := range recs {
		e, err := proposal.DecodeEvent(r.Type, r.Data)
		if err != nil {
			a.tb.Fatal(err)
		}
		st = proposal.Evolve(st, e)
	}
	return st
}

// types lists the types of a stream's events.
func (a *app) types(stream string) []string {
	a.tb.Helper()
	recs, err := a.store.ReadStream(context.Background(), stream, 0, eventstore.Forward, 0)
	if err != nil {
		a.tb.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Type)
	}
	return out
}
