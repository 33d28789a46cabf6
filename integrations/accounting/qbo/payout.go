package qbo

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"remit/domain"
	"remit/integrations/accounting"
)

// The Transfer and Purchase as Remit sends and reads them.

type transfer struct {
	ID             string      `json:"Id,omitempty"`
	FromAccountRef *ref        `json:"FromAccountRef,omitempty"`
	ToAccountRef   *ref        `json:"ToAccountRef,omitempty"`
	Amount         json.Number `json:"Amount"`
	TxnDate        string      `json:"TxnDate,omitempty"`
	PrivateNote    string      `json:"PrivateNote,omitempty"`
}

type accountBasedExpenseLineDetail struct {
	AccountRef ref `json:"AccountRef"`
}

type expenseLine struct {
	Description                   string                         `json:"Description,omitempty"`
	Amount                        json.Number                    `json:"Amount"`
	DetailType                    string                         `json:"DetailType"`
	AccountBasedExpenseLineDetail *accountBasedExpenseLineDetail `json:"AccountBasedExpenseLineDetail,omitempty"`
}

type purchase struct {
	ID          string        `json:"Id,omitempty"`
	PaymentType string        `json:"PaymentType,omitempty"`
	AccountRef  *ref          `json:"AccountRef,omitempty"`
	EntityRef   *ref          `json:"EntityRef,omitempty"`
	CurrencyRef *ref          `json:"CurrencyRef,omitempty"`
	TxnDate     string        `json:"TxnDate,omitempty"`
	PrivateNote string        `json:"PrivateNote,omitempty"`
	Line        []expenseLine `json:"Line,omitempty"`
	TotalAmt    json.Number   `json:"TotalAmt,omitempty"`
}

type bankingQuery struct {
	QueryResponse struct {
		Transfer []transfer `json:"Transfer"`
		Purchase []purchase `json:"Purchase"`
	} `json:"QueryResponse"`
}

// payoutNote is a payout document's PrivateNote: the gateway's reference
// for people and Remit's marker to find it again.
func payoutNote(what, gatewayRef string, id uuid.UUID) string {
	n := what
	if gatewayRef != "" {
		n += " " + gatewayRef
	}
	return truncate(n, 3900) + " " + marker(id)
}

// findBanking finds the transfer or purchase dated date whose note holds
// Remit's marker of id.
func (c *Client) findBanking(ctx context.Context, entity string, date domain.Date, id uuid.UUID) (string, error) {
	var r bankingQuery
	if err := c.call(ctx, http.MethodGet, "/query", url.Values{"query": {"select * from " + entity + " where TxnDate = " + quote(date.String()) + " maxresults 1000"}}, nil, &r); err != nil {
		return "", err
	}
	for _, t := range r.QueryResponse.Transfer {
		if hasMarker(t.PrivateNote, marker(id)) {
			return t.ID, nil
		}
	}
	for _, p := range r.QueryResponse.Purchase {
		if hasMarker(p.PrivateNote, marker(id)) {
			return p.ID, nil
		}
	}
	return "", nil
}

// PushTransfer records a payout as a Transfer from the clearing account to
// the bank account (account ids), once per Transfer.ID: an earlier one is
// found by its date and Remit's marker in its PrivateNote.
func (c *Client) PushTransfer(ctx context.Context, t accounting.Transfer) (accounting.Ack, error) {
	switch {
	case t.ID == uuid.Nil:
		return accounting.Ack{}, permanent("a transfer without an id cannot be pushed")
	case t.FromAccount == "" || t.ToAccount == "":
		return accounting.Ack{}, permanent("payout %s: the clearing and the bank account must both be mapped", t.Reference)
	case !t.Amount.Amount.IsPositive():
		return accounting.Ack{}, permanent("payout %s: amount %s must be positive", t.Reference, t.Amount)
	}
	if id, err := c.findBanking(ctx, "Transfer", t.Date, t.ID); err != nil || id != "" {
		return accounting.Ack{LedgerID: id, Existing: id != ""}, err
	}
	body := transfer{FromAccountRef: &ref{Value: t.FromAccount}, ToAccountRef: &ref{Value: t.ToAccount},
		Amount: num(t.Amount.Amount), TxnDate: t.Date.String(), PrivateNote: payoutNote("Payout", t.Reference, t.ID)}
	var out struct{ Transfer transfer }
	if err := c.create(ctx, "/transfer", t.ID.String(), body, &out); err != nil {
		return accounting.Ack{}, err
	}
	if out.Transfer.ID == "" {
		return accounting.Ack{}, &accounting.Error{Message: "QuickBooks answered the transfer without an id"}
	}
	return accounting.Ack{LedgerID: out.Transfer.ID}, nil
}

// PushExpense records a payout's fees as a Purchase (PaymentType Cash) from
// the clearing account, its one account-based line to the fees expense
// account; once per Expense.ID.
func (c *Client) PushExpense(ctx context.Context, e accounting.Expense) (accounting.Ack, error) {
	switch {
	case e.ID == uuid.Nil:
		return accounting.Ack{}, permanent("an expense without an id cannot be pushed")
	case e.FromAccount == "" || e.ExpenseAccount == "":
		return accounting.Ack{}, permanent("fees of payout %s: the clearing and the fees account must both be mapped", e.Reference)
	case !e.Amount.Amount.IsPositive():
		return accounting.Ack{}, permanent("fees of payout %s: amount %s must be positive", e.Reference, e.Amount)
	}
	if id, err := c.findBanking(ctx, "Purchase", e.Date, e.ID); err != nil || id != "" {
		return accounting.Ack{LedgerID: id, Existing: id != ""}, err
	}
	what := "Fees"
	if e.Payee != "" {
		what = e.Payee + " fees"
	}
	body := purchase{PaymentType: "Cash", AccountRef: &ref{Value: e.FromAccount}, CurrencyRef: &ref{Value: e.Amount.Currency.Code},
		TxnDate: e.Date.String(), PrivateNote: payoutNote(what+", payout", e.Reference, e.ID),
		Line: []expenseLine{{Description: e.Description, Amount: num(e.Amount.Amount), DetailType: "AccountBasedExpenseLineDetail",
			AccountBasedExpenseLineDetail: &accountBasedExpenseLineDetail{AccountRef: ref{Value: e.ExpenseAccount}}}}}
	var out struct{ Purchase purchase }
	if err := c.create(ctx, "/purchase", e.ID.String(), body, &out); err != nil {
		return accounting.Ack{}, err
	}
	got := out.Purchase
	if got.ID == "" {
		return accounting.Ack{}, &accounting.Error{Message: "QuickBooks answered the purchase without an id"}
	}
	if total := dec(got.TotalAmt); got.TotalAmt != "" && !total.Equal(e.Amount.Amount) {
		return accounting.Ack{LedgerID: got.ID}, permanent("QuickBooks totals the fees of payout %s at %s, Remit at %s", e.Reference, total, e.Amount.Amount)
	}
	return accounting.Ack{LedgerID: got.ID}, nil
}

var _ accounting.PayoutLedger = (*Client)(nil)
