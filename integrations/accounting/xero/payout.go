package xero

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"remit/integrations/accounting"
)

// The bank transfer and bank transaction as Remit sends and reads them.

type xBankTransfer struct {
	BankTransferID  string      `json:",omitempty"`
	FromBankAccount *xAccount   `json:",omitempty"`
	ToBankAccount   *xAccount   `json:",omitempty"`
	Amount          json.Number `json:",omitempty"`
	Date            string      `json:",omitempty"`
	Reference       string      `json:",omitempty"`
	Status          string      `json:",omitempty"`
}

type xBankTransfers struct {
	BankTransfers []xBankTransfer
}

type xBankTransaction struct {
	BankTransactionID string      `json:",omitempty"`
	Type              string      `json:",omitempty"`
	Contact           *xContact   `json:",omitempty"`
	BankAccount       *xAccount   `json:",omitempty"`
	LineItems         []xLine     `json:",omitempty"`
	Date              string      `json:",omitempty"`
	Reference         string      `json:",omitempty"`
	CurrencyCode      string      `json:",omitempty"`
	LineAmountTypes   string      `json:",omitempty"`
	Status            string      `json:",omitempty"`
	Total             json.Number `json:",omitempty"`
}

type xBankTransactions struct {
	BankTransactions []xBankTransaction
}

// payoutReference is a payout document's Reference in Xero: the gateway's
// payout reference for people, Remit's document id to find it again.
func payoutReference(gatewayRef string, id uuid.UUID) string {
	if gatewayRef == "" {
		return id.String()
	}
	return gatewayRef + " " + id.String()
}

// PushTransfer records a payout as a bank transfer (PUT /BankTransfers)
// from the clearing account to the bank account, once per Transfer.ID (in
// its Reference). Both accounts must be bank accounts in Xero: the clearing
// account is the gateway's own bank account there (a "Stripe" account).
func (l *Ledger) PushTransfer(ctx context.Context, t accounting.Transfer) (accounting.Ack, error) {
	switch {
	case t.ID == uuid.Nil:
		return accounting.Ack{}, invalid("a transfer without an id cannot be pushed")
	case t.FromAccount == "" || t.ToAccount == "":
		return accounting.Ack{}, invalid("payout %s: the clearing and the bank account must both be mapped", t.Reference)
	case !t.Amount.Amount.IsPositive():
		return accounting.Ack{}, invalid("payout %s: the amount %s is not positive", t.Reference, t.Amount)
	}
	ref := payoutReference(t.Reference, t.ID)
	q := url.Values{"where": {`Reference=="` + ref + `"`}}
	var found xBankTransfers
	if err := l.call(ctx, http.MethodGet, "/BankTransfers", q, nil, "", &found); err != nil {
		return accounting.Ack{}, err
	}
	for _, f := range found.BankTransfers {
		if f.Reference == ref && f.Status != "DELETED" {
			return accounting.Ack{LedgerID: f.BankTransferID, Existing: true}, nil
		}
	}
	body := xBankTransfers{BankTransfers: []xBankTransfer{{
		FromBankAccount: &xAccount{Code: t.FromAccount},
		ToBankAccount:   &xAccount{Code: t.ToAccount},
		Amount:          num(t.Amount.Amount),
		Date:            t.Date.String(),
		Reference:       ref,
	}}}
	var out xBankTransfers
	if err := l.call(ctx, http.MethodPut, "/BankTransfers", nil, body, idempotencyKey("transfer", t.ID.String(), body), &out); err != nil {
		return accounting.Ack{}, err
	}
	if len(out.BankTransfers) != 1 || out.BankTransfers[0].BankTransferID == "" {
		return accounting.Ack{}, &accounting.Error{Message: "Xero's answer to the bank transfer holds no bank transfer id"}
	}
	return accounting.Ack{LedgerID: out.BankTransfers[0].BankTransferID}, nil
}

// PushExpense records a payout's fees as a SPEND bank transaction (PUT
// /BankTransactions) from the clearing account, its one line to the fees
// expense account without tax, paid to the gateway as the contact (Xero
// matches the contact by name, or creates it); once per Expense.ID.
func (l *Ledger) PushExpense(ctx context.Context, e accounting.Expense) (accounting.Ack, error) {
	switch {
	case e.ID == uuid.Nil:
		return accounting.Ack{}, invalid("an expense without an id cannot be pushed")
	case e.FromAccount == "" || e.ExpenseAccount == "":
		return accounting.Ack{}, invalid("fees of payout %s: the clearing and the fees account must both be mapped", e.Reference)
	case !e.Amount.Amount.IsPositive():
		return accounting.Ack{}, invalid("fees of payout %s: the amount %s is not positive", e.Reference, e.Amount)
	}
	ref := payoutReference(e.Reference, e.ID)
	q := url.Values{"where": {`Type=="SPEND" AND Reference=="` + ref + `"`}}
	var found xBankTransactions
	if err := l.call(ctx, http.MethodGet, "/BankTransactions", q, nil, "", &found); err != nil {
		return accounting.Ack{}, err
	}
	for _, f := range found.BankTransactions {
		if f.Reference == ref && f.Status != "DELETED" && f.Status != "VOIDED" {
			return accounting.Ack{LedgerID: f.BankTransactionID, Existing: true}, nil
		}
	}
	payee := e.Payee
	if payee == "" {
		payee = "Payment gateway"
	}
	body := xBankTransactions{BankTransactions: []xBankTransaction{{
		Type:            "SPEND",
		Contact:         &xContact{Name: payee},
		BankAccount:     &xAccount{Code: e.FromAccount},
		LineItems:       []xLine{{Description: e.Description, Quantity: "1", UnitAmount: num(e.Amount.Amount), AccountCode: e.ExpenseAccount}},
		Date:            e.Date.String(),
		Reference:       ref,
		CurrencyCode:    e.Amount.Currency.Code,
		LineAmountTypes: "NoTax",
		Status:          "AUTHORISED",
	}}}
	got, err := l.putBankTransaction(ctx, "spend", e.ID.String(), body, "the bank transaction")
	if err != nil {
		return accounting.Ack{}, err
	}
	if total, err := dec(got.Total); err == nil && got.Total != "" && !total.Equal(e.Amount.Amount) {
		return accounting.Ack{LedgerID: got.BankTransactionID}, &accounting.Error{Message: "Xero totals the fees of payout " + e.Reference + " at " + total.String() + ", Remit at " + e.Amount.Amount.String()}
	}
	return accounting.Ack{LedgerID: got.BankTransactionID}, nil
}

var _ accounting.PayoutLedger = (*Ledger)(nil)

// putBankTransaction creates one bank transaction (spend or receive money)
// with an idempotency key made of kind, id and the body, and answers it as
// Xero made it; what names it in the error of an answer without an id.
func (l *Ledger) putBankTransaction(ctx context.Context, kind, id string, body xBankTransactions, what string) (xBankTransaction, error) {
	var out xBankTransactions
	if err := l.call(ctx, http.MethodPut, "/BankTransactions", nil, body, idempotencyKey(kind, id, body), &out); err != nil {
		return xBankTransaction{}, err
	}
	if len(out.BankTransactions) != 1 || out.BankTransactions[0].BankTransactionID == "" {
		return xBankTransaction{}, &accounting.Error{Message: "Xero's answer to " + what + " holds no bank transaction id"}
	}
	return out.BankTransactions[0], nil
}
