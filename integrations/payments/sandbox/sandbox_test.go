package sandbox_test

import (
	"context"
	"os"
	"path/filepath"
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
	MustCharge(t, a, "attempt-2", sandbox.TokenCardDeclined)

	// A torn last line, as after a crash mid-write, is dropped.
	f, err := os.OpenFile(filepath.Join(dir, sandbox.FileName), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"key":"torn","amou`)
	f.Close()

	c := MustOpen(t, dir, clk)
	MustCharge(t, c, "attempt-1", sandbox.TokenCardSucceeds)
	MustCharge(t, c, "attempt-3", sandbox.TokenCardSucceeds)
	cs, err := c.Charges()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, ch := range cs {
		keys = append(keys, ch.IdempotencyKey)
	}
	if len(keys) != 3 || keys[0] != "attempt-1" || keys[1] != "attempt-2" || keys[2] != "attempt-3" {
		t.Fatalf("charges %v, want attempt-1, attempt-2, attempt-3 once each", keys)
	}
}
