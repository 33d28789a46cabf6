package xero

import (
	"context"
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"remit/integrations/accounting"
)

// PushDisputeMove records a dispute's withdrawal as a SPEND bank transaction
// from the clearing account (a won dispute's return as a RECEIVE into it),
// its one line to the disputes account without tax, the client as the
// contact; once per DisputeMove.ID, found again by Type and Reference (the
// gateway's dispute reference and Remit's document id).
func (l *Ledger) PushDisputeMove(ctx context.Context, m accounting.DisputeMove) (accounting.Ack, error) {
	switch {
	case m.ID == uuid.Nil:
		return accounting.Ack{}, invalid("a dispute without an id cannot be pushed")
	case m.ClearingAccount == "" || m.DisputesAccount == "":
		return accounting.Ack{}, invalid("dispute %s: the clearing and the disputes account must both be mapped", m.Reference)
	case !m.Amount.Amount.IsPositive():
		return accounting.Ack{}, invalid("dispute %s: the amount %s is not positive", m.Reference, m.Amount)
	}
	typ := "SPEND"
	if m.Back {
		typ = "RECEIVE"
	}
	ref := payoutReference(m.Reference, m.ID)
	q := url.Values{"where": {`Type=="` + typ + `" AND Reference=="` + ref + `"`}}
	var found xBankTransactions
	if err := l.call(ctx, http.MethodGet, "/BankTransactions", q, nil, "", &found); err != nil {
		return accounting.Ack{}, err
	}
	for _, f := range found.BankTransactions {
		if f.Reference == ref && f.Status != "DELETED" && f.Status != "VOIDED" {
			return accounting.Ack{LedgerID: f.BankTransactionID, Existing: true}, nil
		}
	}
	contact := &xContact{ContactID: m.Contact.LedgerID}
	if contact.ContactID == "" {
		contact = &xContact{Name: m.Contact.Name}
	}
	body := xBankTransactions{BankTransactions: []xBankTransaction{{
		Type:            typ,
		Contact:         contact,
		BankAccount:     &xAccount{Code: m.ClearingAccount},
		LineItems:       []xLine{{Description: m.Description, Quantity: "1", UnitAmount: num(m.Amount.Amount), AccountCode: m.DisputesAccount}},
		Date:            m.Date.String(),
		Reference:       ref,
		CurrencyCode:    m.Amount.Currency.Code,
		LineAmountTypes: "NoTax",
		Status:          "AUTHORISED",
	}}}
	got, err := l.putBankTransaction(ctx, "dispute", m.ID.String(), body, "the dispute's bank transaction")
	if err != nil {
		return accounting.Ack{}, err
	}
	return accounting.Ack{LedgerID: got.BankTransactionID}, nil
}

var _ accounting.DisputeLedger = (*Ledger)(nil)
