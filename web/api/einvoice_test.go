package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestInvoiceUBL downloads invoices and credit notes as UBL e-invoices: a
// firm setting the document needs is asked for (422), a void invoice has
// none (409), unknown ids are 404.
func TestInvoiceUBL(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	clientID := a.mustCreateClient("Acme Pty Ltd")
	issue := func() string {
		r := a.do("POST", "/api/invoices", map[string]any{"client_id": clientID,
			"lines": []any{map[string]any{"description": "Tax return", "quantity": "1", "unit_price": "500", "tax_rate": "10"}}})
		if r.Status != http.StatusCreated {
			t.Fatalf("issue: %d %s", r.Status, r.Body)
		}
		return r.Header.Get("Location")
	}
	inv := issue()

	r := a.do("GET", inv+"/ubl", nil)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "tax number") {
		t.Fatalf("a firm with no tax number charging tax: %d %s", r.Status, r.Body)
	}
	a.must(http.StatusOK, "PATCH", "/api/firm", map[string]any{"details": map[string]any{"name": "Ledger & Co", "tax_number": "53 004 085 616",
		"address": map[string]any{"line1": "1 George St", "city": "Sydney", "country": "AU"}}})

	r = a.do("GET", inv+"/ubl", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET ubl: %d %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="INV-000001.xml"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	body := string(r.Body)
	for _, want := range []string{"<Invoice xmlns=", "<cbc:ID>INV-000001</cbc:ID>", `<cbc:PayableAmount currencyID="AUD">550.00</cbc:PayableAmount>`, "AU53004085616"} {
		if !strings.Contains(body, want) {
			t.Errorf("the document lacks %s:\n%s", want, body)
		}
	}

	cn := a.do("POST", inv+"/credit-notes", map[string]any{"amount": "110.00", "reason": "Goodwill"})
	if cn.Status != http.StatusCreated {
		t.Fatalf("credit note: %d %s", cn.Status, cn.Body)
	}
	r = a.do("GET", cn.Header.Get("Location")+"/ubl", nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "<CreditNote xmlns=") ||
		r.Header.Get("Content-Disposition") != `attachment; filename="INV-000001-CN1.xml"` ||
		!strings.Contains(string(r.Body), `<cbc:TaxAmount currencyID="AUD">10.00</cbc:TaxAmount>`) {
		t.Fatalf("credit note ubl: %d %v\n%s", r.Status, r.Header, r.Body)
	}

	void := issue()
	a.must(http.StatusOK, "POST", void+"/void", map[string]any{"reason": "issued in error"})
	for _, c := range []struct {
		name, path string
		status     int
	}{
		{"ErrVoid", void + "/ubl", http.StatusConflict},
		{"ErrUnknownInvoice", "/api/invoices/00000000-0000-4000-8000-000000000001/ubl", http.StatusNotFound},
		{"ErrNotAnID", "/api/invoices/INV-000001/ubl", http.StatusNotFound},
		{"ErrUnknownCreditNote", inv + "/credit-notes/00000000-0000-4000-8000-000000000001/ubl", http.StatusNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := a.do("GET", c.path, nil)
			if r.Status != c.status || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("%d %s %s, want %d with a problem", r.Status, r.Header.Get("Content-Type"), r.Body, c.status)
			}
		})
	}
}
