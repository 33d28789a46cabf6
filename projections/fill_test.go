package projections

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"remit/projections/rmdb"
)

// A generation is filled from the log without its secondary indexes, and
// has every one of them by the time anyone reads it: after the catch-up
// that fills a new database, after a Rebuild swaps one in, in a replay; and
// what the fills wrote is what the live loop, keeping the indexes up to
// date event by event, writes (Reconcile compares every row).
func TestFilledGenerationsHaveTheirIndexes(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		e := newEnv(t)
		m := NewModels(db)
		r, err := NewRunner(ctx, e.store, m, RunnerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		// The log is empty: the catch-up fills nothing and still makes the
		// indexes; the fixture is then applied live, event by event.
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		marks := e.fixture()
		if err := r.WaitFor(waitCtx(t), marks["june"]); err != nil {
			t.Fatal(err)
		}
		mustHaveIndexes(t, db)
		// Enough events for a rebuild to write its rows with COPY on
		// PostgreSQL.
		for i := range 150 {
			appendCreated(e, fmt.Sprintf("client %03d", i))
		}
		for _, name := range []string{"invoices", "activity", "clients"} {
			if err := r.Rebuild(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
		mustHaveIndexes(t, db)
		rep, err := Reconcile(ctx, e.store, m)
		if err != nil || !rep.OK() {
			t.Errorf("live models differ from a replay: %+v, %v", rep.Mismatches, err)
		}
		if d, err := m.Invoice(ctx, inv1, today); err != nil || d.Balance.String() != "AUD 60.00" {
			t.Errorf("after the rebuilds, INV-000001 balance %s, %v", d.Balance, err)
		}
		if lines, err := m.ActivityOf(ctx, SubjectClient, id("client/client 149")); err != nil || len(lines) != 1 {
			t.Errorf("the last client's activity after the rebuild: %+v, %v", lines, err)
		}
		replayed, _, err := BuildAsOf(ctx, e.store, Bound{})
		if err != nil {
			t.Fatal(err)
		}
		defer replayed.Close()
		mustHaveIndexes(t, replayed.db)
	})
}

// A fill stopped between its last commit and its indexes (a crash) leaves
// a generation without them; the next catch-up makes them.
func TestCatchUpMakesIndexesAFillLeftOut(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.fixture()
	db := mustSQLite(t)
	r, err := NewRunner(ctx, e.store, NewModels(db), RunnerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	r.Close()
	regs := mustRegistrations(t, db)
	err = db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		for _, reg := range regs {
			if reg.Name == "invoices" {
				tx.Exec(fmt.Sprintf("DROP INDEX %s_i0", rmdb.Stored("invoices", reg.Generation)))
			}
		}
		return tx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err = NewRunner(ctx, e.store, NewModels(db), RunnerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	mustHaveIndexes(t, db)
}

// mustHaveIndexes checks that every table of every serving generation has
// each index its projection declares.
func mustHaveIndexes(t *testing.T, db *rmdb.DB) {
	t.Helper()
	ctx := context.Background()
	regs, err := db.Registrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?`
	if db.Dialect() == rmdb.Postgres {
		q = `SELECT COUNT(*) FROM pg_indexes WHERE indexname = ?`
	}
	specs := NewModels(db).Specs()
	checked := 0
	for _, reg := range regs {
		if !reg.Serving {
			continue
		}
		for _, spec := range specs {
			if spec.Name != reg.Name {
				continue
			}
			for _, tb := range spec.New(reg.Generation).Tables() {
				for kind, list := range map[string][]string{"i": tb.Indexes, "a": tb.ApplyIndexes} {
					for i, ix := range list {
						name := fmt.Sprintf("%s_%s%d", rmdb.Stored(tb.Name, reg.Generation), kind, i)
						var n int
						if err := db.QueryRow(ctx, q, name).Scan(&n); err != nil {
							t.Fatal(err)
						}
						if n != 1 {
							t.Errorf("%s generation %d: index %s (%s) is missing", reg.Name, reg.Generation, name, ix)
						}
						checked++
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Error("no index checked")
	}
}

// What the invoices writer reads while it applies (each touched client's
// earliest due date, recomputed at Flush) is an index range even in a
// generation being filled, which has none of its other secondary indexes
// yet: a scan there would grow with the table, batch after batch.
func TestFillReadsTheDueDatesByIndex(t *testing.T) {
	ctx := context.Background()
	db, err := rmdb.OpenTemp()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p := newInvoices(db, 7)
	if err := db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		tx.CreateTablesForFill(7, p.Tables())
		return tx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(ctx, "EXPLAIN QUERY PLAN SELECT client_id, MIN(due_date) FROM "+rmdb.Stored("invoices", 7)+
		" WHERE client_id = ? AND open = 1 GROUP BY client_id", "c")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if len(plan) == 0 || !strings.Contains(strings.Join(plan, "; "), "USING COVERING INDEX") {
		t.Errorf("while filling, a client's due dates are read by %q, not by an index", plan)
	}
}
