package payouts_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/payout"
	"remit/eventstore"
	"remit/eventstore/sqlite"
	"remit/integrations/payments"
	"remit/integrations/payments/sandbox"
	"remit/processes/payouts"
)

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func MustStore(tb testing.TB) eventstore.Store {
	tb.Helper()
	st, err := sqlite.Open(tb.TempDir(), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func MustSync(tb testing.TB, cfg payouts.Config) payouts.Report {
	tb.Helper()
	rep, err := payouts.Sync(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

func TestSyncRecordsEachPayoutOnce(t *testing.T) {
	ctx := context.Background()
	clk := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	gw, err := sandbox.Open(t.TempDir(), sandbox.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	for _, key := range []string{"a", "b"} {
		if _, err := gw.Charge(ctx, payments.ChargeRequest{IdempotencyKey: key, PaymentMethod: sandbox.TokenCardSucceeds,
			Amount: domain.MustMoney("100.00", "AUD")}); err != nil {
			t.Fatal(err)
		}
	}
	store := MustStore(t)
	cfg := payouts.Config{Store: store, Gateway: gw, Now: clk.Now}
	if rep := MustSync(t, cfg); rep.Listed != 0 || rep.Recorded != 0 {
		t.Fatalf("before any payout: %+v", rep)
	}
	clk.now = clk.now.Add(3 * 24 * time.Hour)
	if rep := MustSync(t, cfg); rep.Recorded != 1 {
		t.Fatalf("first sync after the payout: %+v, want one recorded", rep)
	}
	// Again (another node, the webhook, an operator): nothing new.
	rep := MustSync(t, cfg)
	if rep.Recorded != 0 || rep.Listed != 1 || rep.Since.IsZero() {
		t.Fatalf("second sync: %+v, want the payout listed again (overlap) and not recorded", rep)
	}
	recs, err := store.ReadAll(ctx, 0, eventstore.Forward, 0, eventstore.Filter{EventTypes: payout.EventTypes()})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Stream != payout.StreamName(payout.ID("sandbox", "po_sandbox_20250301_aud")) {
		t.Fatalf("payout events = %d (%v), want one on the payout's stream", len(recs), recs)
	}
	e, err := payout.DecodeEvent(recs[0].Type, recs[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	p := e.(payout.PayoutRecorded)
	if !p.Amount.Equal(decimal.RequireFromString("195.90")) || !p.Fees.Equal(decimal.RequireFromString("4.10")) || len(p.Lines) != 2 {
		t.Errorf("payout = %s net, %s fees, %d lines; want 195.90, 4.10 (2 × 2.05), 2", p.Amount, p.Fees, len(p.Lines))
	}
}

type failing struct{ payments.Gateway }

func (failing) Name() string { return "stripe" }
func (failing) Payouts(context.Context, time.Time) ([]payments.Payout, error) {
	cur := domain.MustCurrency("USD")
	p := payments.Payout{Reference: "po_1", Currency: cur, Amount: domain.MustMoney("9.41", "USD"), ArrivalDate: domain.MustDate(2025, 3, 3), Status: "paid",
		// A gateway's id may hold digits that pass the Luhn check: it is
		// recorded as the gateway made it.
		Lines: []payments.PayoutLine{{Kind: payments.LineCharge, Reference: "ch_sandbox_4242424242424242ab", Gross: decimal.RequireFromString("10"), Fee: decimal.RequireFromString("0.59"), Net: decimal.RequireFromString("9.41")}}}
	f := p
	f.Status, f.FailureReason = "failed", "account_closed"
	return []payments.Payout{p, f}, nil
}

func TestSyncRecordsAFailedPayout(t *testing.T) {
	store := MustStore(t)
	rep := MustSync(t, payouts.Config{Store: store, Gateway: failing{}})
	if rep.Recorded != 1 || rep.Failed != 1 {
		t.Fatalf("report = %+v, want the payout recorded then failed", rep)
	}
	if rep := MustSync(t, payouts.Config{Store: store, Gateway: failing{}}); rep.Recorded != 0 || rep.Failed != 0 {
		t.Fatalf("again = %+v, want nothing new", rep)
	}
}

type inconsistent struct{ payments.Gateway }

func (inconsistent) Name() string { return "stripe" }
func (inconsistent) Payouts(context.Context, time.Time) ([]payments.Payout, error) {
	cur := domain.MustCurrency("USD")
	line := payments.PayoutLine{Kind: payments.LineCharge, Reference: "ch_1", Gross: decimal.RequireFromString("10"), Fee: decimal.RequireFromString("0.59"), Net: decimal.RequireFromString("9.41")}
	bad := payments.Payout{Reference: "po_bad", Currency: cur, Amount: domain.MustMoney("20.00", "USD"), ArrivalDate: domain.MustDate(2025, 3, 3), Status: "paid", Lines: []payments.PayoutLine{line}}
	good := payments.Payout{Reference: "po_good", Currency: cur, Amount: domain.MustMoney("9.41", "USD"), ArrivalDate: domain.MustDate(2025, 3, 4), Status: "paid", Lines: []payments.PayoutLine{line}}
	return []payments.Payout{bad, good}, nil
}

// TestSyncGoesOnPastARefusedPayout: a payout whose lines do not add up is
// refused and named; the next one is recorded all the same.
func TestSyncGoesOnPastARefusedPayout(t *testing.T) {
	rep := MustSync(t, payouts.Config{Store: MustStore(t), Gateway: inconsistent{}})
	if rep.Recorded != 1 || len(rep.Refused) != 1 || !strings.Contains(rep.Refused[0], "po_bad") {
		t.Fatalf("report = %+v", rep)
	}
}

// TestFirstSyncOverMonthsRecordsWhatTheGatewayLists: the first sync of a
// firm with months of charges (cards, bank debits that settle days later,
// refunds, a dispute) asks the gateway window by window, and records
// exactly the payouts the gateway lists for its whole history, each once.
func TestFirstSyncOverMonthsRecordsWhatTheGatewayLists(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2025, 1, 1, 22, 30, 0, 0, time.UTC)
	clk := &clock{now: start}
	gw, err := sandbox.Open(t.TempDir(), sandbox.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	tokens := []string{sandbox.TokenCardSucceeds, sandbox.TokenDebitSettles, sandbox.TokenCardDisputed, sandbox.TokenCardSucceeds}
	for day := range 100 {
		if day%3 != 0 {
			continue
		}
		clk.now = start.AddDate(0, 0, day)
		key := fmt.Sprintf("charge-%d", day)
		res, err := gw.Charge(ctx, payments.ChargeRequest{IdempotencyKey: key, PaymentMethod: tokens[(day/3)%len(tokens)],
			Amount: domain.MustMoney(fmt.Sprintf("%d.00", 100+day), "AUD")})
		if err != nil {
			t.Fatal(err)
		}
		if day%9 == 0 && res.Status == payments.StatusSucceeded {
			clk.now = clk.now.Add(5 * time.Hour)
			if _, err := gw.Refund(ctx, payments.RefundRequest{IdempotencyKey: "refund-" + key, ChargeReference: res.Reference,
				Amount: domain.MustMoney("10.00", "AUD"), Reason: "test"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	clk.now = start.AddDate(0, 0, 120)
	store := MustStore(t)
	rep := MustSync(t, payouts.Config{Store: store, Gateway: gw, Now: clk.Now})
	want, err := gw.Payouts(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 30 || rep.Listed != len(want) || rep.Recorded != len(want) || len(rep.Refused) != 0 {
		t.Fatalf("first sync %+v; the gateway lists %d payouts", rep, len(want))
	}
	recs, err := store.ReadAll(ctx, 0, eventstore.Forward, 0, eventstore.Filter{EventTypes: []string{"PayoutRecorded"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range recs {
		e, err := payout.DecodeEvent(r.Type, r.Data)
		if err != nil {
			t.Fatal(err)
		}
		p := e.(payout.PayoutRecorded)
		got[p.Reference] = p.Amount.String()
	}
	for _, p := range want {
		if got[p.Reference] != p.Amount.Amount.String() {
			t.Errorf("payout %s recorded as %q, want %s", p.Reference, got[p.Reference], p.Amount.Amount)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d payouts recorded, want %d", len(got), len(want))
	}
}
