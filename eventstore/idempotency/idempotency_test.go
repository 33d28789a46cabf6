package idempotency_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"remit/eventstore/idempotency"
	"remit/eventstore/postgres/pgtest"
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

// opener opens the backend under test again on the same data.
type opener func(tb testing.TB, opts idempotency.Options) idempotency.Store

func TestSQLite(t *testing.T) {
	dir := t.TempDir()
	run(t, func(tb testing.TB, opts idempotency.Options) idempotency.Store {
		s, err := idempotency.OpenSQLite(dir, opts)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	})
}

func TestPostgres(t *testing.T) {
	url := pgtest.MustDatabase(t)
	run(t, func(tb testing.TB, opts idempotency.Options) idempotency.Store {
		s, err := idempotency.OpenPostgres(context.Background(), url, opts)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	})
}

// run is the suite every backend passes.
func run(t *testing.T, open opener) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	opts := idempotency.Options{TTL: 24 * time.Hour, Now: c.Now}
	s := open(t, opts)
	rec := func(key, fp string) idempotency.Record {
		return idempotency.Record{Key: key, Fingerprint: fp, Method: "POST", Path: "/api/clients", Status: 201,
			Location: "/api/clients/1", ETag: `"0"`, Body: []byte(`{"name":"Acme"}`)}
	}
	mustPut := func(r idempotency.Record) idempotency.Record {
		t.Helper()
		got, err := s.Put(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	mustGet := func(key string) (idempotency.Record, bool) {
		t.Helper()
		got, ok, err := s.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return got, ok
	}

	t.Run("OK", func(t *testing.T) {
		if _, ok := mustGet("k1"); ok {
			t.Fatal("a record before any was put")
		}
		first := rec("k1", "fp1")
		stored := mustPut(first)
		first.Expires = c.Now().Add(24 * time.Hour)
		if !reflect.DeepEqual(stored, first) {
			t.Fatalf("put returned %+v, want %+v", stored, first)
		}
		got, ok := mustGet("k1")
		if !ok || !reflect.DeepEqual(got, first) {
			t.Fatalf("get: %+v %v, want %+v", got, ok, first)
		}
	})

	t.Run("FirstWins", func(t *testing.T) {
		mustPut(rec("k2", "fp-first"))
		if got := mustPut(rec("k2", "fp-second")); got.Fingerprint != "fp-first" {
			t.Fatalf("a second put of a live key returned %q, want the first record", got.Fingerprint)
		}
		var wg sync.WaitGroup
		got := make([]idempotency.Record, 8)
		errs := make([]error, 8)
		for i := range got {
			wg.Go(func() { got[i], errs[i] = s.Put(ctx, rec("k3", fmt.Sprintf("fp-%d", i))) })
		}
		wg.Wait()
		for i := range got {
			if errs[i] != nil || got[i].Fingerprint != got[0].Fingerprint {
				t.Fatalf("racing put %d: %q %v, want everyone to get %q", i, got[i].Fingerprint, errs[i], got[0].Fingerprint)
			}
		}
	})

	t.Run("Reopened", func(t *testing.T) {
		again := open(t, opts)
		if got, ok, err := again.Get(ctx, "k1"); err != nil || !ok || got.Fingerprint != "fp1" {
			t.Fatalf("after reopening: %+v %v %v", got, ok, err)
		}
	})

	t.Run("Expired", func(t *testing.T) {
		mustPut(rec("k4", "fp-old"))
		c.Add(24*time.Hour - time.Second)
		if _, ok := mustGet("k4"); !ok {
			t.Fatal("a record expired before its TTL")
		}
		c.Add(time.Second)
		if _, ok := mustGet("k4"); ok {
			t.Fatal("a record still answers at its expiry")
		}
		if got := mustPut(rec("k4", "fp-new")); got.Fingerprint != "fp-new" {
			t.Fatalf("a put over an expired record returned %q, want the new one", got.Fingerprint)
		}
		// k1, k2 and k3 expired; k4 is new.
		n, err := s.Sweep(ctx)
		if err != nil || n != 3 {
			t.Fatalf("sweep deleted %d (%v), want the 3 expired records", n, err)
		}
		if _, ok := mustGet("k4"); !ok {
			t.Fatal("sweep deleted a live record")
		}
	})

	t.Run("EmptyBody", func(t *testing.T) {
		r := rec("k5", "fp")
		r.Body = nil
		mustPut(r)
		if got, ok := mustGet("k5"); !ok || len(got.Body) != 0 {
			t.Fatalf("empty body: %+v %v", got, ok)
		}
	})
}
