package service_test

import (
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/service"
)

func TestScheduleCatchUp(t *testing.T) {
	// Agreed on 2026-04-20 with a start on 2026-01-15: four billings are due at once.
	s := service.Fold([]domain.Event{MustActivated(t)})
	AssertItems(t, s.Schedule(date(2026, 6, 30)),
		"1 2026-01-15 100 automatic scheduled",
		"2 2026-02-15 100 automatic scheduled",
		"3 2026-03-15 100 automatic scheduled",
		"4 2026-04-15 100 automatic scheduled",
		"5 2026-05-15 100 automatic scheduled",
		"6 2026-06-15 100 automatic scheduled",
	)
	AssertItems(t, s.DueItems(today),
		"1 2026-01-15 100 automatic scheduled",
		"2 2026-02-15 100 automatic scheduled",
		"3 2026-03-15 100 automatic scheduled",
		"4 2026-04-15 100 automatic scheduled",
	)
}

func TestScheduleItemFields(t *testing.T) {
	s := service.Fold([]domain.Event{MustActivated(t)})
	it, ok := s.Item(key(7))
	if !ok {
		t.Fatal("item 7 not found")
	}
	want := service.Item{
		Key: serviceID.String() + "/7", ServiceID: serviceID, Seq: 7, Date: date(2026, 7, 15),
		Description: "Monthly bookkeeping", Quantity: decidertest.Dec("1"), UnitPrice: domain.MustMoney("100", "AUD"),
		TaxRate: decidertest.Dec("10"), Mode: service.Automatic, PaymentMethodID: methodID, Status: service.ItemScheduled,
	}
	if decidertest.MustJSON(t, it) != decidertest.MustJSON(t, want) {
		t.Fatalf("item 7:\n got %+v\nwant %+v", it, want)
	}
}

func TestEditEffectiveFromChangesOnlyLaterUnbilledItems(t *testing.T) {
	given := []domain.Event{MustActivated(t), billed(3, date(2026, 3, 15), invoiceID)}
	given = append(given, MustDecide(t, given, service.Edit{
		EffectiveFrom: date(2026, 3, 1), Changes: service.Changes{UnitPrice: decp("120")}, NotifyClientOfPriceChange: true, Now: now,
	})...)
	s := service.Fold(given)
	AssertItems(t, s.Schedule(date(2026, 5, 31)),
		"1 2026-01-15 100 automatic scheduled",
		"2 2026-02-15 100 automatic scheduled",
		"3 2026-03-15 100 automatic billed ffffffff",
		"4 2026-04-15 120 automatic scheduled",
		"5 2026-05-15 120 automatic scheduled",
	)
	if !s.Terms.UnitPrice.Equal(decidertest.Dec("120")) {
		t.Fatalf("service price = %s, want 120", s.Terms.UnitPrice)
	}
}

func TestLaterChangeWins(t *testing.T) {
	itemPrice := service.ScheduleItemEdited{ServiceID: serviceID, ItemKey: key(4), ItemChanges: service.ItemChanges{Changes: service.Changes{UnitPrice: decp("90")}}}
	servicePrice := service.ServiceEdited{ServiceID: serviceID, EffectiveFrom: date(2026, 4, 1), Changes: service.Changes{UnitPrice: decp("120")}}

	s := service.Fold([]domain.Event{MustActivated(t), itemPrice, servicePrice})
	if it, _ := s.Item(key(4)); !it.UnitPrice.Amount.Equal(decidertest.Dec("120")) {
		t.Errorf("a service edit after an item edit: price %s, want 120", it.UnitPrice)
	}
	s = service.Fold([]domain.Event{MustActivated(t), servicePrice, itemPrice})
	if it, _ := s.Item(key(4)); !it.UnitPrice.Amount.Equal(decidertest.Dec("90")) {
		t.Errorf("an item edit after a service edit: price %s, want 90", it.UnitPrice)
	}
}

func TestRuleChange(t *testing.T) {
	quarterly := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 3, Start: domain.StartOnDate, StartDate: date(2026, 3, 1), End: domain.EndNever}
	given := []domain.Event{MustActivated(t), billed(4, date(2026, 4, 15), invoiceID)}
	given = append(given, MustDecide(t, given, service.Edit{EffectiveFrom: date(2026, 3, 1), BillingRule: &quarterly, Now: now})...)
	s := service.Fold(given)
	// Jan and Feb stay, the billed April item stays, the rest follows the new rule numbered from 5.
	AssertItems(t, s.Schedule(date(2026, 9, 30)),
		"1 2026-01-15 100 automatic scheduled",
		"2 2026-02-15 100 automatic scheduled",
		"5 2026-03-01 100 automatic scheduled",
		"4 2026-04-15 100 automatic billed ffffffff",
		"6 2026-06-01 100 automatic scheduled",
		"7 2026-09-01 100 automatic scheduled",
	)
	if _, ok := s.Item(key(3)); ok {
		t.Error("the replaced March item is still in the schedule")
	}
	if it, ok := s.Item(key(7)); !ok || it.Date != date(2026, 9, 1) {
		t.Errorf("item 7 = %+v, %v; want the quarterly billing of 2026-09-01", it, ok)
	}
	if s.BillingRule != quarterly || s.FirstDate != date(2026, 3, 1) {
		t.Errorf("service rule = %+v from %s, want the quarterly rule", s.BillingRule, s.FirstDate)
	}
}

func TestEndArchivesLaterItems(t *testing.T) {
	given := []domain.Event{MustActivated(t), billed(1, date(2026, 1, 15), invoiceID)}
	given = append(given, MustDecide(t, given, service.End{On: date(2026, 3, 20), Now: now})...)
	s := service.Fold(given)
	AssertItems(t, s.Schedule(date(2026, 5, 31)),
		"1 2026-01-15 100 automatic billed ffffffff",
		"2 2026-02-15 100 automatic scheduled",
		"3 2026-03-15 100 automatic scheduled",
		"4 2026-04-15 100 automatic archived",
		"5 2026-05-15 100 automatic archived",
	)
	AssertItems(t, s.DueItems(date(2026, 12, 31)),
		"2 2026-02-15 100 automatic scheduled",
		"3 2026-03-15 100 automatic scheduled",
	)
	if _, err := service.Decide(s, service.End{On: today, Now: now}); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Fatalf("ending twice: %v, want a conflict", err)
	}
}

func TestBilledItemIsNeverBilledByAnotherInvoice(t *testing.T) {
	given := []domain.Event{MustActivated(t)}
	given = append(given, MustDecide(t, given, service.MarkItemBilled{ItemKey: key(2), InvoiceID: invoiceID, Now: now})...)
	// Whatever happens to the service afterwards, item 2 stays billed on the first invoice.
	quarterly := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 3, Start: domain.StartOnDate, StartDate: date(2026, 1, 1), End: domain.EndNever}
	given = append(given, MustDecide(t, given, service.Edit{EffectiveFrom: date(2026, 1, 1), BillingRule: &quarterly, Changes: service.Changes{UnitPrice: decp("300")}, Now: now})...)
	given = append(given, MustDecide(t, given, service.SwitchToManual{Now: now})...)
	for _, c := range []service.Command{
		service.MarkItemBilled{ItemKey: key(2), InvoiceID: invoice2ID, Now: now},
		service.SkipItem{ItemKey: key(2), Now: now},
		service.EditItem{ItemKey: key(2), ItemChanges: service.ItemChanges{Changes: service.Changes{UnitPrice: decp("1")}}, Now: now},
	} {
		if _, err := service.Decide(service.Fold(given), c); domain.ErrorCode(err) != domain.ECONFLICT {
			t.Errorf("%T on a billed item: %v, want a conflict", c, err)
		}
	}
	if events := MustDecide(t, given, service.MarkItemBilled{ItemKey: key(2), InvoiceID: invoiceID, Now: now}); len(events) != 0 {
		t.Errorf("billing again on the same invoice returned %v", events)
	}
	it, ok := service.Fold(given).Item(key(2))
	if !ok || it.Status != service.ItemBilled || it.InvoiceID != invoiceID || !it.UnitPrice.Amount.Equal(decidertest.Dec("100")) || it.Mode != service.Automatic {
		t.Fatalf("item 2 = %+v, want billed on the first invoice at AUD 100", it)
	}
	for _, due := range service.Fold(given).DueItems(date(2027, 1, 1)) {
		if due.Key == key(2) {
			t.Fatal("a billed item is due again")
		}
	}
}

func TestMovedItems(t *testing.T) {
	given := []domain.Event{
		MustActivated(t),
		// Item 6 (Jun 15) brought forward to Apr 1; item 3 (Mar 15) pushed to Jul 1.
		service.ScheduleItemEdited{ServiceID: serviceID, ItemKey: key(6), ItemChanges: service.ItemChanges{Date: datep(date(2026, 4, 1))}},
		service.ScheduleItemEdited{ServiceID: serviceID, ItemKey: key(3), ItemChanges: service.ItemChanges{Date: datep(date(2026, 7, 1))}},
	}
	s := service.Fold(given)
	AssertItems(t, s.DueItems(today),
		"1 2026-01-15 100 automatic scheduled",
		"2 2026-02-15 100 automatic scheduled",
		"6 2026-04-01 100 automatic scheduled",
		"4 2026-04-15 100 automatic scheduled",
	)
	AssertItems(t, s.Schedule(date(2026, 7, 1)),
		"1 2026-01-15 100 automatic scheduled",
		"2 2026-02-15 100 automatic scheduled",
		"6 2026-04-01 100 automatic scheduled",
		"4 2026-04-15 100 automatic scheduled",
		"5 2026-05-15 100 automatic scheduled",
		"3 2026-07-01 100 automatic scheduled",
	)
}

func TestManualItems(t *testing.T) {
	given := []domain.Event{
		MustActivated(t),
		service.ScheduleItemSwitchedToManual{ServiceID: serviceID, ItemKey: key(3)},
		service.ScheduleItemSwitchedToManual{ServiceID: serviceID, ItemKey: key(4)},
		service.ScheduleItemSwitchedToManual{ServiceID: serviceID, ItemKey: key(6)},
		// Item 4 is to be issued after today, item 6 (Jun 15) early, today.
		service.ScheduleItemIssueScheduled{ServiceID: serviceID, ItemKey: key(4), IssueOn: date(2026, 4, 30)},
		service.ScheduleItemIssueScheduled{ServiceID: serviceID, ItemKey: key(6), IssueOn: today},
	}
	s := service.Fold(given)
	AssertItems(t, s.DueItems(today),
		"1 2026-01-15 100 automatic scheduled",
		"2 2026-02-15 100 automatic scheduled",
		"6 2026-06-15 100 manual scheduled_to_issue on 2026-04-20",
	)
	var overdue []string
	for _, it := range s.Schedule(date(2026, 6, 30)) {
		if it.OverdueOn(today) {
			overdue = append(overdue, it.Key)
		}
	}
	if len(overdue) != 1 || overdue[0] != key(3) {
		t.Fatalf("overdue items %v, want only item 3 (manual, unscheduled, past its date)", overdue)
	}
	// Switching item 6 back to automatic drops its issue date.
	s = service.Evolve(s, service.ScheduleItemSwitchedToAutomatic{ServiceID: serviceID, ItemKey: key(6)})
	if it, _ := s.Item(key(6)); it.Status != service.ItemScheduled || !it.IssueOn.IsZero() {
		t.Fatalf("item 6 = %+v, want an automatic scheduled item", it)
	}
}

func TestPauseAndResume(t *testing.T) {
	paused := service.Fold([]domain.Event{MustActivated(t), service.ServiceSwitchedToManual{ServiceID: serviceID}})
	if due := paused.DueItems(today); len(due) != 0 {
		t.Fatalf("a paused service has due items %v", due)
	}
	if it, _ := paused.Item(key(2)); !it.OverdueOn(today) {
		t.Fatalf("item 2 of a paused service is not overdue: %+v", it)
	}
	resumed := service.Evolve(paused, service.ServiceSwitchedToAutomatic{ServiceID: serviceID})
	if due := resumed.DueItems(today); len(due) != 4 {
		t.Fatalf("a resumed service has %d due items, want 4", len(due))
	}
}

func TestOnCompletionItem(t *testing.T) {
	s := service.Fold([]domain.Event{MustOnCompletion(t)})
	AssertItems(t, s.Schedule(today), "1  100 manual scheduled")
	if len(s.DueItems(today)) != 0 {
		t.Fatal("an on-completion item is due before anyone scheduled it")
	}
	it, _ := s.Item(key(1))
	if it.OverdueOn(today) {
		t.Fatal("an undated item is overdue")
	}
	s = service.Evolve(s, service.ScheduleItemIssueScheduled{ServiceID: serviceID, ItemKey: key(1), IssueOn: today})
	AssertItems(t, s.DueItems(today), "1  100 manual scheduled_to_issue on 2026-04-20")
	// Even a service switched to automatic bills its undated item by hand.
	s = service.Evolve(s, service.ServiceSwitchedToAutomatic{ServiceID: serviceID})
	if it, _ := s.Item(key(1)); it.Mode != service.Manual {
		t.Fatalf("undated item mode %q, want manual", it.Mode)
	}
}

func TestSkippedItemIsNotDue(t *testing.T) {
	s := service.Fold([]domain.Event{MustActivated(t), service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: key(2)}})
	AssertItems(t, s.DueItems(today),
		"1 2026-01-15 100 automatic scheduled",
		"3 2026-03-15 100 automatic scheduled",
		"4 2026-04-15 100 automatic scheduled",
	)
	if it, _ := s.Item(key(2)); it.Status != service.ItemSkipped {
		t.Fatalf("item 2 status %q, want skipped", it.Status)
	}
}

func TestScheduleRespectsRuleEnd(t *testing.T) {
	e := MustActivated(t)
	e.BillingRule.End, e.BillingRule.EndAfter = domain.EndAfterN, 3
	s := service.Fold([]domain.Event{e})
	if got := len(s.Schedule(date(2030, 1, 1))); got != 3 {
		t.Fatalf("%d items, want 3", got)
	}
	if _, ok := s.Item(key(4)); ok {
		t.Fatal("found item 4 of a rule that ends after 3")
	}
}

func TestNotActivated(t *testing.T) {
	var s service.State
	if s.Schedule(today) != nil || s.DueItems(today) != nil {
		t.Fatal("a service not yet activated has a schedule")
	}
	if _, ok := s.Item(key(1)); ok {
		t.Fatal("a service not yet activated has an item")
	}
}

func TestItemKey(t *testing.T) {
	k := service.ItemKey(serviceID, 7)
	if k != "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/7" {
		t.Fatalf("ItemKey = %q", k)
	}
	id, seq, ok := service.ParseItemKey(k)
	if !ok || id != serviceID || seq != 7 {
		t.Fatalf("ParseItemKey(%q) = %v %d %v", k, id, seq, ok)
	}
	for _, bad := range []string{"", "7", serviceID.String(), serviceID.String() + "/0", serviceID.String() + "/-1", serviceID.String() + "/07", "x/7", serviceID.String() + "/7/8"} {
		if _, _, ok := service.ParseItemKey(bad); ok {
			t.Errorf("ParseItemKey(%q) accepted it", bad)
		}
	}
}

func TestGroupKey(t *testing.T) {
	a := service.GroupKey(clientID, today, methodID)
	if a != service.GroupKey(clientID, today, methodID) {
		t.Fatal("GroupKey is not deterministic")
	}
	for _, other := range []string{
		service.GroupKey(uuid.Nil, today, methodID),
		service.GroupKey(clientID, today.AddDays(1), methodID),
		service.GroupKey(clientID, today, method2ID),
		service.GroupKey(clientID, today, uuid.Nil),
	} {
		if other == a {
			t.Fatalf("GroupKey %q does not tell groups apart", a)
		}
	}
}

func TestFarItemOfWeeklyAndDailyRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		freq domain.Frequency
		seq  int
		want domain.Date
	}{
		{"Weekly", domain.FrequencyWeeks, 53, date(2026, 1, 15).AddDays(52 * 7 * 2)},
		{"Daily", domain.FrequencyDays, 1000, date(2026, 1, 15).AddDays(999 * 2)},
		{"Monthly", domain.FrequencyMonths, 25, date(2030, 1, 15)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := MustActivated(t)
			e.BillingRule.Frequency, e.BillingRule.Interval = tc.freq, 2
			s := service.Fold([]domain.Event{e})
			it, ok := s.Item(key(tc.seq))
			if !ok || it.Date != tc.want {
				t.Fatalf("item %d = %s, %v; want %s", tc.seq, it.Date, ok, tc.want)
			}
			if _, ok := s.Item(key(10_000_000)); ok {
				t.Fatal("found an item ten million billings away")
			}
		})
	}
}
