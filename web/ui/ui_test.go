package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/projections"
)

func TestClientsListSearchFilterAndPages(t *testing.T) {
	a := newApp(t)
	for i := range 30 {
		a.mustClient(fmt.Sprintf("Client %02d", i))
	}
	late := a.mustClient("Zeta Overdue")
	res, err := a.svc.IssueInvoice(context.Background(), billing.IssueInvoiceRequest{ClientID: late, IssueDate: date("2025-01-02"),
		Lines: []billing.InstantLine{{Description: "Old work", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(1234)}}}, a.meta())
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)
	gone := a.mustClient("Archived Pty")
	a.wait(must(a.svc.ArchiveClient(context.Background(), billing.ClientRef{ClientID: gone}, a.meta())))

	p := a.get("/clients")
	if p.Status != http.StatusOK {
		t.Fatalf("GET /clients = %d", p.Status)
	}
	mustContain(t, p, "1–25 of 32", "Next page", `<label for="q">Search</label>`)
	if strings.Contains(p.Body, "Zeta Overdue") {
		t.Error("the first page shows the last client by name")
	}
	p2 := a.get("/clients?page=2")
	mustContain(t, p2, "26–32 of 32", "Zeta Overdue", "A$1,234.00", "Previous page")

	s := a.get("/clients?q=zeta")
	mustContain(t, s, "Zeta Overdue", "1–1 of 1")
	if strings.Contains(s.Body, "Client 01") {
		t.Error("search for zeta shows Client 01")
	}
	o := a.get("/clients?filter=has_overdue")
	mustContain(t, o, "Zeta Overdue", "1–1 of 1", `class="overdue"`)
	ar := a.get("/clients?filter=archived")
	mustContain(t, ar, "Archived Pty", "1–1 of 1")
	act := a.get("/clients?filter=active")
	if strings.Contains(act.Body, "Archived Pty") {
		t.Error("the active filter shows an archived client")
	}
	if a.get("/").Status != http.StatusSeeOther {
		t.Error("/ does not redirect to the clients list")
	}
}

// A firm with no clients is invited to add one; a search that finds none
// says so and leads back to every client.
func TestClientsListEmpty(t *testing.T) {
	a := newApp(t)
	p := a.get("/clients")
	mustContain(t, p, "No clients yet.", `<a href="/clients/new">Add your first client</a>`)
	if strings.Contains(p.Body, "No clients match") {
		t.Error("an empty firm is told no clients match")
	}
	a.mustClient("Acme Pty")
	s := a.get("/clients?q=zeta")
	mustContain(t, s, "No clients match.", `<a href="/clients">Show all clients</a>`)
	if strings.Contains(s.Body, "No clients yet") {
		t.Error("a search that finds nothing says the firm has no clients")
	}
}

func TestCreateClient(t *testing.T) {
	a := newApp(t)
	p := a.get("/clients/new")
	mustContain(t, p, `<label for="f-name">Name`, `name="_token"`, `value="AUD"`)

	t.Run("ErrInvalid", func(t *testing.T) {
		before := a.head()
		bad := a.post("/clients/new", url.Values{"name": {""}, "kind": {"business"}, "contacts[0].name": {"Ada"}, "contacts[0].email": {"not-an-email"}, "address.city": {"Sydney"}, "payment_terms_days": {"ten"}})
		if bad.Status != http.StatusUnprocessableEntity {
			t.Fatalf("status = %d, want 422", bad.Status)
		}
		if e := fieldError(bad.Body, "payment_terms_days"); e == "" {
			t.Errorf("no inline error on payment terms: %s", errorsOf(bad.Body))
		}
		if v := inputValue(bad.Body, "address.city"); v != "Sydney" {
			t.Errorf("city kept as %q", v)
		}
		bad2 := a.post("/clients/new", url.Values{"name": {""}, "kind": {"business"}, "contacts[0].name": {"Ada"}, "contacts[0].email": {"not-an-email"}})
		if fieldError(bad2.Body, "name") == "" || fieldError(bad2.Body, "contacts[0].email") == "" {
			t.Errorf("domain errors not inline on name and email: %s", errorsOf(bad2.Body))
		}
		if v := inputValue(bad2.Body, "contacts[0].email"); v != "not-an-email" {
			t.Errorf("email kept as %q", v)
		}
		if a.head() != before {
			t.Error("bad input appended events")
		}
	})
	t.Run("OK", func(t *testing.T) {
		ok := a.mustPost("/clients/new", url.Values{"name": {"Acme Pty"}, "kind": {"business"}, "currency": {"AUD"},
			"contacts[0].name": {"Ada Lovelace"}, "contacts[0].email": {"ada@acme.test"}}, "Client Acme Pty created.")
		mustContain(t, ok, "Acme Pty", "Ada Lovelace", "Primary billing contact", `aria-current="page">Summary`)
		id := idFrom(t, ok.Location, "/clients/")
		if _, err := a.models.Summary(context.Background(), id, date("2025-03-10")); err != nil {
			t.Errorf("client not in the read models: %v", err)
		}
	})
}

func TestClientPageTabs(t *testing.T) {
	a := newApp(t)
	id := a.mustClient("Acme")
	a.mustCard(id, "pm_card_visa")
	svc := a.mustService(id, "Bookkeeping", "250", date("2025-03-20"), true)
	a.mustService(id, "Tax return", "900", date("2025-03-01"), false)
	inv := a.mustInvoice(id, "100")
	base := "/clients/" + id.String()
	for _, tc := range []struct {
		path string
		want []string
	}{
		{base, []string{"Money owed", "A$110.00", "Ada Acme", "Visa", "Proposals"}},
		{base + "/services", []string{"Active services", "Bookkeeping", "Monthly", "A$250.00", "/services/" + svc.String()}},
		{base + "/schedule", []string{"Automatic billings", "20 Mar 2025", "Bookkeeping", "Manual billings", "Tax return", "Overdue"}},
		{base + "/invoices", []string{"INV-", "Awaiting payment", "A$110.00", "/invoices/" + inv.String()}},
		{base + "/payment-methods", []string{"Visa", "4242", "Default", "Replace", "Remove", "Activity"}},
		{base + "/edit", []string{"Edit client", `value="Acme"`, "Archive client"}},
	} {
		p := a.get(tc.path)
		if p.Status != http.StatusOK {
			t.Errorf("GET %s = %d", tc.path, p.Status)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(p.Body, w) {
				t.Errorf("GET %s lacks %q", tc.path, w)
			}
		}
	}
	for _, path := range []string{"/clients/00000000-0000-0000-0000-000000000001", "/clients/not-a-uuid", "/invoices/00000000-0000-0000-0000-000000000001", "/services/00000000-0000-0000-0000-000000000001", "/nowhere"} {
		if p := a.get(path); p.Status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, p.Status)
		}
	}
	css := a.get("/static/remit.css")
	if css.Status != http.StatusOK || !strings.Contains(css.Body, "focus-visible") {
		t.Errorf("stylesheet not served: %d", css.Status)
	}
}

func TestEditAndArchiveClient(t *testing.T) {
	a := newApp(t)
	id := a.mustClient("Acme")
	base := "/clients/" + id.String()
	before := a.head()
	bad := a.post(base+"/edit", url.Values{"name": {""}, "kind": {"business"}, "currency": {"XXX"}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "currency") == "" {
		t.Fatalf("bad edit = %d, errors %s", bad.Status, errorsOf(bad.Body))
	}
	if a.head() != before {
		t.Error("bad edit appended events")
	}
	ok := a.mustPost(base+"/edit", url.Values{"name": {"Acme Holdings"}, "kind": {"business"}, "currency": {"AUD"}, "payment_terms_days": {"30"}}, "Client details saved.")
	mustContain(t, ok, "Acme Holdings", "30 days")
	arch := a.mustPost(base+"/archive", url.Values{"reason": {"left"}}, "Client archived.")
	mustContain(t, arch, "Archived")
	a.mustPost(base+"/restore", nil, "Client restored.")
}

func TestContacts(t *testing.T) {
	a := newApp(t)
	id := a.mustClient("Acme")
	base := "/clients/" + id.String()
	mustContain(t, a.get(base+"/contacts/new"), `<label for="f-contact-name">Name`)
	bad := a.post(base+"/contacts/new", url.Values{"contact.name": {""}, "contact.email": {"bob@"}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "contact.name") == "" {
		t.Fatalf("bad contact = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	a.mustPost(base+"/contacts/new", url.Values{"contact.name": {"Bob Jones"}, "contact.email": {"bob@acme.test"}}, "Contact Bob Jones added.")
	sum, _ := a.models.Summary(context.Background(), id, date("2025-03-10"))
	var bob string
	for _, c := range sum.Contacts {
		if c.Name == "Bob Jones" {
			bob = c.ID.String()
		}
	}
	a.mustPost(base+"/contacts/"+bob+"/primary", nil, "Primary billing contact changed.")
	sum, _ = a.models.Summary(context.Background(), id, date("2025-03-10"))
	if sum.PrimaryContact.String() != bob {
		t.Error("Bob is not the primary contact")
	}
	// The primary contact cannot be removed without a successor: the error
	// comes back on the page, nothing is appended.
	before := a.head()
	p := a.post(base+"/contacts/"+bob+"/remove", nil)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("remove = %d", p.Status)
	}
	if back := a.get(p.Location); !strings.Contains(back.Body, "flash err") {
		t.Error("refused removal shows no error")
	}
	if a.head() != before {
		t.Error("refused removal appended events")
	}
}

// TestPaymentMethods: staff add a card and a BECS account on the client's
// behalf on the gateway's hosted page (no form in Remit asks for a token,
// brand or number), make one the default, replace and remove.
func TestPaymentMethods(t *testing.T) {
	a := newApp(t)
	id := a.mustClient("Acme")
	base := "/clients/" + id.String() + "/payment-methods"
	form := a.get(base + "/new")
	mustContain(t, form, "Add a card or bank account", "sandbox test gateway", "Australian bank accounts (BECS Direct Debit)")
	for _, gone := range []string{"gateway_token", "method.brand", "method.last4", "expiry"} {
		if strings.Contains(form.Body, gone) {
			t.Errorf("the staff form still asks for %s", gone)
		}
	}
	before := a.head()
	open := a.post(base+"/new", url.Values{"_token": {hiddenToken(t, form.Body)}})
	if open.Status != http.StatusSeeOther || a.head() != before {
		t.Fatalf("opening the gateway's page = %d, appended %d", open.Status, a.head()-before)
	}
	// A declined card is refused on the gateway's page and records nothing.
	if d := a.post(pathOf(open.Location), testCard("4000000000000002")); d.Status != http.StatusUnprocessableEntity || !strings.Contains(d.Body, "Your card was declined.") {
		t.Fatalf("declined card = %d", d.Status)
	}
	p := a.throughGateway(open.Location, testCard("4242 4242 4242 4242"))
	mustContain(t, p, "Payment method Visa •••• 4242, expires 12/2030 added.", "Default")
	open = a.post(base+"/new", url.Values{"_token": {hiddenToken(t, a.get(base+"/new").Body)}})
	a.throughGateway(open.Location, becsAccount("000123456"))
	sum, _ := a.models.Summary(context.Background(), id, date("2025-03-10"))
	if len(sum.PaymentMethods) != 2 {
		t.Fatalf("%d methods", len(sum.PaymentMethods))
	}
	if m := sum.PaymentMethods[1]; m.Kind != client.MethodBankDebit || m.MaskedAccount != "000-000 ****3456" || m.MandateReference == "" {
		t.Errorf("BECS account on file as %+v", m)
	}
	if sum.PaymentMethods[0].GatewayCustomer == "" || sum.PaymentMethods[1].GatewayCustomer != sum.PaymentMethods[0].GatewayCustomer {
		t.Errorf("the client's methods are on different gateway customers: %q %q", sum.PaymentMethods[0].GatewayCustomer, sum.PaymentMethods[1].GatewayCustomer)
	}
	first, second := sum.PaymentMethods[0].ID.String(), sum.PaymentMethods[1].ID.String()
	a.mustPost(base+"/"+second+"/default", nil, "Default payment method changed.")
	mustContain(t, a.get(base+"/"+first+"/replace"), "Replace Visa •••• 4242, expires 12/2030", "Replace on the payment page")
	open = a.post(base+"/"+first+"/replace", url.Values{"_token": {hiddenToken(t, a.get(base+"/"+first+"/replace").Body)}})
	a.throughGateway(open.Location, testCard("5555 5555 5555 4444"))
	p = a.mustPost(base+"/"+second+"/remove", nil, "")
	mustContain(t, p, "4444")
	sum, _ = a.models.Summary(context.Background(), id, date("2025-03-10"))
	labels := ""
	for _, m := range sum.PaymentMethods {
		labels += m.Label + ";"
	}
	if !strings.Contains(labels, "4444") || strings.Contains(labels, "4242") {
		t.Errorf("methods after replace: %s", labels)
	}
	mustContain(t, a.get(base), "added")
	a.assertNoNumbersInTheLog()
}

func TestInstantBill(t *testing.T) {
	a := newApp(t)
	id := a.mustClient("Acme")
	a.mustCard(id, "pm_card_visa")
	base := "/clients/" + id.String()
	mustContain(t, a.get(base+"/bill"), "Issue invoice", `<label for="f-lines-0-description">Description`)

	t.Run("ErrInvalid", func(t *testing.T) {
		before := a.head()
		bad := a.post(base+"/bill", url.Values{"lines[0].description": {""}, "lines[0].quantity": {"1"}, "lines[0].unit_price": {"abc"}})
		if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "lines[0].unit_price") == "" {
			t.Fatalf("bad price = %d: %s", bad.Status, errorsOf(bad.Body))
		}
		if v := inputValue(bad.Body, "lines[0].unit_price"); v != "abc" {
			t.Errorf("price kept as %q", v)
		}
		bad = a.post(base+"/bill", url.Values{"lines[0].description": {""}, "lines[0].quantity": {"0"}, "lines[0].unit_price": {"10"}})
		if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "lines[0].description") == "" || fieldError(bad.Body, "lines[0].quantity") == "" {
			t.Fatalf("domain errors not inline: %d: %s", bad.Status, errorsOf(bad.Body))
		}
		// A problem on the third line lands on the third line's inputs even
		// when the second is left empty.
		bad = a.post(base+"/bill", url.Values{"lines[0].description": {"Work"}, "lines[0].unit_price": {"10"}, "lines[2].description": {""}, "lines[2].unit_price": {"-5"}})
		if fieldError(bad.Body, "lines[2].unit_price") == "" {
			t.Errorf("third line's error not on its input: %s", errorsOf(bad.Body))
		}
		if a.head() != before {
			t.Error("bad input appended events")
		}
	})
	t.Run("OK", func(t *testing.T) {
		p := a.mustPost(base+"/bill", url.Values{"lines[0].description": {"Advice"}, "lines[0].quantity": {"2"}, "lines[0].unit_price": {"1000"}, "lines[0].tax_rate": {"10"}}, "Invoice issued.")
		// The card on file is charged on the firm's collection date (today).
		mustContain(t, p, "INV-", "Advice", "A$2,000.00", "A$200.00", "A$2,200.00", "Payment scheduled", "10 Mar 2025 from Visa", "Audit trail")
	})
	t.Run("DoubleSubmit", func(t *testing.T) {
		form := url.Values{"_token": {"3f1c8f6e-8d0b-4c57-9a9e-7d1f3b2a1c00"}, "lines[0].description": {"Once only"}, "lines[0].unit_price": {"50"}}
		before := a.invoiceTotal(projections.InvoiceQuery{ClientID: id, Today: date("2025-03-10")})
		var wg sync.WaitGroup
		locs := make([]string, 4)
		for i := range locs {
			wg.Go(func() {
				resp, err := a.client.PostForm(a.server.URL+base+"/bill", form)
				if err != nil {
					t.Error(err)
					return
				}
				p := read(t, resp)
				if p.Status != http.StatusSeeOther {
					t.Errorf("submit %d = %d: %s", i, p.Status, errorsOf(p.Body))
				}
				locs[i] = p.Location
			})
		}
		wg.Wait()
		after := a.invoiceTotal(projections.InvoiceQuery{ClientID: id, Today: date("2025-03-10")})
		if after != before+1 {
			t.Errorf("4 submissions of one form issued %d invoices, want 1", after-before)
		}
		for _, l := range locs[1:] {
			if l != locs[0] {
				t.Errorf("submissions redirect to %q and %q", locs[0], l)
			}
		}
	})
}

func TestServicePagesAndActions(t *testing.T) {
	a := newApp(t)
	id := a.mustClient("Acme")
	a.mustCard(id, "pm_card_visa")
	base := "/clients/" + id.String()
	mustContain(t, a.get(base+"/services/new"), "Billing rule", `<label for="f-billing_rule-frequency">How often`)

	before := a.head()
	bad := a.post(base+"/services/new", url.Values{"name": {""}, "unit_price": {"100"}, "quantity": {"1"}, "billing_rule.frequency": {"monthly"}, "billing_rule.end": {"on_date"}, "billing_rule.end_date": {"2025-13-40"}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "billing_rule.end_date") == "" {
		t.Fatalf("bad service = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	bad = a.post(base+"/services/new", url.Values{"name": {""}, "unit_price": {"100"}, "quantity": {"1"}, "billing_rule.frequency": {"monthly"}})
	if fieldError(bad.Body, "name") == "" {
		t.Errorf("no inline error on the name: %s", errorsOf(bad.Body))
	}
	if a.head() != before {
		t.Error("bad service appended events")
	}
	p := a.mustPost(base+"/services/new", url.Values{"name": {"Payroll"}, "unit_price": {"300"}, "quantity": {"1"}, "tax_rate": {"10"},
		"billing_rule.frequency": {"monthly"}, "billing_rule.start_date": {"2025-03-15"}, "billing_rule.end": {"never"}, "automatic": {"on"}}, "Service Payroll added.")
	mustContain(t, p, "Payroll", "Monthly", "A$300.00", "15 Mar 2025", "Automatic", "Edit service", "Switch to manual", "End service")
	sid := idFrom(t, p.Location, "/services/")
	sp := "/services/" + sid.String()
	mustContain(t, a.get(sp+"/schedule"), "15 Mar 2025", "15 Apr 2025")
	mustContain(t, a.get(sp+"/activity"), "activated")

	mustContain(t, a.get(sp+"/edit"), `name="effective_from"`, `value="300.00"`)
	bad = a.post(sp+"/edit", url.Values{"effective_from": {"2025-04-01"}, "unit_price": {"-1"}, "quantity": {"1"}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "unit_price") == "" {
		t.Fatalf("bad edit = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	p = a.mustPost(sp+"/edit", url.Values{"effective_from": {"2025-04-01"}, "unit_price": {"350"}, "quantity": {"1"}, "description": {"Payroll"}}, "Payroll changed from 1 Apr 2025.")
	mustContain(t, a.get(sp+"/schedule"), "A$300.00", "A$350.00")

	// A new billing rule from a date: quarterly from 1 Jul 2025.
	p = a.mustPost(sp+"/edit", url.Values{"effective_from": {"2025-07-01"}, "unit_price": {"350"}, "quantity": {"1"}, "description": {"Payroll"},
		"change_rule": {"on"}, "billing_rule.frequency": {"quarterly"}, "billing_rule.end": {"never"}}, "Payroll changed from 1 Jul 2025.")
	mustContain(t, p, "Quarterly")
	sched := a.get(sp + "/schedule")
	mustContain(t, sched, "1 Jul 2025", "1 Oct 2025")
	if strings.Contains(sched.Body, "15 Aug 2025") {
		t.Error("the old monthly billings remain after the rule change")
	}
	// Skip one billing.
	a.mustPost(sp+"/items/1/skip", nil, "Billing skipped")
	if strings.Contains(a.get(sp+"/schedule").Body, "15 Mar 2025") {
		t.Error("the skipped billing is still on the schedule")
	}

	p = a.mustPost(sp+"/manual", nil, "Billing switched to manual")
	mustContain(t, p, "Switch to automatic")
	a.mustPost(sp+"/automatic", nil, "Billing switched to automatic.")

	end := a.get(sp + "/end")
	mustContain(t, end, "cannot be undone", `name="confirm"`)
	before = a.head()
	bad = a.post(sp+"/end", url.Values{"on": {"2025-05-31"}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "confirm") == "" {
		t.Fatalf("end without confirmation = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	if a.head() != before {
		t.Error("unconfirmed end appended events")
	}
	p = a.mustPost(sp+"/end", url.Values{"on": {"2025-05-31"}, "confirm": {"yes"}, "reason": {"moved"}}, "Payroll ends on 31 May 2025")
	mustContain(t, p, "Ended 31 May 2025")
	mustContain(t, a.get(sp+"/activity"), "ended")
}

func TestBillingSchedule(t *testing.T) {
	a := newApp(t)
	id := a.mustClient("Acme")
	a.mustCard(id, "pm_card_visa")
	auto := a.mustService(id, "Bookkeeping", "250", date("2025-03-20"), true)
	manual := a.mustService(id, "Advisory", "400", date("2025-03-01"), false)
	base := "/clients/" + id.String()
	sch := a.get(base + "/schedule")
	mustContain(t, sch, "20 Mar 2025 · Visa", "Advisory", "badge bad\">Overdue", "Bill now", "Showing the next 3 months")
	if strings.Contains(sch.Body, "20 Feb 2026") {
		t.Error("the default schedule shows a year ahead")
	}
	mustContain(t, a.get(base+"/schedule?months=12"), "20 Feb 2026")

	// Edit an automatic item before it is invoiced.
	item := "/services/" + auto.String() + "/items/1"
	mustContain(t, a.get(item+"/edit"), `value="2025-03-20"`, `value="250.00"`)
	before := a.head()
	bad := a.post(item+"/edit", url.Values{"date": {"2025-03-22"}, "unit_price": {"250"}, "quantity": {"0"}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "quantity") == "" {
		t.Fatalf("bad item edit = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	if a.head() != before {
		t.Error("bad item edit appended events")
	}
	p := a.mustPost(item+"/edit", url.Values{"date": {"2025-03-22"}, "unit_price": {"275"}, "quantity": {"1"}, "description": {"Bookkeeping March"}}, "Billing of Bookkeeping saved.")
	mustContain(t, p, "22 Mar 2025", "A$275.00", "Bookkeeping March")

	// Switch an automatic item to manual and back.
	a.mustPost("/services/"+auto.String()+"/items/2/manual", url.Values{"back": {base + "/schedule"}}, "Billing switched to manual")
	a.mustPost("/services/"+auto.String()+"/items/2/automatic", url.Values{"back": {base + "/schedule"}}, "Billing switched to automatic")

	// Schedule a manual item's issue for a date.
	mitem := "/services/" + manual.String() + "/items/2"
	a.mustPost(mitem+"/schedule-issue", url.Values{"issue_on": {"2025-04-05"}}, "will be issued on 5 Apr 2025")
	mustContain(t, a.get(base+"/schedule"), "Issues 5 Apr 2025")

	// Bill the overdue manual item, confirming price and quantity.
	first := "/services/" + manual.String() + "/items/1"
	mustContain(t, a.get(first+"/bill"), "Confirm the price and quantity", `value="400.00"`)
	before = a.head()
	bad = a.post(first+"/bill", url.Values{"unit_price": {""}, "quantity": {"1"}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "unit_price") == "" {
		t.Fatalf("bill without price = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	if a.head() != before {
		t.Error("bad bill appended events")
	}
	p = a.mustPost(first+"/bill", url.Values{"unit_price": {"450"}, "quantity": {"2"}, "description": {"Advisory March"}}, "Invoice issued for Advisory.")
	mustContain(t, p, "Advisory March", "A$900.00", "A$990.00")
	if strings.Contains(a.get(base+"/schedule").Body, "badge bad\">Overdue") {
		t.Error("the billed item is still flagged overdue")
	}
}

func TestInvoiceActions(t *testing.T) {
	a := newApp(t)
	id := a.mustClient("Acme")
	card := a.mustCard(id, "pm_card_visa")
	inv := a.mustInvoice(id, "100")
	ip := "/invoices/" + inv.String()
	mustContain(t, a.get(ip), "A$110.00", "Send", "Schedule collection", "Void")

	mustContain(t, a.get(ip+"/send"), `value="ada@acme.test"`)
	bad := a.post(ip+"/send", url.Values{"recipient": {"nobody"}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "recipient") == "" {
		t.Fatalf("bad recipient = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	p := a.mustPost(ip+"/send", url.Values{"recipient": {"ada@acme.test"}}, "Invoice sent.")
	mustContain(t, p, "1 time, last to ada@acme.test", "Re-send")

	bad = a.post(ip+"/collect", url.Values{"date": {"2025-01-01"}, "payment_method_id": {card.String()}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "date") == "" {
		t.Fatalf("collection before issue = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	p = a.mustPost(ip+"/collect", url.Values{"date": {"2025-03-12"}, "payment_method_id": {card.String()}}, "Payment collection scheduled.")
	mustContain(t, p, "Payment scheduled", "12 Mar 2025")

	p = a.mustPost(ip+"/attempt", url.Values{"outcome": {"rejected"}, "amount": {"110"}, "decline_code": {"insufficient_funds"}, "decline_message": {"Insufficient funds"}, "payment_method_id": {card.String()}}, "Collection attempt recorded.")
	mustContain(t, p, "Payment rejected", "Insufficient funds", "Retry payment", "Write off", "Mark paid offline")

	mustContain(t, a.get(ip+"/retry"), "Rejected: Insufficient funds", `name="date"`)
	p = a.mustPost(ip+"/retry", url.Values{"date": {"2025-03-14"}, "payment_method_id": {card.String()}}, "Payment retry scheduled.")
	mustContain(t, p, "Retry", "14 Mar 2025")

	bad = a.post(ip+"/offline-payment", url.Values{"amount": {"500"}, "method": {"bank_transfer"}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "amount") == "" {
		t.Fatalf("overpayment = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	p = a.mustPost(ip+"/offline-payment", url.Values{"amount": {"60"}, "method": {"bank_transfer"}, "reference": {"EFT 123"}}, "Offline payment recorded.")
	mustContain(t, p, "EFT 123", "A$50.00")

	// A credit note needs an amount within the balance and a reason.
	mustContain(t, a.get(ip+"/credit-note"), "Issue a credit note", `name="amount"`, `name="reason"`)
	headBefore := a.head()
	bad = a.post(ip+"/credit-note", url.Values{"amount": {"80"}, "reason": {""}})
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(fieldError(bad.Body, "amount"), "more than the") || fieldError(bad.Body, "reason") == "" {
		t.Fatalf("credit note over the A$50.00 balance and without a reason = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	if a.head() != headBefore {
		t.Fatal("a refused credit note appended events")
	}
	p = a.mustPost(ip+"/credit-note", url.Values{"amount": {"20"}, "reason": {"Goodwill"}}, "Credit note issued.")
	mustContain(t, p, `id="h-credit-notes"`, "-CN1</a></td>", ip+"/credit-notes/1/pdf", "Goodwill", "A$20.00")
	if doc := a.get(ip + "/credit-notes/1/pdf"); doc.Status != http.StatusOK || !strings.HasPrefix(doc.Body, "%PDF") {
		t.Errorf("the credit note's PDF: %d %.20q", doc.Status, doc.Body)
	}
	for _, n := range []string{"2", "0", "x"} {
		if doc := a.get(ip + "/credit-notes/" + n + "/pdf"); doc.Status != http.StatusNotFound {
			t.Errorf("credit note %s of an invoice with one: %d, want 404", n, doc.Status)
		}
	}
	p = a.mustPost(ip+"/write-off", url.Values{"reason": {"small balance"}}, "Balance written off.")
	mustContain(t, p, "Written off", `id="h-write-offs"`, "small balance")

	// Void needs a reason, and only before money came in.
	inv2 := a.mustInvoice(id, "20")
	ip2 := "/invoices/" + inv2.String()
	before := a.head()
	bad = a.post(ip2+"/void", url.Values{"reason": {""}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "reason") == "" {
		t.Fatalf("void without reason = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	if a.head() != before {
		t.Error("void without reason appended events")
	}
	p = a.mustPost(ip2+"/void", url.Values{"reason": {"duplicate"}}, "Invoice voided.")
	mustContain(t, p, "Void", "duplicate")
	d, _ := a.models.Invoice(context.Background(), inv2, date("2025-03-10"))
	if d.StoredStatus != invoice.StatusVoid {
		t.Errorf("status %s", d.StoredStatus)
	}
}

func TestProposal(t *testing.T) {
	a := newApp(t)
	id := a.mustClient("Acme")
	a.mustCard(id, "pm_card_visa")
	base := "/clients/" + id.String()
	mustContain(t, a.get(base+"/proposals/new"), "New proposal", `<label for="f-lines-0-name">Service name`)
	before := a.head()
	bad := a.post(base+"/proposals/new", url.Values{"title": {"Services 2025"}, "lines[0].name": {"Bookkeeping"}, "lines[0].unit_price": {"x"}, "lines[0].quantity": {"1"}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "lines[0].unit_price") == "" {
		t.Fatalf("bad proposal = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	if a.head() != before {
		t.Error("bad proposal appended events")
	}
	p := a.mustPost(base+"/proposals/new", url.Values{"title": {"Services 2025"},
		"lines[0].name": {"Bookkeeping"}, "lines[0].unit_price": {"250"}, "lines[0].quantity": {"1"}, "lines[0].tax_rate": {"10"}, "lines[0].billing_rule.frequency": {"monthly"}, "lines[0].billing_rule.end": {"never"}, "lines[0].automatic": {"on"},
		"lines[1].name": {"Tax return"}, "lines[1].unit_price": {"900"}, "lines[1].quantity": {"1"}, "lines[1].billing_rule.frequency": {"on_completion"},
	}, "drafted.")
	mustContain(t, p, "Services 2025", "Draft", "Bookkeeping", "Tax return", "On completion")
	pp := p.Location
	mustContain(t, a.get(pp+"/send"), `name="contact_ids"`, `ada@acme.test`, ` checked>`)
	bad = a.post(pp+"/send", url.Values{"recipient_email": {""}})
	if bad.Status != http.StatusUnprocessableEntity {
		t.Fatalf("send without recipient = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	a.mustPost(pp+"/send", url.Values{"recipient_email": {"ada@acme.test"}}, "Proposal sent.")
	bad = a.post(pp+"/accept", url.Values{"accepted_by_name": {"Ada"}, "signature_name": {""}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "signature_name") == "" {
		t.Fatalf("accept without signature = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	p = a.mustPost(pp+"/accept", url.Values{"accepted_by_name": {"Ada Acme"}, "accepted_by_email": {"ada@acme.test"}, "signature_name": {"Ada Acme"}}, "Proposal accepted")
	mustContain(t, p, "Accepted", "Ada Acme")
	svcs := a.get(base + "/services")
	mustContain(t, svcs, "Bookkeeping", "Tax return", "Proposal")
	mustContain(t, a.get(base), "Services 2025", "Accepted")

	// A second proposal, withdrawn.
	p = a.mustPost(base+"/proposals/new", url.Values{"title": {"Extra"}, "lines[0].name": {"Audit"}, "lines[0].unit_price": {"1000"}, "lines[0].quantity": {"1"}, "lines[0].billing_rule.frequency": {"once"}}, "drafted.")
	p = a.mustPost(p.Location+"/withdraw", url.Values{"reason": {"not needed"}}, "Proposal withdrawn.")
	mustContain(t, p, "Withdrawn")
}

func TestCSRFTokenAndActor(t *testing.T) {
	a := newApp(t)
	h := newHandlerWith(a, func(*http.Request) string { return "tok-123" }, func(*http.Request) string { return "user:alice" })
	srv := httpServer(t, h)
	id := a.mustClient("Acme")
	p := getFrom(t, srv, "/clients/"+id.String()+"/edit")
	if !strings.Contains(p.Body, `name="csrf_token" value="tok-123"`) {
		t.Error("forms lack the CSRF token")
	}
	resp, err := http.PostForm(srv+"/clients/"+id.String()+"/edit", url.Values{"name": {"Acme 2"}, "kind": {"business"}, "_token": {"6a1c8f6e-8d0b-4c57-9a9e-7d1f3b2a1c01"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	lines, _ := a.models.ActivityOf(context.Background(), projections.SubjectClient, id)
	found := false
	for _, l := range lines {
		if l.Actor == "user:alice" {
			found = true
		}
	}
	if !found {
		t.Error("no event recorded as user:alice")
	}
}

// Bad money input never reaches billing as a float: amounts keep their
// decimal digits.
func TestMoneyIsDecimal(t *testing.T) {
	a := newApp(t)
	id := a.mustClient("Acme")
	p := a.mustPost("/clients/"+id.String()+"/bill", url.Values{"lines[0].description": {"Tiny"}, "lines[0].quantity": {"3"}, "lines[0].unit_price": {"0.10"}}, "Invoice issued.")
	mustContain(t, p, "A$0.30")
	inv := idFrom(t, p.Location, "/invoices/")
	d, _ := a.models.Invoice(context.Background(), inv, date("2025-03-10"))
	if !d.Total.Amount.Equal(decimal.RequireFromString("0.3")) {
		t.Errorf("total %s", d.Total.Amount)
	}
}

// TestRemoveMethodAsksFirst: the payment methods tab's Remove is a link to a
// page that asks first; only that page's form (posting to the same address)
// removes the method, and Cancel leads back. A contact's Remove leads to the
// contact's page, which explains what removing does before its button.
func TestRemoveMethodAsksFirst(t *testing.T) {
	a := newApp(t)
	id := a.mustClient("Acme")
	pm := a.mustCard(id, "pm_card_visa")
	base := "/clients/" + id.String()
	remove := base + "/payment-methods/" + pm.String() + "/remove"

	tab := a.get(base + "/payment-methods")
	if strings.Contains(tab.Body, `action="`+remove+`"`) {
		t.Error("the payment methods tab removes a method in one click")
	}
	mustContain(t, tab, `href="`+remove+`"`)
	before := a.head()
	ask := a.get(remove)
	if ask.Status != http.StatusOK {
		t.Fatalf("the confirmation page = %d", ask.Status)
	}
	sum, _ := a.models.Summary(context.Background(), id, date("2025-03-10"))
	label := sum.PaymentMethods[0].Label
	mustContain(t, ask, "<h2>Remove "+label+"?</h2>", "cannot be undone", `<form method="post" action="`+remove+`">`, `name="_token"`,
		`<button type="submit" class="danger">Remove `+label+`</button>`, `<a href="`+base+`/payment-methods">Cancel</a>`)
	if a.head() != before {
		t.Fatal("asking appended events")
	}
	if got := a.get(base + "/payment-methods/" + id.String() + "/remove"); got.Status != http.StatusNotFound {
		t.Errorf("asking about no such method = %d, want 404", got.Status)
	}
	a.mustPost(remove, nil, "Payment method removed.")

	summary := a.get(base)
	if strings.Contains(summary.Body, `/remove"`) {
		t.Error("the client summary removes a contact in one click")
	}
}
