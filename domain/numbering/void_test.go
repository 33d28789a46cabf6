package numbering_test

import (
	"strings"
	"testing"
	"time"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/numbering"
)

func TestVoid(t *testing.T) {
	later := now.Add(numbering.VoidAfter)
	voided := numbering.InvoiceNumberVoided{Number: "INV-000002", Sequence: 2, InvoiceID: invB, Reason: "never issued", At: later}
	reserved := []domain.Event{MustReserved(t, "INV-", 1, invA), MustReserved(t, "INV-", 2, invB)}
	decidertest.Run(t, decider, []decidertest.Case[numbering.Command]{
		{Name: "OK", Given: reserved, When: numbering.Void{InvoiceID: invB, Reason: " never issued ", Now: later}, Then: []domain.Event{voided}},
		{Name: "OKAgainRecordsNothing", Given: append(reserved, voided), When: numbering.Void{InvoiceID: invB, Reason: "again", Now: later.Add(time.Hour)}},
		// The command that reserved it may still be issuing the invoice.
		{Name: "ErrTooSoon", Given: reserved, When: numbering.Void{InvoiceID: invB, Reason: "never issued", Now: later.Add(-time.Second)}, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("INV-000002")},
		{Name: "ErrNoNumber", Given: reserved, When: numbering.Void{InvoiceID: invC, Reason: "never issued", Now: later}, Err: decidertest.ThenErr(domain.ENOTFOUND).Saying("no number")},
		{Name: "ErrNoReason", Given: reserved, When: numbering.Void{InvoiceID: invB, Now: later}, Err: decidertest.ThenErr(domain.EINVALID).Saying("reason")},
		{Name: "ErrReasonTooLong", Given: reserved, When: numbering.Void{InvoiceID: invB, Reason: strings.Repeat("x", numbering.MaxReasonLength+1), Now: later}, Err: decidertest.ThenErr(domain.EINVALID).Saying("reason")},
	})
}

// TestVoidedNumberStaysGiven: a voided number is not given again; the next
// reservation takes the next sequence.
func TestVoidedNumberStaysGiven(t *testing.T) {
	s := numbering.Fold([]domain.Event{MustReserved(t, "INV-", 1, invA),
		numbering.InvoiceNumberVoided{Number: "INV-000001", Sequence: 1, InvoiceID: invA, Reason: "never issued", At: now}})
	if r, ok := s.NumberOf(invA); !ok || !r.Voided || r.Number != "INV-000001" {
		t.Fatalf("NumberOf after void: %+v, %v", r, ok)
	}
	got, err := numbering.Decide(s, numbering.Reserve{InvoiceID: invB, Prefix: "INV-", Now: now})
	if err != nil || len(got) != 1 || got[0].(numbering.InvoiceNumberReserved).Sequence != 2 {
		t.Fatalf("next reservation %v, %v; want sequence 2", got, err)
	}
}
