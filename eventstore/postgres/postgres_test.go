package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"remit/eventstore"
	"remit/eventstore/postgres"
	"remit/eventstore/postgres/pgtest"
	"remit/eventstore/storetest"

	"github.com/jackc/pgx/v5"
)

// MustDatabase creates an empty database for one test (see pgtest).
func MustDatabase(tb testing.TB) string {
	tb.Helper()
	return pgtest.MustDatabase(tb)
}

// MustOpen opens a store on connString and closes it when the test ends.
func MustOpen(tb testing.TB, connString string, opts postgres.Options) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), connString, opts)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// MustConn connects to connString directly, as an operator (or an attacker)
// would, and closes the connection when the test ends.
func MustConn(tb testing.TB, connString string) *pgx.Conn {
	tb.Helper()
	c, err := pgx.Connect(context.Background(), connString)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store {
		return MustOpen(t, MustDatabase(t), postgres.Options{})
	})
}

// Every append's hash chain verifies, and ReadStream returns each event's
// hash as HashAt does.
func TestChainVerifiesAfterAppends(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t, MustDatabase(t), postgres.Options{})
	rep, err := s.Verify(ctx)
	if err != nil || rep.Events != 0 || rep.HeadHash != "" {
		t.Fatalf("empty store verifies as %+v, %v", rep, err)
	}
	storetest.MustAppend(t, s, "client-a", eventstore.NoStream, storetest.Events("ClientAdded", 0, 3)...)
	storetest.MustAppend(t, s, "invoice-b", eventstore.NoStream, storetest.Events("InvoiceIssued", 3, 2)...)
	rep, err = s.Verify(ctx)
	if err != nil || rep.Events != 5 || rep.Head != 5 {
		t.Fatalf("verify = %+v, %v", rep, err)
	}
	evs, err := s.ReadStream(ctx, "client-a", 0, eventstore.Forward, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		h, err := s.HashAt(ctx, e.Position)
		if err != nil || len(h) != eventstore.HashSize || string(h) != string(e.Hash) {
			t.Fatalf("event %d: ReadStream hash %x, HashAt %x, %v", e.Position, e.Hash, h, err)
		}
	}
	last, _ := s.HashAt(ctx, 5)
	if rep.HeadHash != hex.EncodeToString(last) {
		t.Fatalf("head hash %s, stored %x", rep.HeadHash, last)
	}
}

// A type PostgreSQL text cannot hold is refused as invalid input, and does
// not fail the other appends written with it.
func TestTypeWithNULIsInvalid(t *testing.T) {
	s := MustOpen(t, MustDatabase(t), postgres.Options{})
	bad := storetest.Event("Bad\x00Type", 1)
	if _, err := s.Append(context.Background(), "x-1", eventstore.Any, bad); !errors.Is(err, eventstore.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	storetest.MustAppend(t, s, "x-1", eventstore.NoStream, storetest.Event("Good", 2))
}

// Processes starting together on an empty database migrate it once; a
// database whose schema is newer than the code is refused.
func TestMigrateOnConcurrentStarts(t *testing.T) {
	db := MustDatabase(t)
	ctx := context.Background()
	const starts = 8
	var wg sync.WaitGroup
	errs := make(chan error, starts)
	for i := 0; i < starts; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(ctx, db, postgres.Options{})
			if err != nil {
				errs <- err
				return
			}
			s.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent open: %v", err)
	}
	c := MustConn(t, db)
	var versions []int
	rows, _ := c.Query(ctx, `SELECT version FROM schema_version ORDER BY version`)
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != postgres.SchemaVersion() || versions[len(versions)-1] != postgres.SchemaVersion() {
		t.Fatalf("schema_version rows %v, want 1..%d once each", versions, postgres.SchemaVersion())
	}
	s := MustOpen(t, db, postgres.Options{})
	storetest.MustAppend(t, s, "m-1", eventstore.NoStream, storetest.Event("A", 1))
	s.Close()

	if _, err := c.Exec(ctx, `INSERT INTO schema_version(version, description) VALUES (999, 'from the future')`); err != nil {
		t.Fatal(err)
	}
	_, err = postgres.Open(ctx, db, postgres.Options{})
	if err == nil || !strings.Contains(err.Error(), "newer than this Remit knows") {
		t.Fatalf("open of a newer schema: err = %v", err)
	}
}

// The events table refuses UPDATE, DELETE and TRUNCATE, so a mistaken
// statement cannot rewrite history (a deliberate one, by the table's owner,
// is caught by Verify).
func TestEventsAreAppendOnly(t *testing.T) {
	db := MustDatabase(t)
	s := MustOpen(t, db, postgres.Options{})
	storetest.MustAppend(t, s, "a-1", eventstore.NoStream, storetest.Events("A", 0, 2)...)
	c := MustConn(t, db)
	for _, q := range []string{
		`UPDATE events SET type = 'B' WHERE position = 1`,
		`DELETE FROM events WHERE position = 2`,
		`TRUNCATE events`,
	} {
		if _, err := c.Exec(context.Background(), q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want refused", q, err)
		}
	}
	if h := storetest.MustHead(t, s); h != 2 {
		t.Fatalf("head %d after refused statements", h)
	}
	if _, err := s.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func ExampleOpen() {
	ctx := context.Background()
	s, err := postgres.Open(ctx, "postgres://remit@db.example.com/remit", postgres.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
}

// A role that is not the schema's owner, granted only what docs/postgres.md
// lists (USAGE on the schema, SELECT and INSERT on events, SELECT on
// schema_version), can open a migrated database, append, read, subscribe and
// verify, and cannot rewrite history.
func TestLeastPrivilegedRole(t *testing.T) {
	db := MustDatabase(t)
	ctx := context.Background()
	MustOpen(t, db, postgres.Options{}).Close() // the owner migrates
	var b [4]byte
	rand.Read(b[:])
	role := "remit_app_" + hex.EncodeToString(b[:])
	owner := MustConn(t, db)
	for _, q := range []string{
		`CREATE ROLE ` + role + ` LOGIN`,
		`GRANT USAGE ON SCHEMA public TO ` + role,
		`GRANT SELECT, INSERT ON events TO ` + role,
		`GRANT SELECT ON schema_version TO ` + role,
	} {
		if _, err := owner.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		// Roles belong to the whole server: revoke the grants in this
		// database, then drop the role.
		c, err := pgx.Connect(ctx, db)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close(ctx)
		for _, q := range []string{`DROP OWNED BY ` + role, `DROP ROLE ` + role} {
			if _, err := c.Exec(ctx, q); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	})
	u, _ := url.Parse(db)
	u.User = url.User(role)
	s := MustOpen(t, u.String(), postgres.Options{})
	storetest.MustAppend(t, s, "p-1", eventstore.NoStream, storetest.Events("A", 0, 3)...)
	for e, err := range s.Subscribe(ctx, 0, eventstore.Filter{}) {
		if err != nil || e.Position != 1 {
			t.Fatalf("subscribe: %v, %v", e, err)
		}
		break
	}
	if rep, err := s.Verify(ctx); err != nil || rep.Events != 3 {
		t.Fatalf("verify = %+v, %v", rep, err)
	}
	app := MustConn(t, u.String())
	for _, q := range []string{`ALTER TABLE events DISABLE TRIGGER USER`, `UPDATE events SET type = 'B'`, `DELETE FROM events`} {
		if _, err := app.Exec(ctx, q); err == nil {
			t.Errorf("%s: allowed for the application role", q)
		}
	}
}
