package projections

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
)

// TestServiceViewColumnEqualsTheState: a service read from the view column
// (on days it holds on) is the service rendered from its state, on every
// day around the fixture's events, for every service (monthly, ended, manual,
// on completion, edited, billed); and on days it does not hold on the query
// renders it from the state.
func TestServiceViewColumnEqualsTheState(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	m := e.MustModels()
	ctx := t.Context()
	fromView := 0
	for _, svc := range []uuid.UUID{bookkeeping, payroll, tax, advice, oldSvc} {
		d, ok, err := m.Services.load(ctx, svc)
		if err != nil || !ok {
			t.Fatalf("load %s: %v %v", svc, ok, err)
		}
		for day := date(2025, 1, 1); day.Before(date(2028, 1, 1)); day = day.AddDays(5) {
			want, _ := json.Marshal(viewOf(d.State, d.Revision, day))
			v, err := m.Service(ctx, svc, day)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := json.Marshal(v); string(got) != string(want) {
				t.Fatalf("%s on %s:\n got %s\nwant %s", d.State.Name, day, got, want)
			}
			if holds(t, m, svc, day) {
				fromView++
			}
		}
		// And the client's list renders each the same.
		list, err := m.ClientServices(ctx, acme, today)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range append(list.Active, list.Ended...) {
			one, _ := m.Service(ctx, v.ID, today)
			a, _ := json.Marshal(v)
			b, _ := json.Marshal(one)
			if string(a) != string(b) {
				t.Errorf("%s in the list:\n%s\nalone:\n%s", v.Name, a, b)
			}
		}
	}
	if fromView < 20 {
		t.Errorf("%d queries read the view column", fromView)
	}
}

// holds reports whether the service's view column holds on day.
func holds(t *testing.T, m *Models, svc uuid.UUID, day domain.Date) bool {
	t.Helper()
	var from, until string
	if err := m.db.QueryRow(t.Context(), "SELECT view_from, view_until FROM rm_services WHERE key = ?", svc.String()).Scan(&from, &until); err != nil {
		t.Fatal(err)
	}
	return from != "" && from <= day.String() && day.String() <= until
}
