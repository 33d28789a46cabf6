package invoice_test

import (
	"reflect"
	"strings"
	"testing"

	"remit/domain"
	"remit/domain/invoice"
)

const abandonReason = "the request that reserved the number stopped before issuing the invoice"

func abandoned() invoice.InvoiceAbandoned {
	return invoice.InvoiceAbandoned{InvoiceID: invoiceID, Number: "INV-000042", Reason: abandonReason, At: now}
}

func TestAbandon(t *testing.T) {
	abandon := invoice.Abandon{InvoiceID: invoiceID, Number: "INV-000042", Reason: abandonReason, Now: now}
	tests := []struct {
		name  string
		given []domain.Event
		when  invoice.Command
		then  []domain.Event
		code  string
		msg   string
	}{
		{name: "OK", when: abandon, then: []domain.Event{abandoned()}},
		{name: "OKAgainRecordsNothing", given: []domain.Event{abandoned()}, when: abandon},
		{name: "ErrIssued", given: []domain.Event{MustIssued(t)}, when: abandon, code: domain.ECONFLICT, msg: "was issued"},
		{name: "ErrNoReason", when: invoice.Abandon{InvoiceID: invoiceID, Number: "INV-000042", Reason: "  ", Now: now}, code: domain.EINVALID, msg: "reason"},
		{name: "ErrNoNumber", when: invoice.Abandon{InvoiceID: invoiceID, Reason: abandonReason, Now: now}, code: domain.EINVALID, msg: "number"},
		// An abandoned invoice can never be issued: its number is void.
		{name: "ErrIssueAbandoned", given: []domain.Event{abandoned()}, when: MustIssue(t), code: domain.ECONFLICT, msg: "INV-000042 was voided"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := invoice.Decide(invoice.Fold(tt.given), tt.when)
			if code := domain.ErrorCode(err); code != tt.code {
				t.Fatalf("error %v (code %q), want code %q", err, code, tt.code)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.msg) || len(got) != 0 {
					t.Fatalf("refusal %q with events %v, want %q and no events", err, got, tt.msg)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.then) {
				t.Fatalf("got %+v, want %+v", got, tt.then)
			}
		})
	}
}

func TestAbandonedIsNotIssued(t *testing.T) {
	s := invoice.Fold([]domain.Event{abandoned()})
	if s.Issued() || s.AbandonedNumber != "INV-000042" || s.AbandonedReason != abandonReason {
		t.Fatalf("abandoned state %+v", s)
	}
}
