package authdb_test

import (
	"bytes"
	"context"
	"database/sql"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib"

	"remit/eventstore/postgres/pgtest"
	"remit/web/auth/authdb"
)

// clock is a test clock the tests move.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// backend opens one more handle ("node") on the same database, and a plain
// SQL connection to look at its rows.
type backend struct {
	open func(tb testing.TB, c *clock) *authdb.DB
	raw  func(tb testing.TB) *sql.DB
}

func backends(t *testing.T) map[string]backend {
	dir := t.TempDir()
	bs := map[string]backend{
		"sqlite": {
			open: func(tb testing.TB, c *clock) *authdb.DB {
				d, err := authdb.OpenSQLite(dir, authdb.Options{Now: c.Now, SweepInterval: time.Hour})
				if err != nil {
					tb.Fatal(err)
				}
				tb.Cleanup(func() { d.Close() })
				return d
			},
			raw: func(tb testing.TB) *sql.DB {
				db, err := sql.Open("sqlite3", "file:"+dir+"/"+authdb.File)
				if err != nil {
					tb.Fatal(err)
				}
				tb.Cleanup(func() { db.Close() })
				return db
			},
		},
	}
	if testing.Short() {
		return bs
	}
	url := pgtest.MustDatabase(t)
	bs["postgres"] = backend{
		open: func(tb testing.TB, c *clock) *authdb.DB {
			d, err := authdb.OpenPostgres(context.Background(), url, authdb.Options{Now: c.Now, SweepInterval: time.Hour})
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { d.Close() })
			return d
		},
		raw: func(tb testing.TB) *sql.DB {
			db, err := sql.Open("pgx", url)
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { db.Close() })
			return db
		},
	}
	return bs
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// TestConcurrentFailuresCountExactly: failures counted at once from many
// goroutines on two nodes are each counted once: the counts returned are
// exactly 1..n, and the max-th locks.
func TestConcurrentFailuresCountExactly(t *testing.T) {
	for name, b := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := &clock{t: t0}
			nodes := []*authdb.DB{b.open(t, c), b.open(t, c)}
			const n = 40
			got := make([]int, n)
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Go(func() {
					k, _, err := nodes[i%2].CountFailure(context.Background(), "ana", c.Now(), n, time.Hour)
					got[i] = k
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			slices.Sort(got)
			for i, k := range got {
				if k != i+1 {
					t.Fatalf("counts returned %v: want each of 1..%d once", got, n)
				}
			}
			until, err := nodes[0].LockedUntil(context.Background(), "ana")
			if err != nil || !until.Equal(t0.Add(time.Hour)) {
				t.Errorf("after %d failures (max %d) locked until %v (%v), want %v", n, n, until, err, t0.Add(time.Hour))
			}
			// Attempts per address, likewise.
			var wg2 sync.WaitGroup
			seen := make(chan int, n)
			for i := range n {
				wg2.Go(func() {
					k, err := nodes[i%2].CountAttempt(context.Background(), "addr", c.Now(), time.Minute)
					if err != nil {
						t.Error(err)
					}
					seen <- k
				})
			}
			wg2.Wait()
			close(seen)
			var ks []int
			for k := range seen {
				ks = append(ks, k)
			}
			slices.Sort(ks)
			if ks[0] != 1 || ks[n-1] != n {
				t.Errorf("attempt counts %v: want 1..%d", ks, n)
			}
			c.Add(time.Minute)
			if k, err := nodes[1].CountAttempt(context.Background(), "addr", c.Now(), time.Minute); err != nil || k != 1 {
				t.Errorf("the first attempt of the next window counts %d (%v), want 1", k, err)
			}
		})
	}
}

// TestSessionTouchIsCheap: a session used again within TouchEvery is not
// written; after it, its last use moves, so the idle timeout runs from
// there, on every node.
func TestSessionTouchIsCheap(t *testing.T) {
	for name, b := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := &clock{t: t0}
			a, other := b.open(t, c), b.open(t, c)
			ctx := context.Background()
			s := authdb.Session{IDHash: "h1", UserID: uuid.New(), Created: t0, Expires: t0.Add(12 * time.Hour), LastSeen: t0, Idle: 2 * time.Hour}
			if err := a.StartSession(ctx, s); err != nil {
				t.Fatal(err)
			}
			got, ok, err := other.Session(ctx, "h1", t0.Add(30*time.Second))
			if err != nil || !ok || !got.LastSeen.Equal(t0) {
				t.Fatalf("used within a minute: %+v %v %v, want last seen unchanged", got, ok, err)
			}
			if _, ok, _ := a.Session(ctx, "h1", t0.Add(90*time.Minute)); !ok {
				t.Fatal("a session used within its idle timeout ended")
			}
			// Idle counts from the last use recorded (90 minutes), not the start.
			if _, ok, _ := other.Session(ctx, "h1", t0.Add(3*time.Hour)); !ok {
				t.Fatal("a session used 90 minutes ago ended at 3 hours: the last use was not recorded")
			}
			if _, ok, _ := other.Session(ctx, "h1", t0.Add(5*time.Hour+time.Second)); ok {
				t.Fatal("a session idle for over 2 hours still works")
			}
		})
	}
}

// TestSealedLinks: a sealed link put on one node is taken on another, once;
// its table holds neither the secret nor the data in the clear.
func TestSealedLinks(t *testing.T) {
	for name, b := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := &clock{t: t0}
			a, other := b.open(t, c), b.open(t, c)
			ctx := context.Background()
			data := []byte(`{"client_secret":"s3cr3t-value"}`)
			if err := a.PutSealed(ctx, "oauth", "state-1", data, t0.Add(10*time.Minute)); err != nil {
				t.Fatal(err)
			}
			var rows [][]byte
			r, err := b.raw(t).QueryContext(ctx, `SELECT hash || ' ' || subject, data FROM `+authdb.LinksTable)
			if err != nil {
				t.Fatal(err)
			}
			for r.Next() {
				var h string
				var d []byte
				if err := r.Scan(&h, &d); err != nil {
					t.Fatal(err)
				}
				rows = append(rows, []byte(h), d)
			}
			r.Close()
			for _, row := range rows {
				if bytes.Contains(row, []byte("s3cr3t")) || bytes.Contains(row, []byte("state-1")) {
					t.Fatalf("the table shows the secret or the state: %q", row)
				}
			}
			if _, ok, _ := other.Sealed(ctx, "oauth", "state-2", t0); ok {
				t.Fatal("another state opens the flow")
			}
			got, ok, err := other.TakeSealed(ctx, "oauth", "state-1", t0.Add(time.Minute))
			if err != nil || !ok || !bytes.Equal(got, data) {
				t.Fatalf("taken on the other node: %q %v %v", got, ok, err)
			}
			if _, ok, _ := a.TakeSealed(ctx, "oauth", "state-1", t0.Add(time.Minute)); ok {
				t.Fatal("a flow was taken twice")
			}
		})
	}
}

// TestSweep: expired sessions, windows, failure runs and links are
// deleted; live ones stay.
func TestSweep(t *testing.T) {
	for name, b := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := &clock{t: t0}
			d := b.open(t, c)
			ctx := context.Background()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			u := uuid.New()
			must(d.StartSession(ctx, authdb.Session{IDHash: "ends", UserID: u, Created: t0, Expires: t0.Add(time.Hour), LastSeen: t0, Idle: 2 * time.Hour}))
			must(d.StartSession(ctx, authdb.Session{IDHash: "idles", UserID: u, Created: t0, Expires: t0.Add(12 * time.Hour), LastSeen: t0, Idle: 30 * time.Minute}))
			must(d.StartSession(ctx, authdb.Session{IDHash: "lives", UserID: u, Created: t0, Expires: t0.Add(12 * time.Hour), LastSeen: t0, Idle: 2 * time.Hour}))
			_, err := d.CountAttempt(ctx, "addr", t0, time.Minute)
			must(err)
			_, _, err = d.CountFailure(ctx, "ana", t0, 5, 15*time.Minute)
			must(err)
			must(d.PutLink(ctx, authdb.Link{Kind: "password", Hash: "old", Subject: u.String(), Expires: t0.Add(time.Hour)}, false))
			must(d.PutLink(ctx, authdb.Link{Kind: "password", Hash: "new", Subject: "x", Expires: t0.Add(72 * time.Hour)}, false))
			c.Add(time.Hour)
			n, err := d.Sweep(ctx)
			must(err)
			// ends, idles, the window, the failure run, the old link.
			if n != 5 {
				t.Errorf("swept %d rows, want 5", n)
			}
			var left int
			must(b.raw(t).QueryRowContext(ctx, `SELECT (SELECT count(*) FROM `+authdb.SessionsTable+`) + (SELECT count(*) FROM `+authdb.LoginWindowsTable+`) + (SELECT count(*) FROM `+authdb.LoginFailuresTable+`) + (SELECT count(*) FROM `+authdb.LinksTable+`)`).Scan(&left))
			if left != 2 {
				t.Errorf("%d rows left, want 2 (a live session and a live link)", left)
			}
			if _, ok, _ := d.Session(ctx, "lives", c.Now()); !ok {
				t.Error("the sweep ended a live session")
			}
		})
	}
}

// TestLinkKeyFirstWins: nodes storing a link key at once all get the same
// key back, and it stays after they reopen.
func TestLinkKeyFirstWins(t *testing.T) {
	for name, b := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := &clock{t: t0}
			nodes := []*authdb.DB{b.open(t, c), b.open(t, c), b.open(t, c)}
			keys := make([][]byte, len(nodes))
			var wg sync.WaitGroup
			for i, d := range nodes {
				wg.Go(func() {
					var err error
					if keys[i], err = d.LinkKey(context.Background(), bytes.Repeat([]byte{byte(i + 1)}, 32)); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			for i := range keys {
				if !bytes.Equal(keys[i], keys[0]) {
					t.Fatalf("node %d got key %x, node 0 got %x", i, keys[i], keys[0])
				}
			}
			again, err := b.open(t, c).LinkKey(context.Background(), bytes.Repeat([]byte{9}, 32))
			if err != nil || !bytes.Equal(again, keys[0]) {
				t.Fatalf("after reopening: %x %v, want %x", again, err, keys[0])
			}
			if _, err := nodes[0].LinkKey(context.Background(), []byte("short")); err == nil {
				t.Error("a 5-byte key was taken")
			}
		})
	}
}
