package cli_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/app/cli"
	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/eventstore/storeurl"
	"remit/test/peers"
)

// mustInvoicedStore sets up, through the real billing service on the
// embedded store with personal fields sealed (as remit serve runs), a firm
// registered for tax, a client with an invoice and a partial credit note
// (INV-000001, INV-000001-CN1), and a second client with an invoice
// (INV-000002) whose personal data is then erased.
func mustInvoicedStore(tb testing.TB) (dir string, invoiceID, creditNoteID uuid.UUID) {
	tb.Helper()
	ctx := context.Background()
	dir = tb.TempDir()
	s, err := storeurl.Open(ctx, "", storeurl.Options{DataDir: dir})
	if err != nil {
		tb.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC) }
	svc := billing.New(billing.Config{Store: s, Now: now, NewID: uuid.New})
	meta := func(id string) billing.Meta { return billing.Meta{Actor: "user:test", CommandID: id} }
	must := mustOK(tb)
	must(svc.SetUpFirm(ctx, billing.SetUpFirmRequest{Name: "Ledger & Co", BaseCurrency: "AUD", TimeZone: "Australia/Sydney", PaymentTermsDays: 14,
		TaxNumber: "53 004 085 616", Address: domain.Address{Line1: "1 George St", City: "Sydney", Postcode: "2000", Country: "AU"}}, meta("firm")))
	addr := domain.Address{Line1: "5 Smith St", City: "Parramatta", Postcode: "2150", Country: "AU"}
	acme := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Acme Pty Ltd", Kind: client.KindBusiness, Address: addr, TaxNumber: "12 345 678 901",
		Contacts: []client.Contact{{Name: "Jo", Email: "jo@acme.example"}}}, meta("client"))).ID
	lines := []billing.InstantLine{
		{Description: "Tax return", Quantity: decimal.NewFromInt(1), UnitPrice: decimal.NewFromInt(500), TaxRate: decimal.NewFromInt(10),
			Discount: domain.Discount{Kind: domain.DiscountPercent, Value: decimal.NewFromInt(10)}},
		{Description: "Export advice", Quantity: decimal.RequireFromString("1.5"), UnitPrice: decimal.RequireFromString("120.50"), TaxRate: decimal.Zero},
	}
	invoiceID = must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: acme, Lines: lines}, meta("inv-1"))).ID
	creditNoteID = must(svc.IssueCreditNote(ctx, billing.InvoiceRequest{InvoiceID: invoiceID, Amount: decimal.RequireFromString("100.00"), Reason: "Goodwill"}, meta("cn-1"))).ID
	gone := must(svc.CreateClient(ctx, billing.ClientRequest{Name: "Pat Person", Kind: client.KindIndividual, Address: addr,
		Contacts: []client.Contact{{Name: "Pat Person", Email: "pat@example.com"}}}, meta("client-2"))).ID
	must(svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: gone, Lines: lines[:1]}, meta("inv-2")))
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	if code, _, errOut := run(tb, "client", "forget", gone.String(), "--data", dir); code != cli.ExitOK {
		tb.Fatalf("forget: exit %d: %s", code, errOut)
	}
	return dir, invoiceID, creditNoteID
}

func TestExportInvoiceUBL(t *testing.T) {
	dir, invoiceID, creditNoteID := mustInvoicedStore(t)
	outDir := t.TempDir()

	code, out, errOut := run(t, "export", "invoice", "INV-000001", "--format", "ubl", "--data", dir)
	if code != cli.ExitOK || !strings.HasPrefix(out, "<?xml") || !strings.Contains(out, "<Invoice xmlns=") || !strings.Contains(out, "<cbc:ID>INV-000001</cbc:ID>") {
		t.Fatalf("by number: exit %d: %s\n%.400s", code, errOut, out)
	}
	if !strings.Contains(out, `<cbc:PayableAmount currencyID="AUD">675.75</cbc:PayableAmount>`) {
		t.Errorf("payable amount is not 450 + 45 tax + 180.75 zero-rated:\n%s", out)
	}

	files := map[string]string{}
	for name, args := range map[string][]string{
		"by-id.xml":         {invoiceID.String()},
		"credit-by-id.xml":  {creditNoteID.String()},
		"credit-by-num.xml": {"INV-000001-CN1"},
		"erased-client.xml": {"INV-000002"},
		"seller-email.xml":  {"INV-000001", "--seller-email", "accounts@ledger.example"},
	} {
		file := filepath.Join(outDir, name)
		code, _, errOut := run(t, append(append([]string{"export", "invoice"}, args...), "--data", dir, "-o", file)...)
		if code != cli.ExitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	if files["by-id.xml"] != out {
		t.Error("the invoice by id differs from the invoice by number")
	}
	if files["credit-by-id.xml"] != files["credit-by-num.xml"] || !strings.Contains(files["credit-by-id.xml"], "<CreditNote xmlns=") ||
		!strings.Contains(files["credit-by-id.xml"], "<cbc:TaxInclusiveAmount currencyID=\"AUD\">100.00</cbc:TaxInclusiveAmount>") {
		t.Errorf("credit note:\n%s", files["credit-by-id.xml"])
	}
	if e := files["erased-client.xml"]; !strings.Contains(e, "<cbc:RegistrationName>[erased]</cbc:RegistrationName>") || strings.Contains(e, "Pat") || strings.Contains(e, "pat@") {
		t.Errorf("erased client:\n%s", e)
	}
	if !strings.Contains(files["seller-email.xml"], `<cbc:EndpointID schemeID="EM">accounts@ledger.example</cbc:EndpointID>`) {
		t.Error("--seller-email is not the seller's endpoint")
	}

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"ErrUnknownNumber", []string{"INV-999999"}, "no invoice or credit note"},
		{"ErrUnknownID", []string{uuid.NewString()}, "no invoice or credit note"},
		{"ErrUnknownCreditNote", []string{"INV-000001-CN2"}, "no invoice or credit note"},
		{"ErrFormat", []string{"INV-000001", "--format", "pdf"}, "only e-invoice format is ubl"},
		{"ErrNoStore", []string{"INV-000001", "--data", filepath.Join(dir, "nope")}, "no Remit store"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"export", "invoice"}, c.args...)
			if !strings.Contains(strings.Join(c.args, " "), "--data") {
				args = append(args, "--data", dir)
			}
			code, out, errOut := run(t, args...)
			if code != cli.ExitUsage || !strings.Contains(errOut, c.want) || out != "" {
				t.Fatalf("exit %d, stderr %q (want %q), stdout %.80q", code, errOut, c.want, out)
			}
		})
	}

	t.Run("Peers", func(t *testing.T) {
		schemas := peers.Need(t, "ubl", "xsd", "maindoc")
		peers.NeedTool(t, "xmllint", "apt-get install libxml2-utils")
		for name, schema := range map[string]string{"by-id.xml": "Invoice", "erased-client.xml": "Invoice", "credit-by-id.xml": "CreditNote"} {
			cmd := exec.Command("xmllint", "--noout", "--schema", filepath.Join(schemas, "UBL-"+schema+"-2.1.xsd"), filepath.Join(outDir, name))
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s is not a valid UBL %s: %v\n%s", name, schema, err, b)
			}
		}
	})
}
