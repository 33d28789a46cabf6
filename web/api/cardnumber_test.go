package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cardVariants are the ways a card number got into the log through a check
// of raw request bytes (issue 15, defect 10). Each is the JSON text of a
// string value.
var cardVariants = []string{
	`"\u0034242424242424242"`,
	`"visa4242424242424242"`,
	`"4242.4242.4242.4242"`,
	`"4242/4242/4242/4242"`,
	`"4242\t4242\t4242\t4242"`,
	`"4242  4242  4242  4242"`,
	`"4242 - 4242 / 4242 . 4242"`,
	`"ref 4242 4242 4242 4242 exp 12/28"`,
	`"４２４２４２４２４２４２４２４２"`,
}

// TestCardNumbersNeverReachTheStore feeds every variant into every
// free-text field of every command the API takes; each is refused with 422
// naming the field, and afterwards the store's files hold none of the digits.
func TestCardNumbersNeverReachTheStore(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	clientID := a.mustCreateClient("Acme")
	base := "/api/clients/" + clientID
	contactID := str(t, a.must(http.StatusCreated, "POST", base+"/contacts", map[string]any{"name": "Bo"}), "id")
	methodID := str(t, a.must(http.StatusCreated, "POST", base+"/payment-methods", map[string]any{
		"kind": "card", "gateway": "sandbox", "gateway_token": "pm_card_visa", "brand": "visa", "last4": "4242", "expiry_month": 12, "expiry_year": 2030,
	}), "id")
	serviceID := str(t, a.must(http.StatusCreated, "POST", base+"/services", map[string]any{
		"name": "Payroll", "unit_price": "100", "quantity": "1", "tax_rate": "10",
		"billing_rule": map[string]any{"frequency": "months", "interval": 1, "start": "on_date", "start_date": "2025-04-01", "end": "never"},
	}), "id")
	invoiceID := str(t, a.must(http.StatusCreated, "POST", "/api/invoices", map[string]any{
		"client_id": clientID, "lines": []any{map[string]any{"description": "Fee", "quantity": "1", "unit_price": "50", "tax_rate": "0"}},
	}), "id")
	paidPath := a.mustPaidInvoice("Refundable", "pm_card_visa")
	proposalID := str(t, a.must(http.StatusCreated, "POST", "/api/proposals", map[string]any{"client_id": clientID, "title": "Plan"}), "id")
	plLine := `{"id":"0190f1c2-8a4b-7c3d-9e5f-1a2b3c4d5e6f","name":"Tax","unit_price":"5","quantity":"1","tax_rate":"0","billing_rule":{"frequency":"once","start":"on_acceptance"},"automatic":false}`
	rule := `"billing_rule":{"frequency":"once","start":"on_date","start_date":"2025-04-01"}`

	// Each template has one CARD, replaced by a variant; field is where the
	// problem must be named.
	templates := []struct{ method, path, body, field string }{
		{"POST", "/api/clients", `{"name":CARD,"kind":"business"}`, "name"},
		{"POST", "/api/clients", `{"name":"Cafe","kind":"business","tax_number":CARD}`, "tax_number"},
		{"POST", "/api/clients", `{"name":"Cafe","kind":"business","address":{"line1":CARD,"city":"Sydney","country":"AU"}}`, "address.line1"},
		{"POST", "/api/clients", `{"name":"Cafe","kind":"business","contacts":[{"name":"Ana","role":CARD}]}`, "contacts[0].role"},
		{"PUT", base, `{"name":CARD,"kind":"business"}`, "name"},
		{"POST", base + "/contacts", `{"name":CARD}`, "name"},
		{"PUT", base + "/contacts/" + contactID, `{"name":"Bo","role":CARD}`, "role"},
		{"POST", base + "/services", `{"name":CARD,"unit_price":"1","quantity":"1","tax_rate":"0",` + rule + `}`, "name"},
		{"POST", base + "/services", `{"name":"X","description":CARD,"unit_price":"1","quantity":"1","tax_rate":"0",` + rule + `}`, "description"},
		{"POST", base + "/services", `{"name":"X","unit":CARD,"unit_price":"1","quantity":"1","tax_rate":"0",` + rule + `}`, "unit"},
		{"POST", "/api/services/" + serviceID + "/end", `{"reason":CARD}`, "reason"},
		{"POST", "/api/invoices", `{"client_id":"` + clientID + `","lines":[{"description":CARD,"quantity":"1","unit_price":"5","tax_rate":"0"}]}`, "lines[0].description"},
		{"POST", "/api/invoices/" + invoiceID + "/void", `{"reason":CARD}`, "reason"},
		{"POST", "/api/invoices/" + invoiceID + "/write-off", `{"reason":CARD}`, "reason"},
		{"POST", "/api/invoices/" + invoiceID + "/payments", `{"amount":"1","method":"bank_transfer","reference":CARD}`, "reference"},
		{"POST", "/api/invoices/" + invoiceID + "/resend", `{"recipient":CARD}`, "recipient"},
		{"POST", "/api/proposals", `{"client_id":"` + clientID + `","title":CARD}`, "title"},
		{"PUT", "/api/proposals/" + proposalID, `{"title":"Plan","lines":[` + strings.Replace(plLine, `"name":"Tax"`, `"name":CARD`, 1) + `]}`, "lines[0].name"},
		{"PUT", "/api/proposals/" + proposalID, `{"title":"Plan","lines":[` + strings.Replace(plLine, `"name":"Tax"`, `"name":"Tax","description":CARD`, 1) + `]}`, "lines[0].description"},
		{"POST", base + "/payment-methods/" + methodID + "/mark-failed", `{"reason":CARD}`, "reason"},
		{"POST", paidPath + "/refunds", `{"amount":"1","reason":CARD}`, "reason"},
	}
	for _, tpl := range templates {
		for _, v := range cardVariants {
			body := strings.Replace(tpl.body, "CARD", v, 1)
			before := a.head()
			r := a.do(tpl.method, tpl.path, body)
			if r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s %s with %s: status %d, want 422\n%.400s", tpl.method, tpl.path, v, r.Status, r.Body)
				continue
			}
			var p struct{ Errors []struct{ Field string } }
			_ = json.Unmarshal(r.Body, &p)
			named := false
			for _, e := range p.Errors {
				named = named || strings.HasSuffix(e.Field, tpl.field)
			}
			if !named {
				t.Errorf("%s %s with %s: no problem names %s: %.400s", tpl.method, tpl.path, v, tpl.field, r.Body)
			}
			if a.head() != before {
				t.Errorf("%s %s with %s: appended", tpl.method, tpl.path, v)
			}
		}
	}
	a.close()
	files, _ := filepath.Glob(filepath.Join(a.dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, digits := range []string{"4242424242424242", "4242.4242", "4242/4242", `4242\t4242`, "4242  4242", "4242 - 4242", "4242 4242 4242", "４２４２４２４２"} {
			if bytes.Contains(b, []byte(digits)) {
				t.Errorf("%s holds %q", filepath.Base(f), digits)
			}
		}
	}
}
