package sandbox_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"remit/integrations/payments"
	"remit/integrations/payments/sandbox"
)

func TestRefund(t *testing.T) {
	clk := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	g := MustOpen(t, dir, clk)
	ctx := context.Background()
	ch := MustCharge(t, g, "attempt-1", sandbox.TokenCardSucceeds)
	refund := func(key, amount string) (payments.RefundResult, error) {
		return g.Refund(ctx, payments.RefundRequest{IdempotencyKey: key, ChargeReference: ch.Reference, Amount: aud(amount), Reason: "cancelled"})
	}

	t.Run("OK", func(t *testing.T) {
		res, err := refund("refund-1", "55.00")
		if err != nil || !strings.HasPrefix(res.Reference, "re_sandbox_") || !res.Amount.Amount.Equal(aud("55.00").Amount) {
			t.Fatalf("refund: %+v %v", res, err)
		}
		// The same key, even after a restart, answers the same refund and refunds nothing more.
		again, err := MustOpen(t, dir, clk).Refund(ctx, payments.RefundRequest{IdempotencyKey: "refund-1", ChargeReference: ch.Reference, Amount: aud("55.00")})
		if err != nil || again.Reference != res.Reference {
			t.Fatalf("repeated refund: %+v %v, want %s", again, err, res.Reference)
		}
	})
	t.Run("ErrMoreThanLeft", func(t *testing.T) {
		if _, err := refund("refund-2", "55.01"); !errors.Is(err, payments.ErrRefundRefused) {
			t.Fatalf("refund of more than is left: %v, want refused", err)
		}
		if _, err := refund("refund-3", "55.00"); err != nil {
			t.Fatalf("refund of the rest: %v", err)
		}
	})
	t.Run("ErrUnknownCharge", func(t *testing.T) {
		_, err := g.Refund(ctx, payments.RefundRequest{IdempotencyKey: "refund-4", ChargeReference: "ch_nope", Amount: aud("1.00")})
		if !errors.Is(err, payments.ErrRefundRefused) {
			t.Fatalf("refund of an unknown charge: %v, want refused", err)
		}
	})
	t.Run("ErrDeclinedCharge", func(t *testing.T) {
		bad := MustCharge(t, g, "attempt-2", sandbox.TokenCardDeclined)
		_, err := g.Refund(ctx, payments.RefundRequest{IdempotencyKey: "refund-5", ChargeReference: bad.Reference, Amount: aud("1.00")})
		if !errors.Is(err, payments.ErrRefundRefused) {
			t.Fatalf("refund of a declined charge: %v, want refused", err)
		}
	})
}

func TestDisputes(t *testing.T) {
	clk := &clock{now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	g := MustOpen(t, t.TempDir(), clk)
	ctx := context.Background()
	lost := MustCharge(t, g, "attempt-1", sandbox.TokenCardDisputed)
	won := MustCharge(t, g, "attempt-2", sandbox.TokenCardDisputeWon)
	MustCharge(t, g, "attempt-3", sandbox.TokenCardSucceeds)
	// A card captured on the hosted page (4000 0000 0000 0259) has its own token.
	captured := MustCharge(t, g, "attempt-4", sandbox.TokenCardDisputed+"__3f9a")
	if lost.Status != payments.StatusSucceeded || won.Status != payments.StatusSucceeded {
		t.Fatalf("disputed cards are charged first: %+v %+v", lost, won)
	}
	list := func() []payments.Dispute {
		t.Helper()
		ds, err := g.Disputes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	if ds := list(); len(ds) != 0 {
		t.Fatalf("disputes on the day of the charge: %+v", ds)
	}
	clk.add(sandbox.DisputeOpenDays * 24 * time.Hour)
	ds := list()
	if len(ds) != 3 || ds[2].ChargeReference != captured.Reference || ds[0].ChargeReference != lost.Reference || ds[0].Status != payments.DisputeOpen || !ds[0].Amount.Amount.Equal(aud("110.00").Amount) || ds[0].Reason != "fraudulent" {
		t.Fatalf("open disputes: %+v", ds)
	}
	if _, err := g.Refund(ctx, payments.RefundRequest{IdempotencyKey: "r", ChargeReference: lost.Reference, Amount: aud("1.00")}); !errors.Is(err, payments.ErrRefundRefused) {
		t.Fatalf("refund of a disputed charge: %v, want refused", err)
	}
	clk.add((sandbox.DisputeCloseDays - sandbox.DisputeOpenDays) * 24 * time.Hour)
	ds = list()
	if ds[0].Status != payments.DisputeLost || !ds[0].Fee.Amount.Equal(sandbox.DisputeFee) || ds[1].Status != payments.DisputeWon || !ds[1].Fee.IsZero() || ds[2].Status != payments.DisputeLost {
		t.Fatalf("closed disputes: %+v", ds)
	}
	if ds[0].Reference != list()[0].Reference {
		t.Fatal("a dispute's reference changes between listings")
	}
}
