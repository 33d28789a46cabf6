package projections

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
)

// TestServiceScheduleColumnEqualsTheState: the Billing Schedule tab read
// from the schedule column is the tab built from each service's state
// (service.State.Schedule, as before the column), on every 5th day over
// three years around the fixture's events (monthly, ended, manual, on
// completion, edited, billed, skipped services), a year ahead and further,
// with and without archived items, grouped or not; the column served the
// days it reaches, and the others were built from the state.
func TestServiceScheduleColumnEqualsTheState(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	m := e.MustModels()
	ctx := t.Context()
	states, err := m.Services.states(ctx, acme)
	if err != nil || len(states) < 4 {
		t.Fatalf("states: %d %v", len(states), err)
	}
	def, err := m.Clients.defaultMethod(ctx, acme)
	if err != nil {
		t.Fatal(err)
	}
	fromColumn, fromState := 0, 0
	for day := date(2025, 1, 1); day.Before(date(2028, 1, 1)); day = day.AddDays(5) {
		for _, q := range []ScheduleQuery{
			{Today: day},
			{Today: day, IncludeArchived: true},
			{Today: day, Through: day.AddMonthsClamped(30, day.Day())},
			{Today: day, OneInvoicePerItem: true, SkipMissed: true},
		} {
			got, err := m.Schedule(ctx, acme, q)
			if err != nil {
				t.Fatal(err)
			}
			var parts []servicePart
			for _, st := range states {
				parts = append(parts, partOf(st, q.through()))
			}
			want := scheduleOf(acme, parts, q, def)
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Fatalf("%+v:\n got %s\nwant %s", q, g, w)
			}
			for _, st := range states {
				one, err := m.ServiceSchedule(ctx, st.ID, q)
				if err != nil {
					t.Fatal(err)
				}
				o, _ := json.Marshal(one)
				w, _ := json.Marshal(scheduleItems(partOf(st, q.through()), q, def))
				if string(o) != string(w) {
					t.Fatalf("%s %+v:\n got %s\nwant %s", st.Name, q, o, w)
				}
			}
		}
		if reaches(t, m, states[0].ID, day.AddMonthsClamped(12, day.Day())) {
			fromColumn++
		} else {
			fromState++
		}
	}
	if fromColumn < 20 || fromState < 20 {
		t.Errorf("%d days read the schedule column, %d built it from the state", fromColumn, fromState)
	}
}

// reaches reports whether the service's schedule column reaches through.
func reaches(t *testing.T, m *Models, svc uuid.UUID, through domain.Date) bool {
	t.Helper()
	var until string
	if err := m.db.QueryRow(t.Context(), "SELECT COALESCE(schedule_until, '') FROM rm_services WHERE key = ?", svc.String()).Scan(&until); err != nil {
		t.Fatal(err)
	}
	return until != "" && through.String() <= until
}
