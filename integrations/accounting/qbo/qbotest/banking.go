package qbotest

import (
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"
)

// AccountBasedExpenseLineDetail is an expense line's account.
type AccountBasedExpenseLineDetail struct {
	AccountRef *Ref `json:"AccountRef,omitempty"`
	TaxCodeRef *Ref `json:"TaxCodeRef,omitempty"`
}

// ExpenseLine is a Purchase's line.
type ExpenseLine struct {
	ID                            string                         `json:"Id,omitempty"`
	Description                   string                         `json:"Description,omitempty"`
	Amount                        *json.Number                   `json:"Amount,omitempty"`
	DetailType                    string                         `json:"DetailType,omitempty"`
	AccountBasedExpenseLineDetail *AccountBasedExpenseLineDetail `json:"AccountBasedExpenseLineDetail,omitempty"`
}

// Transfer is QBO's Transfer: money moved between two of the company's
// balance-sheet accounts.
type Transfer struct {
	ID             string       `json:"Id,omitempty"`
	SyncToken      string       `json:"SyncToken,omitempty"`
	FromAccountRef *Ref         `json:"FromAccountRef,omitempty"`
	ToAccountRef   *Ref         `json:"ToAccountRef,omitempty"`
	Amount         *json.Number `json:"Amount,omitempty"`
	TxnDate        string       `json:"TxnDate,omitempty"`
	PrivateNote    string       `json:"PrivateNote,omitempty"`
	MetaData       *MetaData    `json:"MetaData,omitempty"`
}

// Purchase is QBO's Purchase (an expense): money spent from an account.
type Purchase struct {
	ID          string        `json:"Id,omitempty"`
	SyncToken   string        `json:"SyncToken,omitempty"`
	PaymentType string        `json:"PaymentType,omitempty"`
	AccountRef  *Ref          `json:"AccountRef,omitempty"`
	EntityRef   *Ref          `json:"EntityRef,omitempty"`
	CurrencyRef *Ref          `json:"CurrencyRef,omitempty"`
	TxnDate     string        `json:"TxnDate,omitempty"`
	DocNumber   string        `json:"DocNumber,omitempty"`
	PrivateNote string        `json:"PrivateNote,omitempty"`
	Line        []ExpenseLine `json:"Line,omitempty"`
	TotalAmt    *json.Number  `json:"TotalAmt,omitempty"`
	Credit      *bool         `json:"Credit,omitempty"`
	MetaData    *MetaData     `json:"MetaData,omitempty"`
}

// Transfers and Purchases return copies of the company's transfers and
// purchases.
func (s *Server) Transfers() []Transfer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyAll(s.transfers)
}

func (s *Server) Purchases() []Purchase {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyAll(s.purchases)
}

// createTransfer checks a Transfer as QBO documents it: both account refs
// (different accounts of the company's), a positive Amount, a valid date.
func (s *Server) createTransfer(t Transfer) (any, *apiFault) {
	if t.ID != "" {
		return nil, validation("2010", "Request has invalid or unsupported property", "Id is read-only on create")
	}
	if t.FromAccountRef == nil || t.FromAccountRef.Value == "" {
		return nil, required("FromAccountRef")
	}
	if t.ToAccountRef == nil || t.ToAccountRef.Value == "" {
		return nil, required("ToAccountRef")
	}
	for _, r := range []*Ref{t.FromAccountRef, t.ToAccountRef} {
		if !has(s.opts.Accounts, r.Value) {
			return nil, invalidRef("Account", r.Value)
		}
	}
	if t.FromAccountRef.Value == t.ToAccountRef.Value {
		return nil, validation("6000", "A business validation error has occurred while processing your request", "a transfer needs two different accounts")
	}
	if t.Amount == nil {
		return nil, required("Amount")
	}
	amt, f := number("Amount", t.Amount)
	if f != nil {
		return nil, f
	}
	if !amt.IsPositive() {
		return nil, validation("6000", "A business validation error has occurred while processing your request", "Amount must be positive")
	}
	if f := checkDate("TxnDate", t.TxnDate); f != nil {
		return nil, f
	}
	t.ID, t.SyncToken = s.newID(), "0"
	t.MetaData = &MetaData{CreateTime: now(), LastUpdatedTime: now()}
	s.transfers = append(s.transfers, &t)
	return map[string]any{"Transfer": t, "time": now()}, nil
}

// createPurchase checks a Purchase: PaymentType Cash, Check or CreditCard,
// the paying account one of the company's, account-based expense lines to
// its expense accounts; TotalAmt is the sum of the lines.
func (s *Server) createPurchase(p Purchase) (any, *apiFault) {
	if p.ID != "" || p.TotalAmt != nil {
		return nil, validation("2010", "Request has invalid or unsupported property", "Id and TotalAmt are read-only on create")
	}
	switch p.PaymentType {
	case "":
		return nil, required("PaymentType")
	case "Cash", "Check", "CreditCard":
	default:
		return nil, validation("2010", "Request has invalid or unsupported property", "PaymentType "+p.PaymentType+" is not Cash, Check or CreditCard")
	}
	if p.AccountRef == nil || p.AccountRef.Value == "" {
		return nil, required("AccountRef")
	}
	if !has(s.opts.Accounts, p.AccountRef.Value) {
		return nil, invalidRef("Account", p.AccountRef.Value)
	}
	if f := checkDate("TxnDate", p.TxnDate); f != nil {
		return nil, f
	}
	if len(p.Line) == 0 {
		return nil, required("Line")
	}
	total := decimal.Zero
	for i, l := range p.Line {
		where := fmt.Sprintf("Line[%d].", i)
		if l.DetailType != "AccountBasedExpenseLineDetail" {
			return nil, validation("2010", "Request has invalid or unsupported property", where+"DetailType must be AccountBasedExpenseLineDetail here")
		}
		d := l.AccountBasedExpenseLineDetail
		if d == nil || d.AccountRef == nil || d.AccountRef.Value == "" {
			return nil, required(where + "AccountBasedExpenseLineDetail.AccountRef")
		}
		if f := s.spendable(p, where, d.AccountRef.Value); f != nil {
			return nil, f
		}
		if l.Amount == nil {
			return nil, required(where + "Amount")
		}
		amt, f := number(where+"Amount", l.Amount)
		if f != nil {
			return nil, f
		}
		total = total.Add(amt)
		p.Line[i].ID = fmt.Sprint(i + 1)
	}
	p.ID, p.SyncToken, p.TotalAmt = s.newID(), "0", numOf(total)
	p.MetaData = &MetaData{CreateTime: now(), LastUpdatedTime: now()}
	if p.CurrencyRef == nil {
		p.CurrencyRef = &Ref{Value: "USD"}
	}
	s.purchases = append(s.purchases, &p)
	return map[string]any{"Purchase": p, "time": now()}, nil
}

// queryBanking finds the transfers or purchases a query selects.
func (s *Server) queryBanking(entity string, match func(get func(string) string) bool) []any {
	var found []any
	switch entity {
	case "Transfer":
		for _, t := range s.transfers {
			if match(func(f string) string { return map[string]string{"Id": t.ID, "TxnDate": t.TxnDate}[f] }) {
				found = append(found, t)
			}
		}
	case "Purchase":
		for _, p := range s.purchases {
			if match(func(f string) string { return map[string]string{"Id": p.ID, "TxnDate": p.TxnDate}[f] }) {
				found = append(found, p)
			}
		}
	}
	return found
}
