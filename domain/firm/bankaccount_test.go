package firm_test

import (
	"testing"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/firm"
)

// TestChangeBankAccount: the account clients pay by transfer into is
// tidied (spaces trimmed, the BIC upper-cased), checked field by field,
// recorded once (the same account again records nothing) and removed by an
// empty one.
func TestChangeBankAccount(t *testing.T) {
	set := []domain.Event{setUpEvent()}
	acct := firm.BankAccount{Name: "Harbour Accounting Pty Ltd", BranchCode: "062-000", Number: "1234 5678", BIC: "CTBAAU2S"}
	changed := firm.FirmBankAccountChanged{Account: acct, At: now}
	field := func(f string) *decidertest.Refusal { return decidertest.ThenErr(domain.EINVALID, f).Only() }
	decidertest.Run(t, decider, []decidertest.Case[firm.Command]{
		{Name: "OK", Given: set, When: firm.ChangeBankAccount{Account: firm.BankAccount{Name: " Harbour Accounting Pty Ltd ", BranchCode: "062-000", Number: "1234 5678 ", BIC: "ctbaau2s"}, Now: now},
			Then: []domain.Event{changed}},
		{Name: "SameRecordsNothing", Given: append(set, changed), When: firm.ChangeBankAccount{Account: acct, Now: now}},
		{Name: "Removed", Given: append(set, changed), When: firm.ChangeBankAccount{Now: now},
			Then: []domain.Event{firm.FirmBankAccountChanged{At: now}}},
		{Name: "ErrNoNumber", Given: set, When: firm.ChangeBankAccount{Account: firm.BankAccount{Name: "Harbour", BranchCode: "062-000"}, Now: now}, Err: field("bank_account.number")},
		{Name: "ErrNumberCharacters", Given: set, When: firm.ChangeBankAccount{Account: firm.BankAccount{Number: "1234/5678"}, Now: now}, Err: field("bank_account.number")},
		{Name: "ErrBranchTooLong", Given: set, When: firm.ChangeBankAccount{Account: firm.BankAccount{BranchCode: "012345678901234567890", Number: "1"}, Now: now}, Err: field("bank_account.branch_code")},
		{Name: "ErrBIC", Given: set, When: firm.ChangeBankAccount{Account: firm.BankAccount{Number: "GB29NWBK60161331926819", BIC: "NWBK1"}, Now: now}, Err: field("bank_account.bic")},
	})
	if st := firm.Fold(append(set, changed)); st.BankAccount != acct {
		t.Errorf("the firm's account is %+v, want %+v", st.BankAccount, acct)
	}
}
