package ui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"remit/billing"
	"remit/domain"
)

// TestInvoiceUBL: the invoice page offers its e-invoice beside its PDF; a
// firm setting the document needs is asked for on the error page.
func TestInvoiceUBL(t *testing.T) {
	a := newApp(t)
	c := a.mustClient("Harbour Bakery")
	inv := a.mustInvoice(c, "480")
	mustContain(t, a.get("/invoices/"+inv.String()), "Download PDF", "Download e-invoice (UBL)", "/invoices/"+inv.String()+"/ubl")

	if p := a.get("/invoices/" + inv.String() + "/ubl"); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "tax number") {
		t.Fatalf("a firm with no tax number: %d %s", p.Status, errorsOf(p.Body))
	}
	res, err := a.svc.ChangeFirmSettings(context.Background(), billing.FirmSettingsRequest{Details: &billing.FirmDetails{
		Name: "Ledger & Co", TaxNumber: "53 004 085 616", Address: domain.Address{Line1: "1 George St", City: "Sydney", Country: "AU"}}}, a.meta())
	if err != nil {
		t.Fatal(err)
	}
	a.wait(res)

	resp, err := a.client.Get(a.server.URL + "/invoices/" + inv.String() + "/ubl")
	if err != nil {
		t.Fatal(err)
	}
	p := read(t, resp)
	if p.Status != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") || !strings.Contains(p.Body, "<Invoice xmlns=") {
		t.Fatalf("status %d, type %q:\n%.300s", p.Status, resp.Header.Get("Content-Type"), p.Body)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="INV-000001.xml"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if r := a.get("/invoices/00000000-0000-0000-0000-000000000001/ubl"); r.Status != http.StatusNotFound {
		t.Errorf("e-invoice of an unknown invoice: %d", r.Status)
	}
}
