package sandbox_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/integrations/payments"
	"remit/integrations/payments/sandbox"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func MustPayouts(tb testing.TB, g *sandbox.Gateway, since time.Time) []payments.Payout {
	tb.Helper()
	ps, err := g.Payouts(context.Background(), since)
	if err != nil {
		tb.Fatal(err)
	}
	return ps
}

func TestFees(t *testing.T) {
	cur := domain.MustCurrency("AUD")
	for _, tc := range []struct {
		token, amount, fee string
	}{
		{sandbox.TokenCardSucceeds, "110.00", "2.23"}, // 1.925 + 0.30 = 2.225 → 2.23
		{"tok_visa", "10.00", "0.48"},
		{sandbox.TokenDebitSettles, "110.00", "1.10"},
		{sandbox.TokenDebitSettles, "500.00", "3.50"}, // capped
	} {
		if got := sandbox.FeeOf(tc.token, dec(tc.amount), cur); !got.Equal(dec(tc.fee)) {
			t.Errorf("fee of %s on %s = %s, want %s", tc.amount, tc.token, got, tc.fee)
		}
	}
}

func TestPayoutsOnTheClock(t *testing.T) {
	clk := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	g := MustOpen(t, dir, clk)
	ctx := context.Background()
	inv := uuid.MustParse("0b7a3c1e-5d2f-4e6a-9b8c-1d2e3f405162")
	card, err := g.Charge(ctx, payments.ChargeRequest{IdempotencyKey: "a1", PaymentMethod: sandbox.TokenCardSucceeds, Amount: aud("110.00"),
		Metadata: map[string]string{"invoice_id": inv.String()}})
	if err != nil {
		t.Fatal(err)
	}
	MustCharge(t, g, "a2", sandbox.TokenCardDeclined)
	debit := MustCharge(t, g, "a3", sandbox.TokenDebitSettles) // settles on 4 March
	MustCharge(t, g, "a4", sandbox.TokenDebitReturned)         // never settles

	if ps := MustPayouts(t, g, time.Time{}); len(ps) != 0 {
		t.Fatalf("payouts on the day of the charges: %+v", ps)
	}
	clk.add(2 * 24 * time.Hour) // 3 March: 1 March's card charge is paid out
	ps := MustPayouts(t, g, time.Time{})
	if len(ps) != 1 {
		t.Fatalf("payouts on 3 March = %+v, want one", ps)
	}
	p := ps[0]
	if p.Reference != "po_sandbox_20250301_aud" || p.ArrivalDate != domain.MustDate(2025, 3, 3) || p.Status != "paid" {
		t.Errorf("payout = %+v", p)
	}
	if !p.Amount.Equal(aud("107.77")) || len(p.Lines) != 1 {
		t.Fatalf("payout amount %s with %d lines, want 107.77 in one line", p.Amount, len(p.Lines))
	}
	l := p.Lines[0]
	if l.Kind != payments.LineCharge || l.Reference != card.Reference || l.InvoiceID != inv || !l.Gross.Equal(dec("110")) || !l.Fee.Equal(dec("2.23")) || !l.Net.Equal(dec("107.77")) {
		t.Errorf("line = %+v", l)
	}

	clk.add(3 * 24 * time.Hour) // 6 March: the debit settled on 4 March is paid out
	all := MustPayouts(t, g, time.Time{})
	if len(all) != 2 || all[1].Reference != "po_sandbox_20250304_aud" || all[1].Lines[0].Reference != debit.Reference || !all[1].Lines[0].Fee.Equal(dec("1.10")) {
		t.Fatalf("payouts on 6 March = %+v", all)
	}
	if later := MustPayouts(t, g, p.Created.Add(time.Second)); len(later) != 1 || later[0].Reference != all[1].Reference {
		t.Errorf("payouts since the first = %+v, want only the second", later)
	}

	// The same payouts from another process on the folder, and after a
	// restart: deterministic over the clock.
	again := MustOpen(t, dir, clk)
	if got := MustPayouts(t, again, time.Time{}); len(got) != 2 || got[0].Reference != p.Reference || !got[0].Amount.Equal(p.Amount) {
		t.Errorf("payouts read again = %+v", got)
	}
}

func TestPayoutsIncludeRefunds(t *testing.T) {
	clk := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	g := MustOpen(t, dir, clk)
	MustCharge(t, g, "a1", sandbox.TokenCardSucceeds)
	// The refunds part of the sandbox keeps its refunds beside the charges.
	db, err := sql.Open("sqlite3", filepath.Join(dir, sandbox.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE refunds (seq INTEGER PRIMARY KEY, key TEXT, refund TEXT)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO refunds(key, refund) VALUES ('r1', '{"reference":"re_sandbox_1","charge":"ch_x","amount":"55.00","currency":"AUD","created_at":"2025-03-01T10:00:00Z"}')`); err != nil {
		t.Fatal(err)
	}
	clk.add(2 * 24 * time.Hour)
	ps := MustPayouts(t, g, time.Time{})
	if len(ps) != 1 || len(ps[0].Lines) != 2 || !ps[0].Amount.Equal(aud("52.77")) {
		t.Fatalf("payouts = %+v, want one of 107.77 − 55.00", ps)
	}
	if r := ps[0].Lines[1]; r.Kind != payments.LineRefund || r.Reference != "re_sandbox_1" || !r.Net.Equal(dec("-55")) {
		t.Errorf("refund line = %+v", r)
	}
}
