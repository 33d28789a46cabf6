package demo_test

import (
	"context"
	"testing"
	"time"

	"remit/app/demo"
	"remit/eventstore/sqlite"
	"remit/projections"
)

// TestLoadRecordsSimulatedTime: loaded with its clock as the store's, the
// demo's events carry the simulated moment they happened, never later than
// the real time and never decreasing, so the firm as of a day of its year
// is the firm as it stood then: as of mid-year it has some clients, not
// none and not all; the hash chain still verifies.
func TestLoadRecordsSimulatedTime(t *testing.T) {
	loc, err := time.LoadLocation(demo.FirmTimeZone)
	if err != nil {
		t.Fatal(err)
	}
	real := time.Date(today.Year(), today.Month(), today.Day(), 12, 0, 0, 0, loc) // noon on the demo's today
	clk := demo.NewClock(func() time.Time { return real })
	st, err := sqlite.Open(t.TempDir(), sqlite.Options{Clock: clk.Recorded})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sum, err := demo.Load(context.Background(), st, demo.Options{Today: today, Seed: 3, Clients: 30, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}

	all := MustReadAll(t, st)
	first, last := all[0].Metadata.RecordedAt, all[len(all)-1].Metadata.RecordedAt
	if first.After(time.Date(sum.From.Year(), sum.From.Month(), sum.From.Day()+1, 0, 0, 0, 0, loc)) || last.After(real) {
		t.Errorf("recorded from %s to %s, want from the history's first day %s to no later than %s", first, last, sum.From, real)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Metadata.RecordedAt.Before(all[i-1].Metadata.RecordedAt) {
			t.Fatalf("position %d recorded at %s, before position %d (%s)", all[i].Position, all[i].Metadata.RecordedAt, all[i-1].Position, all[i-1].Metadata.RecordedAt)
		}
	}
	if _, err := st.Verify(context.Background()); err != nil {
		t.Fatalf("the chain of the demo recorded at simulated times does not verify: %v", err)
	}

	mid := time.Date(today.Year(), today.Month(), today.Day(), 12, 0, 0, 0, loc).AddDate(0, -6, 0)
	m, pos, err := projections.BuildAsOf(context.Background(), st, projections.Bound{Time: mid})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	page, err := m.ListClients(context.Background(), projections.ClientQuery{Filter: projections.ClientsAll, Paging: projections.Paging{Limit: projections.MaxLimit}})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total == 0 || page.Total >= sum.Clients || pos == 0 || pos >= sum.Head {
		t.Errorf("as of %s (position %d of %d): %d clients of %d, want some but not all", mid.Format(time.DateOnly), pos, sum.Head, page.Total, sum.Clients)
	}
}
