package payout_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/payout"
)

var now = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

var decider = decidertest.Decider[payout.State, payout.Command]{Fold: payout.Fold, Decide: payout.Decide, ByJSON: true}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func record() payout.Record {
	inv := uuid.MustParse("7a0c5a8e-1b2c-4d3e-8f40-5a6b7c8d9e0f")
	return payout.Record{
		Gateway: "sandbox", Reference: "po_sandbox_20260302_aud", Currency: domain.MustCurrency("AUD"),
		Amount: d("187.98"), ArrivalDate: domain.MustDate(2026, 3, 4), Status: payout.StatusPaid, Now: now,
		Lines: []payout.Line{
			{Kind: payout.KindCharge, Reference: "ch_1", InvoiceID: inv, Gross: d("110.00"), Fee: d("2.23"), Net: d("107.77")},
			{Kind: payout.KindCharge, Reference: "ch_2", Gross: d("88.00"), Fee: d("1.79"), Net: d("86.21")},
			{Kind: payout.KindRefund, Reference: "re_1", Gross: d("-6.00"), Fee: d("0"), Net: d("-6.00")},
		},
	}
}

func recorded() payout.PayoutRecorded {
	c := record()
	return payout.PayoutRecorded{
		PayoutID: payout.ID(c.Gateway, c.Reference), Gateway: c.Gateway, Reference: c.Reference, Currency: c.Currency,
		Amount: c.Amount, Fees: d("4.02"), ArrivalDate: c.ArrivalDate, Status: c.Status, Lines: c.Lines, At: now,
	}
}

func TestIDIsDeterministic(t *testing.T) {
	if a, b := payout.ID("stripe", "po_1"), payout.ID("stripe", "po_1"); a != b {
		t.Error("the same payout gave two ids")
	}
	if payout.ID("stripe", "po_1") == payout.ID("sandbox", "po_1") || payout.ID("stripe", "po_1") == payout.ID("stripe", "po_2") {
		t.Error("different payouts gave the same id")
	}
}

func TestDecide(t *testing.T) {
	r := recorded()
	tamperedFee := record()
	tamperedFee.Lines = append([]payout.Line(nil), tamperedFee.Lines...)
	tamperedFee.Lines[0].Fee = d("1.00")
	wrongSum := record()
	wrongSum.Amount = d("200.00")
	badKind := record()
	badKind.Lines = []payout.Line{{Kind: "tip", Reference: "x", Gross: d("1"), Fee: d("0"), Net: d("1")}}
	badKind.Amount = d("1")
	failed := payout.PayoutFailed{PayoutID: r.PayoutID, Gateway: r.Gateway, Reference: r.Reference, Reason: "account closed", At: now}
	decidertest.Run(t, decider, []decidertest.Case[payout.Command]{
		{Name: "Record/OK", When: record(), Then: []domain.Event{r}},
		{Name: "Record/AlreadyRecorded", Given: []domain.Event{r}, When: record()},
		{Name: "Record/ErrLineDoesNotAddUp", When: tamperedFee, Err: decidertest.ThenErr(domain.EINVALID, "lines.net")},
		{Name: "Record/ErrAmountNotSumOfLines", When: wrongSum, Err: decidertest.ThenErr(domain.EINVALID, "amount")},
		{Name: "Record/ErrUnknownKind", When: badKind, Err: decidertest.ThenErr(domain.EINVALID, "lines.kind")},
		{Name: "Record/ErrNoReference", When: payout.Record{Gateway: "sandbox", Currency: domain.MustCurrency("AUD"), ArrivalDate: domain.MustDate(2026, 3, 4), Status: payout.StatusPaid},
			Err: decidertest.ThenErr(domain.EINVALID, "reference")},
		{Name: "Fail/OK", Given: []domain.Event{r}, When: payout.Fail{Gateway: "sandbox", Reference: r.Reference, Reason: "account closed", Now: now}, Then: []domain.Event{failed}},
		{Name: "Fail/AlreadyFailed", Given: []domain.Event{r, failed}, When: payout.Fail{Gateway: "sandbox", Reference: r.Reference, Now: now}},
		{Name: "Fail/ErrNotRecorded", When: payout.Fail{Gateway: "sandbox", Reference: "po_x", Now: now}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
	})
}

func TestEvolve(t *testing.T) {
	r := recorded()
	s := payout.Fold([]domain.Event{r, payout.PayoutFailed{PayoutID: r.PayoutID, Reason: "closed", At: now}})
	if !s.Recorded || !s.Failed || s.Payout.Status != payout.StatusFailed || len(s.Payout.Lines) != 3 || s.Reason != "closed" {
		t.Errorf("state = %+v", s)
	}
}
