package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestClientPageFlow walks the client page end to end through real HTTP:
// firm, client with contacts, a payment method, a proposal drafted, sent
// and accepted into services, the schedule, a manual item billed, the
// invoice's lines and totals, a payment, a void, and the activity.
func TestClientPageFlow(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	firm := a.must(http.StatusOK, "GET", "/api/firm", nil)
	if str(t, firm, "time_zone") != "Australia/Sydney" || str(t, firm, "base_currency") != "AUD" {
		t.Fatalf("firm: %v", firm)
	}

	// A client with two contacts.
	r := a.do("POST", "/api/clients", map[string]any{
		"name": "Acme Pty Ltd", "kind": "business", "tax_number": "51 824 753 556",
		"contacts": []any{map[string]any{"name": "Alice Able", "email": "alice@acme.test", "role": "Director"}},
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("create client: %d %s", r.Status, r.Body)
	}
	client := r.JSON(t)
	clientID := str(t, client, "id")
	if loc := r.Header.Get("Location"); loc != "/api/clients/"+clientID {
		t.Fatalf("Location %q", loc)
	}
	if r.Header.Get("ETag") != `"0"` {
		t.Fatalf("ETag of a new client %q, want \"0\"", r.Header.Get("ETag"))
	}
	if str(t, client, "currency") != "AUD" {
		t.Fatalf("client currency defaults to the firm's: %v", client["currency"])
	}
	base := "/api/clients/" + clientID
	r = a.do("POST", base+"/contacts", map[string]any{"name": "Bob Books", "email": "bob@acme.test", "role": "Accounts"})
	if r.Status != http.StatusCreated || !strings.HasPrefix(r.Header.Get("Location"), base+"/contacts/") {
		t.Fatalf("add contact: %d %s %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	bob := r.JSON(t)
	a.must(http.StatusOK, "POST", base+"/contacts/"+str(t, bob, "id")+"/make-primary", nil)
	contacts := a.must(http.StatusOK, "GET", base+"/contacts", nil)
	if n := len(items(t, contacts)); n != 2 {
		t.Fatalf("%d contacts, want 2", n)
	}
	if get(t, contacts, "items", 1, "primary") != true || str(t, contacts, "items", 1, "name") != "Bob Books" {
		t.Fatalf("Bob should be primary: %v", contacts)
	}

	// A card on file.
	r = a.do("POST", base+"/payment-methods", map[string]any{
		"kind": "card", "gateway": "sandbox", "gateway_token": "tok_visa", "brand": "visa", "last4": "4242", "expiry_month": 12, "expiry_year": 2030,
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("add payment method: %d %s", r.Status, r.Body)
	}
	card := r.JSON(t)
	cardID := str(t, card, "id")
	if !strings.Contains(str(t, card, "label"), "4242") {
		t.Fatalf("card label %q", card["label"])
	}

	// A proposal: monthly bookkeeping (automatic) and a tax return on completion (manual).
	r = a.do("POST", "/api/proposals", map[string]any{
		"client_id": clientID, "title": "Bookkeeping and tax 2025",
		"lines": []any{
			map[string]any{"name": "Monthly bookkeeping", "unit_price": "500", "quantity": "1", "tax_rate": "10", "automatic": true,
				"billing_rule": map[string]any{"frequency": "months", "start": "on_acceptance", "end": "never"}},
			map[string]any{"name": "Tax return", "unit_price": "1200", "quantity": "1", "tax_rate": "10",
				"billing_rule": map[string]any{"frequency": "on_completion"}},
		},
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("draft proposal: %d %s", r.Status, r.Body)
	}
	prop := r.JSON(t)
	propURL := r.Header.Get("Location")
	if str(t, prop, "status") != "draft" || len(get(t, prop, "lines").([]any)) != 2 {
		t.Fatalf("draft: %v", prop)
	}
	sent := a.must(http.StatusOK, "POST", propURL+"/send", map[string]any{"recipient_email": "bob@acme.test"})
	if str(t, sent, "status") != "sent" {
		t.Fatalf("sent: %v", sent["status"])
	}
	accepted := a.must(http.StatusOK, "POST", propURL+"/accept", map[string]any{
		"accepted_by_name": "Bob Books", "accepted_by_email": "bob@acme.test", "signature_name": "Bob Books", "payment_method_id": cardID,
	})
	if str(t, accepted, "status") != "accepted" {
		t.Fatalf("accepted: %v", accepted["status"])
	}

	// Read-your-writes: the services are active as soon as accept answered.
	services := a.must(http.StatusOK, "GET", base+"/services", nil)
	if n := len(items(t, services)); n != 2 {
		t.Fatalf("%d services after acceptance, want 2: %s", n, services)
	}
	summary := a.must(http.StatusOK, "GET", base, nil)
	if str(t, summary, "proposals", 0, "status") != "accepted" {
		t.Fatalf("summary proposals: %v", summary["proposals"])
	}

	// The schedule lists the monthly items and the manual tax return.
	sched := a.must(http.StatusOK, "GET", base+"/schedule", nil)
	manual := get(t, sched, "manual").([]any)
	if len(manual) != 1 || str(t, manual[0], "service_name") != "Tax return" {
		t.Fatalf("manual items: %v", manual)
	}
	if groups := get(t, sched, "groups").([]any); len(groups) < 12 {
		t.Fatalf("%d billing groups for a year of monthly billing, want at least 12", len(groups))
	}
	key := str(t, manual[0], "key")

	// Bill the manual item with a confirmed price.
	r = a.do("POST", "/api/schedule-items/"+key+"/bill", map[string]any{"unit_price": "1100"})
	if r.Status != http.StatusCreated {
		t.Fatalf("bill item: %d %s", r.Status, r.Body)
	}
	inv := r.JSON(t)
	invURL := r.Header.Get("Location")
	if invURL != "/api/invoices/"+str(t, inv, "id") {
		t.Fatalf("Location %q", invURL)
	}
	detail := a.must(http.StatusOK, "GET", invURL, nil)
	lines := get(t, detail, "lines").([]any)
	if len(lines) != 1 || str(t, lines[0], "unit_price", "amount") != "1100.00" {
		t.Fatalf("lines: %v", lines)
	}
	if got := str(t, detail, "totals", "gross", "amount"); got != "1210.00" {
		t.Fatalf("gross %s, want 1210 (1100 + 10%% tax)", got)
	}
	// The card is the client's default: the invoice is collected from it on
	// the firm's collection date (immediately by default).
	if str(t, detail, "number") == "" || str(t, detail, "status") != "payment_scheduled" || str(t, detail, "collection", "payment_method_id") != cardID {
		t.Fatalf("invoice: number %v status %v", detail["number"], detail["status"])
	}
	if n := get(t, a.must(http.StatusOK, "GET", base, nil), "open_invoices"); n != 1.0 {
		t.Fatalf("summary shows %v open invoices after billing, want 1", n)
	}
	if r := a.do("GET", "/api/schedule-items/"+key, nil); r.Status != http.StatusNotFound {
		t.Fatalf("a billed item is no longer in the schedule: %d", r.Status)
	}

	// A payment settles it.
	r = a.do("POST", invURL+"/payments", map[string]any{"amount": "1210.00", "method": "bank_transfer", "reference": "ACME-1"})
	if r.Status != http.StatusCreated || !strings.HasPrefix(r.Header.Get("Location"), invURL+"/payments/") {
		t.Fatalf("record payment: %d %s", r.Status, r.Body)
	}
	paid := a.must(http.StatusOK, "GET", invURL, nil)
	if str(t, paid, "status") != "paid" || str(t, paid, "balance", "amount") != "0.00" {
		t.Fatalf("after payment: status %v balance %v", paid["status"], paid["balance"])
	}
	if n := get(t, a.must(http.StatusOK, "GET", base, nil), "open_invoices"); n != 0.0 {
		t.Fatalf("summary shows %v open invoices after payment, want 0", n)
	}
	payments := a.must(http.StatusOK, "GET", invURL+"/payments", nil)
	if n := len(items(t, payments)); n != 1 {
		t.Fatalf("%d payments, want 1", n)
	}

	// Another invoice (instant bill), voided with a reason.
	r = a.do("POST", "/api/invoices", map[string]any{"client_id": clientID,
		"lines": []any{map[string]any{"description": "Rush filing fee", "quantity": "2", "unit_price": "50", "tax_rate": "10"}}})
	if r.Status != http.StatusCreated {
		t.Fatalf("instant bill: %d %s", r.Status, r.Body)
	}
	other := r.Header.Get("Location")
	voided := a.must(http.StatusOK, "POST", other+"/void", map[string]any{"reason": "issued in error"})
	if str(t, voided, "status") != "void" || str(t, voided, "void_reason") != "issued in error" {
		t.Fatalf("void: %v %v", voided["status"], voided["void_reason"])
	}
	list := a.must(http.StatusOK, "GET", base+"/invoices", nil)
	if n := len(items(t, list)); n != 2 {
		t.Fatalf("%d invoices, want 2", n)
	}

	// The activity tells the story.
	act := a.must(http.StatusOK, "GET", base+"/activity?limit=500", nil)
	var texts []string
	for _, l := range items(t, act) {
		texts = append(texts, str(t, l, "text"))
		if str(t, l, "actor") == "" {
			t.Errorf("activity line without actor: %v", l)
		}
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"issued in error", "Acme Pty Ltd"} {
		if !strings.Contains(all, want) {
			t.Errorf("client activity lacks %q:\n%s", want, all)
		}
	}
	invAct := a.must(http.StatusOK, "GET", other+"/activity", nil)
	if !slices.ContainsFunc(items(t, invAct), func(l any) bool { return strings.Contains(str(t, l, "text"), "void") }) {
		t.Errorf("invoice activity does not mention the void: %v", invAct)
	}
}
