package billing

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/invoice"
)

// TestIssueDeciderAnswersAsDecide: the batch's issue step, which reuses the
// decision planning made with a stand-in number, appends exactly the events
// invoice.Decide would decide with the reserved number; and on a state the
// plan was not decided on (issued, abandoned), or for another command, it is
// invoice.Decide itself.
func TestIssueDeciderAnswersAsDecide(t *testing.T) {
	method := uuid.New()
	cmd := invoice.Issue{InvoiceID: uuid.New(), ClientID: uuid.New(), Currency: domain.MustCurrency("AUD"),
		IssueDate: domain.MustDate(2026, 3, 2), DueDate: domain.MustDate(2026, 3, 16), TaxMode: domain.TaxExclusive,
		Lines: []invoice.NewLine{{LineID: uuid.New(), Description: "Bookkeeping", Quantity: decimal.RequireFromString("1.5"),
			UnitPrice: domain.MustMoney("99.95", "AUD"), TaxRate: decimal.RequireFromString("10"), ServiceID: uuid.New(), ItemKey: uuid.New().String() + "/1"}},
		PaymentMethodID: method, Client: domain.ClientFacts{Currency: domain.MustCurrency("AUD"), PaymentMethods: []uuid.UUID{method}},
		Now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	planned, err := invoice.Decide(invoice.State{}, withNumber(cmd, "INV-9223372036854775807"))
	if err != nil {
		t.Fatal(err)
	}
	b := &batchInvoice{decided: planned}
	d := issueDecider(map[uuid.UUID]*batchInvoice{cmd.InvoiceID: b})

	t.Run("OK", func(t *testing.T) {
		issue := withNumber(cmd, "INV-42")
		got, err := d.Decide(invoice.State{}, issue)
		want, werr := invoice.Decide(invoice.State{}, issue)
		if err != nil || werr != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v, %v; want %+v, %v", got, err, want, werr)
		}
		if planned[0].(invoice.InvoiceIssued).Number != "INV-9223372036854775807" {
			t.Fatal("the planned events were changed")
		}
	})
	t.Run("ErrAlreadyIssued", func(t *testing.T) {
		issued := invoice.Evolve(invoice.State{}, must(invoice.Decide(invoice.State{}, withNumber(cmd, "INV-7")))[0])
		for _, number := range []string{"INV-7", "INV-8"} {
			got, err := d.Decide(issued, withNumber(cmd, number))
			want, werr := invoice.Decide(issued, withNumber(cmd, number))
			if !reflect.DeepEqual(got, want) || domain.ErrorCode(err) != domain.ErrorCode(werr) || (err == nil) != (werr == nil) {
				t.Fatalf("%s: got %+v, %v; want %+v, %v", number, got, err, want, werr)
			}
		}
	})
	t.Run("OtherCommand", func(t *testing.T) {
		issued := invoice.Evolve(invoice.State{}, must(invoice.Decide(invoice.State{}, withNumber(cmd, "INV-7")))[0])
		c := invoice.ScheduleCollection{Date: cmd.IssueDate, PaymentMethodID: method, Now: cmd.Now}
		got, err := d.Decide(issued, c)
		want, werr := invoice.Decide(issued, c)
		if err != nil || werr != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v, %v; want %+v, %v", got, err, want, werr)
		}
	})
}

func withNumber(c invoice.Issue, number string) invoice.Issue {
	c.Number = number
	return c
}

func must(events []domain.Event, err error) []domain.Event {
	if err != nil {
		panic(err)
	}
	return events
}
