package xerotest

import (
	"github.com/google/uuid"
)

// refundCreditNote makes a payment against a sales credit note (a cash
// refund of the credit, PaymentType ARCREDITPAYMENT) as Xero does: the
// credit note AUTHORISED, the account a bank account (or one taking
// payments), the amount positive and at most the credit note's remaining
// credit, which it lowers (PAID at zero). It answers the payment, or Xero's
// validation message.
func (s *Server) refundCreditNote(p obj) (obj, string) {
	ref, _ := p["CreditNote"].(map[string]any)
	cn := find(s.creditNotes, "CreditNoteID", str(ref["CreditNoteID"]))
	if cn == nil {
		return nil, "The credit note for this payment could not be found"
	}
	if _, both := p["Invoice"]; both {
		return nil, "A payment can be applied to an invoice or a credit note, not both"
	}
	if cn["Status"] != "AUTHORISED" {
		return nil, "Payment cannot be applied to a credit note with a status of " + str(cn["Status"])
	}
	acc, _ := p["Account"].(map[string]any)
	account := find(s.accounts, "Code", str(acc["Code"]))
	if account == nil {
		return nil, "Account could not be found"
	}
	if account["Type"] != "BANK" && account["EnablePaymentsToAccount"] != true {
		return nil, "Account type is invalid for making a payment to/from"
	}
	amt, ok := amount(p, "Amount")
	rem, _ := amount(cn, "RemainingCredit")
	switch {
	case !ok || !amt.IsPositive():
		return nil, "Payment amount must be greater than zero"
	case amt.GreaterThan(rem):
		return nil, "Payment amount exceeds the amount outstanding on this document"
	}
	pay := obj{
		"PaymentID":   uuid.NewString(),
		"CreditNote":  obj{"CreditNoteID": cn["CreditNoteID"], "CreditNoteNumber": cn["CreditNoteNumber"]},
		"Account":     obj{"AccountID": account["AccountID"], "Code": account["Code"]},
		"Date":        msDate(str(p["Date"])),
		"Amount":      jnum(amt),
		"Reference":   str(p["Reference"]),
		"Status":      "AUTHORISED",
		"PaymentType": "ARCREDITPAYMENT",
	}
	s.payments = append(s.payments, pay)
	rem = rem.Sub(amt)
	cn["RemainingCredit"] = jnum(rem)
	if rem.IsZero() {
		cn["Status"] = "PAID"
	}
	cn["UpdatedDateUTC"] = msNow()
	return pay, ""
}
