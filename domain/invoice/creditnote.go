package invoice

import (
	"fmt"

	"github.com/shopspring/decimal"

	"remit/domain"
)

// CreditNoteNumber is the number of an invoice's seq-th credit note (from
// 1, in the order they were issued, a refund's included): the invoice's
// number with -CN and seq (INV-000042-CN1). Credit notes have no number
// series of their own.
func CreditNoteNumber(invoiceNumber string, seq int) string {
	return fmt.Sprintf("%s-CN%d", invoiceNumber, seq)
}

// CreditedTax is the tax share of all an invoice has credited so far
// (credited, tax included): the invoice's tax in proportion, rounded to
// the currency's minor units. A credit note's own share is this after it
// less this before it, so the shares of an invoice's credit notes add up
// without a cent lost to rounding (the journal and the credit note's PDF
// count it so).
func CreditedTax(cur domain.Currency, gross, tax, credited decimal.Decimal) decimal.Decimal {
	if gross.IsZero() {
		return decimal.Zero
	}
	return cur.Round(credited.Mul(tax).Div(gross))
}
