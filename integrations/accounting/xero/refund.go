package xero

import (
	"context"
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"remit/integrations/accounting"
)

type xCreditNoteRef struct {
	CreditNoteID string `json:",omitempty"`
}

// PushRefund records a gateway refund as Xero records a cash refund of a
// credit note: a payment (PUT /Payments) against the ACCRECCREDIT credit
// note, out of the clearing account, for the refunded amount; once per
// Refund.ID, found again by its Reference (the gateway's refund reference and
// Remit's document id, as payouts are).
func (l *Ledger) PushRefund(ctx context.Context, r accounting.Refund) (accounting.Ack, error) {
	switch {
	case r.ID == uuid.Nil:
		return accounting.Ack{}, invalid("a refund without an id cannot be pushed")
	case r.CreditNoteLedgerID == "":
		return accounting.Ack{}, invalid("refund %s on invoice %s: its credit note is not in Xero yet", r.Reference, r.InvoiceNumber)
	case r.FromAccount == "":
		return accounting.Ack{}, invalid("refund %s on invoice %s: no clearing account is mapped", r.Reference, r.InvoiceNumber)
	case !r.Amount.Amount.IsPositive():
		return accounting.Ack{}, invalid("refund %s on invoice %s: the amount %s is not positive", r.Reference, r.InvoiceNumber, r.Amount)
	}
	ref := payoutReference(r.Reference, r.ID)
	q := url.Values{"where": {`Reference=="` + ref + `"`}}
	var found xPayments
	if err := l.call(ctx, http.MethodGet, "/Payments", q, nil, "", &found); err != nil {
		return accounting.Ack{}, err
	}
	for _, fp := range found.Payments {
		if fp.Reference == ref && fp.Status != "DELETED" {
			return accounting.Ack{LedgerID: fp.PaymentID, ContactID: r.ContactLedgerID, Existing: true}, nil
		}
	}
	body := xPayments{Payments: []xPayment{{
		CreditNote: &xCreditNoteRef{CreditNoteID: r.CreditNoteLedgerID},
		Account:    &xAccount{Code: r.FromAccount},
		Date:       r.Date.String(),
		Amount:     num(r.Amount.Amount),
		Reference:  ref,
	}}}
	var out xPayments
	if err := l.call(ctx, http.MethodPut, "/Payments", nil, body, idempotencyKey("refund", r.ID.String(), body), &out); err != nil {
		return accounting.Ack{}, err
	}
	if len(out.Payments) != 1 || out.Payments[0].PaymentID == "" {
		return accounting.Ack{}, &accounting.Error{Message: "Xero's answer to the refund holds no payment id"}
	}
	return accounting.Ack{LedgerID: out.Payments[0].PaymentID, ContactID: r.ContactLedgerID}, nil
}

var _ accounting.RefundLedger = (*Ledger)(nil)
