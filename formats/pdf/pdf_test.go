package pdf_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/decidertest"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/formats/pdf"
	"remit/formats/pdf/pdftest"
)

var aud = domain.MustCurrency("AUD")

func line(t *testing.T, desc, qty, price string, disc domain.Discount, rate string) invoice.Line {
	t.Helper()
	a, err := domain.ComputeLine(aud, domain.TaxExclusive, domain.LineInput{Quantity: decidertest.Dec(qty), UnitPrice: decidertest.Dec(price), Discount: disc, TaxRate: decidertest.Dec(rate)})
	if err != nil {
		t.Fatal(err)
	}
	return invoice.Line{LineID: uuid.New(), Description: desc, Quantity: decidertest.Dec(qty), UnitPrice: domain.NewMoney(decidertest.Dec(price), aud), Discount: disc, TaxRate: decidertest.Dec(rate), Amounts: a}
}

// Text renders data and extracts its text with pdftotext (poppler-utils),
// skipping when pdftotext is missing.
func Text(t *testing.T, data pdf.InvoiceData) string {
	t.Helper()
	return textOf(t, func(w io.Writer) error { return pdf.Invoice(w, data) })
}

// textOf extracts the text of the document render draws.
func textOf(t *testing.T, render func(io.Writer) error) string {
	t.Helper()
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		t.Fatal(err)
	}
	return pdftest.Text(t, buf.Bytes())
}

func sample(t *testing.T) (invoice.InvoiceIssued, firm.State, client.State) {
	l1 := line(t, "Monthly bookkeeping — March", "1", "1000", domain.Discount{}, "10")
	l2 := line(t, "Payroll runs", "4", "62.50", domain.Discount{Kind: domain.DiscountPercent, Value: decidertest.Dec("10")}, "10")
	l3 := line(t, "Advice (hours)", "1.5", "200", domain.Discount{Kind: domain.DiscountAmount, Value: decidertest.Dec("25")}, "0")
	var tot invoice.Totals
	tot.Net, tot.Tax, tot.Gross = domain.Zero(aud), domain.Zero(aud), domain.Zero(aud)
	for _, l := range []invoice.Line{l1, l2, l3} {
		tot.Net, _ = tot.Net.Add(l.Amounts.Net)
		tot.Tax, _ = tot.Tax.Add(l.Amounts.Tax)
		tot.Gross, _ = tot.Gross.Add(l.Amounts.Gross)
	}
	methodID := uuid.New()
	e := invoice.InvoiceIssued{
		InvoiceID: uuid.New(), ClientID: uuid.New(), Number: "INV-000042", Currency: aud,
		IssueDate: domain.MustDate(2026, 3, 2), DueDate: domain.MustDate(2026, 3, 16), TaxMode: domain.TaxExclusive,
		Lines: []invoice.Line{l1, l2, l3}, Totals: tot, PaymentMethodID: methodID, At: time.Now(),
	}
	f := firm.State{Name: "Ledger & Co", TaxNumber: "ABN 12 345 678 901", Address: domain.Address{Line1: "1 George St", City: "Sydney", Region: "NSW", Postcode: "2000", Country: "AU"}}
	contact := client.Contact{ID: uuid.New(), Name: "Ana Lima", Email: "ana@harbour.example"}
	c := client.State{
		ID: e.ClientID, Name: "Harbour Café", Contacts: []client.Contact{contact}, PrimaryContactID: contact.ID,
		Address: domain.Address{Line1: "5 Wharf Rd", City: "Balmain", Postcode: "2041", Country: "AU"},
		PaymentMethods: []client.PaymentMethod{{ID: methodID, Status: client.MethodActive, PaymentMethodDetails: client.PaymentMethodDetails{
			Kind: client.MethodCard, Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2030}}},
	}
	return e, f, c
}

func TestInvoiceShowsEverythingTheClientNeeds(t *testing.T) {
	e, f, c := sample(t)
	text := Text(t, pdf.FromIssued(e, collection(e), f, c))
	// Lines: 1000 + 10% tax; 4 × 62.50 = 250 less 10% = 225 + 22.50 tax;
	// 1.5 × 200 = 300 less 25 = 275, no tax. Net 1,500.00, tax 122.50, total 1,622.50.
	for _, want := range []string{
		"Ledger & Co", "ABN 12 345 678 901", "1 George St", "Sydney NSW 2000",
		"Harbour Café", "Attn: Ana Lima", "5 Wharf Rd", "ana@harbour.example",
		"INV-000042", "2 March 2026", "16 March 2026", "AUD",
		"Monthly bookkeeping — March", "1,000.00", "100.00",
		"Payroll runs", "62.50", "10%", "22.50", "225.00",
		"Advice (hours)", "1.5", "25.00", "275.00",
		"Subtotal", "1,500.00 AUD", "122.50 AUD", "1,622.50 AUD", "Amount due",
		"How to pay", "4242",
	} {
		shows(t, "the PDF", text, want)
	}
}

func TestInvoiceIsDeterministic(t *testing.T) {
	e, f, c := sample(t)
	var a, b bytes.Buffer
	if err := pdf.Invoice(&a, pdf.FromIssued(e, collection(e), f, c)); err != nil {
		t.Fatal(err)
	}
	if err := pdf.Invoice(&b, pdf.FromIssued(e, collection(e), f, c)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same invoice rendered to different bytes")
	}
}

// collection is the collection scheduled with the sample invoice: its card,
// a week after issue.
func collection(e invoice.InvoiceIssued) invoice.Collection {
	return invoice.Collection{Date: e.IssueDate.AddDays(7), PaymentMethodID: e.PaymentMethodID}
}

func TestInvoiceWithCollectionSaysWhenItIsCharged(t *testing.T) {
	e, f, c := sample(t)
	text := Text(t, pdf.FromIssued(e, collection(e), f, c))
	if !strings.Contains(text, "charged to the Visa ending 4242 on file on 9 March 2026") {
		t.Errorf("the PDF does not say when and from what it is charged:\n%s", text)
	}
}

func TestInvoiceWithoutMethodSaysHowToPay(t *testing.T) {
	e, f, c := sample(t)
	e.PaymentMethodID = uuid.Nil
	text := Text(t, pdf.FromIssued(e, invoice.Collection{}, f, c))
	if !strings.Contains(text, "quoting INV-000042") || !strings.Contains(text, "not charged automatically") {
		t.Errorf("no payment instructions:\n%s", text)
	}
}

// TestInvoiceWithMethodButNoCollectionPromisesNoCharge: a method on file is
// not a charge: with no collection scheduled the PDF says how to pay.
func TestInvoiceWithMethodButNoCollectionPromisesNoCharge(t *testing.T) {
	e, f, c := sample(t)
	text := Text(t, pdf.FromIssued(e, invoice.Collection{}, f, c))
	if strings.Contains(text, "will be charged") || strings.Contains(text, "nothing to do") || !strings.Contains(text, "quoting INV-000042") {
		t.Errorf("the PDF promises a charge nobody scheduled, or gives no instructions:\n%s", text)
	}
}

func TestFormatMoney(t *testing.T) {
	for in, want := range map[string]string{"0": "0.00", "1234567.5": "1,234,567.50", "-1000": "-1,000.00", "999.999": "1,000.00"} {
		if got := pdf.FormatMoney(domain.NewMoney(decidertest.Dec(in), aud)); got != want {
			t.Errorf("FormatMoney(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestCreditNoteShowsWhatWasCredited: a credit note's PDF names the firm,
// the client, its number and date, the invoice it credits, its reason, the
// amount and the tax share of it (the second of two counted as the journal
// counts it, so the shares add up), and what is left to pay.
func TestCreditNoteShowsWhatWasCredited(t *testing.T) {
	e, f, c := sample(t) // total 1,622.50 with tax 122.50
	inv := invoice.Evolve(invoice.State{}, e)
	var second invoice.InvoiceCreditNoteIssued
	for i, amount := range []string{"100", "69.50"} {
		second = invoice.InvoiceCreditNoteIssued{InvoiceID: e.InvoiceID, CreditNoteID: uuid.New(), Amount: domain.NewMoney(decidertest.Dec(amount), aud),
			Reason: "Two payroll runs were not needed", At: time.Date(2026, 3, 9+i, 1, 0, 0, 0, time.UTC)}
		inv = invoice.Evolve(inv, second)
	}
	data := pdf.CreditNoteFrom(second, inv, "INV-000042-CN2", f, c, domain.MustDate(2026, 3, 10))
	// 169.50 credited in all: 12.80 of tax (169.50 × 122.50 ÷ 1,622.50),
	// less the first one's 7.55.
	if !data.Tax.Amount.Equal(decidertest.Dec("5.25")) {
		t.Errorf("tax share %s, want 5.25", data.Tax)
	}
	text := textOf(t, func(w io.Writer) error { return pdf.CreditNote(w, data) })
	for _, want := range []string{
		"Ledger & Co", "ABN 12 345 678 901", "CREDIT NOTE", "INV-000042-CN2", "10 March 2026",
		"Against invoice: INV-000042", "2 March 2026", "Harbour Café", "Attn: Ana Lima",
		"Two payroll runs were not needed", "Amount credited", "69.50 AUD", "Includes tax of", "5.25 AUD",
		"Left to pay on invoice INV-000042", "1,453.00 AUD",
	} {
		shows(t, "the credit note", text, want)
	}
}

// shows checks that a document's text shows want.
func shows(t *testing.T, what, text, want string) {
	t.Helper()
	if !strings.Contains(text, want) {
		t.Errorf("%s does not show %q; its text:\n%s", what, want, text)
	}
}
