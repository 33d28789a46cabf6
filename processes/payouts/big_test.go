package payouts_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/payout"
	"remit/eventstore"
	"remit/formats/journal"
	"remit/integrations/payments"
	"remit/processes/payouts"
	"remit/projections"
)

// busyDay is a gateway whose one payout settles a big firm's day of card
// charges: more lines than one event of the store can hold (1 MiB).
type busyDay struct {
	payments.Gateway
	lines int
}

func (busyDay) Name() string { return "stripe" }
func (g busyDay) Payouts(context.Context, time.Time) ([]payments.Payout, error) {
	gross, fee := decimal.RequireFromString("110.00"), decimal.RequireFromString("2.23")
	p := payments.Payout{Reference: "po_busy", Currency: domain.MustCurrency("AUD"), ArrivalDate: domain.MustDate(2025, 3, 4), Status: "paid"}
	total := decimal.Zero
	for i := range g.lines {
		p.Lines = append(p.Lines, payments.PayoutLine{Kind: payments.LineCharge, Reference: fmt.Sprintf("ch_3PqR8sLkdIwHu7ix%010d", i),
			BalanceTransaction: fmt.Sprintf("txn_3PqR8sLkdIwHu7ix%010d", i), InvoiceID: uuid.NewSHA1(uuid.Nil, fmt.Appendf(nil, "invoice %d", i)),
			Gross: gross, Fee: fee, Net: gross.Sub(fee)})
		total = total.Add(gross.Sub(fee))
	}
	p.Amount = domain.Money{Amount: total, Currency: p.Currency}
	return []payments.Payout{p}, nil
}

// TestSyncRecordsAPayoutOfThousandsOfCharges: a payout of 6,000 charges
// (about 1.5 MB of lines) is recorded whole, in one append of events each
// under the store's size limit; the Payouts page shows every line and the
// totals, and the journal books the whole fee and every settled charge.
// Recorded as one event, its append was refused for its size.
func TestSyncRecordsAPayoutOfThousandsOfCharges(t *testing.T) {
	ctx := context.Background()
	const n = 6000
	store := MustStore(t)
	gw := busyDay{lines: n}
	if rep := MustSync(t, payouts.Config{Store: store, Gateway: gw}); rep.Recorded != 1 {
		t.Fatalf("report = %+v, want the payout recorded", rep)
	}
	if rep := MustSync(t, payouts.Config{Store: store, Gateway: gw}); rep.Recorded != 0 {
		t.Fatalf("again = %+v, want nothing new", rep)
	}
	id := payout.ID("stripe", "po_busy")
	recs, err := store.ReadStream(ctx, payout.StreamName(id), 0, eventstore.Forward, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantEvents := (n + payout.MaxLinesPerEvent - 1) / payout.MaxLinesPerEvent
	if len(recs) != wantEvents {
		t.Fatalf("%d events on the payout's stream, want %d", len(recs), wantEvents)
	}
	var st payout.State
	for _, r := range recs {
		if len(r.Data) >= eventstore.DefaultMaxEventSize {
			t.Errorf("%s is %d bytes", r.Type, len(r.Data))
		}
		if r.Position-recs[0].Position != r.Revision {
			t.Errorf("%s at %d: not appended with the rest", r.Type, r.Position)
		}
		e, err := catalog.New().Decode(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			t.Fatal(err)
		}
		st = payout.Evolve(st, e)
	}
	if len(st.Payout.Lines) != n || !st.Recorded {
		t.Fatalf("folded payout has %d lines, want %d", len(st.Payout.Lines), n)
	}

	m, _, err := projections.BuildAsOf(ctx, store, projections.Bound{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	v, err := m.Payout(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Lines) != n || v.Charges != n || !v.Gross.Amount.Equal(decimal.NewFromInt(110*n)) || !v.Fees.Amount.Equal(decimal.RequireFromString("13380")) {
		t.Errorf("payout page: %d lines, %d charges, gross %s, fees %s; want %d, %d, %d, 13380", len(v.Lines), v.Charges, v.Gross, v.Fees, n, n, 110*n)
	}
	if last := v.Lines[n-1]; last.Reference != fmt.Sprintf("ch_3PqR8sLkdIwHu7ix%010d", n-1) {
		t.Errorf("last line %+v", last)
	}

	j, err := journal.Build(ctx, store, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diffs := j.Unbalanced(); len(diffs) != 0 {
		t.Fatalf("unbalanced: %v", diffs)
	}
	fees, settled := decimal.Zero, 0
	for _, tx := range j.Transactions {
		for _, p := range tx.Postings {
			if p.Account == journal.AccountPaymentFees {
				fees = fees.Add(p.Amount)
			}
		}
	}
	for _, f := range j.Flows {
		if f.Kind == journal.FlowSettled {
			settled++
		}
	}
	if !fees.Equal(decimal.RequireFromString("13380")) || settled != n {
		t.Errorf("journal: fees %s, %d charges settled; want 13380 (6,000 × 2.23), %d", fees, settled, n)
	}
}
