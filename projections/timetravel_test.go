package projections

import (
	"context"
	"reflect"
	"testing"
	"time"

	"remit/eventstore"
)

// A client's pages as of a moment, built from its own streams only, are
// what a replay of the whole log up to that moment shows.
func TestTimeTravelClientMatchesFullReplay(t *testing.T) {
	e := newEnv(t)
	marks := e.fixture()
	ctx := context.Background()
	live := e.MustModels()
	tt := NewTimeTravel(e.store, live, 4)
	defer tt.Close()
	for name, pos := range marks {
		t.Run(name, func(t *testing.T) {
			full, _, err := BuildAsOf(ctx, e.store, Bound{Position: pos})
			if err != nil {
				t.Fatal(err)
			}
			defer full.Close()
			mo, err := tt.Resolve(ctx, Bound{Position: pos})
			if err != nil || mo.Position != pos {
				t.Fatalf("Resolve(%d) = %+v, %v", pos, mo, err)
			}
			m, release, err := tt.Client(ctx, acme, mo)
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			same := func(what string, f func(*Models) (any, error)) {
				t.Helper()
				want, werr := f(full)
				got, gerr := f(m)
				if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(got, want) {
					t.Errorf("%s as of %s:\n got %+v (%v)\nwant %+v (%v)", what, name, got, gerr, want, werr)
				}
			}
			same("summary", func(m *Models) (any, error) { return m.Summary(ctx, acme, today) })
			same("services", func(m *Models) (any, error) { return m.ClientServices(ctx, acme, today) })
			same("schedule", func(m *Models) (any, error) { return m.Schedule(ctx, acme, ScheduleQuery{Today: today}) })
			same("invoices", func(m *Models) (any, error) {
				return m.ListInvoices(ctx, InvoiceQuery{ClientID: acme, Today: today})
			})
			same("activity", func(m *Models) (any, error) { return m.ActivityOf(ctx, SubjectClient, acme) })
			same("invoice 1", func(m *Models) (any, error) { return m.Invoice(ctx, inv1, today) })
		})
	}
}

func TestTimeTravelResolveTime(t *testing.T) {
	e := newEnv(t)
	marks := e.fixture()
	tt := NewTimeTravel(e.store, e.MustModels(), 0)
	defer tt.Close()
	ctx := context.Background()
	for _, pos := range marks {
		recs, _ := e.store.ReadAll(ctx, pos, eventstore.Backward, 1, eventstore.Filter{})
		at := recs[0].Metadata.RecordedAt
		mo, err := tt.Resolve(ctx, Bound{Time: at})
		if err != nil {
			t.Fatal(err)
		}
		// The last event recorded by then: pos, or a later one recorded
		// at the same instant.
		if mo.Position < pos || mo.At.After(at) {
			t.Errorf("Resolve(%s) = %+v, want at least position %d", at, mo, pos)
		}
	}
	if mo, _ := tt.Resolve(ctx, Bound{Time: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}); mo.Position != 0 {
		t.Errorf("before the first event: %+v, want position 0", mo)
	}
	head, _ := e.store.Head(ctx)
	if mo, _ := tt.Resolve(ctx, Bound{Time: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}); mo.Position != head {
		t.Errorf("after the last event: %+v, want the head %d", mo, head)
	}
}
