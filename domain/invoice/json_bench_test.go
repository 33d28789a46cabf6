package invoice_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/invoice"
)

// BenchmarkInvoiceIssuedJSON encodes an InvoiceIssued of one line, as the
// billing run records 100,000s of them (one per due item when the firm does
// not group items).
func BenchmarkInvoiceIssuedJSON(b *testing.B) {
	aud := domain.MustCurrency("AUD")
	money := func(s string) domain.Money { return domain.NewMoney(decimal.RequireFromString(s), aud) }
	amounts := domain.LineAmounts{Net: money("1234.50"), Tax: money("123.45"), Gross: money("1357.95")}
	e := invoice.InvoiceIssued{
		InvoiceID: uuid.New(), ClientID: uuid.New(), Number: "INV-000123", Currency: aud,
		IssueDate: domain.MustDate(2025, 4, 2), DueDate: domain.MustDate(2025, 4, 16), TaxMode: domain.TaxExclusive,
		Lines: []invoice.Line{{LineID: uuid.New(), Description: "Service 0 (1 Mar 2025 – 31 Mar 2025)", Quantity: decimal.NewFromInt(1),
			UnitPrice: money("1234.50"), TaxRate: decimal.RequireFromString("0.1"), ServiceID: uuid.New(), ItemKey: uuid.NewString() + "/0", Amounts: amounts}},
		Totals:    invoice.Totals{Net: amounts.Net, Tax: amounts.Tax, Gross: amounts.Gross},
		Recurring: true, PaymentMethodID: uuid.New(), At: time.Date(2025, 4, 2, 9, 30, 0, 0, time.UTC),
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(e); err != nil {
			b.Fatal(err)
		}
	}
}
