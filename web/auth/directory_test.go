package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"remit/domain/user"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/web/auth"
)

// countingStore counts the reads of the log that go through it.
type countingStore struct {
	eventstore.Store
	reads atomic.Int64
}

func (s *countingStore) ReadAll(ctx context.Context, from uint64, dir eventstore.Direction, limit int, f eventstore.Filter) ([]eventstore.RecordedEvent, error) {
	s.reads.Add(1)
	return s.Store.ReadAll(ctx, from, dir, limit, f)
}

func (s *countingStore) ReadStream(ctx context.Context, stream string, from uint64, dir eventstore.Direction, limit int) ([]eventstore.RecordedEvent, error) {
	s.reads.Add(1)
	return s.Store.ReadStream(ctx, stream, from, dir, limit)
}

func mustStore(tb testing.TB) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.TempDir(), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func mustAuth(tb testing.TB, s eventstore.Store) *auth.Authenticator {
	tb.Helper()
	a, err := auth.New(auth.Config{Store: s, BcryptCost: bcrypt.MinCost})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	return a
}

// mustToken adds a staff user and makes them a write token.
func mustToken(tb testing.TB, a *auth.Authenticator, email string) auth.NewToken {
	tb.Helper()
	ctx := context.Background()
	id, err := a.AddUser(ctx, auth.NewUser{Email: email, Name: "Staff", Role: user.RoleStaff, Password: "correct horse battery staple"}, "cli")
	if err != nil {
		tb.Fatal(err)
	}
	tok, err := a.CreateToken(ctx, id, "test", user.ScopeWrite, nil, "cli")
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

func bearer(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/clients", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// mustAppendOthers appends n events that are not user events, in appends
// of up to 1,000.
func mustAppendOthers(tb testing.TB, s eventstore.Store, n int) {
	tb.Helper()
	for n > 0 {
		k := min(n, 1000)
		evs := make([]eventstore.EventData, k)
		for i := range evs {
			evs[i] = eventstore.EventData{ID: uuid.New(), Type: "FirmDetailsChanged", Data: json.RawMessage(`{"name":"Harbour & Co"}`)}
		}
		if _, err := s.Append(context.Background(), "firm", eventstore.Any, evs...); err != nil {
			tb.Fatal(err)
		}
		n -= k
	}
}

// TestTokenCheckReadsNoLog: once the directory has caught up, checking a
// token or listing users reads nothing from the store, however many events
// came after the last user event.
func TestTokenCheckReadsNoLog(t *testing.T) {
	s := &countingStore{Store: mustStore(t)}
	a := mustAuth(t, s)
	tok := mustToken(t, a, "ana@harbour.example")
	mustAppendOthers(t, s, 3000)
	if _, err := a.Authenticate(bearer(tok.Token)); err != nil { // the first check may start the follower
		t.Fatal(err)
	}
	before := s.reads.Load()
	for range 100 {
		if _, err := a.Authenticate(bearer(tok.Token)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Users(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := s.reads.Load() - before; n != 0 {
		t.Errorf("100 token checks and a user list read the log %d times, want 0", n)
	}
}

// TestOwnChangesAreSeenAtOnce: a token made or revoked through an
// Authenticator works, or stops working, at the very next request.
func TestOwnChangesAreSeenAtOnce(t *testing.T) {
	s := mustStore(t)
	a := mustAuth(t, s)
	if _, err := a.Users(context.Background()); err != nil { // start following
		t.Fatal(err)
	}
	for i := range 20 {
		tok := mustToken(t, a, "user"+string(rune('a'+i))+"@harbour.example")
		p, err := a.Authenticate(bearer(tok.Token))
		if err != nil {
			t.Fatalf("a token just made: %v", err)
		}
		if err := a.RevokeToken(context.Background(), p, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Authenticate(bearer(tok.Token)); err == nil {
			t.Fatal("a token just revoked still works")
		}
	}
}

// TestOtherProcessesChangesArrive: a token revoked by another Authenticator
// on the same store (as remit token revoke does from another process) stops
// working here once the follower has seen it.
func TestOtherProcessesChangesArrive(t *testing.T) {
	s := mustStore(t)
	here, there := mustAuth(t, s), mustAuth(t, s)
	tok := mustToken(t, there, "ana@harbour.example")
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := here.Authenticate(bearer(tok.Token))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a token made elsewhere never works here: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := there.RevokeTokenAsOperator(context.Background(), tok.ID); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := here.Authenticate(bearer(tok.Token)); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a token revoked elsewhere still works here")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// BenchmarkTokenCheck checks an API token on a store whose users were set
// up long ago: events=N events come after the last user event. "directory"
// is Authenticate as it is (a map lookup in the follower-kept directory);
// "scan" is what the old directory read on every check, the log from the
// last user event to the head filtered to user streams, from the same
// store in the same run.
func BenchmarkTokenCheck(b *testing.B) {
	for _, n := range []int{100_000} {
		s := mustStore(b)
		a := mustAuth(b, s)
		tok := mustToken(b, a, "ana@harbour.example")
		last, err := s.Head(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		mustAppendOthers(b, s, n)
		if _, err := a.Authenticate(bearer(tok.Token)); err != nil {
			b.Fatal(err)
		}
		b.Run("events="+strconv.Itoa(n)+"/directory", func(b *testing.B) {
			r := bearer(tok.Token)
			for b.Loop() {
				if _, err := a.Authenticate(r); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("events="+strconv.Itoa(n)+"/scan", func(b *testing.B) {
			f := eventstore.Filter{StreamPrefixes: []string{"user-"}}
			for b.Loop() {
				recs, err := s.ReadAll(context.Background(), last+1, eventstore.Forward, 0, f)
				if err != nil || len(recs) != 0 {
					b.Fatal(len(recs), err)
				}
			}
		})
	}
}
