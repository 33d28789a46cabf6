package sandbox_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/integrations/payments"
	"remit/integrations/payments/sandbox"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func aud(s string) domain.Money {
	return domain.NewMoney(decimal.RequireFromString(s), domain.MustCurrency("AUD"))
}

func MustOpen(tb testing.TB, dir string, clk *clock) *sandbox.Gateway {
	tb.Helper()
	g, err := sandbox.Open(dir, sandbox.Options{Now: clk.Now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { g.Close() })
	return g
}

func MustCharge(tb testing.TB, g *sandbox.Gateway, key, token string) payments.ChargeResult {
	tb.Helper()
	res, err := g.Charge(context.Background(), payments.ChargeRequest{IdempotencyKey: key, PaymentMethod: token, Amount: aud("110.00"), Description: "INV-1"})
	if err != nil {
		tb.Fatalf("charge %s: %v", key, err)
	}
	return res
}

func TestTestCards(t *testing.T) {
	clk := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	g := MustOpen(t, t.TempDir(), clk)
	for _, tc := range []struct {
		token, status, code string
	}{
		{sandbox.TokenCardSucceeds, "succeeded", ""},
		{"pm_card_demo_1234", "succeeded", ""},
		{sandbox.TokenCardDeclined, "rejected", "card_declined"},
		{sandbox.TokenCardInsufficientFunds, "rejected", "insufficient_funds"},
		{sandbox.TokenCardExpired, "rejected", "expired_card"},
		{"bogus", "rejected", "invalid_payment_method"},
		{sandbox.TokenDebitSettles, "pending", ""},
		{sandbox.TokenDebitReturned, "pending", ""},
	} {
		t.Run(tc.token, func(t *testing.T) {
			res := MustCharge(t, g, "key-"+tc.token, tc.token)
			if string(res.Status) != tc.status || res.DeclineCode != tc.code || res.Reference == "" {
				t.Fatalf("got %+v, want %s %q with a reference", res, tc.status, tc.code)
			}
			if tc.status == "rejected" && res.Message == "" {
				t.Errorf("a rejection without a message")
			}
			if tc.status == "succeeded" && !res.Amount.Amount.Equal(decimal.RequireFromString("110")) {
				t.Errorf("amount %s, want 110.00", res.Amount)
			}
		})
	}
}

func TestBankDebitSettlesLater(t *testing.T) {
	clk := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	g := MustOpen(t, t.TempDir(), clk)
	MustCharge(t, g, "settles", sandbox.TokenDebitSettles)
	MustCharge(t, g, "returned", sandbox.TokenDebitReturned)
	clk.add(2 * 24 * time.Hour)
	if res := MustCharge(t, g, "settles", sandbox.TokenDebitSettles); res.Status != payments.StatusPending {
		t.Fatalf("after 2 days: %+v, want pending", res)
	}
	clk.add(24 * time.Hour)
	if res := MustCharge(t, g, "settles", sandbox.TokenDebitSettles); res.Status != payments.StatusSucceeded {
		t.Fatalf("after 3 days: %+v, want succeeded", res)
	}
	if res := MustCharge(t, g, "returned", sandbox.TokenDebitReturned); res.Status != payments.StatusRejected || res.DeclineCode != "debit_returned" {
		t.Fatalf("after 3 days: %+v, want returned", res)
	}
	if cs, _ := g.Charges(); len(cs) != 2 {
		t.Fatalf("%d charges, want 2 (asking again charges nothing)", len(cs))
	}
}

func TestSameKeyChargesOnceAcrossRestartsAndProcesses(t *testing.T) {
	clk := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	a, b := MustOpen(t, dir, clk), MustOpen(t, dir, clk) // two openers of one folder, as two processes
	var wg sync.WaitGroup
	for i := range 20 {
		g := a
		if i%2 == 1 {
			g = b
		}
		wg.Go(func() { MustCharge(t, g, "attempt-1", sandbox.TokenCardSucceeds) })
	}
	wg.Wait()
	MustCharge(t, a, "attempt-2", sandbox.TokenDebitSettles)
	a.Close()
	b.Close()

	// Restarted three days on: the debit charged before the restart
	// settles on its own date, and no key charges again.
	clk.add(3 * 24 * time.Hour)
	c := MustOpen(t, dir, clk)
	MustCharge(t, c, "attempt-1", sandbox.TokenCardSucceeds)
	if res := MustCharge(t, c, "attempt-2", sandbox.TokenDebitSettles); res.Status != payments.StatusSucceeded {
		t.Fatalf("the debit after a restart 3 days on: %+v, want succeeded", res)
	}
	MustCharge(t, c, "attempt-3", sandbox.TokenCardSucceeds)
	wantCharges(t, c, "attempt-1", "attempt-2", "attempt-3")
}

// TestImportsOldChargeFile: a data folder from a version that kept the
// charges as JSON lines keeps them: each key still charges once, a pending
// debit keeps its date, a torn last line (a crash mid-write) is dropped, and
// the file is imported once.
func TestImportsOldChargeFile(t *testing.T) {
	dir := t.TempDir()
	old := `{"key":"attempt-1","reference":"ch_sandbox_1","payment_method":"pm_card_visa","amount":"110","currency":"AUD","created_at":"2025-03-01T09:00:00Z"}
{"key":"attempt-2","reference":"ch_sandbox_2","payment_method":"pm_debit_settles","amount":"110","currency":"AUD","created_at":"2025-03-01T09:00:00Z"}
{"key":"torn","amou`
	if err := os.WriteFile(filepath.Join(dir, sandbox.OldFileName), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)}
	g := MustOpen(t, dir, clk)
	wantCharges(t, g, "attempt-1", "attempt-2")
	if res := MustCharge(t, g, "attempt-1", sandbox.TokenCardSucceeds); res.Reference != "ch_sandbox_1" {
		t.Fatalf("the imported charge answered %+v, want its reference ch_sandbox_1", res)
	}
	if res := MustCharge(t, g, "attempt-2", sandbox.TokenDebitSettles); res.Status != payments.StatusPending {
		t.Fatalf("the imported debit two days on: %+v, want pending (it was made on March 1)", res)
	}
	clk.add(24 * time.Hour)
	if res := MustCharge(t, g, "attempt-2", sandbox.TokenDebitSettles); res.Status != payments.StatusSucceeded {
		t.Fatalf("the imported debit three days on: %+v, want succeeded", res)
	}
	MustCharge(t, g, "torn", sandbox.TokenCardSucceeds) // never answered before: charged now
	g.Close()
	if _, err := os.Stat(filepath.Join(dir, sandbox.OldFileName)); err == nil {
		t.Fatal("the old charge file is still there after the import")
	}
	wantCharges(t, MustOpen(t, dir, clk), "attempt-1", "attempt-2", "torn")
}

func wantCharges(tb testing.TB, g *sandbox.Gateway, keys ...string) {
	tb.Helper()
	cs, err := g.Charges()
	if err != nil {
		tb.Fatal(err)
	}
	var got []string
	for _, ch := range cs {
		got = append(got, ch.IdempotencyKey)
	}
	if !slices.Equal(got, keys) {
		tb.Fatalf("charges %v, want %v once each", got, keys)
	}
}
