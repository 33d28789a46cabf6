package service_test

import (
	"math/rand"
	"slices"
	"testing"

	"remit/domain"
	"remit/domain/service"
)

// pendingByLoop is what Pending replaces: the schedule from the first date,
// less its billed and skipped items.
func pendingByLoop(s service.State, through domain.Date) []string {
	var out []string
	for _, it := range s.Schedule(through) {
		if it.Status != service.ItemBilled && it.Status != service.ItemSkipped {
			out = append(out, pendingLine(it))
		}
	}
	return out
}

func pendingLine(it service.Item) string {
	return it.Key + " " + itemLine(it) + " " + it.Description + " " + it.Quantity.String() + " " + it.TaxRate.String() + " " +
		it.IssueOn.String() + " " + it.PaymentMethodID.String() + " " + string(it.Discount.Kind) + it.Discount.Value.String()
}

// TestPendingEqualsTheSchedule: on random services (every kind of rule;
// edited, switched, items edited, moved, skipped, billed, released, issued
// on a date, rules changed, ended), part-way and at the end of their
// histories, Pending(through) is the schedule through that day less its
// billed and skipped items, item for item and in order, for many days.
func TestPendingEqualsTheSchedule(t *testing.T) {
	compared, empty := 0, 0
	for seed := range int64(80) {
		rng := rand.New(rand.NewSource(seed))
		events := nextStream(t, rng, 10+rng.Intn(60))
		states := []service.State{service.Fold(events)}
		if len(events) > 2 {
			states = append(states, service.Fold(events[:1+rng.Intn(len(events)-1)]))
		}
		for _, s := range states {
			for range 8 {
				through := date(2025, 9, 1).AddDays(rng.Intn(1500))
				want := pendingByLoop(s, through)
				var got []string
				for _, it := range s.Pending(through) {
					got = append(got, pendingLine(it))
				}
				if !slices.Equal(got, want) {
					t.Fatalf("seed %d, through %s:\n got %q\nwant %q", seed, through, got, want)
				}
				compared++
				if len(want) == 0 {
					empty++
				}
			}
		}
	}
	if empty == compared {
		t.Fatalf("%d comparisons, all empty", compared)
	}
}

// TestPendingOfALongBilledService: a daily service with years of billed
// items has as pending the days after them, as the schedule says.
func TestPendingOfALongBilledService(t *testing.T) {
	s := service.Fold(billedStream(t, 3000))
	for _, through := range []domain.Date{date(2016, 6, 1), date(2025, 3, 1), date(2025, 4, 20), date(2026, 1, 1)} {
		var got []string
		for _, it := range s.Pending(through) {
			got = append(got, pendingLine(it))
		}
		if want := pendingByLoop(s, through); !slices.Equal(got, want) {
			t.Fatalf("through %s: got %d items, want %d:\n got %q\nwant %q", through, len(got), len(want), got, want)
		}
	}
}
