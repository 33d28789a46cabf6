package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestBankAccountForTransfers: an owner gives the firm's account under
// Firm settings (a bad BIC is refused beside its field, nothing saved);
// then an invoice nothing charges names it wherever the client is asked to
// pay by transfer: the staff's invoice page, the client's pay-now page.
func TestBankAccountForTransfers(t *testing.T) {
	p := newPayApp(t)
	acme := p.mustClient("Acme")
	inv := p.mustInvoice(acme, "100")
	settings := url.Values{"name": {"Ledger & Co"}, "base_currency": {"AUD"}, "time_zone": {"Australia/Sydney"}, "invoice_prefix": {"INV-"},
		"payment_terms_days": {"14"}, "tax_mode": {"exclusive"}, "address.country": {"AU"}, "collection_days_once_off": {"0"}, "collection_days_recurring": {"0"},
		"bank_account.name": {"Ledger & Co Pty Ltd"}, "bank_account.branch_code": {"062-000"}, "bank_account.number": {"1234 5678"}, "bank_account.bic": {"CBA"}}

	before := p.head()
	bad := p.post("/settings/firm", settings)
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "bank_account.bic") == "" || inputValue(bad.Body, "bank_account.number") != "1234 5678" {
		t.Fatalf("a bad BIC = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	if p.head() != before {
		t.Fatal("refused settings appended events")
	}
	settings.Set("bank_account.bic", "")
	page := p.mustPost("/settings/firm", settings, "Firm settings saved.")
	if got := inputValue(page.Body, "bank_account.number"); got != "1234 5678" {
		t.Errorf("after saving, the account number shows %q", got)
	}

	want := "Ledger &amp; Co Pty Ltd, BSB 062-000, account 1234 5678"
	staff := p.get("/invoices/" + inv.String())
	if !strings.Contains(staff.Body, "bank transfer to "+want) {
		t.Errorf("the invoice page does not name the account:\n%s", errorsOf(staff.Body))
	}
	client := p.get(p.payLink(acme, inv))
	if !strings.Contains(client.Body, "Or pay by bank transfer to "+want+", quoting INV-000001 as the reference.") {
		t.Errorf("the pay-now page does not offer the transfer to the account")
	}
}

// TestRefusedSettingsKeepTheOtherSections: a refused save of one form of
// the settings page shows its errors with what was typed, and every other
// form still shows the firm's settings (they showed empty, and saving one
// of them then would have wiped the retry days or the reminder days).
func TestRefusedSettingsKeepTheOtherSections(t *testing.T) {
	p := newPayApp(t)
	main := url.Values{"name": {"Ledger & Co"}, "base_currency": {"AUD"}, "time_zone": {"Mars/Olympus_Mons"}, "payment_terms_days": {"14"}}
	bad := p.post("/settings/firm", main)
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "time_zone") == "" {
		t.Fatalf("a bad time zone = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	for field, want := range map[string]string{"dunning.retry_after_days": "3, 5, 7", "proposals.reminder_days": "3, 7, 14", "surcharges.card": "0", "time_zone": "Mars/Olympus_Mons"} {
		if got := inputValue(bad.Body, field); got != want {
			t.Errorf("after a refused save of the firm's details, %s shows %q, want %q", field, got, want)
		}
	}
	bad = p.post("/settings/firm/dunning", url.Values{"dunning.retry_after_days": {"5, 3"}})
	if bad.Status != http.StatusUnprocessableEntity || fieldError(bad.Body, "dunning.retry_after_days") == "" {
		t.Fatalf("retry days out of order = %d: %s", bad.Status, errorsOf(bad.Body))
	}
	if got := inputValue(bad.Body, "name"); got != "Ledger &amp; Co" {
		t.Errorf("after a refused save of payment chasing, the firm's name shows %q", got)
	}
	if strings.Contains(bad.Body, `name="dunning.email_client_on_rejection" type="checkbox" checked`) {
		t.Error("a box left unticked in the refused form shows ticked again")
	}
}
