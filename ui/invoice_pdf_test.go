package ui_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
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
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext is not installed (Debian poppler-utils); scripts/test.sh installs it")
	}
	path := filepath.Join(t.TempDir(), "invoice.pdf")
	os.WriteFile(path, []byte(p.Body), 0o600)
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"INV-000001", "Harbour Bakery"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the PDF does not show %q:\n%s", want, out)
		}
	}
	if r := a.get("/invoices/00000000-0000-0000-0000-000000000001/pdf"); r.Status != http.StatusNotFound {
		t.Errorf("PDF of an unknown invoice: %d", r.Status)
	}
}
