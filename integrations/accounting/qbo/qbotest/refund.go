package qbotest

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// A refund to a customer in QBO is a check (a Purchase, PaymentType Check)
// paid to the customer (EntityRef type Customer) from a bank account, its
// line to Accounts Receivable, applied with the customer's credit memo by a
// zero Payment whose lines link the check (TxnType Check, or Expense for a
// Cash purchase) and the credit memo, as QuickBooks records "refund a
// credit memo".

type appliedCheck struct {
	p   *Purchase
	amt decimal.Decimal
}

// spendable checks a Purchase line's account: one of the company's expense
// accounts, or Accounts Receivable on a purchase paid to a customer.
func (s *Server) spendable(p Purchase, where, account string) *apiFault {
	if has(s.opts.ExpenseAccounts, account) {
		return nil
	}
	if account != s.opts.ReceivableAccount {
		return invalidRef("Account", account)
	}
	if p.EntityRef == nil || p.EntityRef.Type != "Customer" {
		return validation("6000", "A business validation error has occurred while processing your request",
			where+"a line to Accounts Receivable needs the purchase's EntityRef to be a Customer")
	}
	if _, f := s.customer(p.EntityRef); f != nil {
		return f
	}
	return nil
}

// receivable is what a purchase put on a customer's account: its lines to
// Accounts Receivable.
func (s *Server) receivable(p *Purchase) decimal.Decimal {
	sum := decimal.Zero
	for _, l := range p.Line {
		if d := l.AccountBasedExpenseLineDetail; d != nil && d.AccountRef != nil && d.AccountRef.Value == s.opts.ReceivableAccount && l.Amount != nil {
			amt, _ := number("Amount", l.Amount)
			sum = sum.Add(amt)
		}
	}
	return sum
}

// refundCheck finds the check a payment line links and checks it: a
// purchase of the payment's customer, of the linked type, with amt at most
// what it put on the customer's account and no payment applied yet.
func (s *Server) refundCheck(where string, lt LinkedTxn, customerID string, amt decimal.Decimal) (*Purchase, *apiFault) {
	var pu *Purchase
	for _, x := range s.purchases {
		if x.ID == lt.TxnID {
			pu = x
		}
	}
	if pu == nil {
		return nil, invalidRef(lt.TxnType, lt.TxnID)
	}
	if want := map[string]string{"Check": "Check", "Expense": "Cash"}[lt.TxnType]; pu.PaymentType != want {
		return nil, validation("6000", "A business validation error has occurred while processing your request",
			fmt.Sprintf("%sLinkedTxn %s %s is a %s purchase", where, lt.TxnType, pu.ID, pu.PaymentType))
	}
	if pu.EntityRef == nil || pu.EntityRef.Value != customerID {
		return nil, validation("6000", "A business validation error has occurred while processing your request",
			where+lt.TxnType+" "+pu.ID+" belongs to another customer")
	}
	left := s.receivable(pu).Sub(s.checkApplied[pu.ID])
	if !amt.IsPositive() || amt.GreaterThan(left) {
		return nil, validation("6000", "A business validation error has occurred while processing your request",
			fmt.Sprintf("%sAmount %s is more than the %s left open on %s %s", where, amt, left, lt.TxnType, pu.ID))
	}
	return pu, nil
}

func (s *Server) applyChecks(checks []appliedCheck) {
	if s.checkApplied == nil {
		s.checkApplied = map[string]decimal.Decimal{}
	}
	for _, c := range checks {
		s.checkApplied[c.p.ID] = s.checkApplied[c.p.ID].Add(c.amt)
	}
}

// CheckApplied is how much of a check payments applied.
func (s *Server) CheckApplied(id string) decimal.Decimal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checkApplied[id]
}
