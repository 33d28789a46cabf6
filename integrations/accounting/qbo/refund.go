package qbo

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"remit/integrations/accounting"
)

// PushRefund records a gateway refund as QuickBooks records refunding a
// credit memo: a check to the customer (a Purchase, PaymentType Check) from
// the clearing account, its one line to Accounts Receivable, then a zero
// Payment applying the credit memo to that check, so the credit memo is
// used and the customer owes nothing. Once per Refund.ID: the check is
// found again by its date and Remit's marker in its PrivateNote, the
// application by the marker with ":apply"; a retry makes what an earlier
// attempt did not.
func (c *Client) PushRefund(ctx context.Context, r accounting.Refund) (accounting.Ack, error) {
	switch {
	case r.ID == uuid.Nil:
		return accounting.Ack{}, permanent("a refund without an id cannot be pushed")
	case r.CreditNoteLedgerID == "":
		return accounting.Ack{}, permanent("refund %s on invoice %s: its credit memo is not in QuickBooks yet", r.Reference, r.InvoiceNumber)
	case r.FromAccount == "" || r.ReceivableAccount == "":
		return accounting.Ack{}, permanent("refund %s on invoice %s: the clearing and the accounts receivable account must both be mapped", r.Reference, r.InvoiceNumber)
	case !r.Amount.Amount.IsPositive():
		return accounting.Ack{}, permanent("refund %s on invoice %s: amount %s must be positive", r.Reference, r.InvoiceNumber, r.Amount)
	}
	cust := r.ContactLedgerID
	if cust == "" {
		var out struct{ CreditMemo txn }
		if err := c.call(ctx, http.MethodGet, "/creditmemo/"+url.PathEscape(r.CreditNoteLedgerID), nil, nil, &out); err != nil {
			return accounting.Ack{}, err
		}
		if cust = refValue(out.CreditMemo.CustomerRef); cust == "" {
			return accounting.Ack{}, permanent("refund %s: credit memo %s has no customer", r.Reference, r.CreditNoteLedgerID)
		}
	}
	checkID, err := c.findBanking(ctx, "Purchase", r.Date, r.ID)
	if err != nil {
		return accounting.Ack{}, err
	}
	existing := checkID != ""
	if !existing {
		body := purchase{PaymentType: "Check", AccountRef: &ref{Value: r.FromAccount}, EntityRef: &ref{Value: cust, Type: "Customer"},
			CurrencyRef: &ref{Value: r.Amount.Currency.Code}, TxnDate: r.Date.String(), PrivateNote: payoutNote("Refund, invoice "+r.InvoiceNumber, r.Reference, r.ID),
			Line: []expenseLine{{Description: "Refund " + r.Reference + ", invoice " + r.InvoiceNumber, Amount: num(r.Amount.Amount), DetailType: "AccountBasedExpenseLineDetail",
				AccountBasedExpenseLineDetail: &accountBasedExpenseLineDetail{AccountRef: ref{Value: r.ReceivableAccount}}}}}
		var out struct{ Purchase purchase }
		if err := c.create(ctx, "/purchase", r.ID.String(), body, &out); err != nil {
			return accounting.Ack{}, err
		}
		if checkID = out.Purchase.ID; checkID == "" {
			return accounting.Ack{}, &accounting.Error{Message: "QuickBooks answered the refund check without an id"}
		}
	}
	ack := accounting.Ack{LedgerID: checkID, ContactID: cust, Existing: existing}
	note := marker(r.ID) + ":apply"
	found, err := c.findPayment(ctx, r.Date, note)
	if err != nil || found != nil {
		return ack, err
	}
	ack.Existing = false
	amt := num(r.Amount.Amount)
	body := payment{CustomerRef: &ref{Value: cust}, CurrencyRef: &ref{Value: r.Amount.Currency.Code}, TotalAmt: "0", TxnDate: r.Date.String(),
		PrivateNote: note,
		Line: []paymentLine{
			{Amount: amt, LinkedTxn: []linkedTxn{{TxnID: checkID, TxnType: "Check"}}},
			{Amount: amt, LinkedTxn: []linkedTxn{{TxnID: r.CreditNoteLedgerID, TxnType: "CreditMemo"}}},
		}}
	if err := c.create(ctx, "/payment", r.ID.String()+"-a", body, nil); err != nil {
		var le *accounting.Error
		if errors.As(err, &le) && !le.Temporary {
			le.Message = "the refund check was made in QuickBooks but the credit memo was not applied to it: " + le.Message
		}
		return ack, err
	}
	return ack, nil
}

var _ accounting.RefundLedger = (*Client)(nil)
