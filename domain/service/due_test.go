package service_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/service"
)

// TestNextDueMatchesDueItems is NextDue's contract: for services in many
// states (rules of every kind, items billed, released, skipped, moved,
// switched, scheduled to be issued, rule changes, ends), on every day of a
// range, DueItems(day) is non-empty exactly when NextDue is set and on or
// before day.
func TestNextDueMatchesDueItems(t *testing.T) {
	for seed := range uint64(30) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			w := newDueWalk(t, rng)
			checkNextDue(t, w.state(), "activated")
			for step := range 20 {
				what := w.step()
				checkNextDue(t, w.state(), fmt.Sprintf("step %d: %s", step, what))
			}
		})
	}
}

// TestNextDueOfManyBilledItems checks NextDue after years of weekly
// billings: the item after the last billed one, and nothing once the
// service ends before it.
func TestNextDueOfManyBilledItems(t *testing.T) {
	act := MustActivated(t)
	act.BillingRule = domain.BillingRule{Frequency: domain.FrequencyWeeks, Interval: 1, Start: domain.StartOnDate, StartDate: date(2000, 1, 3), End: domain.EndNever}
	act.FirstDate = date(2000, 1, 3)
	events := []domain.Event{act}
	const billedWeeks = 1300 // 25 years
	for n := 1; n <= billedWeeks; n++ {
		events = append(events, billed(n, date(2000, 1, 3).AddDays(7*(n-1)), invoiceID))
	}
	s := service.Fold(events)
	want := date(2000, 1, 3).AddDays(7 * billedWeeks)
	if got, ok := s.NextDue(); !ok || got != want {
		t.Fatalf("NextDue = %s, %v; want %s, the week after the last billed one", got, ok, want)
	}
	checkNextDue(t, s, "after 1300 billed weeks")
	s = service.Evolve(s, service.ServiceEnded{ServiceID: serviceID, EndDate: want.AddDays(-1), At: now})
	if got, ok := s.NextDue(); ok {
		t.Fatalf("NextDue = %s after the service ended before it; want none", got)
	}
}

func BenchmarkNextDueOfManyBilledItems(b *testing.B) {
	act := MustActivated(b)
	act.BillingRule = domain.BillingRule{Frequency: domain.FrequencyWeeks, Interval: 1, Start: domain.StartOnDate, StartDate: date(2000, 1, 3), End: domain.EndNever}
	act.FirstDate = date(2000, 1, 3)
	events := []domain.Event{act}
	for n := 1; n <= 1300; n++ {
		events = append(events, billed(n, date(2000, 1, 3).AddDays(7*(n-1)), invoiceID))
	}
	s := service.Fold(events)
	for b.Loop() {
		if _, ok := s.NextDue(); !ok {
			b.Fatal("nothing due")
		}
	}
}

// checkNextDue checks the contract on the days around NextDue and on every
// 9th day from 2024-11-01 to 2028-03-01.
func checkNextDue(t *testing.T, s service.State, after string) {
	t.Helper()
	next, ok := s.NextDue()
	days := []domain.Date{}
	if ok {
		days = append(days, next.AddDays(-1), next)
	}
	for d := date(2024, 11, 1); d.Before(date(2028, 3, 1)); d = d.AddDays(23) {
		days = append(days, d)
	}
	for _, d := range days {
		due := len(s.DueItems(d)) > 0
		if due != (ok && !next.After(d)) {
			t.Fatalf("after %s: on %s DueItems = %v, NextDue = %s, %v", after, d, s.DueItems(d), next, ok)
		}
	}
}

// dueWalk evolves one service by random commands, each decided by the
// domain (a refused one is passed over).
type dueWalk struct {
	tb     testing.TB
	rng    *rand.Rand
	events []domain.Event
	s      service.State
	n      int
}

func newDueWalk(tb testing.TB, rng *rand.Rand) *dueWalk {
	c := MustActivate(tb)
	c.BillingRule, c.FirstDate = randomRule(rng)
	if rng.IntN(4) == 0 {
		c.Mode = service.Manual
	}
	w := &dueWalk{tb: tb, rng: rng}
	evs, err := service.Decide(service.State{}, c)
	if err != nil {
		tb.Fatalf("activate %+v: %v", c.BillingRule, err)
	}
	w.apply(evs)
	return w
}

func randomRule(rng *rand.Rand) (domain.BillingRule, domain.Date) {
	first := date(2025, 1, 1).AddDays(rng.IntN(700))
	r := domain.BillingRule{Start: domain.StartOnDate, StartDate: first, End: domain.EndNever, Interval: 1}
	switch rng.IntN(7) {
	case 0:
		r.Frequency = domain.FrequencyWeeks
		r.Interval = 1 + rng.IntN(3)
	case 1:
		r.Frequency = domain.FrequencyDays
		r.Interval = 5 + rng.IntN(30)
	case 2:
		r.Frequency, r.Interval = domain.FrequencyOnce, 0
		return r, first
	case 3:
		r.Frequency = domain.FrequencyOnCompletion
		r.Start, r.StartDate, r.End, r.Interval = "", domain.Date{}, "", 0
		return r, domain.Date{}
	default:
		r.Frequency = domain.FrequencyMonths
		r.Interval = 1 + rng.IntN(3)
		if rng.IntN(2) == 0 {
			r.AnchorDay = 1 + rng.IntN(31)
			r.ProRataFirst = rng.IntN(2) == 0 // a partial first period, most often
		}
	}
	switch rng.IntN(4) {
	case 0:
		r.End, r.EndAfter = domain.EndAfterN, 1+rng.IntN(12)
	case 1:
		r.End, r.EndDate = domain.EndOnDate, first.AddDays(rng.IntN(600))
	}
	first, _ = r.FirstDate(domain.Date{}, domain.Date{})
	return r, first
}

func (w *dueWalk) state() service.State { return w.s }

func (w *dueWalk) apply(evs []domain.Event) {
	w.events = append(w.events, evs...)
	for _, e := range evs {
		w.s = service.Evolve(w.s, e)
	}
}

// pick returns a random item of the schedule through mid-2028 (nil: none).
func (w *dueWalk) pick(keep func(service.Item) bool) *service.Item {
	var items []service.Item
	for _, it := range w.s.Schedule(date(2028, 6, 30)) {
		if keep == nil || keep(it) {
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return nil
	}
	it := items[w.rng.IntN(len(items))]
	return &it
}

func (w *dueWalk) day() domain.Date { return date(2025, 1, 1).AddDays(w.rng.IntN(1100)) }

func (w *dueWalk) step() string {
	w.n++
	at := now.Add(timeStep(w.n))
	scheduled := func(it service.Item) bool {
		return it.Status == service.ItemScheduled || it.Status == service.ItemScheduledToIssue
	}
	var c service.Command
	switch w.rng.IntN(12) {
	case 0, 1, 2: // bill everything due on a day, as a run would
		d := w.day()
		var evs []domain.Event
		inv := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "inv-%d", w.n))
		s := w.s
		for _, it := range s.DueItems(d) {
			e, err := service.Decide(s, service.MarkItemBilled{ItemKey: it.Key, InvoiceID: inv, Now: at})
			if err == nil {
				for _, ev := range e {
					s = service.Evolve(s, ev)
				}
				evs = append(evs, e...)
			}
		}
		w.apply(evs)
		return fmt.Sprintf("billed what was due on %s", d)
	case 3:
		it := w.pick(func(it service.Item) bool { return it.Status == service.ItemBilled })
		if it == nil {
			return "nothing to release"
		}
		c = service.ReleaseBilledItem{ItemKey: it.Key, InvoiceID: it.InvoiceID, Reason: "voided", SwitchToManual: w.rng.IntN(2) == 0, Now: at}
	case 4:
		if it := w.pick(scheduled); it != nil {
			c = service.SkipItem{ItemKey: it.Key, Now: at}
		}
	case 5:
		if it := w.pick(scheduled); it != nil {
			d := w.day()
			c = service.EditItem{ItemKey: it.Key, ItemChanges: service.ItemChanges{Date: &d}, Now: at}
		}
	case 6:
		if it := w.pick(scheduled); it != nil {
			c = service.SwitchItemToManual{ItemKey: it.Key, Now: at}
		}
	case 7:
		if it := w.pick(scheduled); it != nil {
			c = service.SwitchItemToAutomatic{ItemKey: it.Key, Now: at}
		}
	case 8:
		if it := w.pick(func(it service.Item) bool { return it.Mode == service.Manual && scheduled(it) }); it != nil {
			c = service.ScheduleItemIssue{ItemKey: it.Key, IssueOn: w.day(), Now: at}
		}
	case 9:
		if w.rng.IntN(2) == 0 {
			c = service.SwitchToManual{Now: at}
		} else {
			c = service.SwitchToAutomatic{Now: at}
		}
	case 10:
		r, first := randomRule(w.rng)
		from := w.day()
		if !first.IsZero() && first.Before(from) {
			first = from
		}
		c = service.Edit{EffectiveFrom: from, BillingRule: &r, FirstDate: first, Now: at}
	case 11:
		if w.rng.IntN(3) == 0 {
			c = service.End{On: w.day(), Reason: "done", Now: at}
		}
	}
	if c == nil {
		return "nothing"
	}
	evs, err := service.Decide(w.s, c)
	if err != nil {
		return fmt.Sprintf("%T refused: %v", c, err)
	}
	w.apply(evs)
	return fmt.Sprintf("%T %+v", c, c)
}

// timeStep spaces the walk's commands a minute apart.
func timeStep(n int) time.Duration { return time.Duration(n) * time.Minute }
