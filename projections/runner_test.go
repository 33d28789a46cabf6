package projections

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"remit/domain/client"
	"remit/eventstore/postgres/pgtest"
	"remit/projections/rmdb"
)

// counts is a projection of the runner's own tests: how many events each
// stream has, one document per stream. failAt, when set, makes Apply fail
// on the event at that position.
type counts struct {
	docs   *rmdb.Docs[countDoc]
	failAt *atomic.Uint64
}

type countDoc struct {
	N int `json:"n"`
}

func countsSpec(db *rmdb.DB, version int64, failAt *atomic.Uint64) Spec {
	return Spec{Name: "counts", Version: version, New: func(g int64) Projection {
		return &counts{docs: rmdb.NewDocs(rmdb.DocsSpec[countDoc]{Name: "counts"}, g), failAt: failAt}
	}}
}

func (c *counts) Name() string         { return "counts" }
func (c *counts) Tables() []rmdb.Table { return []rmdb.Table{c.docs.Table()} }
func (c *counts) Flush(tx *rmdb.Tx)    { c.docs.Flush(tx) }
func (c *counts) Discard()             { c.docs.Discard() }
func (c *counts) Apply(tx *rmdb.Tx, e Event) {
	if c.failAt != nil && c.failAt.Load() == e.Position {
		tx.Fail(errors.New("injected failure"))
		return
	}
	d := c.docs.Get(tx, e.Stream)
	if d == nil {
		d = &countDoc{}
	}
	d.N++
	c.docs.Put(e.Stream, d)
}

// countOf reads a stream's count through the view.
func countOf(t *testing.T, db *rmdb.DB, stream string) int {
	t.Helper()
	d, _, err := rmdb.NewDocs(rmdb.DocsSpec[countDoc]{Name: "counts"}, 0).Load(context.Background(), db, stream)
	if err != nil {
		t.Fatal(err)
	}
	return d.N
}

func mustCountsRunner(t *testing.T, e *env, db *rmdb.DB, version int64, failAt *atomic.Uint64) *Runner {
	t.Helper()
	r, err := newRunnerOf(context.Background(), e.store, NewModels(db), []Spec{countsSpec(db, version, failAt)}, RunnerOptions{PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustSQLite(t *testing.T) *rmdb.DB {
	t.Helper()
	db, err := rmdb.OpenSQLite(filepath.Join(t.TempDir(), "readmodels.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func appendCreated(e *env, name string) uint64 {
	return e.MustAppend(client.StreamName(id("client/"+name)), "user:alice",
		client.ClientCreated{ClientID: id("client/" + name), Name: name, Currency: aud, At: e.clock.Now()})
}

func TestRunnerAppliesEachEventOnceAcrossRestarts(t *testing.T) {
	e := newEnv(t)
	db := mustSQLite(t)
	appendCreated(e, "acme")
	stream := client.StreamName(id("client/acme"))

	r1 := mustCountsRunner(t, e, db, 1, nil)
	if err := r1.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r1.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	pos := e.MustAppend(stream, "user:alice", client.ClientDetailsChanged{ClientID: id("client/acme"), Name: "Acme Ltd"})
	if err := r1.WaitFor(waitCtx(t), pos); err != nil {
		t.Fatal(err)
	}
	if err := r1.Close(); err != nil {
		t.Fatal(err)
	}
	if n := countOf(t, db, stream); n != 2 {
		t.Fatalf("count after two events = %d", n)
	}

	// A new process resumes from the committed checkpoint: nothing twice.
	pos = e.MustAppend(stream, "user:alice", client.ClientDetailsChanged{ClientID: id("client/acme"), Name: "Acme Pty"})
	r2 := mustCountsRunner(t, e, db, 1, nil)
	if got := r2.Checkpoints()["counts"]; got != pos-1 {
		t.Errorf("resumed at %d, want %d", got, pos-1)
	}
	if err := r2.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := countOf(t, db, stream); n != 3 {
		t.Errorf("count after a restart = %d, want 3", n)
	}
}

func TestRunnerKeepsNothingOfAFailedBatch(t *testing.T) {
	e := newEnv(t)
	db := mustSQLite(t)
	appendCreated(e, "acme")
	bad := appendCreated(e, "beta")
	var failAt atomic.Uint64
	failAt.Store(bad)

	r := mustCountsRunner(t, e, db, 1, &failAt)
	if err := r.CatchUp(context.Background()); err == nil {
		t.Fatal("catch-up over a failing event succeeded")
	}
	// Acme's event was in the same batch: rolled back with it.
	if n := countOf(t, db, client.StreamName(id("client/acme"))); n != 0 {
		t.Errorf("acme counted %d times after a rolled-back batch", n)
	}
	if cp := r.Checkpoints()["counts"]; cp != 0 {
		t.Errorf("checkpoint moved to %d", cp)
	}
	failAt.Store(0)
	if err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"acme", "beta"} {
		if n := countOf(t, db, client.StreamName(id("client/"+name))); n != 1 {
			t.Errorf("%s counted %d times, want once", name, n)
		}
	}
}

// Two runners on one database take turns through the lease: the one
// holding it applies, the other waits for its checkpoints, and takes over
// from them (not from where it opened) once the first one stops.
func TestRunnersTakeTurnsThroughTheLease(t *testing.T) {
	e := newEnv(t)
	db := mustSQLite(t)
	appendCreated(e, "acme")
	second := mustCountsRunner(t, e, db, 1, nil) // opened at checkpoint 0
	first := mustCountsRunner(t, e, db, 1, nil)
	if err := first.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := second.CatchUp(waitCtx(t)); err != nil {
		t.Fatalf("waiting for the holder's checkpoints: %v", err)
	}
	pos := appendCreated(e, "beta")
	short, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := second.CatchUp(short); err == nil {
		t.Fatal("the runner without the lease applied")
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := second.CatchUp(waitCtx(t)); err != nil {
		t.Fatal(err)
	}
	if cp := second.Checkpoints()["counts"]; cp != pos {
		t.Errorf("checkpoint %d, want %d", cp, pos)
	}
	for _, name := range []string{"acme", "beta"} {
		if n := countOf(t, db, client.StreamName(id("client/"+name))); n != 1 {
			t.Errorf("%s counted %d times, want once", name, n)
		}
	}
	second.Close()
}

// A runner waiting for the lease holder's checkpoints takes the lease over
// when the holder goes away before reaching the head (a remit bill killed
// mid-run), instead of waiting for checkpoints nobody will write.
func TestCatchUpTakesOverFromAHolderThatGoesAway(t *testing.T) {
	e := newEnv(t)
	db := mustSQLite(t)
	appendCreated(e, "acme")
	first := mustCountsRunner(t, e, db, 1, nil)
	second := mustCountsRunner(t, e, db, 1, nil)
	if err := first.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	pos := appendCreated(e, "beta")
	done := make(chan error, 1)
	go func() { done <- second.CatchUp(waitCtx(t)) }()
	time.Sleep(50 * time.Millisecond) // let it start waiting for the holder
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the waiting runner did not take over: %v", err)
	}
	if cp := second.Checkpoints()["counts"]; cp != pos {
		t.Errorf("checkpoint %d, want %d", cp, pos)
	}
	if n := countOf(t, db, client.StreamName(id("client/beta"))); n != 1 {
		t.Errorf("beta counted %d times, want once", n)
	}
	second.Close()
}

func TestRunnerRebuildsInANewGeneration(t *testing.T) {
	e := newEnv(t)
	db := mustSQLite(t)
	for _, name := range []string{"acme", "beta", "zeta"} {
		appendCreated(e, name)
	}
	r := mustCountsRunner(t, e, db, 1, nil)
	if err := r.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if err := r.Rebuild(context.Background(), "counts"); err != nil {
		t.Fatal(err)
	}
	if err := r.Rebuild(context.Background(), "nope"); err == nil {
		t.Error("rebuilding an unknown projection succeeded")
	}
	regs := mustRegistrations(t, db)
	if len(regs) != 1 || regs[0].Generation != 2 || !regs[0].Serving || regs[0].Checkpoint != r.Checkpoints()["counts"] {
		t.Fatalf("registry after a rebuild: %+v", regs)
	}
	if n := countOf(t, db, client.StreamName(id("client/beta"))); n != 1 {
		t.Errorf("beta counted %d times after the rebuild", n)
	}
	// The live loop goes on writing the new generation.
	pos := appendCreated(e, "omega")
	if err := r.WaitFor(waitCtx(t), pos); err != nil {
		t.Fatal(err)
	}
	if n := countOf(t, db, client.StreamName(id("client/omega"))); n != 1 {
		t.Errorf("omega counted %d times", n)
	}
	var left int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM sqlite_master WHERE name = 'rm_counts_g1'`).Scan(&left); err != nil || left != 0 {
		t.Errorf("the old generation's table is still there (%d, %v)", left, err)
	}
}

func TestRunnerRebuildsAProjectionOfAnotherVersionOnStart(t *testing.T) {
	e := newEnv(t)
	db := mustSQLite(t)
	appendCreated(e, "acme")
	r1 := mustCountsRunner(t, e, db, 1, nil)
	if err := r1.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	// While a process of the old version applies, the new one may not
	// replace its tables.
	if _, err := newRunnerOf(context.Background(), e.store, NewModels(db), []Spec{countsSpec(db, 2, nil)}, RunnerOptions{}); err == nil {
		t.Fatal("a new version replaced the tables of a running process")
	}
	if err := r1.Close(); err != nil {
		t.Fatal(err)
	}
	r2 := mustCountsRunner(t, e, db, 2, nil)
	t.Cleanup(func() { r2.Close() })
	if cp := r2.Checkpoints()["counts"]; cp != 0 {
		t.Fatalf("version 2 starts at %d, want an empty generation", cp)
	}
	if err := r2.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := countOf(t, db, client.StreamName(id("client/acme"))); n != 1 {
		t.Errorf("acme counted %d times", n)
	}
	if regs := mustRegistrations(t, db); len(regs) != 1 || regs[0].Version != 2 {
		t.Errorf("registry: %+v", regs)
	}
}

// On PostgreSQL two processes share the tables: the one holding the lease
// applies, the other follows its checkpoints, and either's WaitFor answers.
func TestRunnersShareTablesOnPostgres(t *testing.T) {
	url := pgtest.MustDatabase(t)
	e := newEnv(t)
	open := func() *rmdb.DB {
		db, err := rmdb.OpenPostgres(context.Background(), url, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db1, db2 := open(), open()
	appendCreated(e, "acme")
	r1 := mustCountsRunner(t, e, db1, 1, nil)
	r2 := mustCountsRunner(t, e, db2, 1, nil)
	for _, r := range []*Runner{r1, r2} {
		if err := r.CatchUp(waitCtx(t)); err != nil {
			t.Fatal(err)
		}
		if err := r.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	pos := appendCreated(e, "beta")
	for i, r := range []*Runner{r1, r2} {
		if err := r.WaitFor(waitCtx(t), pos); err != nil {
			t.Fatalf("runner %d: %v", i+1, err)
		}
	}
	if n := countOf(t, db2, client.StreamName(id("client/beta"))); n != 1 {
		t.Errorf("beta counted %d times", n)
	}
	// The lease moves when its holder stops.
	if err := r1.Close(); err != nil {
		t.Fatal(err)
	}
	pos = appendCreated(e, "zeta")
	if err := r2.WaitFor(waitCtx(t), pos); err != nil {
		t.Fatal(err)
	}
	if n := countOf(t, db2, client.StreamName(id("client/zeta"))); n != 1 {
		t.Errorf("zeta counted %d times", n)
	}
	r2.Close()
}

func mustRegistrations(t *testing.T, db *rmdb.DB) []rmdb.Registration {
	t.Helper()
	var regs []rmdb.Registration
	err := db.WriteTx(context.Background(), func(tx *rmdb.Tx) error {
		regs = tx.Registrations()
		return tx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return regs
}
