package projections_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/app/demo"
	"remit/domain"
	"remit/eventstore/sqlite"
	"remit/projections"
	"remit/projections/rmdb"
)

// clientPage reads every tab of a client's page from m, as the UI does:
// Summary, Services, Billing schedule, Invoices and the newest activity.
func clientPage(ctx context.Context, m *projections.Models, id uuid.UUID, today domain.Date) ([]any, error) {
	sum, err := m.Summary(ctx, id, today)
	if err != nil {
		return nil, err
	}
	svcs, err := m.ClientServices(ctx, id, today)
	if err != nil {
		return nil, err
	}
	sched, err := m.Schedule(ctx, id, projections.ScheduleQuery{Today: today})
	if err != nil {
		return nil, err
	}
	invs, err := m.ListInvoices(ctx, projections.InvoiceQuery{ClientID: id, Today: today})
	if err != nil {
		return nil, err
	}
	act, err := m.ActivityPage(ctx, projections.SubjectClient, id, projections.ActivityQuery{Newest: true})
	if err != nil {
		return nil, err
	}
	return []any{sum, svcs, sched, invs, act}, nil
}

// BenchmarkClientPageAsOf reads every tab of a client's page as of a
// random moment of the demo firm's year of history (50 clients, about
// 5,800 events, loaded through billing as `remit demo` does), each
// iteration a new (client, moment), so nothing is cached:
//
//   - PerStream: projections.TimeTravel.Client, the way the API and the
//     UI answer as_of (a replay of that client's streams);
//   - FullReplay: the baseline, BuildAsOf (a replay of the whole log up
//     to the moment) and the same queries.
//
// Before timing it checks, on a few moments, that both ways show the same
// pages.
func BenchmarkClientPageAsOf(b *testing.B) {
	ctx := context.Background()
	today := domain.MustDate(2026, 3, 15)
	st, err := sqlite.Open(b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := demo.Load(ctx, st, demo.Options{Today: today, Seed: 1}); err != nil {
		b.Fatalf("load the demo: %v", err)
	}
	db, err := rmdb.OpenSQLite(filepath.Join(b.TempDir(), "readmodels.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	live := projections.NewModels(db)
	r, err := projections.NewRunner(ctx, st, live, projections.RunnerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if err := r.CatchUp(ctx); err != nil {
		b.Fatal(err)
	}
	head, _ := st.Head(ctx)
	page, err := live.ListClients(ctx, projections.ClientQuery{Today: today, Paging: projections.Paging{Limit: projections.MaxLimit}})
	if err != nil {
		b.Fatal(err)
	}
	// A moment is a client and a position after it was created.
	type moment struct {
		client uuid.UUID
		pos    uint64
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() moment {
		c := page.Items[rng.IntN(len(page.Items))].ID
		lines, err := live.ActivityOf(ctx, projections.SubjectClient, c)
		if err != nil {
			b.Fatal(err)
		}
		first := lines[0].Position
		return moment{c, first + rng.Uint64N(head-first+1)}
	}
	tt := projections.NewTimeTravel(st, live, 1)
	defer tt.Close()
	perStream := func(m moment) []any {
		mo, err := tt.Resolve(ctx, projections.Bound{Position: m.pos})
		if err != nil {
			b.Fatal(err)
		}
		models, release, err := tt.Client(ctx, m.client, mo)
		if err != nil {
			b.Fatal(err)
		}
		defer release()
		out, err := clientPage(ctx, models, m.client, today)
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	fullReplay := func(m moment) []any {
		models, _, err := projections.BuildAsOf(ctx, st, projections.Bound{Position: m.pos})
		if err != nil {
			b.Fatal(err)
		}
		defer models.Close()
		out, err := clientPage(ctx, models, m.client, today)
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	for range 5 {
		m := pick()
		if got, want := perStream(m), fullReplay(m); !reflect.DeepEqual(got, want) {
			b.Fatalf("client %s as of %d: the per-stream replay shows\n%+v\nthe full replay\n%+v", m.client, m.pos, got, want)
		}
	}
	run := func(read func(moment) []any) func(*testing.B) {
		return func(b *testing.B) {
			moments := make([]moment, b.N)
			for i := range moments {
				moments[i] = pick()
			}
			took := make([]time.Duration, b.N)
			b.ResetTimer()
			for i, m := range moments {
				t0 := time.Now()
				read(m)
				took[i] = time.Since(t0)
			}
			b.StopTimer()
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(head), "events")
		}
	}
	b.Run("PerStream", run(perStream))
	b.Run("FullReplay", run(fullReplay))
}
