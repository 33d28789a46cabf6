package invoice_test

import (
	"testing"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/invoice"
)

const abandonReason = "the request that reserved the number stopped before issuing the invoice"

// exactDecider compares abandonment's events whole (they hold no decimals).
var exactDecider = decidertest.Decider[invoice.State, invoice.Command]{Fold: invoice.Fold, Decide: invoice.Decide}

func abandoned() invoice.InvoiceAbandoned {
	return invoice.InvoiceAbandoned{InvoiceID: invoiceID, Number: "INV-000042", Reason: abandonReason, At: now}
}

func TestAbandon(t *testing.T) {
	abandon := invoice.Abandon{InvoiceID: invoiceID, Number: "INV-000042", Reason: abandonReason, Now: now}
	decidertest.Run(t, exactDecider, []decidertest.Case[invoice.Command]{
		{Name: "OK", When: abandon, Then: []domain.Event{abandoned()}},
		{Name: "OKAgainRecordsNothing", Given: []domain.Event{abandoned()}, When: abandon},
		{Name: "ErrIssued", Given: []domain.Event{MustIssued(t)}, When: abandon, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("was issued")},
		{Name: "ErrNoReason", When: invoice.Abandon{InvoiceID: invoiceID, Number: "INV-000042", Reason: "  ", Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("reason")},
		{Name: "ErrNoNumber", When: invoice.Abandon{InvoiceID: invoiceID, Reason: abandonReason, Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("number")},
		// An abandoned invoice can never be issued: its number is void.
		{Name: "ErrIssueAbandoned", Given: []domain.Event{abandoned()}, When: MustIssue(t), Err: decidertest.ThenErr(domain.ECONFLICT).Saying("INV-000042 was voided")},
	})
}

func TestAbandonedIsNotIssued(t *testing.T) {
	s := invoice.Fold([]domain.Event{abandoned()})
	if s.Issued() || s.AbandonedNumber != "INV-000042" || s.AbandonedReason != abandonReason {
		t.Fatalf("abandoned state %+v", s)
	}
}
