package journal

import (
	"remit/domain/invoice"
	"remit/projections/follow"
)

// surcharge books a surcharge line added with a payment like an issued
// line: the client owes its gross amount, its net is revenue and its tax is
// payable. The payment that follows it in the same append clears it from
// the receivable.
func (b *builder) surcharge(r follow.Event, e invoice.InvoiceSurchargeAdded) error {
	inv, err := b.invoice(e.InvoiceID)
	if err != nil {
		return err
	}
	a := e.Line.Amounts
	inv.gross = inv.gross.Add(a.Gross.Amount)
	inv.tax = inv.tax.Add(a.Tax.Amount)
	inv.revenue = inv.revenue.Add(a.Net.Amount)
	inv.taxPayable = inv.taxPayable.Add(a.Tax.Amount)
	date := e.Date
	if date.IsZero() {
		date = b.dateOf(e.At)
	}
	b.add(r, e.InvoiceID, inv, date, e.Line.Description,
		b.receivable(inv, a.Gross.Amount),
		Posting{Account: AccountRevenue, Amount: a.Net.Amount.Neg(), Currency: inv.currency},
		Posting{Account: AccountTaxPayable, Amount: a.Tax.Amount.Neg(), Currency: inv.currency},
	)
	return nil
}
