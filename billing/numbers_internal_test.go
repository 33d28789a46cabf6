package billing

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/invoice"
	"remit/eventstore"
)

// TestIssueSizeBoundIsAnUpperBound: the bound that spares encoding an
// invoice before its number is reserved is never below the real size of its
// event, also for lines full of characters JSON escapes, long numbers and
// inclusive tax.
func TestIssueSizeBoundIsAnUpperBound(t *testing.T) {
	meta := Meta{Actor: "staff@firm.test", CommandID: strings.Repeat("k", 200)}
	line := func(i int, desc, qty, price, rate string, disc domain.Discount) invoice.NewLine {
		return invoice.NewLine{LineID: uuid.New(), Description: desc, Quantity: decimal.RequireFromString(qty),
			UnitPrice: domain.MustMoney(price, "AUD"), TaxRate: decimal.RequireFromString(rate), Discount: disc,
			ServiceID: uuid.New(), ItemKey: fmt.Sprintf("%s/%d", uuid.New(), i)}
	}
	cases := map[string][]invoice.NewLine{
		"OneLine": {line(1, "Bookkeeping", "1", "100", "10", domain.Discount{})},
		"Escapes": func() []invoice.NewLine {
			var ls []invoice.NewLine
			for i := range 50 {
				ls = append(ls, line(i, strings.Repeat("<>&\"\\\u2028é", 100), "3.5", "19.99", "33.333", domain.Discount{Kind: domain.DiscountPercent, Value: decimal.RequireFromString("12.5")}))
			}
			return ls
		}(),
		// The longest amounts the limits allow (domain/limits.go).
		"LongNumbers": {line(1, "Fee", "123456789.123456", "999999999999.99", "99.9999", domain.Discount{}),
			line(2, "Fee", "999999999.999999", "1000000000000", "10", domain.Discount{})},
	}
	for name, lines := range cases {
		for _, mode := range []domain.TaxMode{domain.TaxExclusive, domain.TaxInclusive} {
			t.Run(fmt.Sprintf("%s/%s", name, mode), func(t *testing.T) {
				method := uuid.New()
				cmd := invoice.Issue{InvoiceID: uuid.New(), ClientID: uuid.New(), Number: "INV-9223372036854775807", Currency: domain.MustCurrency("AUD"),
					IssueDate: domain.MustDate(2026, 3, 2), DueDate: domain.MustDate(2026, 3, 16), TaxMode: mode, Lines: lines,
					PaymentMethodID: method, Client: domain.ClientFacts{Currency: domain.MustCurrency("AUD"), PaymentMethods: []uuid.UUID{method}},
					Now: time.Now()}
				events, err := invoice.Decide(invoice.State{}, cmd)
				if err != nil {
					t.Fatal(err)
				}
				data, err := encodeAll(catalog.New(), events, meta, invoice.StreamName(cmd.InvoiceID))
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := json.Marshal(events[0])
				size := eventstore.EventSize(data[0])
				if bound := issueSizeBound(cmd, meta); bound < size {
					t.Fatalf("bound %d < size %d (%d bytes of JSON)", bound, size, len(raw))
				}
			})
		}
	}
}
