package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"remit/eventstore"
	"remit/eventstore/postgres"
	"remit/eventstore/storetest"
)

// mustTamperFixture is a database of ten events across three streams:
//
//	1-3 client-a, 4-5 invoice-b, 6-7 client-a, 8-10 service-c
func mustTamperFixture(t *testing.T) (db string, s *postgres.Store) {
	t.Helper()
	db = MustDatabase(t)
	s = MustOpen(t, db, postgres.Options{})
	storetest.MustAppend(t, s, "client-a", eventstore.NoStream, storetest.Events("ClientAdded", 1, 3)...)
	storetest.MustAppend(t, s, "invoice-b", eventstore.NoStream, storetest.Events("InvoiceIssued", 4, 2)...)
	storetest.MustAppend(t, s, "client-a", eventstore.Exact(2), storetest.Events("ClientRenamed", 6, 2)...)
	storetest.MustAppend(t, s, "service-c", eventstore.NoStream, storetest.Events("ServiceAgreed", 8, 3)...)
	if rep, err := s.Verify(context.Background()); err != nil || rep.Events != 10 {
		t.Fatalf("fixture verifies as %+v, %v", rep, err)
	}
	return db, s
}

// Verify names the first event that was altered, removed or reordered by
// someone with the table owner's rights (who can switch off the append-only
// triggers).
func TestVerifyNamesFirstTamperedEvent(t *testing.T) {
	cases := []struct {
		name    string
		sql     []string
		at      uint64
		problem string
	}{
		{"DataAltered", []string{
			// Change one byte of event 4's JSON inside its envelope.
			`UPDATE events SET envelope = overlay(envelope placing '9'::bytea from length(envelope) - 1) WHERE position = 4`,
		}, 4, "hash does not match"},
		{"ColumnAltered", []string{
			`UPDATE events SET type = 'InvoicePaid' WHERE position = 5`,
		}, 5, "columns disagree"},
		{"EventRemoved", []string{
			`DELETE FROM events WHERE position = 6`,
		}, 7, "were removed"},
		{"EventsSwapped", []string{
			`UPDATE events SET position = -position WHERE position IN (2, 3)`,
			`UPDATE events SET position = CASE position WHEN -2 THEN 3 ELSE 2 END WHERE position < 0`,
		}, 2, "hash does not match"},
		{"RevisionRewritten", []string{
			`UPDATE events SET revision = revision + 100 WHERE position = 9`,
		}, 9, "columns disagree"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db, s := mustTamperFixture(t)
			conn := MustConn(t, db)
			ctx := context.Background()
			stmts := append([]string{`ALTER TABLE events DISABLE TRIGGER USER`, `ALTER TABLE events DROP CONSTRAINT events_position_check`}, c.sql...)
			for _, q := range stmts {
				if _, err := conn.Exec(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			_, err := s.Verify(ctx)
			var ce *postgres.ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("verify after tampering: err = %v, want a chain error", err)
			}
			if ce.Position != c.at || !strings.Contains(ce.Problem, c.problem) || ce.EventID == "" || ce.Stream == "" {
				t.Fatalf("chain error = %+v, want position %d and %q", ce, c.at, c.problem)
			}
		})
	}
}

// Removing the newest events leaves a chain that verifies, but its head hash
// is no longer the one recorded before: why auditors keep the head hash.
func TestTruncatedTailChangesHeadHash(t *testing.T) {
	db, s := mustTamperFixture(t)
	ctx := context.Background()
	before, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn := MustConn(t, db)
	for _, q := range []string{`ALTER TABLE events DISABLE TRIGGER USER`, `DELETE FROM events WHERE position > 8`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	after, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Head != 8 || after.HeadHash == before.HeadHash {
		t.Fatalf("after truncation: %+v, before: %+v", after, before)
	}
}
