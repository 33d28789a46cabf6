package lease_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"remit/eventstore/postgres/pgtest"
	"remit/internal/lease"
	"remit/projections/rmdb"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// node is one process's keeper of the lease "job" and how many times its
// work started and is running.
type node struct {
	k       *lease.Keeper
	started atomic.Int32
	running atomic.Int32
	stop    context.CancelFunc
	done    chan struct{}
}

func startNode(db *rmdb.DB, name string) *node {
	n := &node{k: &lease.Keeper{DB: db, Name: "job", Holder: name, Every: 20 * time.Millisecond}, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	n.stop = cancel
	go func() {
		defer close(n.done)
		n.k.Run(ctx, func(ctx context.Context) {
			n.started.Add(1)
			n.running.Add(1)
			<-ctx.Done()
			n.running.Add(-1)
		})
	}()
	return n
}

func (n *node) close() { n.stop(); <-n.done }

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// exactlyOne runs two nodes on the lease: one runs the work and the other
// names it as the holder; when the holder stops (or fail makes it lose
// the lease) the other takes over, and the work never runs on both.
func exactlyOne(t *testing.T, open func() *rmdb.DB, fail func(t *testing.T, a *node)) {
	a := startNode(open(), "node-a")
	waitUntil(t, "node-a takes the lease", func() bool { return a.running.Load() == 1 })
	b := startNode(open(), "node-b")
	defer b.close()
	ctx := context.Background()
	waitUntil(t, "node-b names node-a as the holder", func() bool { h, _ := b.k.HolderNow(ctx); return h == "node-a" })
	if b.started.Load() != 0 || b.k.Held() {
		t.Fatal("node-b runs the work while node-a holds the lease")
	}
	if fail == nil {
		a.close()
		waitUntil(t, "node-b takes the lease over", func() bool { return b.running.Load() == 1 })
		if h, _ := b.k.HolderNow(ctx); h != "node-b" {
			t.Errorf("holder %q after the take-over, want node-b", h)
		}
		return
	}
	// Cut off, node-a stops its work; node-b takes the lease (node-a waits
	// longer than node-b tries before trying again, but a loaded machine can
	// still let node-a in first: then node-a runs the work afresh). Until
	// node-a's next check it may not know it was cut off (the jobs are safe
	// to run twice: their commands have deterministic ids); once both
	// settle, one node runs the work.
	fail(t, a)
	waitUntil(t, "node-a stops its work and one node runs it again", func() bool {
		return b.running.Load() == 1 || a.started.Load() >= 2
	})
	// The cut-off node says it holds the lease until its work has returned
	// and it let the lease go, a moment after its work stopped running (CI
	// saw both flags up then); a node that takes the lease says so a
	// moment before its work runs. Once both settle, the one node running
	// the work is the one holding the lease.
	waitUntil(t, "the node running the work alone holds the lease", func() bool {
		ar, br := a.running.Load() == 1, b.running.Load() == 1
		return ar != br && a.k.Held() == ar && b.k.Held() == br
	})
	a.close()
}

func TestLeaseOnSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "readmodels.db")
	exactlyOne(t, func() *rmdb.DB {
		db, err := rmdb.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}, nil)
}

func openPG(t *testing.T, url string) func() *rmdb.DB {
	return func() *rmdb.DB {
		db, err := rmdb.OpenPostgres(context.Background(), url, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
}

func TestLeaseOnPostgres(t *testing.T) {
	exactlyOne(t, openPG(t, pgtest.MustDatabase(t)), nil)
}

// TestLeaseOnPostgresHolderCutOff: the holder's database session is
// terminated (as when its node dies or is cut off): the lock goes with it,
// the other node takes the lease, and the cut-off node stops its work.
func TestLeaseOnPostgresHolderCutOff(t *testing.T) {
	url := pgtest.MustDatabase(t)
	exactlyOne(t, openPG(t, url), func(t *testing.T, a *node) {
		admin, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		var n int
		err = admin.QueryRow(`SELECT COUNT(pg_terminate_backend(a.pid)) FROM pg_stat_activity a WHERE a.application_name = 'remit job: node-a'`).Scan(&n)
		if err != nil || n != 1 {
			t.Fatalf("terminate node-a's session: %d %v", n, err)
		}
	})
}
