package projections

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/payout"
)

func TestPayouts(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	ctx := context.Background()
	dec := decimal.RequireFromString
	rec := func(ref string, arrival domain.Date, lines ...payout.Line) payout.PayoutRecorded {
		amount, fees := decimal.Zero, decimal.Zero
		for _, l := range lines {
			amount, fees = amount.Add(l.Net), fees.Add(l.Fee)
		}
		return payout.PayoutRecorded{PayoutID: payout.ID("sandbox", ref), Gateway: "sandbox", Reference: ref, Currency: aud, Amount: amount, Fees: fees,
			ArrivalDate: arrival, Status: payout.StatusPaid, Lines: lines, At: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
	}
	first := rec("po_1", date(2025, 5, 3),
		payout.Line{Kind: payout.KindCharge, Reference: "ch_1", InvoiceID: inv1, Gross: dec("110"), Fee: dec("2.23"), Net: dec("107.77")},
		payout.Line{Kind: payout.KindCharge, Reference: "ch_2", Gross: dec("50"), Fee: dec("1.18"), Net: dec("48.82")},
		payout.Line{Kind: payout.KindRefund, Reference: "re_1", InvoiceID: inv1, Gross: dec("-10"), Fee: dec("0"), Net: dec("-10")})
	second := rec("po_2", date(2025, 5, 4), payout.Line{Kind: payout.KindCharge, Reference: "ch_3", Gross: dec("20"), Fee: dec("0.65"), Net: dec("19.35")})
	e.MustAppend(payout.StreamName(first.PayoutID), "system:payouts", first)
	e.MustAppend(payout.StreamName(second.PayoutID), "system:payouts", second)
	e.MustAppend(payout.StreamName(second.PayoutID), "system:payouts", payout.PayoutFailed{PayoutID: second.PayoutID, Reason: "account closed"})
	m := e.MustModels()

	page, err := m.ListPayouts(ctx, Paging{})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 2 || len(page.Items) != 2 || page.Items[0].Reference != "po_2" || page.Items[1].Reference != "po_1" {
		t.Fatalf("list = %+v, want po_2 then po_1", page)
	}
	if p := page.Items[0]; p.Status != payout.StatusFailed || p.Reason != "account closed" {
		t.Errorf("failed payout listed as %+v", p)
	}
	if p := page.Items[1]; !p.Amount.Equal(aus("146.59")) || !p.Fees.Equal(aus("3.41")) || !p.Gross.Equal(aus("150")) || p.Charges != 2 || p.Refunds != 1 || p.Lines != nil {
		t.Errorf("listed payout %+v", p)
	}
	if page, _ := m.ListPayouts(ctx, Paging{Offset: 1, Limit: 1}); page.Total != 2 || len(page.Items) != 1 || page.Items[0].Reference != "po_1" {
		t.Errorf("second page = %+v", page)
	}

	d, err := m.Payout(ctx, first.PayoutID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Lines) != 3 || d.Lines[0].InvoiceNumber != "INV-000001" || d.Lines[1].InvoiceNumber != "" || !d.Lines[0].Fee.Equal(aus("2.23")) || d.Lines[2].Kind != payout.KindRefund {
		t.Errorf("detail lines = %+v", d.Lines)
	}
	if _, err := m.Payout(ctx, payout.ID("sandbox", "po_none")); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("unknown payout: %v", err)
	}
}
