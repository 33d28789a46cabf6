package pdf

import (
	"io"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
)

// CreditNoteData is what a credit note's PDF shows: the firm and the
// client, its number and date, the invoice it credits, the amount
// credited (tax included) and the tax share of it, its reason, and what is
// left to pay on the invoice after it.
type CreditNoteData struct {
	Firm        Party
	Client      Party
	Number      string // the invoice's number with -CN and its place (INV-000042-CN1)
	IssueDate   domain.Date
	Invoice     string // the invoice's number
	InvoiceDate domain.Date
	Amount      domain.Money
	Tax         domain.Money
	Reason      string
	Balance     domain.Money
}

// CreditNoteFrom is the data of the credit note e of inv, inv being the
// invoice as of e (its credit notes up to e, e included), numbered number
// and dated date (its day in the firm's time zone). Its tax share is
// invoice.CreditedTax after it less before it, as the journal counts it.
func CreditNoteFrom(e invoice.InvoiceCreditNoteIssued, inv invoice.State, number string, f firm.State, c client.State, date domain.Date) CreditNoteData {
	cur := inv.Currency
	share := func(credited decimal.Decimal) decimal.Decimal {
		return invoice.CreditedTax(cur, inv.Totals.Gross.Amount, inv.Totals.Tax.Amount, credited)
	}
	after := inv.Credited.Amount
	return CreditNoteData{
		Firm: FirmParty(f), Client: ClientParty(c), Number: number, IssueDate: date,
		Invoice: inv.Number, InvoiceDate: inv.IssueDate, Amount: e.Amount,
		Tax:    domain.NewMoney(share(after).Sub(share(after.Sub(e.Amount.Amount))), cur),
		Reason: e.Reason, Balance: inv.Balance(),
	}
}

// CreditNote draws the credit note as a PDF document on w.
func CreditNote(w io.Writer, data CreditNoteData) error {
	doc, tr := newDoc("Credit note "+data.Number, data.Firm.Name, data.IssueDate)
	header(doc, tr, data.Firm, "CREDIT NOTE", []string{
		"Credit note number: " + data.Number,
		"Date: " + FormatDate(data.IssueDate),
		"Against invoice: " + data.Invoice,
		"Invoice date: " + FormatDate(data.InvoiceDate),
		"Currency: " + data.Amount.Currency.Code,
	})
	billTo(doc, tr, "Credited to", data.Client)
	doc.Ln(6)
	doc.SetFont("Helvetica", "B", 10)
	doc.CellFormat(0, 6, "Reason", "", 1, "L", false, 0, "")
	doc.SetFont("Helvetica", "", 9)
	doc.MultiCell(0, 5, tr(data.Reason), "", "L", false)
	doc.Ln(3)
	amountRow(doc, tr, "Amount credited", data.Amount, true)
	amountRow(doc, tr, "Includes tax of", data.Tax, false)
	amountRow(doc, tr, "Left to pay on invoice "+data.Invoice, data.Balance, false)
	return finish(doc, w, "credit note "+data.Number)
}
