package test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"remit/integrations/mail/mailtest"
	"remit/web/ui/uitest"
)

// TestWholeLoopInABrowser is issue 16's whole loop: `remit serve` (the
// built binary) on an empty data folder, emails going to mailpit, and
// headless Chromium doing only what people do on Remit's pages. The owner
// opens the one-time setup link and makes themselves; sets up the firm;
// invites a staff member, who chooses a password from their link and signs
// in; the staff member creates a client with two contacts, adds a card the
// sandbox declines, issues an instant bill, drafts and sends a proposal,
// which arrives by email; the client opens the emailed link, signs, and
// pays with the card on file; staff edit the automatic item, bill the
// manual one and run billing; the declined payment is retried with a card
// that works and the invoice ends paid; the service's activity reads in
// plain English. Every page visited passes axe-core with no serious or
// critical violation, and each step leaves a screenshot (in a temporary
// folder, or $REMIT_SCREENSHOTS).
func TestWholeLoopInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser loop skipped in -short mode")
	}
	ctx := uitest.Browser(t)
	mail := mailtest.Start(t)
	bin := MustBuild(t)
	l := &loop{t: t, ctx: ctx, mail: mail, shots: uitest.ScreenshotDir(t)}
	l.srv = startServe(t, bin, filepath.Join(t.TempDir(), "data"),
		"--smtp", "smtp://"+mail.SMTPAddr(), "--mail-from", "billing@ledgerco.example")
	l.syd, _ = time.LoadLocation("Australia/Sydney")
	l.today = time.Now().In(l.syd)
	t.Cleanup(func() { t.Logf("screenshots in %s: %s", l.shots, strings.Join(l.Shots, ", ")) })

	l.ownerSetsUp()
	l.ownerSetsUpTheFirm()
	l.ownerInvitesStaff()
	l.staffSetsAPasswordAndSignsIn()
	l.staffCreatesAClientWithTwoContacts()
	l.staffAddsACard()
	l.staffIssuesAnInstantBill()
	l.staffDraftsAndSendsAProposal()
	l.clientSignsAndChoosesAMethod()
	l.staffEditsAnAutomaticItem()
	l.staffBillsAManualItem()
	l.staffRunsBilling()
	l.staffRetriesWithAnotherCard()
	l.theInvoiceEndsPaid()
	l.staffRefundsHalfOfIt()
	l.staffIssuesABillToAClientWithNoMethod()
	l.clientPaysFromThePayNowLink()
	l.staffRequestsPaymentDetailsByFilter()
	l.clientAddsABankAccountFromTheRequest()
	l.theServiceActivityReadsInPlainEnglish()
	l.everyOtherPageIsAccessible()
}

// The people and the firm of the loop.
const (
	ownerEmail = "olivia@ledgerco.example"
	ownerName  = "Olivia Owner"
	staffEmail = "sam@ledgerco.example"
	staffName  = "Sam Staff"
	password   = "correct horse battery staple"
	clientName = "Harbour Bakery"
	miaEmail   = "mia@harbourbakery.example"
	tomEmail   = "tom@harbourbakery.example"
	cafeName   = "Corner Cafe"
	cafeEmail  = "jo@cornercafe.example"
)

// loop is the state the steps share.
type loop struct {
	t     *testing.T
	ctx   context.Context
	mail  *mailtest.Mailpit
	srv   served
	shots string
	syd   *time.Location
	today time.Time
	n     int      // screenshots taken
	Shots []string // their file names, in order

	staffLink, acceptLink, methodLink, clientURL, invoiceURL, serviceURL string
	cafeURL                                                              string
}

// served is a running `remit serve` and the setup link it printed.
type served struct {
	url, setupLink string
}

// startServe runs `remit serve` on dir and reads the URL it serves on and
// the one-time setup link it prints for an empty store.
func startServe(tb testing.TB, bin, dir string, extra ...string) served {
	tb.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, extra...)...)
	cmd.Env = append(cmd.Environ(), "REMIT_DATA=", "REMIT_STORE=", "REMIT_PUBLIC_URL=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	var stderr strings.Builder
	var mu sync.Mutex
	cmd.Stderr = &lockedWriter{w: &stderr, mu: &mu}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if tb.Failed() {
			mu.Lock()
			tb.Logf("remit serve's log:\n%s", stderr.String())
			mu.Unlock()
		}
	})
	urls, links := make(chan string, 1), make(chan string, 1)
	go func() {
		urlRe, linkRe := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+)`), regexp.MustCompile(`(http://\S+/setup/\S+)`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := urlRe.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
			if m := linkRe.FindStringSubmatch(sc.Text()); m != nil {
				links <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	var s served
	for s.url == "" || s.setupLink == "" {
		select {
		case s.url = <-urls:
		case s.setupLink = <-links:
		case <-time.After(60 * time.Second):
			mu.Lock()
			defer mu.Unlock()
			tb.Fatalf("remit serve printed no URL or no setup link (got %+v); stderr:\n%s", s, stderr.String())
		}
	}
	return s
}

// ---- the steps ----

func (l *loop) ownerSetsUp() {
	l.t.Helper()
	l.do("open the setup link", chromedp.Navigate(l.srv.setupLink), chromedp.WaitVisible(chromedp.CSS(`input[name=password2]`)))
	l.page("setup")
	l.fill("Email", ownerEmail)
	l.fill("Name", ownerName)
	l.fill("Password", password)
	l.fill("Password again", password)
	body := l.submit("Email")
	if strings.Contains(l.location(), "/setup/") || strings.Contains(l.location(), "/login") {
		l.t.Fatalf("the setup form did not sign the owner in: at %s: %s", l.location(), body)
	}
	l.page("owner-signed-in")
}

func (l *loop) ownerSetsUpTheFirm() {
	l.t.Helper()
	// The owner sets the firm up on its settings page. The firm retries no rejected
	// payment by itself, so staff retry one below.
	l.do("open the firm settings", chromedp.Navigate(l.srv.url+"/settings/firm"), chromedp.WaitVisible(chromedp.CSS(`main form`)))
	l.page("firm-settings")
	l.fill("Name", "Ledger & Co")
	l.fill("Address line 1", "1 George St")
	l.fill("City", "Sydney")
	l.fill("Postcode", "2000")
	l.fill("Country", "AU")
	l.fill("Base currency", "AUD")
	l.fill("Time zone", "Australia/Sydney")
	l.fill("Invoice number prefix", "INV-")
	l.fill("Payment terms", "14")
	// No automatic retries: staff retry a rejected payment themselves.
	l.fill("Retry a rejected payment", "")
	l.submit("Name")
	l.flash("The firm is set up")
	l.page("firm-saved")
}

func (l *loop) ownerInvitesStaff() {
	l.t.Helper()
	l.do("open the users page", chromedp.Navigate(l.srv.url+"/settings/users"), chromedp.WaitVisible(chromedp.CSS(`main form`)))
	l.page("users")
	l.fill("Email", staffEmail)
	l.fill("Name", staffName)
	l.fill("Role", "staff")
	body := l.submit("Email")
	l.page("staff-invited")
	link := regexp.MustCompile(`https?://\S+/set-password/[^\s<"]+`).FindString(body)
	if link == "" { // the invitation may go by email instead
		msg := l.email(staffEmail, "/set-password/")
		link = regexp.MustCompile(`https?://\S+/set-password/[^\s<">]+`).FindString(msg.Text)
	}
	if link == "" {
		l.t.Fatalf("no set-password link for %s on the page or by email: %s", staffEmail, body)
	}
	l.staffLink = link
}

func (l *loop) staffSetsAPasswordAndSignsIn() {
	l.t.Helper()
	l.do("open the set-password link", chromedp.Navigate(l.staffLink), chromedp.WaitVisible(chromedp.CSS(`input[name=password2]`)))
	l.page("set-password")
	l.fill("Password", password)
	l.fill("Password again", password)
	body := l.submit("Password again")
	if strings.Contains(l.location(), "/set-password/") {
		l.t.Fatalf("the set-password form failed: %s", body)
	}
	l.signIn(staffEmail)
	if s := l.text("body"); !strings.Contains(s, "Clients") {
		l.t.Fatalf("the staff member is not signed in to the clients page: %s", s)
	}
	l.page("staff-signed-in")
}

func (l *loop) staffCreatesAClientWithTwoContacts() {
	l.t.Helper()
	l.do("open the clients page", chromedp.Navigate(l.srv.url+"/clients"), chromedp.WaitVisible(chromedp.CSS(`a[href="/clients/new"]`)))
	l.page("clients")
	l.do("open the new client form", chromedp.Click(chromedp.CSS(`a[href="/clients/new"]`)), chromedp.WaitVisible(chromedp.ID("f-name")))
	l.page("new-client")
	l.do("fill in the client", set("f-name", clientName), set("f-contacts-0-name", "Mia Chen"), set("f-contacts-0-email", miaEmail),
		set("f-address-line1", "12 Wharf Rd"), set("f-address-city", "Sydney"), set("f-address-country", "AU"))
	l.click(`main form button[type=submit]`)
	l.flash("Client " + clientName + " created.")
	l.clientURL = l.location()
	l.do("open the add-contact form", chromedp.Click(chromedp.CSS(`a[href$="/contacts/new"]`)), chromedp.WaitVisible(chromedp.ID("f-contact-name")))
	l.page("add-contact")
	l.do("fill in the second contact", set("f-contact-name", "Tom Baker"), set("f-contact-email", tomEmail), set("f-contact-role", "Owner"))
	l.click(`main form button[type=submit]`)
	l.flash("")
	l.do("open the summary", chromedp.Navigate(l.clientURL), chromedp.WaitVisible(chromedp.ID("h-contacts")))
	if s := l.text("main"); !strings.Contains(s, "Mia Chen") || !strings.Contains(s, "Tom Baker") {
		l.t.Fatalf("the summary does not list both contacts: %s", s)
	}
	l.page("client-summary")
}

func (l *loop) staffAddsACard() {
	l.t.Helper()
	l.addCard("4000 0000 0000 0341", "card-declining") // kept, but every charge is declined
}

// addCard adds a test card on the client's behalf, on the sandbox
// gateway's hosted page (staff's Add payment method sends them there).
func (l *loop) addCard(number, shot string) {
	l.t.Helper()
	l.do("open payment methods", chromedp.Navigate(l.clientURL+"/payment-methods"), chromedp.WaitVisible(chromedp.CSS(`a[href$="/payment-methods/new"]`)))
	l.do("open the new method page", chromedp.Click(chromedp.CSS(`a[href$="/payment-methods/new"]`)), chromedp.WaitVisible(chromedp.CSS(`main form button[type=submit]`)))
	l.page(shot + "-form")
	l.click(`main form button[type=submit]`)
	l.do("wait for the gateway's page", chromedp.WaitVisible(chromedp.ID("card-number")))
	l.page(shot + "-gateway")
	l.do("fill in the card", set("card-number", number), set("card-expiry", fmt.Sprintf("08 / %02d", (l.today.Year()+4)%100)), set("card-cvc", "123"))
	l.click(`section[aria-labelledby="h-card"] button[type=submit]`)
	l.flash("added")
	l.page(shot)
}

func (l *loop) staffIssuesAnInstantBill() {
	l.t.Helper()
	l.do("open the client", chromedp.Navigate(l.clientURL), chromedp.WaitVisible(chromedp.CSS(`.actions a[href$="/bill"]`)))
	l.do("open instant bill", chromedp.Click(chromedp.CSS(`.actions a[href$="/bill"]`)), chromedp.WaitVisible(chromedp.ID("f-lines-0-description")))
	l.page("instant-bill")
	l.do("fill in the bill", set("f-lines-0-description", "Website set-up"), set("f-lines-0-unit_price", "1200"), set("f-lines-0-tax_rate", "10"))
	l.click(`#issue`)
	l.flash("Invoice issued")
	l.page("instant-bill-issued")
	// The invoice goes to the primary billing contact by email.
	l.email(miaEmail, "1,320.00")
}

func (l *loop) staffDraftsAndSendsAProposal() {
	l.t.Helper()
	l.do("open the proposal form", chromedp.Navigate(l.clientURL), chromedp.Click(chromedp.CSS(`.actions a[href$="/proposals/new"]`)), chromedp.WaitVisible(chromedp.ID("f-title")))
	l.page("proposal-form")
	// An automatic monthly service from acceptance, and a manual one-off
	// dated a week ago (so overdue once accepted).
	weekAgo := l.today.AddDate(0, 0, -7).Format("2006-01-02")
	l.do("fill in the proposal", set("f-title", "Bakery services"),
		set("f-lines-0-name", "Bookkeeping"), set("f-lines-0-unit_price", "250"), set("f-lines-0-tax_rate", "10"),
		set("f-lines-0-billing_rule-frequency", "monthly"),
		set("f-lines-1-name", "Advisory"), set("f-lines-1-unit_price", "400"), set("f-lines-1-quantity", "1"), set("f-lines-1-tax_rate", "10"),
		set("f-lines-1-billing_rule-frequency", "once"), set("f-lines-1-billing_rule-start_date", weekAgo))
	l.click(`main form button[type=submit]`)
	l.flash("drafted")
	l.page("proposal-drafted")
	l.do("open the send form", chromedp.Click(chromedp.CSS(`a[href$="/send"]`)), chromedp.WaitVisible(chromedp.CSS(`form[action$="/send"] [type=submit]`)))
	// Both contacts, where the form lets staff choose them.
	contacts, err := chromedp.Run(l.ctx, chromedp.Evaluate[int](`(() => {
		const cs = [...document.querySelectorAll('form[action$="/send"] input[type=checkbox][name=contact_ids]')];
		cs.forEach(c => c.checked = true);
		return cs.length;
	})()`))
	if err != nil {
		l.t.Fatal(err)
	}
	l.page("proposal-send")
	l.click(`form[action$="/send"] [type=submit]`)
	l.flash("Proposal sent")
	l.page("proposal-sent")
	l.acceptLink = l.findEmailLink(miaEmail, "/c/p/", 30*time.Second)
	if l.acceptLink == "" {
		l.t.Fatalf("no proposal email with a /c/p/ link reached %s", miaEmail)
	}
	if contacts == 2 && l.findEmailLink(tomEmail, "/c/p/", 30*time.Second) == "" {
		l.t.Fatalf("the proposal was sent to both contacts, but no email with a /c/p/ link reached %s", tomEmail)
	}
}

func (l *loop) clientSignsAndChoosesAMethod() {
	l.t.Helper()
	l.do("open the proposal link", chromedp.Navigate(l.acceptLink), chromedp.WaitVisible(chromedp.ID("f-accept")))
	if s := l.text("main"); !strings.Contains(s, "Bakery services") || !strings.Contains(s, "Visa •••• 0341") {
		l.t.Fatalf("the acceptance page lacks the proposal or the card on file: %s", s)
	}
	l.page("client-proposal")
	l.do("sign and choose the card on file", set("f-accepted_by_name", "Mia Chen"),
		chromedp.Click(chromedp.CSS(`input[name=payment_method]:not([value=new])`)), chromedp.Click(chromedp.ID("f-accept")))
	l.page("client-signs")
	l.click(`main form button[type=submit]`)
	l.flash("Thank you")
	l.page("client-accepted")
}

func (l *loop) staffEditsAnAutomaticItem() {
	l.t.Helper()
	l.do("open the schedule", chromedp.Navigate(l.clientURL+"/schedule"), chromedp.WaitVisible(chromedp.CSS(`section.card`)))
	if s := l.text("main"); !strings.Contains(s, "Bookkeeping") || !strings.Contains(s, "Overdue") {
		l.t.Fatalf("the schedule lacks the automatic item or the overdue manual one: %s", s)
	}
	l.page("schedule")
	l.do("open the automatic item", chromedp.Click(chromedp.CSS(`section.card a[href$="/edit"]`)), chromedp.WaitVisible(chromedp.ID("f-unit_price")))
	l.page("edit-item")
	l.do("change its price", set("f-unit_price", "275"))
	l.click(`main form button[type=submit]`)
	l.flash("Billing of Bookkeeping saved.")
	if s := l.text("section.card"); !strings.Contains(s, "A$275.00") {
		l.t.Fatalf("the edited item does not show its new price: %s", s)
	}
	l.page("item-edited")
}

func (l *loop) staffBillsAManualItem() {
	l.t.Helper()
	l.do("open the overdue manual item", chromedp.Click(chromedp.CSS(`tr.overdue a[href$="/bill"]`)), chromedp.WaitVisible(chromedp.ID("f-quantity")))
	l.page("bill-manual-item")
	l.do("confirm the quantity", set("f-quantity", "2"))
	l.click(`#issue`)
	l.flash("Invoice issued for Advisory.")
	if s := l.text("tfoot"); !strings.Contains(s, "A$880.00") {
		l.t.Fatalf("the invoice total is not 2 × 400 + 10%% tax: %s", s)
	}
	l.page("manual-item-billed")
}

func (l *loop) staffRunsBilling() {
	l.t.Helper()
	l.do("open the clients page", chromedp.Navigate(l.srv.url+"/clients"), chromedp.WaitVisible(chromedp.ID("run-billing")))
	l.click(`#run-billing`)
	l.flash("Billing run for")
	if s := l.text(".flash.ok"); !strings.Contains(s, "payment rejected") && !strings.Contains(s, "payments rejected") {
		l.t.Fatalf("the billing run rejected no payment on the declining card: %s", s)
	}
	l.page("billing-run")
	l.do("open the rejected invoice", chromedp.Navigate(l.clientURL+"/invoices"),
		chromedp.Click(`//tr[contains(., "Payment rejected")]//a[starts-with(@href, "/invoices/")]`), chromedp.WaitVisible(chromedp.CSS(`section.warn`)))
	l.invoiceURL = l.location()
	if s := l.text("section.warn"); !strings.Contains(s, "Your card was declined.") {
		l.t.Fatalf("the rejected-payment panel lacks the decline reason: %s", s)
	}
	l.page("invoice-rejected")
	l.methodLink, _ = chromedp.Run(l.ctx, chromedp.Value(chromedp.ID("method-link")))
}

func (l *loop) staffRetriesWithAnotherCard() {
	l.t.Helper()
	l.addCard("4242 4242 4242 4242", "card-working")
	l.do("open the retry form", chromedp.Navigate(l.invoiceURL), chromedp.Click(chromedp.CSS(`section.warn a[href$="/retry"]`)),
		chromedp.WaitVisible(chromedp.ID("f-payment_method_id")))
	l.page("retry-form")
	visa, err := chromedp.Run(l.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("#f-payment_method_id option")].find(o => o.text.includes("4242")).value`))
	if err != nil || visa == "" {
		l.t.Fatalf("the retry form does not offer the new card: %q %v", visa, err)
	}
	l.do("choose the new card, today", set("f-payment_method_id", visa), set("f-date", l.today.Format("2006-01-02")))
	l.click(`main form button[type=submit]`)
	l.flash("Payment retry scheduled.")
	if s := l.text("main"); !strings.Contains(s, "Visa •••• 4242") {
		l.t.Fatalf("the invoice does not show the retry with the new card: %s", s)
	}
	l.page("retry-scheduled")
}

func (l *loop) theInvoiceEndsPaid() {
	l.t.Helper()
	l.do("open the clients page", chromedp.Navigate(l.srv.url+"/clients"), chromedp.WaitVisible(chromedp.ID("run-billing")))
	l.click(`#run-billing`)
	l.flash("payment collected")
	l.do("open the invoice", chromedp.Navigate(l.invoiceURL), chromedp.WaitVisible(chromedp.CSS(`h2`)))
	if s := l.text("h2"); !strings.Contains(s, "Paid") {
		l.t.Fatalf("the invoice is not paid after the retry: %s", s)
	}
	l.page("invoice-paid")
	// The client gets a receipt for it.
	l.email(miaEmail, "302.50")
}

// staffRefundsHalfOfIt: staff refund half of the paid invoice through the
// gateway; its credit note appears with it.
func (l *loop) staffRefundsHalfOfIt() {
	l.t.Helper()
	l.do("open the refund form", chromedp.Navigate(l.invoiceURL), chromedp.Click(chromedp.CSS(`a[href$="/refund"]`)), chromedp.WaitVisible(chromedp.ID("f-amount")))
	l.page("refund-form")
	l.do("refund half", set("f-amount", "151.25"), set("f-reason", "Half the month was not needed"))
	l.click(`main form button[type=submit]`)
	l.flash("refunded")
	if s := l.text("main"); !strings.Contains(s, "Half the month was not needed") || !strings.Contains(s, "151.25") || !strings.Contains(s, "Refund: Half the month") {
		l.t.Fatalf("the invoice does not show the refund and its credit note: %s", s)
	}
	l.page("invoice-refunded")
	// The client is told, by email.
	l.email(miaEmail, "Half the month was not needed")
}

// staffIssuesABillToAClientWithNoMethod: a new client with nothing on file
// is billed; the invoice email carries a pay-now link.
func (l *loop) staffIssuesABillToAClientWithNoMethod() {
	l.t.Helper()
	l.do("open the new client form", chromedp.Navigate(l.srv.url+"/clients/new"), chromedp.WaitVisible(chromedp.ID("f-name")))
	l.do("fill in the client", set("f-name", cafeName), set("f-contacts-0-name", "Jo Park"), set("f-contacts-0-email", cafeEmail),
		set("f-address-line1", "3 King St"), set("f-address-city", "Sydney"), set("f-address-country", "AU"))
	l.click(`main form button[type=submit]`)
	l.flash("Client " + cafeName + " created.")
	l.cafeURL = l.location()
	l.do("open instant bill", chromedp.Navigate(l.cafeURL+"/bill"), chromedp.WaitVisible(chromedp.ID("f-lines-0-description")))
	l.do("fill in the bill", set("f-lines-0-description", "Menu costing"), set("f-lines-0-unit_price", "400"), set("f-lines-0-tax_rate", "10"))
	l.click(`#issue`)
	l.flash("Invoice issued")
	l.page("cafe-bill-issued")
}

// clientPaysFromThePayNowLink: the client follows the invoice email's
// pay-now link, pays by card on the gateway's page, and the invoice is paid.
func (l *loop) clientPaysFromThePayNowLink() {
	l.t.Helper()
	link := l.findEmailLink(cafeEmail, "/c/i/", 30*time.Second)
	if link == "" {
		l.t.Fatalf("the invoice email to %s carries no pay-now link; mailpit holds %+v", cafeEmail, l.mail.Messages())
	}
	l.do("open the pay-now link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("pay-now")))
	if s := l.text("main"); !strings.Contains(s, "440.00") {
		l.t.Fatalf("the pay-now page does not show what is owed: %s", s)
	}
	l.page("client-pay-now")
	l.do("to the gateway's page", chromedp.Click(chromedp.ID("pay-now")), chromedp.WaitVisible(chromedp.ID("card-number")))
	l.page("client-pay-now-gateway")
	l.do("pay by card", set("card-number", "4242 4242 4242 4242"), set("card-expiry", fmt.Sprintf("08 / %02d", (l.today.Year()+4)%100)), set("card-cvc", "123"))
	l.click(`section[aria-labelledby="h-card"] button[type=submit]`)
	l.flash("your payment of A$440.00 was received")
	l.page("client-paid")
	l.email(cafeEmail, "We received your payment of") // the receipt
	l.do("open the cafe's invoices", chromedp.Navigate(l.cafeURL+"/invoices"), chromedp.WaitVisible(chromedp.CSS(`main table`)))
	if s := l.text("main table"); !strings.Contains(s, "Paid") {
		l.t.Fatalf("staff do not see the cafe's invoice paid: %s", s)
	}
}

// staffRequestsPaymentDetailsByFilter: staff ask every client with no
// method on file for one; the cafe (who paid once without keeping its card)
// is emailed a link.
func (l *loop) staffRequestsPaymentDetailsByFilter() {
	l.t.Helper()
	l.do("filter the clients without a method", chromedp.Navigate(l.srv.url+"/clients"),
		chromedp.SetValue(chromedp.ID("filter"), "no_active_method"), chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("request-details-bulk")))
	l.page("clients-no-method")
	l.do("open the confirm page", chromedp.Click(chromedp.ID("request-details-bulk")), chromedp.WaitVisible(chromedp.ID("request-count")))
	if s := l.text("#request-count"); !strings.Contains(s, "1 client will be emailed") {
		l.t.Fatalf("the confirm page says %q, want the cafe alone", s)
	}
	l.page("request-details-confirm")
	l.do("send", set("f-note", "Please keep a card or bank account on file for the monthly work."))
	l.click(`main form button[type=submit]`)
	l.flash("Payment details requested")
	l.do("the unanswered requests", chromedp.Navigate(l.srv.url+"/clients?filter=request_unanswered"), chromedp.WaitVisible(chromedp.CSS(`main`)))
	if s := l.text("main"); !strings.Contains(s, cafeName) {
		l.t.Fatalf("the cafe is not listed as not having answered: %s", s)
	}
	l.page("requests-unanswered")
}

// clientAddsABankAccountFromTheRequest: the cafe follows the request
// email's link and puts a BECS account on file, agreeing to its mandate.
func (l *loop) clientAddsABankAccountFromTheRequest() {
	l.t.Helper()
	link := l.findEmailLink(cafeEmail, "/c/m/", 30*time.Second)
	if link == "" {
		l.t.Fatalf("the request email to %s carries no link; mailpit holds %+v", cafeEmail, l.mail.Messages())
	}
	l.do("open the request's link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("h-add")))
	l.page("client-method-link")
	l.do("to the gateway's page", chromedp.Click(chromedp.CSS(`section[aria-labelledby="h-add"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("au_becs_debit-bsb")))
	l.do("enter the account and agree to the mandate", set("au_becs_debit-bsb", "000-000"), set("au_becs_debit-account_number", "000123456"),
		chromedp.Click(chromedp.ID("au_becs_debit-mandate")))
	l.page("client-becs-gateway")
	l.click(`section[aria-labelledby="h-au_becs_debit"] button[type=submit]`)
	l.flash("000-000 ****3456")
	l.page("client-becs-added")
	l.do("the unanswered requests", chromedp.Navigate(l.srv.url+"/clients?filter=request_unanswered"), chromedp.WaitVisible(chromedp.CSS(`main`)))
	if s := l.text("main"); strings.Contains(s, cafeName) {
		l.t.Fatalf("the cafe answered and is still listed as not having answered: %s", s)
	}
	l.page("requests-answered")
}

func (l *loop) theServiceActivityReadsInPlainEnglish() {
	l.t.Helper()
	l.do("open the services", chromedp.Navigate(l.clientURL+"/services"), chromedp.Click(`//a[normalize-space()="Bookkeeping"]`),
		chromedp.WaitVisible(chromedp.CSS(`a[href$="/activity"]`)))
	l.page("service")
	l.serviceURL = l.location()
	l.do("open its activity", chromedp.Click(chromedp.CSS(`a[href$="/activity"]`)), chromedp.WaitVisible(chromedp.CSS(`ol.activity`)))
	l.page("service-activity")
	act := l.text("ol.activity")
	if !strings.Contains(act, "275") {
		l.t.Errorf("the activity lacks the item's new price: %s", act)
	}
	// Plain English: people by name, the client as themselves or "through
	// their link", invoices by number, an edit as old → new; no raw ids.
	raw := regexp.MustCompile(`\b(user|client-link|token):[0-9a-f-]{8,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`).FindAllString(act, -1)
	byStaff := strings.Contains(act, staffName)
	byClient := strings.Contains(act, "Mia Chen") || strings.Contains(act, "their link")
	edit := regexp.MustCompile(`250(\.00)?\s*→\s*(A\$)?275`).MatchString(act)
	byNumber := strings.Contains(act, "INV-")
	if len(raw) > 0 {
		l.t.Errorf("the activity shows raw ids %q:\n%s", raw, act)
	}
	if !byStaff || !byClient {
		l.t.Errorf("the activity does not name the staff member (%s) and the client (by name, or through their link):\n%s", staffName, act)
	}
	if !edit {
		l.t.Errorf("the activity does not show the price edit as 250 → 275:\n%s", act)
	}
	if !byNumber {
		l.t.Errorf("the activity does not name the invoice by its number:\n%s", act)
	}
}

// everyOtherPageIsAccessible visits the pages the loop did not need, each
// reached from a link on a page it did, and checks them with axe-core.
func (l *loop) everyOtherPageIsAccessible() {
	l.t.Helper()
	pages := []struct{ name, path string }{
		{"services-tab", l.clientURL + "/services"},
		{"schedule-of-service", l.serviceURL + "/schedule"},
		{"edit-service", l.serviceURL + "/edit"},
		{"end-service", l.serviceURL + "/end"},
		{"add-service", l.clientURL + "/services/new"},
		{"invoices-tab", l.clientURL + "/invoices"},
		{"payment-methods-tab", l.clientURL + "/payment-methods"},
		{"edit-client", l.clientURL + "/edit"},
		{"ledger", l.srv.url + "/ledger"},
		{"not-found", l.srv.url + "/no-such-page"},
		{"client-link-no-longer-valid", l.srv.url + "/c/p/not-a-link"},
	}
	if l.methodLink != "" {
		pages = append(pages, struct{ name, path string }{"client-method-link", l.methodLink})
	}
	for _, p := range pages {
		l.do("open "+p.name, chromedp.Navigate(p.path), chromedp.WaitVisible(chromedp.CSS("h1, h2")))
		l.page(p.name)
	}
}

// ---- helpers ----

func set(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.ID(id), value)
}

// do runs browser actions with a time limit, failing the test with what it
// was doing.
func (l *loop) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(l.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		l.t.Fatalf("%s (at %s): %v", what, l.location(), err)
	}
}

func (l *loop) text(sel string) string {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(l.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		l.t.Fatalf("text of %s (at %s): %v", sel, l.location(), err)
	}
	return s
}

func (l *loop) location() string {
	s, _ := chromedp.Run(l.ctx, chromedp.Location())
	return s
}

// page checks the page the browser shows with axe-core and saves a
// screenshot of it, numbered in the loop's order.
func (l *loop) page(name string) {
	l.t.Helper()
	uitest.CheckAccessible(l.t, l.ctx, name)
	l.n++
	file := fmt.Sprintf("%02d-%s", l.n, name)
	uitest.Screenshot(l.t, l.ctx, l.shots, file)
	l.Shots = append(l.Shots, file+".png")
}

// flash waits for the confirmation of an action and checks it contains
// want.
func (l *loop) flash(want string) {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(l.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`.flash.ok, .flash.err, .errors`))); err != nil {
		l.t.Fatalf("no confirmation %q at %s: %v\n%s", want, l.location(), err, l.bodyText())
	}
	got, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.flash.ok, .flash.err, .errors`)))
	ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector(".flash.ok") !== null`))
	if !ok || !strings.Contains(got, want) {
		l.t.Fatalf("at %s: %q, want a confirmation with %q", l.location(), got, want)
	}
}

func (l *loop) bodyText() string {
	s, _ := chromedp.Run(l.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

// click clicks sel and waits for the page it leads to.
func (l *loop) click(sel string) string {
	l.t.Helper()
	return l.navigating("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// submit sends the form holding the field labelled label, as its submit
// button would, and returns the text of the page it leads to.
func (l *loop) submit(label string) string {
	l.t.Helper()
	return l.navigating("submit the form of "+label, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const c = %s;
		if (!c) throw new Error("no field labelled %s");
		const b = c.form.querySelector("button[type=submit], button:not([type])");
		c.form.requestSubmit(b);
	})()`, labelled(label), label)))
}

// navigating runs an action that leaves the page and waits until the next
// page has loaded: the old document is marked first, and the wait ends
// when a document without the mark is complete.
func (l *loop) navigating(what string, action chromedp.Action[chromedp.Void]) string {
	l.t.Helper()
	l.do(what, chromedp.Evaluate[chromedp.Void](`window.__remitLeaving = true`), action)
	deadline := time.Now().Add(30 * time.Second)
	for {
		done, err := chromedp.Run(l.ctx, chromedp.Evaluate[bool](`!window.__remitLeaving && document.readyState === "complete"`))
		if err == nil && done {
			return l.bodyText()
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("%s: no new page within 30s (at %s)", what, l.location())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// labelled is a script expression for the form control whose label reads
// label: the label that says exactly that, else the first that starts so
// (ignoring case, spacing and a required-field star).
func labelled(label string) string {
	want, _ := json.Marshal(strings.ToLower(label))
	return fmt.Sprintf(`(() => {
		const norm = s => s.replace(/\*/g, "").replace(/\s+/g, " ").trim().toLowerCase();
		const ls = [...document.querySelectorAll("label")].filter(l => l.control);
		const l = ls.find(l => norm(l.textContent) === %[1]s) || ls.find(l => norm(l.textContent).startsWith(%[1]s));
		return l ? l.control : null;
	})()`, want)
}

// fill types value into the field labelled label (a select is set to the
// option with that value or text).
func (l *loop) fill(label, value string) {
	l.t.Helper()
	if !l.tryFill(label, value) {
		l.t.Fatalf("no field labelled %q at %s", label, l.location())
	}
}

func (l *loop) tryFill(label, value string) bool {
	l.t.Helper()
	v, _ := json.Marshal(value)
	ok, err := chromedp.Run(l.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		const c = %s, v = %s;
		if (!c) return false;
		if (c.tagName === "SELECT") {
			const o = [...c.options].find(o => o.value === v || o.text.trim() === v);
			if (!o) throw new Error("no option " + v);
			c.value = o.value;
		} else if (c.type === "checkbox" || c.type === "radio") {
			c.checked = v === "on";
		} else {
			c.value = v;
		}
		c.dispatchEvent(new Event("input", {bubbles: true}));
		c.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`, labelled(label), v)))
	if err != nil {
		l.t.Fatalf("fill %q at %s: %v", label, l.location(), err)
	}
	return ok
}

// signIn signs in on the sign-in page as a person would.
func (l *loop) signIn(email string) {
	l.t.Helper()
	l.do("open the sign-in page", chromedp.Navigate(l.srv.url+"/login"), chromedp.WaitVisible(chromedp.CSS(`input[type=password]`)))
	l.page("sign-in")
	l.fill("Email", email)
	l.fill("Password", password)
	if body := l.submit("Email"); strings.Contains(l.location(), "/login") {
		l.t.Fatalf("signing in as %s failed: %s", email, body)
	}
}

// email waits for a message to addr whose text contains want and returns
// it.
func (l *loop) email(addr, want string) mailtest.Message {
	l.t.Helper()
	if m, ok := l.findEmail(addr, want, 30*time.Second); ok {
		return m
	}
	l.t.Fatalf("no email to %s containing %q reached mailpit; it holds %+v", addr, want, l.mail.Messages())
	return mailtest.Message{}
}

func (l *loop) findEmail(addr, want string, wait time.Duration) (mailtest.Message, bool) {
	l.t.Helper()
	deadline := time.Now().Add(wait)
	seen := map[string]bool{}
	for {
		for _, s := range l.mail.Messages() {
			if seen[s.ID] {
				continue
			}
			for _, to := range s.To {
				if strings.EqualFold(to.Address, addr) {
					m := l.mail.Message(s.ID)
					if strings.Contains(m.Text, want) || strings.Contains(m.HTML, want) {
						return m, true
					}
					seen[s.ID] = true
				}
			}
		}
		if time.Now().After(deadline) {
			return mailtest.Message{}, false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// findEmailLink waits for an email to addr carrying a link with path and
// returns the link, or "".
func (l *loop) findEmailLink(addr, path string, wait time.Duration) string {
	l.t.Helper()
	m, ok := l.findEmail(addr, path, wait)
	if !ok {
		return ""
	}
	return regexp.MustCompile(`https?://[^\s<>"]+` + regexp.QuoteMeta(path) + `[^\s<>"]+`).FindString(m.Text + "\n" + m.HTML)
}
