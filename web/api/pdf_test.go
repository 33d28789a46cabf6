package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"remit/formats/pdf/pdftest"
)

// TestInvoiceAndCreditNotePDF downloads an invoice and its credit note as
// the PDFs their emails attach: the invoice as it stands now (and as of a
// moment before its payment), the credit note with its number, reason,
// amount and tax share; unknown ids are 404 problems.
func TestInvoiceAndCreditNotePDF(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	clientID := a.mustCreateClient("Acme Pty Ltd")
	inv := a.do("POST", "/api/invoices", map[string]any{"client_id": clientID,
		"lines": []any{map[string]any{"description": "Tax return", "quantity": "1", "unit_price": "500", "tax_rate": "10"}}})
	if inv.Status != http.StatusCreated {
		t.Fatalf("issue: %d %s", inv.Status, inv.Body)
	}
	invURL := inv.Header.Get("Location")
	beforePayment := a.head()
	a.must(http.StatusCreated, "POST", invURL+"/payments", map[string]any{"amount": "100.00", "method": "bank_transfer", "reference": "ACME-1"})
	cn := a.do("POST", invURL+"/credit-notes", map[string]any{"amount": "110.00", "reason": "Goodwill discount"})
	if cn.Status != http.StatusCreated {
		t.Fatalf("credit note: %d %s", cn.Status, cn.Body)
	}

	download := func(t *testing.T, path, name string) string {
		t.Helper()
		r := a.do("GET", path, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/pdf" {
			t.Errorf("Content-Type %q", ct)
		}
		if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="`+name+`"` {
			t.Errorf("Content-Disposition %q, want the file named %s", cd, name)
		}
		return strings.Join(strings.Fields(pdftest.Text(t, r.Body)), " ")
	}
	shows := func(t *testing.T, what, text string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s does not show %q:\n%s", what, w, text)
			}
		}
	}

	t.Run("Invoice", func(t *testing.T) {
		text := download(t, invURL+"/pdf", "INV-000001.pdf")
		shows(t, "the invoice", text, "INVOICE", "INV-000001", "Ledger & Co", "Acme Pty Ltd", "Tax return", "550.00", "Paid 100.00 AUD", "Credited 110.00 AUD", "Amount due 340.00 AUD")
	})
	t.Run("InvoiceAsOfBeforeItsPayment", func(t *testing.T) {
		text := download(t, invURL+"/pdf?as_of=p:"+strconv.FormatUint(beforePayment, 10), "INV-000001.pdf")
		shows(t, "the invoice before its payment", text, "INV-000001", "550.00")
		if strings.Contains(text, "340.00") {
			t.Errorf("as of before the payment and the credit note, the invoice shows what is due after them:\n%s", text)
		}
	})
	t.Run("CreditNote", func(t *testing.T) {
		text := download(t, cn.Header.Get("Location")+"/pdf", "INV-000001-CN1.pdf")
		shows(t, "the credit note", text, "CREDIT NOTE", "INV-000001-CN1", "INV-000001", "Acme Pty Ltd", "Goodwill discount", "110.00", "10.00", "340.00")
	})
	for _, c := range []struct{ name, path string }{
		{"ErrUnknownInvoice", "/api/invoices/00000000-0000-4000-8000-000000000001/pdf"},
		{"ErrNotAnID", "/api/invoices/INV-000001/pdf"},
		{"ErrUnknownCreditNote", invURL + "/credit-notes/00000000-0000-4000-8000-000000000001/pdf"},
		{"ErrCreditNoteOfUnknownInvoice", "/api/invoices/00000000-0000-4000-8000-000000000001/credit-notes/" + cn.Header.Get("Location")[strings.LastIndex(cn.Header.Get("Location"), "/")+1:] + "/pdf"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := a.do("GET", c.path, nil)
			if r.Status != http.StatusNotFound || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("%d %s %s, want 404 with a problem", r.Status, r.Header.Get("Content-Type"), r.Body)
			}
		})
	}
}
