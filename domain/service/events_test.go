package service_test

import (
	"reflect"
	"strings"
	"testing"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/service"
)

// allEvents has one filled-in example of every event type.
func allEvents(tb testing.TB) []domain.Event {
	tb.Helper()
	quarterly := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 3, Start: domain.StartOnDate, StartDate: date(2026, 3, 1), AnchorDay: 31, End: domain.EndOnDate, EndDate: date(2027, 12, 31)}
	activated := MustActivated(tb)
	activated.Discount = domain.Discount{Kind: domain.DiscountPercent, Value: decidertest.Dec("12.5")}
	activated.RevenueAccount = "4000"
	return []domain.Event{
		activated,
		service.ServiceEdited{ServiceID: serviceID, EffectiveFrom: date(2026, 3, 1), Changes: service.Changes{
			Description: strp("Bookkeeping and payroll"), UnitPrice: decp("120.50"), Quantity: decp("1.5"),
			Discount: &domain.Discount{Kind: domain.DiscountAmount, Value: decidertest.Dec("5")}, PaymentMethodID: &method2ID,
		}, BillingRule: &quarterly, FirstDate: date(2026, 3, 31), FirstSeq: 3, NotifyClientOfPriceChange: true, At: now},
		service.ServiceSwitchedToManual{ServiceID: serviceID, At: now},
		service.ServiceSwitchedToAutomatic{ServiceID: serviceID, At: now},
		ended(date(2026, 6, 30)),
		service.ScheduleItemEdited{ServiceID: serviceID, ItemKey: key(4), ItemChanges: service.ItemChanges{
			Date: datep(date(2026, 4, 20)), Changes: service.Changes{Description: strp("April"), UnitPrice: decp("80"), Quantity: decp("2"),
				Discount: &domain.Discount{Kind: domain.DiscountPercent, Value: decidertest.Dec("10")}, PaymentMethodID: &method2ID},
		}, At: now},
		service.ScheduleItemSwitchedToManual{ServiceID: serviceID, ItemKey: key(4), At: now},
		service.ScheduleItemSwitchedToAutomatic{ServiceID: serviceID, ItemKey: key(4), At: now},
		service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: key(5), At: now},
		service.ScheduleItemIssueScheduled{ServiceID: serviceID, ItemKey: key(4), IssueOn: date(2026, 4, 22), At: now},
		billed(2, date(2026, 2, 15), invoiceID),
		service.ScheduleItemReleased{ServiceID: serviceID, ItemKey: key(2), InvoiceID: invoiceID, Reason: "invoice voided", SwitchedToManual: true, At: now},
	}
}

func TestEveryEventTypeIsCatalogued(t *testing.T) {
	var got []string
	for _, e := range allEvents(t) {
		got = append(got, e.EventType())
	}
	if !reflect.DeepEqual(got, service.EventTypes()) {
		t.Fatalf("examples %v\ncatalogue %v", got, service.EventTypes())
	}
}

// TestEvolveChangesStateForEveryEvent fails when an event type has no case in
// Evolve.
func TestEvolveChangesStateForEveryEvent(t *testing.T) {
	base := service.Fold([]domain.Event{MustActivated(t)})
	for _, e := range allEvents(t) {
		t.Run(e.EventType(), func(t *testing.T) {
			from := base
			if _, ok := e.(service.ServiceActivated); ok {
				from = service.State{}
			}
			if reflect.DeepEqual(service.Evolve(from, e), from) {
				t.Fatalf("Evolve ignored %s", e.EventType())
			}
		})
	}
}

func TestEvolveDoesNotChangeItsInput(t *testing.T) {
	s := service.Fold([]domain.Event{MustActivated(t), billed(1, date(2026, 1, 15), invoiceID)})
	before := decidertest.MustJSON(t, s.Schedule(today))
	// Two different futures from the same state must not see each other.
	a := service.Evolve(s, service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: key(2)})
	b := service.Evolve(s, billed(2, date(2026, 2, 15), invoice2ID))
	if decidertest.MustJSON(t, s.Schedule(today)) != before {
		t.Fatal("Evolve changed the state it was given")
	}
	if it, _ := a.Item(key(2)); it.Status != service.ItemSkipped {
		t.Fatalf("future a: item 2 %q, want skipped", it.Status)
	}
	if it, _ := b.Item(key(2)); it.Status != service.ItemBilled {
		t.Fatalf("future b: item 2 %q, want billed", it.Status)
	}
}

func TestEvolveIgnoresUnknownEvents(t *testing.T) {
	s := service.Fold([]domain.Event{MustActivated(t)})
	if !reflect.DeepEqual(service.Evolve(s, unknownEvent{}), s) {
		t.Fatal("an unknown event changed the state")
	}
}

type unknownEvent struct{}

func (unknownEvent) EventType() string { return "SomethingElse" }

func TestJSONRoundTrip(t *testing.T) {
	for _, e := range allEvents(t) {
		t.Run(e.EventType(), func(t *testing.T) {
			raw, back := decidertest.MustRoundTrip(t, e, service.DecodeEvent)
			data := string(raw)
			base := service.Fold([]domain.Event{MustActivated(t)})
			if a, b := decidertest.MustJSON(t, service.Evolve(base, e).Schedule(today)), decidertest.MustJSON(t, service.Evolve(base, back).Schedule(today)); a != b {
				t.Fatalf("decoded event evolves differently:\n%s\n%s", a, b)
			}
			if strings.Contains(data, `"ServiceID"`) {
				t.Fatalf("field names are not snake_case: %s", data)
			}
		})
	}
}

func TestDecodeUnknownEvent(t *testing.T) {
	if _, err := service.DecodeEvent("NoSuchEvent", []byte(`{}`)); err == nil {
		t.Fatal("decoded an unknown event type")
	}
}

func TestStreamName(t *testing.T) {
	if got, want := service.StreamName(serviceID), "service-"+serviceID.String(); got != want {
		t.Fatalf("StreamName = %q, want %q", got, want)
	}
}
