package firm

import (
	"strings"
	"time"
	"unicode"

	"remit/domain"
)

// # Bank account for transfers
//
// An invoice that nothing charges (no card or bank debit on file) asks the
// client to pay by bank transfer. BankAccount is where to: the firm's
// account, printed on the invoice PDF, in the invoice email and on the
// pay-now page, and given in the UBL e-invoice as the payee's account
// (EN 16931 BT-84 to BT-86). Without it those say only "by bank transfer",
// and a client has nowhere to send the money.
//
// The fields are kept as the firm writes them: account numbers are written
// differently in every country (an Australian BSB and account number, a UK
// sort code, an IBAN), so BranchCode and Number are checked for their
// characters and length only.

// BankAccount is the account clients pay invoices into by transfer.
type BankAccount struct {
	Name       string `json:"name,omitempty"`        // the account's name ("Harbour Accounting Pty Ltd")
	BranchCode string `json:"branch_code,omitempty"` // BSB, sort code or routing number; empty with an IBAN
	Number     string `json:"number"`                // the account number, or the IBAN
	BIC        string `json:"bic,omitempty"`         // the bank's SWIFT/BIC, for payments from abroad
}

// IsZero reports whether no account is set.
func (a BankAccount) IsZero() bool { return a == BankAccount{} }

// FirmBankAccountChanged records the account clients pay by transfer into
// (zero: none any more).
type FirmBankAccountChanged struct {
	Account BankAccount `json:"account"`
	At      time.Time   `json:"at"`
}

// EventType returns "FirmBankAccountChanged".
func (FirmBankAccountChanged) EventType() string { return "FirmBankAccountChanged" }

// ChangeBankAccount sets the account clients pay by transfer into; a zero
// Account removes it.
type ChangeBankAccount struct {
	Account BankAccount
	Now     time.Time
}

func (ChangeBankAccount) isFirmCommand() {}

func changeBankAccount(s State, c ChangeBankAccount) ([]domain.Event, error) {
	a := BankAccount{Name: strings.TrimSpace(c.Account.Name), BranchCode: strings.TrimSpace(c.Account.BranchCode),
		Number: strings.TrimSpace(c.Account.Number), BIC: strings.ToUpper(strings.TrimSpace(c.Account.BIC))}
	var p domain.Problems
	if len([]rune(a.Name)) > 70 {
		p.Add("bank_account.name", "an account name is at most 70 characters")
	}
	if a.Number == "" && !a.IsZero() {
		p.Add("bank_account.number", "give the account number (or IBAN) the other details belong to")
	}
	checkAccountCode(&p, "bank_account.branch_code", "a BSB, sort code or routing number", a.BranchCode, 20)
	checkAccountCode(&p, "bank_account.number", "an account number or IBAN", a.Number, 34)
	if a.BIC != "" && !validBIC(a.BIC) {
		p.Add("bank_account.bic", "a BIC is 8 or 11 letters and digits, like CTBAAU2S")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if a == s.BankAccount {
		return nil, nil
	}
	return []domain.Event{FirmBankAccountChanged{Account: a, At: c.Now}}, nil
}

// checkAccountCode checks that v (what) is letters, digits, spaces and
// hyphens, at most max of them.
func checkAccountCode(p *domain.Problems, field, what, v string, limit int) {
	if len(v) > limit {
		p.Add(field, "%s is at most %d characters", what, limit)
		return
	}
	for _, r := range v {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || r == '-') {
			p.Add(field, "%s is letters, digits, spaces and hyphens only", what)
			return
		}
	}
}

// validBIC reports whether b has the shape of a SWIFT/BIC code: 4 letters
// (the bank), 2 letters (the country), 2 letters or digits (the location),
// and optionally 3 more (the branch).
func validBIC(b string) bool {
	if len(b) != 8 && len(b) != 11 {
		return false
	}
	for i, r := range b {
		letter, digit := r >= 'A' && r <= 'Z', r >= '0' && r <= '9'
		if (i < 6 && !letter) || (i >= 6 && !letter && !digit) {
			return false
		}
	}
	return true
}
