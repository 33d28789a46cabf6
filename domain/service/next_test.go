package service_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/service"
)

// nextByLoop is what NextBilling replaces: the schedule generated from the
// first date to the horizon, and its first waiting item dated on or after
// today or undated.
func nextByLoop(s service.State, today, horizon domain.Date) (service.Item, bool) {
	for _, it := range s.Schedule(horizon) {
		waiting := it.Status == service.ItemScheduled || it.Status == service.ItemScheduledToIssue
		if waiting && (it.Date.IsZero() || !it.Date.Before(today)) {
			return it, true
		}
	}
	return service.Item{}, false
}

// TestNextBillingEqualsTheScheduleLoop: on random services (daily, weekly,
// fortnightly, monthly on the 31st, quarterly, yearly, once, on completion,
// estimate; edited, switched, items edited, moved, skipped, billed,
// released, issued on a date, rules changed, ended), NextBilling is what
// generating the schedule and taking its first waiting item gives, on many
// days and horizons.
func TestNextBillingEqualsTheScheduleLoop(t *testing.T) {
	var compared, none int
	for seed := range int64(80) {
		rng := rand.New(rand.NewSource(seed))
		events := nextStream(t, rng, 10+rng.Intn(60))
		states := []service.State{service.Fold(events)}
		if len(events) > 2 { // and a state part-way through
			states = append(states, service.Fold(events[:1+rng.Intn(len(events)-1)]))
		}
		for _, s := range states {
			for range 6 {
				today := date(2025, 11, 1).AddDays(rng.Intn(1100))
				horizons := []domain.Date{today.AddMonthsClamped(120, today.Day()), today.AddDays(rng.Intn(90)), today}
				for _, horizon := range horizons {
					want, wantOK := nextByLoop(s, today, horizon)
					got, gotOK := s.NextBilling(today, horizon)
					if gotOK != wantOK || (wantOK && itemLine(got) != itemLine(want)) || got.Key != want.Key || got.Description != want.Description || !got.Quantity.Equal(want.Quantity) {
						t.Fatalf("seed %d, today %s, horizon %s:\n got %v %q\nwant %v %q", seed, today, horizon, gotOK, itemLine(got), wantOK, itemLine(want))
					}
					compared++
					if !wantOK {
						none++
					}
					// The next billing holds on every later day up to its
					// date: what a view rendered on today may be shown on.
					if wantOK && !want.Date.IsZero() && horizon.After(today) {
						later := today.AddDays(rng.Intn(today.DaysUntil(want.Date) + 1))
						again, ok := s.NextBilling(later, later.AddMonthsClamped(120, later.Day()))
						if !ok || again.Key != want.Key || itemLine(again) != itemLine(want) {
							t.Fatalf("seed %d: next on %s is %s, on %s (before it) %v %s", seed, today, itemLine(want), later, ok, itemLine(again))
						}
					}
				}
			}
		}
	}
	if none == 0 || none == compared {
		t.Fatalf("%d comparisons, %d without a next billing: the states do not cover both", compared, none)
	}
}

// TestNextBillingOfALongDailyService: a daily service billed for years has
// its next billing on the first unbilled day, and a skipped or moved item
// is passed over or found where it moved.
func TestNextBillingOfALongDailyService(t *testing.T) {
	events := billedStream(t, 3000) // items 1..3000 billed: 2017-01-01 on
	s := service.Fold(events)
	today := date(2025, 3, 1)
	horizon := today.AddMonthsClamped(120, 1)
	it, ok := s.NextBilling(today, horizon)
	// Item 3001 is dated 2017-01-01 + 3000 days = 2025-03-20.
	if !ok || it.Seq != 3001 || it.Date != date(2025, 3, 20) {
		t.Fatalf("next billing = %v %s", ok, itemLine(it))
	}
	given := append(events, MustDecide(t, events, service.SkipItem{ItemKey: key(3001), Now: now})...)
	given = append(given, MustDecide(t, given, service.EditItem{ItemKey: key(3005), ItemChanges: service.ItemChanges{Date: datep(date(2025, 3, 19))}, Now: now})...)
	it, ok = service.Fold(given).NextBilling(today, horizon)
	if !ok || it.Seq != 3005 || it.Date != date(2025, 3, 19) {
		t.Fatalf("next billing after a skip and a move = %v %s", ok, itemLine(it))
	}
}

// nextStream returns the events of a service of a random rule with about n
// commands given at random, each decided against the state folded so far
// (refused ones dropped).
func nextStream(tb testing.TB, rng *rand.Rand, n int) []domain.Event {
	tb.Helper()
	act := MustActivate(tb)
	start := date(2025, 10, 1).AddDays(rng.Intn(400))
	rule := func() domain.BillingRule {
		r := domain.BillingRule{Start: domain.StartOnDate, StartDate: start, End: domain.EndNever}
		switch rng.Intn(9) {
		case 0:
			r.Frequency, r.Interval = domain.FrequencyDays, 1+rng.Intn(3)
		case 1:
			r.Frequency, r.Interval = domain.FrequencyWeeks, 1+rng.Intn(2)
		case 2:
			r.Frequency, r.Interval, r.AnchorDay = domain.FrequencyMonths, 1, 31
			r.ProRataFirst = rng.Intn(2) == 0
		case 3:
			r.Frequency, r.Interval = domain.FrequencyMonths, 3
		case 4:
			r.Frequency, r.Interval = domain.FrequencyMonths, 12
		case 5:
			r = domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnDate, StartDate: start}
		case 6:
			r = domain.BillingRule{Frequency: []domain.Frequency{domain.FrequencyOnCompletion, domain.FrequencyEstimate}[rng.Intn(2)]}
		default:
			r.Frequency, r.Interval = domain.FrequencyMonths, 1
		}
		if r.Frequency.Repeats() {
			switch rng.Intn(4) {
			case 0:
				r.End, r.EndAfter = domain.EndAfterN, 1+rng.Intn(20)
			case 1:
				r.End, r.EndDate = domain.EndOnDate, start.AddDays(rng.Intn(600))
			}
		}
		return r
	}
	act.BillingRule = rule()
	act.FirstDate, _ = act.BillingRule.FirstDate(start, start)
	if act.BillingRule.Frequency.Manual() {
		act.Mode = service.Manual
	}
	var s service.State
	var events []domain.Event
	do := func(c service.Command) {
		if got, err := service.Decide(s, c); err == nil {
			for _, e := range got {
				s = service.Evolve(s, e)
			}
			events = append(events, got...)
		}
	}
	do(act)
	someKey := func() string { return key(1 + rng.Intn(30)) }
	someDate := func() domain.Date { return start.AddDays(rng.Intn(700) - 60) }
	invoice := func() uuid.UUID { return uuid.NewSHA1(invoiceID, []byte(fmt.Sprint(rng.Intn(1000)))) }
	for range n {
		switch rng.Intn(14) {
		case 0, 1, 2:
			do(service.MarkItemBilled{ItemKey: someKey(), InvoiceID: invoice(), Now: now})
		case 3:
			k := someKey()
			if it, ok := s.Item(k); ok && it.Status == service.ItemBilled {
				do(service.ReleaseBilledItem{ItemKey: k, InvoiceID: it.InvoiceID, Reason: "void", SwitchToManual: rng.Intn(2) == 0, Now: now})
			}
		case 4:
			ch := service.ItemChanges{Changes: service.Changes{UnitPrice: decp(fmt.Sprint(50 + rng.Intn(100)))}}
			if rng.Intn(2) == 0 {
				ch.Date = datep(someDate())
			}
			do(service.EditItem{ItemKey: someKey(), ItemChanges: ch, Client: act.Client, Now: now})
		case 5:
			do(service.SwitchItemToManual{ItemKey: someKey(), Now: now})
		case 6:
			do(service.SwitchItemToAutomatic{ItemKey: someKey(), Now: now})
		case 7:
			do(service.SkipItem{ItemKey: someKey(), Now: now})
		case 8:
			do(service.ScheduleItemIssue{ItemKey: someKey(), IssueOn: someDate(), Now: now})
		case 9:
			ch := service.Changes{Quantity: decp(fmt.Sprint(1 + rng.Intn(3)))}
			if rng.Intn(2) == 0 {
				ch.Discount = &domain.Discount{Kind: domain.DiscountPercent, Value: decidertest.Dec(fmt.Sprint(rng.Intn(20)))}
			}
			do(service.Edit{EffectiveFrom: someDate(), Changes: ch, Client: act.Client, Now: now})
		case 10:
			from := someDate()
			r := rule()
			if r.Frequency.Manual() || rng.Intn(2) == 0 {
				r = domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1 + rng.Intn(3), End: domain.EndNever}
			}
			r.Start, r.StartDate = domain.StartOnDate, from
			if r.Frequency == domain.FrequencyOnce {
				r.End = ""
			}
			first, _ := r.FirstDate(from, from)
			do(service.Edit{EffectiveFrom: from, BillingRule: &r, FirstDate: first, Changes: service.Changes{Description: strp(fmt.Sprint("Rule ", rng.Intn(9)))}, Now: now})
		case 11:
			if rng.Intn(2) == 0 {
				do(service.SwitchToManual{Now: now})
			} else {
				do(service.SwitchToAutomatic{Now: now})
			}
		case 12:
			do(service.SkipMissedItems{ItemKeys: []string{someKey(), someKey()}, RunDate: someDate(), Now: now})
		case 13:
			if rng.Intn(3) == 0 {
				do(service.End{On: someDate(), Reason: "random", Now: now})
			}
		}
	}
	return events
}
