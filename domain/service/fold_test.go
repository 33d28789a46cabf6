package service_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/service"
)

// BenchmarkServiceFold folds a daily service's stream of n billed items, the
// events made by the decider from the commands Remit's billing run and staff
// give it: activation, an edit of every 50th item before it is billed, and
// each item marked billed on its own invoice. Folding must take time in
// proportion to the stream: a service's state is folded on every command.
func BenchmarkServiceFold(b *testing.B) {
	for _, n := range []int{100, 1000, 3000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			events := billedStream(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if s := service.Fold(events); !s.Activated() {
					b.Fatal("not activated")
				}
			}
			b.ReportMetric(float64(len(events)), "events/op")
		})
	}
}

// billedStream returns the events of a daily service with n items billed,
// each decided against the state folded so far.
func billedStream(tb testing.TB, n int) []domain.Event {
	tb.Helper()
	act := MustActivate(tb)
	act.BillingRule = domain.BillingRule{Frequency: domain.FrequencyDays, Interval: 1, Start: domain.StartOnDate, StartDate: date(2017, 1, 1), End: domain.EndNever}
	act.FirstDate = date(2017, 1, 1)
	var (
		s      service.State
		events []domain.Event
	)
	do := func(c service.Command) {
		tb.Helper()
		got, err := service.Decide(s, c)
		if err != nil {
			tb.Fatalf("%T: %v", c, err)
		}
		for _, e := range got {
			s = service.Evolve(s, e)
		}
		events = append(events, got...)
	}
	do(act)
	for seq := 1; seq <= n; seq++ {
		if seq%50 == 0 {
			do(service.EditItem{ItemKey: key(seq), ItemChanges: service.ItemChanges{Changes: service.Changes{Quantity: decp("2")}}, Client: act.Client, Now: now})
		}
		do(service.MarkItemBilled{ItemKey: key(seq), InvoiceID: invoiceFor(seq), Now: now})
	}
	return events
}

// invoiceFor is the invoice that billed item seq.
func invoiceFor(seq int) uuid.UUID {
	return uuid.NewSHA1(invoiceID, []byte(fmt.Sprint(seq)))
}

// TestStatesHandedOutStayTheSame folds a long stream while other goroutines
// read states handed out earlier, as queries read a read model's states: run
// with -race, it fails if Evolve writes anything an earlier State shares.
func TestStatesHandedOutStayTheSame(t *testing.T) {
	events := billedStream(t, 400)
	var (
		s  service.State
		wg sync.WaitGroup
	)
	through := date(2018, 6, 1)
	for i, e := range events {
		s = service.Evolve(s, e)
		if i == 0 || i%100 != 0 {
			continue
		}
		earlier, want := s, decidertest.MustJSON(t, s.Schedule(through))
		wg.Go(func() {
			for range 3 {
				if got := decidertest.MustJSON(t, earlier.Schedule(through)); got != want {
					t.Error("a state changed after it was handed out")
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestEvolveKeepsItemsOfOtherServices: an event naming another service's
// item (which Decide never makes) is kept as before the fold was made
// linear: the billed item is found by its key and shows in the schedule.
func TestEvolveKeepsItemsOfOtherServices(t *testing.T) {
	other := service.ItemKey(otherSvcID, 2)
	e := billed(2, date(2026, 2, 15), invoice2ID)
	e.ItemKey = other
	s := service.Fold([]domain.Event{MustActivated(t), e})
	if it, ok := s.Item(other); !ok || it.InvoiceID != invoice2ID {
		t.Fatalf("Item(%s) = %+v, %v; want billed on invoice 2", other, it, ok)
	}
	var found bool
	for _, it := range s.Schedule(today) {
		found = found || it.Key == other
	}
	if !found {
		t.Fatal("the other service's billed item is not in the schedule")
	}
	if s.Releases(other) != 0 {
		t.Fatal("releases of an item never released")
	}
}
