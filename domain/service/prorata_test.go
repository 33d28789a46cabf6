package service_test

import (
	"testing"

	"remit/domain"
	"remit/domain/service"
)

// proRataService is MustActivate (AUD 100 a month) billed monthly on the
// 1st from 15 April 2027, its first period pro rata.
func proRataService(t *testing.T) []domain.Event {
	t.Helper()
	c := MustActivate(t)
	c.BillingRule = domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnDate, StartDate: date(2027, 4, 15), AnchorDay: 1, End: domain.EndNever, ProRataFirst: true}
	first, err := c.BillingRule.FirstDate(domain.Date{}, domain.Date{})
	if err != nil {
		t.Fatal(err)
	}
	c.FirstDate = first
	evs, err := service.Decide(service.State{}, c)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestScheduleBillsTheFirstPeriodProRata: the first item is on the start
// date at 16/30 of the price, its line naming the partial period; the rest
// bill the whole price on the 1st; and the billing run finds it due then.
func TestScheduleBillsTheFirstPeriodProRata(t *testing.T) {
	s := service.Fold(proRataService(t))
	items := s.Schedule(date(2027, 6, 30))
	AssertItems(t, items,
		"1 2027-04-15 53.33 automatic scheduled",
		"2 2027-05-01 100 automatic scheduled",
		"3 2027-06-01 100 automatic scheduled",
	)
	if got, want := s.LineDescription(items[0]), "Monthly bookkeeping — 15 – 30 April 2027, pro rata 16/30 days"; got != want {
		t.Errorf("first line %q, want %q", got, want)
	}
	if got, want := s.LineDescription(items[1]), "Monthly bookkeeping — May 2027"; got != want {
		t.Errorf("second line %q, want %q", got, want)
	}
	if d, ok := s.NextDue(); !ok || d != date(2027, 4, 15) {
		t.Errorf("NextDue = %s %v, want 2027-04-15", d, ok)
	}
	AssertItems(t, s.DueItems(date(2027, 4, 15)), "1 2027-04-15 53.33 automatic scheduled")
	if it, ok := s.NextBilling(date(2027, 4, 1), date(2027, 12, 31)); !ok || it.Key != key(1) || !it.UnitPrice.Equal(domain.MustMoney("53.33", "AUD")) {
		t.Errorf("NextBilling = %+v %v, want item 1 at 53.33", it, ok)
	}
}

// TestProRataFollowsPriceChangesButNotAnItemsOwnPrice: a new service price
// effective on the start is billed pro rata too; a price staff set on the
// item itself is billed as set; moving the item keeps its share.
func TestProRataFollowsPriceChangesButNotAnItemsOwnPrice(t *testing.T) {
	evs := proRataService(t)
	s := service.Fold(evs)
	edit, err := service.Decide(s, service.Edit{EffectiveFrom: date(2027, 4, 1), Changes: service.Changes{UnitPrice: decp("120")}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	s = service.Fold(append(evs, edit...))
	AssertItems(t, s.Schedule(date(2027, 5, 1)),
		"1 2027-04-15 64 automatic scheduled", // 120 × 16/30
		"2 2027-05-01 120 automatic scheduled",
	)
	moved, err := service.Decide(s, service.EditItem{ItemKey: key(1), ItemChanges: service.ItemChanges{Date: datep(date(2027, 4, 20))}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	s2 := service.Fold(append(append(evs, edit...), moved...))
	AssertItems(t, s2.Schedule(date(2027, 4, 30)), "1 2027-04-20 64 automatic scheduled")
	priced, err := service.Decide(s, service.EditItem{ItemKey: key(1), ItemChanges: service.ItemChanges{Changes: service.Changes{UnitPrice: decp("50")}}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	s3 := service.Fold(append(append(evs, edit...), priced...))
	AssertItems(t, s3.Schedule(date(2027, 4, 30)), "1 2027-04-15 50 automatic scheduled")
}

// TestProRataStartOnTheAnchor: a service starting on its anchor day bills
// whole months from the start: no pro-rata item.
func TestProRataStartOnTheAnchor(t *testing.T) {
	c := MustActivate(t)
	c.BillingRule = domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnDate, StartDate: date(2027, 5, 1), AnchorDay: 1, End: domain.EndNever, ProRataFirst: true}
	c.FirstDate, _ = c.BillingRule.FirstDate(domain.Date{}, domain.Date{})
	evs, err := service.Decide(service.State{}, c)
	if err != nil {
		t.Fatal(err)
	}
	s := service.Fold(evs)
	items := s.Schedule(date(2027, 6, 1))
	AssertItems(t, items, "1 2027-05-01 100 automatic scheduled", "2 2027-06-01 100 automatic scheduled")
	if got := s.LineDescription(items[0]); got != "Monthly bookkeeping — May 2027" {
		t.Errorf("line %q", got)
	}
}
