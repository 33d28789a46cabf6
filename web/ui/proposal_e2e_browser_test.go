package ui_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/proposal"
	"remit/domain/proposaltemplate"
	"remit/eventstore"
	"remit/formats/pdf/pdftest"
	"remit/integrations/mail"
	"remit/integrations/mail/mailtest"
	"remit/processes/emailer"
	"remit/processes/signeddoc"
	"remit/web/auth"
	"remit/web/ui/uitest"
)

// firmAddress is where the outbox sends from, and the firm's copy of a
// signed proposal goes.
const firmAddress = "accounts@ledger.example"

// smtpOutbox runs the outbox once against mailpit, with each signatory's
// signing link pointing at the test server, as remit serve makes them.
func (a *app) smtpOutbox(mp *mailtest.Mailpit, links *auth.LinkSigner) {
	a.tb.Helper()
	cfg, err := mail.ParseSMTPURL("smtp://" + mp.SMTPAddr())
	if err != nil {
		a.tb.Fatal(err)
	}
	link := func(clientID, proposalID, signatoryID uuid.UUID) string {
		return a.server.URL + "/c/p/" + links.Sign(auth.Link{ClientID: clientID, Purpose: auth.PurposeAcceptProposal, Resource: proposalID, Signatory: signatoryID, Expires: now.Add(30 * 24 * time.Hour)})
	}
	ob, err := emailer.New(emailer.Config{Store: a.store, Mailer: mail.NewSMTP(cfg), From: firmAddress, Now: func() time.Time { return now },
		LinkFor: func(purpose string, clientID, resource uuid.UUID) string {
			return link(clientID, resource, uuid.Nil)
		},
		SignLinkFor: link})
	if err != nil {
		a.tb.Fatal(err)
	}
	defer ob.Close()
	if err := ob.CatchUp(context.Background()); err != nil {
		a.tb.Fatal(err)
	}
	a.wait(billing.Result{Position: a.head()})
}

// inbox is what mailpit holds for one address, oldest first.
func inbox(mp *mailtest.Mailpit, to string) []mailtest.Message {
	var out []mailtest.Message
	list := mp.Messages()
	for i := len(list) - 1; i >= 0; i-- {
		for _, r := range list[i].To {
			if strings.EqualFold(r.Address, to) {
				out = append(out, mp.Message(list[i].ID))
			}
		}
	}
	return out
}

var signLink = regexp.MustCompile(`http://127\.0\.0\.1:\d+/c/p/[A-Za-z0-9_.\-]+`)

// TestBrowserProposalFromTemplateToServices is the proposals issue's end to
// end: in Chromium, staff draft a proposal for Harbour Cafe from a template
// with two packages and two add-ons, personalise it in the draft editor
// (both of the client's contacts ticked as signatories, the letter's
// preview naming them) and send it. Mailpit receives one email for each
// signatory; each opens the link in THEIR email, reads the whole letter;
// Ana chooses Complete and ticks one add-on and signs, then Ben signs. The
// signed PDF reaches Ana, Ben and the firm as an attachment, and
// pdftotext shows both names, times, IPs and the hash of the accepted
// document. The client's Services tab then lists exactly the core service,
// the Complete package's services and the add-on ticked, and the billing
// schedule bills them as chosen.
func TestBrowserProposalFromTemplateToServices(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	mp := mailtest.Start(t)
	ctx := browser(t)
	shots := uitest.ScreenshotDir(t)
	a, links := newLinkApp(t)
	u := a.server.URL
	bctx := context.Background()

	anaID, benID := uuid.New(), uuid.New()
	cres := a.mustOK(a.svc.CreateClient(bctx, billing.ClientRequest{Name: "Harbour Cafe", Kind: client.KindBusiness, PrimaryContactID: anaID, Contacts: []client.Contact{
		{ID: anaID, Name: "Ana Lima", Email: "ana@harbour.test"}, {ID: benID, Name: "Ben Okafor", Email: "ben@harbour.test"}}}, a.meta()))
	a.wait(cres)
	harbour := cres.ID
	monthly := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever}
	yearly := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 12, Start: domain.StartOnAcceptance, End: domain.EndNever}
	line := func(name string, price int64, rule domain.BillingRule) proposal.Line {
		return proposal.Line{Name: name, UnitPrice: decimal.NewFromInt(price), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10), BillingRule: rule, Automatic: true}
	}
	annual := line("Annual accounts", 1800, yearly)
	annual.Terms = "We prepare the accounts within **60 days** of the year end."
	a.wait(a.mustOK(a.svc.CreateProposalTemplate(bctx, billing.ProposalTemplateRequest{Content: proposaltemplate.Content{
		Name: "Small business 2025", Title: "Accounting services 2025", ExpiryDays: 14,
		Letter: "Dear {{client_name}},\n\n{{firm_name}} is pleased to offer you the services below.\n\n{{services_table}}\n\nOur fees: {{fees}}.\n\nTo be signed by {{signatories}}.",
		Lines:  []proposal.Line{annual},
		Packages: []proposal.Package{
			{Name: "Essentials", Lines: []proposal.Line{line("Essential bookkeeping", 300, monthly)}},
			{Name: "Complete", Description: "books and payroll", Lines: []proposal.Line{line("Complete bookkeeping", 500, monthly), line("Payroll", 100, monthly)}},
		},
		AddOns: []proposal.Line{line("Advisory calls", 150, monthly), line("Budget review", 400, yearly)},
	}}, a.meta())))

	// Staff, in the browser: draft from the template, personalise, send.
	step(t, ctx, "open New proposal for Harbour Cafe", chromedp.Navigate(u+"/clients/"+harbour.String()+"/proposals/new"), chromedp.WaitVisible(chromedp.ID("template_id")))
	step(t, ctx, "draft from the template", chromedp.Click(chromedp.CSS(`form[action$="/from-template"] button[type=submit]`)))
	flash(t, ctx, "drafted from the template")
	step(t, ctx, "open the draft editor", chromedp.Click(chromedp.ID("edit-draft")), chromedp.WaitVisible(chromedp.ID("preview")))
	if p := text(t, ctx, "#preview"); !strings.Contains(p, "Dear Harbour Cafe,") || !strings.Contains(p, "Ledger & Co is pleased") || strings.Contains(p, "{{") {
		t.Errorf("the editor's preview of the letter: %s", p)
	}
	step(t, ctx, "tick both contacts as signatories and preview",
		chromedp.Click(chromedp.ID("sg-"+anaID.String())), chromedp.Click(chromedp.ID("sg-"+benID.String())),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#preview').id = 'preview-before'`),
		chromedp.Click(chromedp.CSS(`button[value=preview]`)), chromedp.WaitVisible(chromedp.ID("preview")))
	p := text(t, ctx, "#preview")
	for try := 0; !strings.Contains(p, "To be signed by") && try < 50; try++ { // the page may still be arriving
		time.Sleep(100 * time.Millisecond)
		p = text(t, ctx, "#preview")
	}
	if !strings.Contains(p, "To be signed by Ana Lima, Ben Okafor") {
		t.Errorf("the preview does not name the signatories ticked: %s", p)
	}
	screenshot(t, ctx, shots, "draft-editor-preview")
	step(t, ctx, "save the draft", chromedp.Click(chromedp.CSS(`button[value=save]`)))
	flash(t, ctx, "saved")
	step(t, ctx, "back to the proposal, open Send", chromedp.Click(chromedp.CSS(`main a[href^="/proposals/"]:not([href$="/edit"])`)),
		chromedp.Click(chromedp.CSS(`a[href$="/send"]`)), chromedp.WaitVisible(chromedp.CSS(`input[name="contact_ids"]`)))
	step(t, ctx, "send", chromedp.Click(chromedp.CSS(`section form button[type=submit]`)))
	flash(t, ctx, "Proposal sent.")
	screenshot(t, ctx, shots, "proposal-sent")

	var pid uuid.UUID
	for _, r := range a.allOfType("ProposalSent") {
		pid = uuid.MustParse(strings.TrimPrefix(r.Stream, "proposal-"))
	}
	st := a.proposal(pid)
	if len(st.Signatories) != 2 || st.Signatories[0].Name != "Ana Lima" || st.Signatories[1].Name != "Ben Okafor" {
		t.Fatalf("signatories after the editor: %+v", st.Signatories)
	}

	// Each signatory's email, with their own link.
	a.smtpOutbox(mp, links)
	linkOf := func(who string) string {
		t.Helper()
		msgs := inbox(mp, who)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "Accounting services 2025") {
			t.Fatalf("%s received %d emails, want the proposal: %+v", who, len(msgs), msgs)
		}
		l := signLink.FindString(msgs[0].Text)
		if l == "" {
			t.Fatalf("no signing link in %s's email:\n%s", who, msgs[0].Text)
		}
		return l
	}
	anaLink, benLink := linkOf("ana@harbour.test"), linkOf("ben@harbour.test")
	if anaLink == benLink {
		t.Fatal("both signatories got the same link")
	}
	complete, advisory := st.Packages[1].ID, st.AddOns[0].ID

	step(t, ctx, "Ana opens the link in her email", chromedp.Navigate(anaLink), chromedp.WaitVisible(chromedp.ID("f-signed_name")))
	letter := text(t, ctx, ".letter")
	for _, want := range []string{"Dear Harbour Cafe,", "Ledger & Co is pleased to offer", "To be signed by Ana Lima, Ben Okafor",
		"Option 1: Essentials", "Option 2: Complete", "Advisory calls", "Budget review", "within 60 days of the year end"} {
		if !strings.Contains(letter, want) {
			t.Errorf("the letter Ana reads lacks %q:\n%s", want, letter)
		}
	}
	// The template's letter places {{services_table}}: the table shows
	// there, once, not again after the letter.
	if n := strings.Count(letter, "Option 1: Essentials"); n != 1 {
		t.Errorf("the letter Ana reads shows the services table %d times, want once:\n%s", n, letter)
	}
	if !strings.Contains(text(t, ctx, "main"), "Signing as Ana Lima") {
		t.Error("Ana's link does not sign as Ana")
	}
	step(t, ctx, "Ana chooses Complete, ticks Advisory calls, signs",
		chromedp.Click(chromedp.ID("pkg-"+complete.String())), chromedp.Click(chromedp.ID("addon-"+advisory.String())),
		set("f-signed_name", "Ana Lima"), chromedp.Click(chromedp.ID("f-agree")))
	screenshot(t, ctx, shots, "ana-signs")
	step(t, ctx, "Ana signs", chromedp.Click(chromedp.CSS(`button[value=sign]`)))
	flash(t, ctx, "Thank you, Ana Lima")

	step(t, ctx, "Ben opens the link in his email", chromedp.Navigate(benLink), chromedp.WaitVisible(chromedp.ID("choice-fixed")))
	if !strings.Contains(text(t, ctx, "main"), "Signing as Ben Okafor") || !strings.Contains(text(t, ctx, ".letter"), "Chosen: Complete, add-ons: Advisory calls") {
		t.Errorf("Ben's page: %s", text(t, ctx, "main"))
	}
	step(t, ctx, "Ben signs", set("f-signed_name", "Ben Okafor"), chromedp.Click(chromedp.ID("f-agree")), chromedp.Click(chromedp.CSS(`button[value=sign]`)))
	flash(t, ctx, "Thank you, Ben Okafor")
	screenshot(t, ctx, shots, "accepted-by-both")

	st = a.proposal(pid)
	if st.Status != proposal.StatusAccepted || len(st.Signatures) != 2 {
		t.Fatalf("after both signed: %s, %+v", st.Status, st.Signatures)
	}

	// The signed PDF, filed and emailed to each signatory and the firm.
	if err := (&signeddoc.Filer{Billing: a.svc, Store: a.store, DataDir: t.TempDir()}).CatchUp(bctx); err != nil {
		t.Fatal(err)
	}
	a.smtpOutbox(mp, links)
	for _, who := range []string{"ana@harbour.test", "ben@harbour.test", firmAddress} {
		var pdf []byte
		for _, m := range inbox(mp, who) {
			for _, at := range m.Attachments {
				if at.ContentType == "application/pdf" {
					pdf = mp.Part(m.ID, at.PartID)
				}
			}
		}
		if pdf == nil {
			t.Errorf("%s did not receive the signed PDF", who)
			continue
		}
		txt := strings.Join(strings.Fields(pdftest.Text(t, pdf)), " ")
		at := now.UTC().Format("2006-01-02 15:04:05") + " UTC"
		for _, want := range []string{"Ana Lima <ana@harbour.test>", "Ben Okafor <ben@harbour.test>", "Signed at:", at,
			"IP address: 127.0.0.1", "SHA-256 of the accepted document: " + st.DocumentHash} {
			if !strings.Contains(txt, want) {
				t.Errorf("the signed PDF emailed to %s lacks %q:\n%s", who, want, txt)
			}
		}
		if strings.Count(txt, "IP address: 127.0.0.1") != 2 {
			t.Errorf("the PDF to %s does not show both signatures' IP addresses", who)
		}
	}

	// Billing as chosen: the services and the schedule.
	chosen := []string{"Annual accounts", "Complete bookkeeping", "Payroll", "Advisory calls"}
	step(t, ctx, "open the client's Services tab", chromedp.Navigate(u+"/clients/"+harbour.String()+"/services"), chromedp.WaitVisible(chromedp.CSS(`main table`)))
	names, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('main table')[0].tBodies[0].rows].map(r => r.cells[0].textContent.trim())`))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	want := slices.Clone(chosen)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("active services %q, want exactly %q", names, want)
	}
	screenshot(t, ctx, shots, "services-as-chosen")
	step(t, ctx, "open the billing schedule", chromedp.Navigate(u+"/clients/"+harbour.String()+"/schedule"), chromedp.WaitVisible(chromedp.CSS(`main table`)))
	sched := text(t, ctx, "main")
	for _, name := range chosen {
		if !strings.Contains(sched, name) {
			t.Errorf("the schedule lacks %s", name)
		}
	}
	for _, name := range []string{"Essential bookkeeping", "Budget review"} {
		if strings.Contains(sched, name) {
			t.Errorf("the schedule bills %s, which was not chosen", name)
		}
	}
	// Monthly from acceptance: the next three months each bill Complete
	// bookkeeping; Annual accounts bills once in the year.
	for _, month := range []string{"Apr 2025", "May 2025", "Jun 2025"} {
		if !strings.Contains(sched, month) {
			t.Errorf("the schedule has no billing in %s:\n%s", month, sched)
		}
	}
	screenshot(t, ctx, shots, "schedule-as-chosen")
}

// allOfType lists the log's events of one type, oldest first.
func (a *app) allOfType(typ string) []eventstore.RecordedEvent {
	a.tb.Helper()
	recs, err := a.store.ReadAll(context.Background(), 0, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{typ}})
	if err != nil {
		a.tb.Fatal(err)
	}
	return recs
}
