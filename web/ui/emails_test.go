package ui_test

import (
	"bytes"
	"context"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/proposal"
	"remit/integrations/mail"
	"remit/processes/emailer"
)

// runOutbox runs the email process manager once over the log, writing
// .eml files into dir, and waits for the read models to see its events.
func (a *app) runOutbox(dir string) {
	a.tb.Helper()
	ob, err := emailer.New(emailer.Config{Store: a.store, Mailer: mail.Files{Dir: dir}, From: "accounts@ledger.example", Now: func() time.Time { return now },
		LinkFor: func(purpose string, clientID, resource uuid.UUID) string {
			return "https://remit.example/" + purpose + "/" + resource.String()
		}})
	if err != nil {
		a.tb.Fatal(err)
	}
	if err := ob.CatchUp(context.Background()); err != nil {
		a.tb.Fatal(err)
	}
	a.wait(billing.Result{Position: a.head()})
}

func emls(tb testing.TB, dir string) []string {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		// The bodies are quoted-printable; the headers read the same decoded.
		dec, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, string(dec))
	}
	return out
}

// TestInvoicePageListsItsEmails: after the issue email went out, the
// invoice page lists it (what, to whom, when, delivered) instead of "Not
// yet".
func TestInvoicePageListsItsEmails(t *testing.T) {
	a := newApp(t)
	acme := a.mustClient("Acme")
	inv := a.mustInvoice(acme, "100")
	a.runOutbox(t.TempDir())

	p := a.get("/invoices/" + inv.String())
	if p.Status != http.StatusOK {
		t.Fatalf("GET invoice = %d", p.Status)
	}
	if strings.Contains(p.Body, "Not yet") {
		t.Error("the invoice page says it was not sent after its email went out")
	}
	emails := section(t, p.Body, `id="h-emails"`, "<h3>")
	for _, want := range []string{"Invoice", "Ada Acme &lt;ada@acme.test&gt;", "Invoice INV-000001 from Ledger &amp; Co", `<span class="badge">Sent</span>`} {
		if !strings.Contains(emails, want) {
			t.Errorf("the invoice's emails lack %q:\n%s", want, emails)
		}
	}
}

// section is the part of body from the first from to the next until.
func section(tb testing.TB, body, from, until string) string {
	tb.Helper()
	i := strings.Index(body, from)
	if i < 0 {
		tb.Fatalf("no %q on the page", from)
	}
	rest := body[i:]
	if j := strings.Index(rest[len(from):], until); j >= 0 {
		return rest[:len(from)+j]
	}
	return rest
}

// TestSendProposalEmailsChosenContacts: staff choose the client's contacts
// on the send form; each gets the proposal by email with its link; the page
// then shows when and to whom it went, and a re-send sends again.
func TestSendProposalEmailsChosenContacts(t *testing.T) {
	a := newApp(t)
	acme := a.mustClient("Acme")
	res, err := a.svc.AddContact(context.Background(), billing.ContactRequest{ClientID: acme, Contact: client.Contact{Name: "Bea Acme", Email: "bea@acme.test"}}, a.meta())
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)
	res, err = a.svc.DraftProposal(context.Background(), billing.ProposalRequest{ClientID: acme, Title: "Books", Lines: []proposal.Line{
		{Name: "Bookkeeping", UnitPrice: decimal.NewFromInt(690), Quantity: decimal.NewFromInt(1), TaxRate: decimal.NewFromInt(10),
			BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever}, Automatic: true},
	}}, a.meta())
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)
	pid := res.ID
	path := "/proposals/" + pid.String()

	form := a.get(path + "/send")
	ids := regexp.MustCompile(`name="contact_ids" value="([^"]+)"( checked)?`).FindAllStringSubmatch(form.Body, -1)
	if len(ids) != 2 || ids[0][2] == "" || ids[1][2] != "" {
		t.Fatalf("the send form offers %v; want both contacts, the primary one checked", ids)
	}

	// Nobody chosen: refused beside the field, nothing appended.
	before := a.head()
	if p := a.post(path+"/send", url.Values{}); p.Status != http.StatusUnprocessableEntity || fieldError(p.Body, "recipient_email") == "" || a.head() != before {
		t.Fatalf("sending to nobody = %d (%s)", p.Status, errorsOf(p.Body))
	}

	a.mustPost(path+"/send", url.Values{"contact_ids": {ids[0][1], ids[1][1]}}, "Proposal sent")
	dir := t.TempDir()
	a.runOutbox(dir)
	sent := emls(t, dir)
	if len(sent) != 2 {
		t.Fatalf("%d emails, want one to each chosen contact", len(sent))
	}
	for _, m := range sent {
		for _, want := range []string{"Subject: Proposal: Books, from Ledger & Co", "https://remit.example/accept/" + pid.String(), "A$759.00 a month"} {
			if !strings.Contains(m, want) {
				t.Errorf("the email lacks %q:\n%s", want, m)
			}
		}
	}
	page := a.get(path)
	emails := section(t, page.Body, `id="h-emails"`, "</table>")
	for _, want := range []string{"Ada Acme &lt;ada@acme.test&gt;", "Bea Acme &lt;bea@acme.test&gt;", "Sent"} {
		if !strings.Contains(emails, want) {
			t.Errorf("the proposal's emails lack %q:\n%s", want, emails)
		}
	}

	a.mustPost(path+"/send", url.Values{"contact_ids": {ids[1][1]}}, "Proposal sent")
	a.runOutbox(dir)
	if n := len(emls(t, dir)); n != 3 {
		t.Errorf("%d emails after a re-send, want 3", n)
	}
}
