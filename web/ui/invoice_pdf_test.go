package ui_test

import (
	"net/http"
	"remit/formats/pdf/pdftest"
	"strings"
	"testing"
)

// TestInvoicePDF: the invoice page offers its PDF, the same one its email
// carries, with the number, the client and the amount due.
func TestInvoicePDF(t *testing.T) {
	a := newApp(t)
	c := a.mustClient("Harbour Bakery")
	inv := a.mustInvoice(c, "480")
	mustContain(t, a.get("/invoices/"+inv.String()), "Download PDF")

	resp, err := a.client.Get(a.server.URL + "/invoices/" + inv.String() + "/pdf")
	if err != nil {
		t.Fatal(err)
	}
	p := read(t, resp)
	if p.Status != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(p.Body, "%PDF") {
		t.Fatalf("status %d, type %q, starts %q", p.Status, resp.Header.Get("Content-Type"), p.Body[:min(8, len(p.Body))])
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "INV-") {
		t.Fatalf("Content-Disposition %q does not name the invoice", cd)
	}
	out := pdftest.Text(t, []byte(p.Body))
	for _, want := range []string{"INV-000001", "Harbour Bakery"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the PDF does not show %q:\n%s", want, out)
		}
	}
	if r := a.get("/invoices/00000000-0000-0000-0000-000000000001/pdf"); r.Status != http.StatusNotFound {
		t.Errorf("PDF of an unknown invoice: %d", r.Status)
	}
}

// pdfOf is the text of an invoice's PDF as the invoice page serves it.
func (a *app) pdfOf(t *testing.T, inv string) string {
	t.Helper()
	p := a.get("/invoices/" + inv + "/pdf")
	if p.Status != http.StatusOK {
		t.Fatalf("PDF: %d", p.Status)
	}
	out := pdftest.Text(t, []byte(p.Body))
	return strings.Join(strings.Fields(string(out)), " ")
}

// TestInvoicePDFSaysHowItIsPaid: the PDF of an invoice collected from a card
// says when and from what; once staff cancel the collection it promises no
// charge and says how to pay, as for an invoice with no method.
func TestInvoicePDFSaysHowItIsPaid(t *testing.T) {
	a := newApp(t)
	c := a.mustClient("Acme")
	a.mustCard(c, "pm_card_visa")
	inv := a.mustInvoice(c, "100").String()
	if text := a.pdfOf(t, inv); !strings.Contains(text, "charged to the Visa ending 4242 on file on 10 March 2025") {
		t.Errorf("the PDF does not say when the card is charged:\n%s", text)
	}
	a.mustPost("/invoices/"+inv+"/cancel-collection", nil, "Payment collection cancelled")
	text := a.pdfOf(t, inv)
	if strings.Contains(text, "will be charged") || !strings.Contains(text, "not charged automatically: please pay by bank transfer, quoting INV-000001") {
		t.Errorf("after cancelling, the PDF still promises a charge or gives no instructions:\n%s", text)
	}
}
