package service_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/service"
)

// plan runs a Grouping over every item of states due on g.Today, as a
// billing run does, and names each group "date method: keys".
func plan(g service.Grouping, defaultMethod uuid.UUID, states ...service.State) []string {
	var billings []service.Billing
	for _, st := range states {
		for _, it := range st.DueItems(g.Today) {
			billings = append(billings, g.Plan(st.ClientID, it, defaultMethod))
		}
	}
	var out []string
	for _, grp := range service.Groups(billings) {
		var keys []string
		for _, b := range grp.Items {
			keys = append(keys, b.Key)
		}
		out = append(out, grp.IssueDate.String()+" "+grp.PaymentMethodID.String()[24:]+": "+strings.Join(keys, ","))
	}
	return out
}

func TestGroupingPlan(t *testing.T) {
	// Monthly on the 15th from 15 January, agreed on 20 April: January to
	// April have been missed.
	svc := service.Fold([]domain.Event{MustActivated(t)})
	// A second service of the client on the 20th that names no method: the
	// client's default, which is methodID, the first service's own.
	other := MustActivated(t)
	other.ServiceID, other.PaymentMethodID, other.FirstDate = otherSvcID, uuid.Nil, date(2026, 4, 20)
	other.BillingRule.StartDate = other.FirstDate
	svc2 := service.Fold([]domain.Event{other})

	t.Run("CatchUpOnTheRunsDate", func(t *testing.T) {
		got := plan(service.Grouping{Today: today}, methodID, svc, svc2)
		want := []string{"2026-04-20 000000000001: " + strings.Join([]string{key(1), key(2), key(3), key(4), service.ItemKey(otherSvcID, 1)}, ",")}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("groups\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("ExplicitAndDefaultMethodOneGroup", func(t *testing.T) {
		g := service.Grouping{Today: today}
		a := g.Plan(clientID, mustItem(t, svc, key(4)), methodID)
		b := g.Plan(clientID, mustItem(t, svc2, service.ItemKey(otherSvcID, 1)), methodID)
		if a.GroupKey != b.GroupKey || a.PaymentMethodID != methodID || b.PaymentMethodID != methodID {
			t.Fatalf("explicit default method %q (%s), client's default %q (%s): want one group", a.GroupKey, a.PaymentMethodID, b.GroupKey, b.PaymentMethodID)
		}
	})
	t.Run("OneInvoicePerItem", func(t *testing.T) {
		got := plan(service.Grouping{Today: today, OneInvoicePerItem: true}, methodID, svc)
		if len(got) != 4 || !strings.HasPrefix(got[0], "2026-04-20 ") || !strings.HasPrefix(got[3], "2026-04-20 ") {
			t.Fatalf("groups %q, want four dated 2026-04-20", got)
		}
	})
	t.Run("SkipMissed", func(t *testing.T) {
		g := service.Grouping{Today: date(2026, 4, 15), SkipMissed: true}
		var skipped, billed []string
		for _, it := range svc.DueItems(g.Today) {
			b := g.Plan(clientID, it, methodID)
			switch {
			case b.Skip && b.GroupKey == "":
				skipped = append(skipped, it.Key)
			case !b.Skip && b.GroupKey != "" && !b.CatchUp:
				billed = append(billed, it.Key)
			default:
				t.Errorf("item %s: %+v", it.Key, b)
			}
		}
		if strings.Join(skipped, ",") != strings.Join([]string{key(1), key(2), key(3)}, ",") || strings.Join(billed, ",") != key(4) {
			t.Fatalf("skipped %v, billed %v; want January to March skipped and April (due today) billed", skipped, billed)
		}
	})
	t.Run("FutureItemsKeepTheirDate", func(t *testing.T) {
		b := service.Grouping{Today: today}.Plan(clientID, mustItem(t, svc, key(5)), methodID)
		if b.CatchUp || b.IssueDate != date(2026, 5, 15) {
			t.Fatalf("May's item: %+v", b)
		}
	})
}

func mustItem(tb testing.TB, st service.State, k string) service.Item {
	tb.Helper()
	it, ok := st.Item(k)
	if !ok {
		tb.Fatalf("no item %s", k)
	}
	return it
}

func TestPeriod(t *testing.T) {
	rule := func(f domain.Frequency, n int, start domain.Date) service.State {
		a := MustActivated(t)
		a.BillingRule = domain.BillingRule{Frequency: f, Interval: n, Start: domain.StartOnDate, StartDate: start, End: domain.EndNever}
		a.FirstDate = start
		return service.Fold([]domain.Event{a})
	}
	cases := []struct {
		name string
		st   service.State
		seq  int
		want string
	}{
		{"Monthly", rule(domain.FrequencyMonths, 1, date(2026, 1, 31)), 2, "Monthly bookkeeping — February 2026"},
		{"Quarterly", rule(domain.FrequencyMonths, 3, date(2026, 2, 1)), 1, "Monthly bookkeeping — February – April 2026"},
		{"QuarterlyAcrossYears", rule(domain.FrequencyMonths, 3, date(2026, 11, 1)), 1, "Monthly bookkeeping — November 2026 – January 2027"},
		{"Yearly", rule(domain.FrequencyMonths, 12, date(2026, 7, 1)), 1, "Monthly bookkeeping — July 2026 – June 2027"},
		{"Weekly", rule(domain.FrequencyWeeks, 1, date(2026, 3, 2)), 1, "Monthly bookkeeping — 2 – 8 March 2026"},
		{"Fortnightly", rule(domain.FrequencyWeeks, 2, date(2026, 2, 23)), 1, "Monthly bookkeeping — 23 February – 8 March 2026"},
		{"WeeklyAcrossYears", rule(domain.FrequencyWeeks, 1, date(2026, 12, 28)), 1, "Monthly bookkeeping — 28 December 2026 – 3 January 2027"},
		{"Daily", rule(domain.FrequencyDays, 1, date(2026, 3, 2)), 2, "Monthly bookkeeping — 3 March 2026"},
		{"Once", rule(domain.FrequencyOnce, 1, date(2026, 3, 2)), 1, "Monthly bookkeeping"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			it := mustItem(t, tc.st, key(tc.seq))
			if got := tc.st.LineDescription(it); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("MovedItemKeepsItsPeriod", func(t *testing.T) {
		st := service.Fold([]domain.Event{MustActivated(t), service.ScheduleItemEdited{ServiceID: serviceID, ItemKey: key(2), ItemChanges: service.ItemChanges{Date: datep(date(2026, 3, 2))}}})
		if got := st.LineDescription(mustItem(t, st, key(2))); got != "Monthly bookkeeping — February 2026" {
			t.Fatalf("got %q", got)
		}
	})
}

func TestSkipMissedItems(t *testing.T) {
	active := MustActivated(t)
	decidertest.Run(t, decider, []decidertest.Case[service.Command]{
		{
			Name:  "OK",
			Given: []domain.Event{active, billed(1, date(2026, 1, 15), invoiceID)},
			When:  service.SkipMissedItems{ItemKeys: []string{key(1), key(2), key(3), key(4), key(5)}, RunDate: date(2026, 4, 15), Now: now},
			Then: []domain.Event{
				service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: key(2), MissedAsOf: date(2026, 4, 15), At: now},
				service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: key(3), MissedAsOf: date(2026, 4, 15), At: now},
			},
		},
		{
			Name:  "AlreadySkipped",
			Given: []domain.Event{active, service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: key(1), MissedAsOf: today, At: now}},
			When:  service.SkipMissedItems{ItemKeys: []string{key(1)}, RunDate: today, Now: now},
		},
		{
			Name:  "ManualItemsAreNotSkipped",
			Given: []domain.Event{active, service.ScheduleItemSwitchedToManual{ServiceID: serviceID, ItemKey: key(1), At: now}},
			When:  service.SkipMissedItems{ItemKeys: []string{key(1)}, RunDate: today, Now: now},
		},
		{
			Name: "ErrNoRunDate", Given: []domain.Event{active},
			When: service.SkipMissedItems{ItemKeys: []string{key(1)}, Now: now}, Err: decidertest.ThenErr(domain.EINVALID),
		},
	})
}
