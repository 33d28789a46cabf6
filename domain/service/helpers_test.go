package service_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/service"
)

var (
	serviceID  = uuid.MustParse("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa")
	otherSvcID = uuid.MustParse("aaaaaaaa-aaaa-4aaa-8aaa-bbbbbbbbbbbb")
	clientID   = uuid.MustParse("cccccccc-cccc-4ccc-8ccc-cccccccccccc")
	proposalID = uuid.MustParse("dddddddd-dddd-4ddd-8ddd-dddddddddddd")
	propLineID = uuid.MustParse("dddddddd-dddd-4ddd-8ddd-000000000001")
	methodID   = uuid.MustParse("eeeeeeee-eeee-4eee-8eee-000000000001")
	method2ID  = uuid.MustParse("eeeeeeee-eeee-4eee-8eee-000000000002")
	invoiceID  = uuid.MustParse("ffffffff-ffff-4fff-8fff-000000000001")
	invoice2ID = uuid.MustParse("ffffffff-ffff-4fff-8fff-000000000002")

	now = time.Date(2026, 4, 20, 9, 0, 0, 0, time.UTC)
	// today is after the first four monthly billings (Jan–Apr 15th): the
	// service was agreed with a start in the past.
	today = domain.MustDate(2026, 4, 20)
)

func date(y int, m time.Month, d int) domain.Date { return domain.MustDate(y, m, d) }

// decider is the service decider, its events compared by JSON (decimals).
var decider = decidertest.Decider[service.State, service.Command]{Fold: service.Fold, Decide: service.Decide, ByJSON: true}

func decp(s string) *decimal.Decimal { d := decidertest.Dec(s); return &d }

func strp(s string) *string { return &s }

func datep(d domain.Date) *domain.Date { return &d }

func key(seq int) string { return service.ItemKey(serviceID, seq) }

func monthly() domain.BillingRule {
	return domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnDate, StartDate: date(2026, 1, 15), End: domain.EndNever}
}

// MustActivate returns a valid Activate command: monthly bookkeeping on the
// 15th from 2026-01-15, AUD 100 + 10 % tax, automatic, from a proposal line.
func MustActivate(tb testing.TB) service.Activate {
	tb.Helper()
	return service.Activate{
		ServiceID:       serviceID,
		ClientID:        clientID,
		Source:          service.Source{ProposalID: proposalID, ProposalLineID: propLineID},
		Name:            "Bookkeeping",
		Description:     "Monthly bookkeeping",
		UnitPrice:       decidertest.Dec("100"),
		Quantity:        decidertest.Dec("1"),
		Unit:            "month",
		TaxRate:         decidertest.Dec("10"),
		Currency:        domain.MustCurrency("AUD"),
		BillingRule:     monthly(),
		FirstDate:       date(2026, 1, 15),
		Mode:            service.Automatic,
		PaymentMethodID: methodID,
		Client:          domain.ClientFacts{Currency: domain.MustCurrency("AUD"), PaymentMethods: []uuid.UUID{methodID, method2ID}},
		Now:             now,
	}
}

// MustActivated returns the ServiceActivated event of MustActivate.
func MustActivated(tb testing.TB) service.ServiceActivated {
	tb.Helper()
	c := MustActivate(tb)
	return service.ServiceActivated{
		ServiceID:       c.ServiceID,
		ClientID:        c.ClientID,
		Source:          c.Source,
		Name:            c.Name,
		Description:     c.Description,
		UnitPrice:       c.UnitPrice,
		Quantity:        c.Quantity,
		Unit:            c.Unit,
		Discount:        c.Discount,
		TaxRate:         c.TaxRate,
		Currency:        c.Currency,
		BillingRule:     c.BillingRule,
		FirstDate:       c.FirstDate,
		Mode:            c.Mode,
		PaymentMethodID: c.PaymentMethodID,
		At:              now,
	}
}

// MustOnCompletion returns a ServiceActivated event of an on-completion
// service (one manual item with no date), from an instant bill.
func MustOnCompletion(tb testing.TB) service.ServiceActivated {
	tb.Helper()
	e := MustActivated(tb)
	e.Source = service.Source{InstantBill: true}
	e.Name, e.Description = "Tax return", ""
	e.BillingRule = domain.BillingRule{Frequency: domain.FrequencyOnCompletion}
	e.FirstDate = domain.Date{}
	e.Mode = service.Manual
	return e
}

// billed returns the ScheduleItemBilled event of item seq of MustActivated at
// its original terms.
func billed(seq int, on domain.Date, invoice uuid.UUID) service.ScheduleItemBilled {
	return service.ScheduleItemBilled{
		ServiceID:       serviceID,
		ItemKey:         key(seq),
		InvoiceID:       invoice,
		Date:            on,
		Description:     "Monthly bookkeeping",
		Quantity:        decidertest.Dec("1"),
		UnitPrice:       decidertest.Dec("100"),
		TaxRate:         decidertest.Dec("10"),
		Mode:            service.Automatic,
		PaymentMethodID: methodID,
		At:              now,
	}
}

func ended(on domain.Date) service.ServiceEnded {
	return service.ServiceEnded{ServiceID: serviceID, EndDate: on, Reason: "Client left", At: now}
}

// MustDecide folds given, decides c and fails the test on an error.
func MustDecide(tb testing.TB, given []domain.Event, c service.Command) []domain.Event {
	tb.Helper()
	events, err := service.Decide(service.Fold(given), c)
	if err != nil {
		tb.Fatalf("decide %T: %v", c, err)
	}
	return events
}

// itemLine is an item as a short comparable line: "key date price status".
func itemLine(it service.Item) string {
	seq := it.Key[strings.LastIndex(it.Key, "/")+1:]
	s := seq + " " + it.Date.String() + " " + it.UnitPrice.Amount.String() + " " + string(it.Mode) + " " + string(it.Status)
	if it.InvoiceID != uuid.Nil {
		s += " " + it.InvoiceID.String()[:8]
	}
	if !it.IssueOn.IsZero() {
		s += " on " + it.IssueOn.String()
	}
	return s
}

// AssertItems compares items as itemLine strings.
func AssertItems(tb testing.TB, got []service.Item, want ...string) {
	tb.Helper()
	lines := make([]string, len(got))
	for i, it := range got {
		lines[i] = itemLine(it)
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		tb.Fatalf("items:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
