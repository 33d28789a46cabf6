package pdf_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/invoice"
	"remit/formats/pdf"
)

// TestInvoiceShowsCardSurcharge: an invoice paid by card with a 1.5 %
// surcharge shows the surcharge as its own line, taxed, in its totals, and
// nothing due.
func TestInvoiceShowsCardSurcharge(t *testing.T) {
	e, f, c := sample(t)
	st := invoice.Fold([]domain.Event{e})
	attempt := uuid.New()
	sur := invoice.Surcharge{Kind: invoice.SurchargeCard, Percent: decidertest.Dec("1.5"), TaxRate: decidertest.Dec("10")}
	events, err := invoice.Decide(st, invoice.RecordCollectionAttempt{AttemptID: attempt, Outcome: invoice.AttemptSucceeded, GatewayReference: "ch_1",
		Amount: st.SurchargedAmount(attempt, sur), Surcharge: &sur, Now: e.At})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		st = invoice.Evolve(st, ev)
	}
	text := Text(t, pdf.FromDetail(detailOf(st), f, c))
	// 1,622.50 × 1.5 % = 24.34 (24.3375), + 2.43 tax; total 1,649.27.
	for _, want := range []string{"Card surcharge (1.50%)", "24.34", "2.43", "1,649.27 AUD"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF does not show %q; its text:\n%s", want, text)
		}
	}
}
