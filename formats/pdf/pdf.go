// Package pdf renders invoices as PDF documents for clients: the firm's and
// the client's details, the invoice number and dates, its lines (quantity,
// unit price, discount, tax, line total), totals, what was paid, credited
// and waived so far (each on its own row), the amount due and how to pay;
// and their credit notes (CreditNote: the invoice credited, the reason, the
// amount and its tax share, what is left to pay).
//
// InvoiceData is everything one page needs, as plain values; build it with
// FromIssued (from the InvoiceIssued event and the collection scheduled with
// it, what the invoice email attaches)
// or FromDetail (from the invoice's read model, with payments so far), plus
// the firm's and the client's states. Invoice draws it with
// github.com/go-pdf/fpdf (maintained, pure Go, core fonts so no font files
// ship with Remit). Output is deterministic: the creation date is the issue
// date and objects are written in a fixed order, so the same data always
// gives the same bytes (an email re-sent after a crash attaches the same
// file). An invoice's page is not compressed: it is a few kilobytes either
// way (about 2.4 KB compressed, 5 KB not), and the zlib writer fpdf makes
// for each page (about 1 MB of allocation) was the largest allocation of an
// instant bill made through the API, whose email attaches the PDF.
package pdf

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/go-pdf/fpdf"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/projections"
)

// Party is the firm or the client as the invoice names them.
type Party struct {
	Name      string
	Address   domain.Address
	TaxNumber string
	Contact   string // a person to address the invoice to
	Email     string
}

// InvoiceData is what an invoice PDF shows.
type InvoiceData struct {
	Firm      Party
	Client    Party
	Number    string
	IssueDate domain.Date
	DueDate   domain.Date
	TaxMode   domain.TaxMode
	Currency  domain.Currency
	Lines     []invoice.Line
	Totals    invoice.Totals
	// Paid is the payments so far, net of refunds; Credited the credit
	// notes; Waived what the firm wrote off. Each is a row of its own when
	// not zero, so a credit or a waiver never reads as money received.
	Paid      domain.Money
	Credited  domain.Money
	Waived    domain.Money
	AmountDue domain.Money
	// HowToPay says how the client pays: the card or account that will be
	// charged, or the firm's instructions.
	HowToPay string
	Void     bool
}

// FirmParty returns the firm as an invoice names it.
func FirmParty(f firm.State) Party {
	return Party{Name: f.Name, Address: f.Address, TaxNumber: f.TaxNumber}
}

// ClientParty returns the client as an invoice names it: its primary billing
// contact is the one the invoice is addressed to.
func ClientParty(c client.State) Party {
	p := Party{Name: c.Name, Address: c.Address, TaxNumber: c.TaxNumber}
	if pc, ok := c.PrimaryContact(); ok {
		p.Contact, p.Email = pc.Name, pc.Email
	}
	return p
}

// HowToPay describes paying an invoice: when its collection (or retry) is
// scheduled from a method on file, which card or account is charged and on
// what date; otherwise that nothing is charged automatically and how to pay:
// by transfer to the firm's account (when it gave one), quoting the number.
// It never promises a charge nobody scheduled.
func HowToPay(f firm.State, c client.State, col invoice.Collection, number string) string {
	if m, ok := c.PaymentMethod(col.PaymentMethodID); ok && col.PaymentMethodID != uuid.Nil && !col.Date.IsZero() {
		return "This invoice will be charged to the " + MethodName(m.PaymentMethodDetails) + " on file on " + FormatDate(col.Date) + "; nothing to do."
	}
	to := ""
	if a := TransferTo(f); a != "" {
		to = " to " + a
	}
	return "This invoice is not charged automatically: please pay by bank transfer" + to + ", quoting " + number + " as the reference."
}

// TransferTo is the firm's account for transfers as a client reads it
// ("Harbour Accounting Pty Ltd, BSB 062-000, account 1234 5678"), named
// as its country names its parts; "" when the firm gave none.
func TransferTo(f firm.State) string {
	a := f.BankAccount
	if a.Number == "" {
		return ""
	}
	var parts []string
	if a.Name != "" {
		parts = append(parts, a.Name)
	}
	if a.BranchCode != "" {
		parts = append(parts, branchLabel(f.Address.Country)+" "+a.BranchCode)
	}
	number := "account " + a.Number
	if looksLikeIBAN(a.Number) {
		number = "IBAN " + a.Number
	}
	parts = append(parts, number)
	if a.BIC != "" {
		parts = append(parts, "BIC "+a.BIC)
	}
	return strings.Join(parts, ", ")
}

// branchLabel is what a country calls the bank and branch part of an
// account's details.
func branchLabel(country string) string {
	switch country {
	case "AU":
		return "BSB"
	case "GB":
		return "sort code"
	case "US":
		return "routing number"
	case "CA":
		return "transit and institution number"
	case "NZ":
		return "bank and branch"
	}
	return "bank code"
}

// looksLikeIBAN reports whether an account number has an IBAN's shape: a
// country's two letters, two check digits, then more than ten characters.
func looksLikeIBAN(n string) bool {
	n = strings.ReplaceAll(n, " ", "")
	return len(n) > 14 && unicode.IsUpper(rune(n[0])) && unicode.IsUpper(rune(n[1])) && unicode.IsDigit(rune(n[2])) && unicode.IsDigit(rune(n[3]))
}

// MethodName names a payment method for a client: "Visa ending 4242", or
// the masked bank account ("bank account 062-000 ****1234").
func MethodName(m client.PaymentMethodDetails) string {
	if m.Kind == client.MethodCard {
		brand := m.Brand
		if brand == "" {
			brand = "card"
		}
		return strings.ToUpper(brand[:1]) + brand[1:] + " ending " + m.Last4
	}
	return "bank account " + m.MaskedAccount
}

// FromIssued builds the data of a newly issued invoice from its
// InvoiceIssued event and the collection scheduled with it (zero when none):
// nothing is paid yet.
func FromIssued(e invoice.InvoiceIssued, col invoice.Collection, f firm.State, c client.State) InvoiceData {
	return InvoiceData{
		Firm: FirmParty(f), Client: ClientParty(c),
		Number: e.Number, IssueDate: e.IssueDate, DueDate: e.DueDate, TaxMode: e.TaxMode, Currency: e.Currency,
		Lines: e.Lines, Totals: e.Totals, Paid: domain.Zero(e.Currency), AmountDue: e.Totals.Gross,
		HowToPay: HowToPay(f, c, col, e.Number),
	}
}

// FromDetail builds the data of an invoice as it stands, from its read
// model: its payments, credits and waivers so far, and its balance due; a
// void invoice, or one with nothing left to pay, says so instead of how to
// pay.
func FromDetail(d projections.InvoiceDetail, f firm.State, c client.State) InvoiceData {
	cur := d.Totals.Gross.Currency
	var col invoice.Collection
	if d.Collection != nil {
		col = *d.Collection
	}
	data := InvoiceData{
		Firm: FirmParty(f), Client: ClientParty(c),
		Number: d.Number, IssueDate: d.IssueDate, DueDate: d.DueDate, TaxMode: d.TaxMode, Currency: cur,
		Lines: d.Lines, Totals: d.Totals, AmountDue: d.Balance,
		Paid: orZero(d.Paid, cur), Credited: orZero(d.Credited, cur), Waived: orZero(d.WrittenOff, cur),
		HowToPay: HowToPay(f, c, col, d.Number),
		Void:     d.StoredStatus == invoice.StatusVoid,
	}
	switch {
	case data.Void:
		data.HowToPay = "This invoice is void: nothing is to be paid."
	case !d.Balance.Amount.IsPositive():
		data.HowToPay = "Nothing is left to pay on this invoice."
	}
	return data
}

// orZero is m, or zero in cur when m has no currency (nothing recorded).
func orZero(m domain.Money, cur domain.Currency) domain.Money {
	if m.Currency.IsZero() {
		return domain.Zero(cur)
	}
	return m
}

// FormatMoney formats an amount for people: thousands separated, the
// currency's minor units, no currency code ("1,234.50").
func FormatMoney(m domain.Money) string { return domain.FormatAmount(m) }

// FormatDate formats a date for people: "2 March 2026".
func FormatDate(d domain.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d %s %d", d.Day(), d.Month(), d.Year())
}

func formatQuantity(q decimal.Decimal) string { return q.String() }

func formatDiscount(d domain.Discount, c domain.Currency) string {
	switch d.Kind {
	case domain.DiscountPercent:
		return d.Value.String() + "%"
	case domain.DiscountAmount:
		return FormatMoney(domain.NewMoney(d.Value, c))
	}
	return "-"
}

func addressLines(a domain.Address) []string {
	var out []string
	for _, s := range []string{a.Line1, a.Line2, strings.TrimSpace(strings.Join([]string{a.City, a.Region, a.Postcode}, " ")), a.Country} {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// cp1252 translates UTF-8 to the code page of the core fonts. fpdf builds
// the translator by parsing its code page map with fmt.Sscanf, which was a
// third of the CPU of drawing an invoice; the translator only reads its
// table, so one is built, once, and shared by every document. It is nil when
// fpdf could not build it: each document then asks fpdf itself (which
// records the error on the document).
var cp1252 = sync.OnceValue(func() func(string) string {
	doc := fpdf.New("P", "mm", "A4", "")
	tr := doc.UnicodeTranslatorFromDescriptor("")
	if doc.Err() {
		return nil
	}
	return tr
})

// translator returns the cp1252 translator for doc.
func translator(doc *fpdf.Fpdf) func(string) string {
	if tr := cp1252(); tr != nil {
		return tr
	}
	return doc.UnicodeTranslatorFromDescriptor("")
}

// newDoc starts an A4 document titled title, by author, dated date (its
// creation and modification date, so the same data gives the same bytes).
func newDoc(title, author string, date domain.Date) (*fpdf.Fpdf, func(string) string) {
	doc := fpdf.New("P", "mm", "A4", "")
	doc.SetCompression(false)
	doc.SetCatalogSort(true)
	created := time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, time.UTC)
	doc.SetCreationDate(created)
	doc.SetModificationDate(created)
	doc.SetTitle(title, true)
	doc.SetAuthor(author, true)
	doc.SetCreator("Remit", true)
	doc.SetMargins(15, 15, 15)
	doc.SetAutoPageBreak(true, 15)
	doc.AddPage()
	return doc, translator(doc) // core fonts are cp1252
}

// header draws the firm on the left and the document's title and facts
// on the right.
func header(doc *fpdf.Fpdf, tr func(string) string, firm Party, title string, facts []string) {
	doc.SetFont("Helvetica", "B", 16)
	doc.CellFormat(110, 8, tr(firm.Name), "", 0, "L", false, 0, "")
	doc.CellFormat(70, 8, title, "", 1, "R", false, 0, "")
	doc.SetFont("Helvetica", "", 9)
	left := addressLines(firm.Address)
	if firm.TaxNumber != "" {
		left = append(left, "Tax number: "+firm.TaxNumber)
	}
	for i := range max(len(left), len(facts)) {
		l, r := "", ""
		if i < len(left) {
			l = left[i]
		}
		if i < len(facts) {
			r = facts[i]
		}
		doc.CellFormat(110, 5, tr(l), "", 0, "L", false, 0, "")
		doc.CellFormat(70, 5, tr(r), "", 1, "R", false, 0, "")
	}
}

// billTo draws the client the document is for.
func billTo(doc *fpdf.Fpdf, tr func(string) string, label string, c Party) {
	doc.Ln(6)
	doc.SetFont("Helvetica", "B", 10)
	doc.CellFormat(0, 6, label, "", 1, "L", false, 0, "")
	doc.SetFont("Helvetica", "", 9)
	lines := []string{c.Name}
	if c.Contact != "" {
		lines = append(lines, "Attn: "+c.Contact)
	}
	lines = append(lines, addressLines(c.Address)...)
	if c.TaxNumber != "" {
		lines = append(lines, "Tax number: "+c.TaxNumber)
	}
	if c.Email != "" {
		lines = append(lines, c.Email)
	}
	for _, s := range lines {
		doc.CellFormat(0, 5, tr(s), "", 1, "L", false, 0, "")
	}
}

// amountRow draws a right-aligned label and amount (bold when asked).
func amountRow(doc *fpdf.Fpdf, tr func(string) string, label string, m domain.Money, bold bool) {
	style := ""
	if bold {
		style = "B"
	}
	doc.SetFont("Helvetica", style, 10)
	doc.CellFormat(136, 6, tr(label), "", 0, "R", false, 0, "")
	doc.CellFormat(44, 6, FormatMoney(m)+" "+m.Currency.Code, "", 1, "R", false, 0, "")
}

// finish writes the document to w, naming what in an error.
func finish(doc *fpdf.Fpdf, w io.Writer, what string) error {
	if err := doc.Error(); err != nil {
		return fmt.Errorf("pdf: %s: %w", what, err)
	}
	if err := doc.Output(w); err != nil {
		return fmt.Errorf("pdf: %s: %w", what, err)
	}
	return nil
}

// Invoice draws the invoice as a PDF document on w.
func Invoice(w io.Writer, data InvoiceData) error {
	doc, tr := newDoc("Invoice "+data.Number, data.Firm.Name, data.IssueDate)
	cur := data.Currency.Code
	title := "TAX INVOICE"
	if data.Void {
		title = "VOID INVOICE"
	}
	header(doc, tr, data.Firm, title, []string{
		"Invoice number: " + data.Number,
		"Issue date: " + FormatDate(data.IssueDate),
		"Due date: " + FormatDate(data.DueDate),
		"Currency: " + cur,
	})
	billTo(doc, tr, "Bill to", data.Client)

	// Lines.
	doc.Ln(6)
	widths := []float64{62, 16, 24, 20, 14, 20, 24}
	heads := []string{"Description", "Qty", "Unit price", "Discount", "Tax %", "Tax", "Amount"}
	doc.SetFont("Helvetica", "B", 9)
	doc.SetFillColor(235, 235, 235)
	for i, h := range heads {
		align := "R"
		if i == 0 {
			align = "L"
		}
		doc.CellFormat(widths[i], 7, h, "B", 0, align, true, 0, "")
	}
	doc.Ln(-1)
	doc.SetFont("Helvetica", "", 9)
	for _, l := range data.Lines {
		lineTotal := l.Amounts.Net
		if data.TaxMode == domain.TaxInclusive {
			lineTotal = l.Amounts.Gross
		}
		cells := []string{
			l.Description,
			formatQuantity(l.Quantity),
			FormatMoney(l.UnitPrice),
			formatDiscount(l.Discount, data.Currency),
			l.TaxRate.String(),
			FormatMoney(l.Amounts.Tax),
			FormatMoney(lineTotal),
		}
		desc := doc.SplitLines([]byte(tr(cells[0])), widths[0]-2)
		h := 6.0 * float64(max(1, len(desc)))
		x, y := doc.GetXY()
		doc.MultiCell(widths[0], 6, tr(cells[0]), "", "L", false)
		doc.SetXY(x+widths[0], y)
		for i := 1; i < len(cells); i++ {
			doc.CellFormat(widths[i], 6, tr(cells[i]), "", 0, "R", false, 0, "")
		}
		doc.SetXY(x, y+h)
	}
	doc.Line(15, doc.GetY(), 195, doc.GetY())

	// Totals.
	doc.Ln(3)
	row := func(label string, m domain.Money, bold bool) { amountRow(doc, tr, label, m, bold) }
	if data.TaxMode == domain.TaxInclusive {
		row("Total (tax inclusive)", data.Totals.Gross, false)
		row("Includes tax of", data.Totals.Tax, false)
	} else {
		row("Subtotal", data.Totals.Net, false)
		row("Tax", data.Totals.Tax, false)
		row("Total", data.Totals.Gross, false)
	}
	for _, r := range []struct {
		label string
		m     domain.Money
	}{{"Paid", data.Paid}, {"Credited", data.Credited}, {"Waived", data.Waived}} {
		if !r.m.Amount.IsZero() {
			row(r.label, r.m, false)
		}
	}
	row("Amount due", data.AmountDue, true)

	// How to pay.
	if data.HowToPay != "" {
		doc.Ln(6)
		doc.SetFont("Helvetica", "B", 10)
		doc.CellFormat(0, 6, "How to pay", "", 1, "L", false, 0, "")
		doc.SetFont("Helvetica", "", 9)
		doc.MultiCell(0, 5, tr(data.HowToPay), "", "L", false)
	}
	return finish(doc, w, "invoice "+data.Number)
}
