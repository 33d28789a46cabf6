package billing

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/invoice"
	"remit/domain/numbering"
	"remit/eventstore"
	"remit/eventstore/sqlite"
)

// bookFixture is a Service over a fresh embedded store whose number book
// caches keep numbers a generation.
func bookFixture(t *testing.T, keep int) (*Service, eventstore.Store) {
	t.Helper()
	st, err := sqlite.Open(t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return serviceOver(st, keep), st
}

func serviceOver(st eventstore.Store, keep int) *Service {
	s := New(Config{Store: st, Now: time.Now, NewID: uuid.New})
	s.recentNumbers = keep
	return s
}

func numberRequests(n int, cmd string) []numberRequest {
	reqs := make([]numberRequest, n)
	for i := range reqs {
		id := uuid.New()
		reqs[i] = numberRequest{InvoiceID: id, Prefix: "INV-", Now: time.Now(), Meta: Meta{Actor: "test", CommandID: cmd + "/" + id.String()}}
	}
	return reqs
}

// reserveAll reserves reqs in blocks of size, checking that each gets the
// next number, and returns the numbers by invoice.
func reserveAll(ctx context.Context, t *testing.T, s *Service, reqs []numberRequest, size int, first int64) map[uuid.UUID]string {
	t.Helper()
	got := map[uuid.UUID]string{}
	for start := 0; start < len(reqs); start += size {
		block := reqs[start:min(start+size, len(reqs))]
		out, err := s.reserveNumbers(ctx, block)
		if err != nil {
			t.Fatal(err)
		}
		for i, q := range block {
			want := numbering.FormatNumber("INV-", first+int64(start+i))
			if out[q.InvoiceID].Number != want {
				t.Fatalf("invoice %d numbered %q, want %q", start+i, out[q.InvoiceID].Number, want)
			}
			got[q.InvoiceID] = want
		}
	}
	return got
}

// TestNumberBookStaysBounded: after thousands of invoices numbered, in blocks
// and one by one, the book caches at most two generations of numbers, and
// holds 8 bytes per invoice numbered to know which have one (it held every
// number, about 200 bytes each).
func TestNumberBookStaysBounded(t *testing.T) {
	ctx := context.Background()
	const keep, n = 16, 6000
	s, _ := bookFixture(t, keep)
	reserveAll(ctx, t, s, numberRequests(n, "run"), 250, 1)
	for i := range 40 {
		q := numberRequests(1, "single")[0]
		num, _, _, err := s.reserveNumber(ctx, q.InvoiceID, q.Prefix, q.Now, q.Meta, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := numbering.FormatNumber("INV-", int64(n+1+i)); num != want {
			t.Fatalf("single %d numbered %q, want %q", i, num, want)
		}
	}
	b := &s.numbers
	if cached := len(b.recent) + len(b.older) + len(b.flying); cached > 2*keep {
		t.Errorf("the book caches %d numbers after %d invoices, want at most %d", cached, n+40, 2*keep)
	}
	if got := b.numbered.len(); got != n+40 {
		t.Errorf("the book has %d fingerprints, want one per invoice numbered (%d)", got, n+40)
	}
	if b.last != n+40 {
		t.Errorf("last sequence %d, want %d", b.last, n+40)
	}
}

// TestOldInvoiceAskedAgainKeepsItsNumber: invoices numbered long before
// (long out of the book's cache: the first, one in the middle, and the last
// before the cache) asked for again, with new ones, by this process and by a
// process started afresh (another node, a restart), keep their numbers, the
// new ones take the next, and no number is given twice.
func TestOldInvoiceAskedAgainKeepsItsNumber(t *testing.T) {
	ctx := context.Background()
	const keep, n = 8, 5000
	s, st := bookFixture(t, keep)
	reqs := numberRequests(n, "run")
	got := reserveAll(ctx, t, s, reqs, 500, 1)
	old := []numberRequest{reqs[0], reqs[n/2], reqs[n-3*keep]}
	for _, q := range old {
		if _, ok := s.numbers.cached(q.InvoiceID); ok {
			t.Fatalf("invoice numbered %s is still cached: the test asks for one that is not", got[q.InvoiceID])
		}
	}
	next := int64(n + 1)
	for name, svc := range map[string]*Service{"SameProcess": s, "NewProcess": serviceOver(st, keep)} {
		t.Run(name, func(t *testing.T) {
			fresh := numberRequests(2, "again")
			ask := append([]numberRequest{fresh[0]}, append(old, fresh[1])...)
			out, err := svc.reserveNumbers(ctx, ask)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range old {
				if out[q.InvoiceID].Number != got[q.InvoiceID] || out[q.InvoiceID].position == 0 {
					t.Errorf("invoice numbered %s asked again: got %q at position %d", got[q.InvoiceID], out[q.InvoiceID].Number, out[q.InvoiceID].position)
				}
			}
			for i, q := range fresh {
				if want := numbering.FormatNumber("INV-", next+int64(i)); out[q.InvoiceID].Number != want {
					t.Errorf("new invoice %d numbered %q, want %q", i, out[q.InvoiceID].Number, want)
				}
			}
			next += 2
			// One by one (an instant bill's retry).
			num, _, _, err := svc.reserveNumber(ctx, old[1].InvoiceID, "INV-", time.Now(), Meta{Actor: "test", CommandID: "retry"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if num != got[old[1].InvoiceID] {
				t.Errorf("retried single: got %q, want %q", num, got[old[1].InvoiceID])
			}
		})
	}
	if s.refreshNumbers(ctx) != nil || s.numbers.last != next-1 {
		t.Errorf("last sequence %d, want %d: a number was given twice or skipped", s.numbers.last, next-1)
	}
}

// TestNumberBookFingerprintCollision: an invoice whose fingerprint is that
// of an invoice numbered long ago has no number: the book looks in the
// stream, finds none, and gives it the next.
func TestNumberBookFingerprintCollision(t *testing.T) {
	ctx := context.Background()
	const keep = 4
	s, _ := bookFixture(t, keep)
	reqs := numberRequests(50, "run")
	reserveAll(ctx, t, s, reqs, 10, 1)
	twin := uuid.New()
	binary.BigEndian.PutUint64(twin[8:], binary.BigEndian.Uint64(twin[:8])^fingerprintOf(reqs[0].InvoiceID))
	if !s.numbers.numbered.has(twin) {
		t.Fatal("the twin does not share the first invoice's fingerprint")
	}
	out, err := s.reserveNumbers(ctx, []numberRequest{{InvoiceID: twin, Prefix: "INV-", Now: time.Now(), Meta: Meta{Actor: "test", CommandID: "twin"}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := numbering.FormatNumber("INV-", 51); out[twin].Number != want {
		t.Fatalf("twin numbered %q, want %q", out[twin].Number, want)
	}
}

// TestStrandedNumberAskedAgainTogether: an instant bill retried long after
// its number was reserved (its invoice never issued: the request died
// between the two appends, before issueTogether existed, or on a store
// without atomic appends), when that number has left the book's cache, on
// a store that issues a bill in its number's append: the invoice keeps the
// number it has, is not issued in a block of new numbers, and no second
// number is reserved for it. Without tryTogether's look at the
// fingerprints, the block gave it the next number.
func TestStrandedNumberAskedAgainTogether(t *testing.T) {
	ctx := context.Background()
	const keep, n = 4, 50
	s, st := bookFixture(t, keep)
	if _, ok := st.(eventstore.AtomicAppender); !ok {
		t.Fatal("the embedded store makes no atomic appends: the test needs it")
	}
	reqs := numberRequests(n, "run")
	got := reserveAll(ctx, t, s, reqs, 10, 1)
	stranded := reqs[0]
	for _, c := range []struct {
		name string
		svc  *Service
	}{{"SameProcess", s}, {"NewProcess", serviceOver(st, keep)}} {
		name, svc := c.name, c.svc
		t.Run(name, func(t *testing.T) {
			if err := svc.refreshNumbers(ctx); err != nil {
				t.Fatal(err)
			}
			if _, ok := svc.numbers.cached(stranded.InvoiceID); ok {
				t.Fatal("the stranded number is still cached: the test asks for one that is not")
			}
			decided := 0
			issue := &numberedIssue{stream: "invoice-" + stranded.InvoiceID.String(), command: "issue", meta: Meta{Actor: "test", CommandID: "retry/" + name},
				decide: func(number string) ([]domain.Event, error) {
					decided++
					return []domain.Event{invoice.InvoiceAbandoned{InvoiceID: stranded.InvoiceID, Number: number, Reason: "stands in for the issue", At: time.Now()}}, nil
				}}
			num, _, issued, err := svc.reserveNumber(ctx, stranded.InvoiceID, "INV-", time.Now(), Meta{Actor: "test", CommandID: "retry/" + name}, issue)
			if err != nil {
				t.Fatal(err)
			}
			if num != got[stranded.InvoiceID] {
				t.Errorf("stranded invoice asked again got %q, want its number %q", num, got[stranded.InvoiceID])
			}
			if issued != nil || decided > 0 {
				t.Errorf("issued together with a number decided %d times (result %+v): it has its number already", decided, issued)
			}
		})
	}
	recs, err := st.ReadStream(ctx, numbering.StreamName(), 0, eventstore.Forward, 0)
	if err != nil {
		t.Fatal(err)
	}
	times := 0
	for _, r := range recs {
		e, err := s.env.Catalog.Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, rsv := range numbering.ReservationsOf(e) {
			if rsv.InvoiceID == stranded.InvoiceID {
				times++
			}
		}
	}
	if times != 1 {
		t.Fatalf("the stranded invoice has %d reservations, want 1", times)
	}
}
