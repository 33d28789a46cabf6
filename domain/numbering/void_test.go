package numbering_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"remit/domain"
	"remit/domain/numbering"
)

func TestVoid(t *testing.T) {
	later := now.Add(numbering.VoidAfter)
	voided := numbering.InvoiceNumberVoided{Number: "INV-000002", Sequence: 2, InvoiceID: invB, Reason: "never issued", At: later}
	reserved := []domain.Event{MustReserved(t, "INV-", 1, invA), MustReserved(t, "INV-", 2, invB)}
	tests := []struct {
		name  string
		given []domain.Event
		when  numbering.Command
		then  []domain.Event
		code  string
		msg   string
	}{
		{name: "OK", given: reserved, when: numbering.Void{InvoiceID: invB, Reason: " never issued ", Now: later}, then: []domain.Event{voided}},
		{name: "OKAgainRecordsNothing", given: append(reserved, voided), when: numbering.Void{InvoiceID: invB, Reason: "again", Now: later.Add(time.Hour)}},
		// The command that reserved it may still be issuing the invoice.
		{name: "ErrTooSoon", given: reserved, when: numbering.Void{InvoiceID: invB, Reason: "never issued", Now: later.Add(-time.Second)}, code: domain.ECONFLICT, msg: "INV-000002"},
		{name: "ErrNoNumber", given: reserved, when: numbering.Void{InvoiceID: invC, Reason: "never issued", Now: later}, code: domain.ENOTFOUND, msg: "no number"},
		{name: "ErrNoReason", given: reserved, when: numbering.Void{InvoiceID: invB, Now: later}, code: domain.EINVALID, msg: "reason"},
		{name: "ErrReasonTooLong", given: reserved, when: numbering.Void{InvoiceID: invB, Reason: strings.Repeat("x", numbering.MaxReasonLength+1), Now: later}, code: domain.EINVALID, msg: "reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := numbering.Decide(numbering.Fold(tt.given), tt.when)
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
