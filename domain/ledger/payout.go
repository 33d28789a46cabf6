package ledger

import (
	"github.com/google/uuid"
)

// Payout push kinds: a payout of the payment gateway is pushed as two
// documents, each its own push (PayoutPushID): the net paid out moved from
// the clearing account to the bank account (KindTransfer), and the gateway's
// fees spent from the clearing account to the fees expense account
// (KindFees). Either is skipped when its amount is zero.
const (
	KindTransfer Kind = "payout_transfer"
	KindFees     Kind = "payout_fees"
)

// The accounts a mapping without its own bank or fees account uses: Xero's
// default chart of accounts (090 Business Bank Account, 404 Bank Fees) and
// the QuickBooks Online sample company's account ids (35 Checking, 8 Bank
// Charges). A firm whose ledger numbers them otherwise sets its own.
const (
	DefaultXeroBankAccount = "090"
	DefaultXeroFeesAccount = "404"
	DefaultQBOBankAccount  = "35"
	DefaultQBOFeesAccount  = "8"
)

// PayoutPushID is the id of a payout's push of one kind (KindTransfer,
// KindFees) to a provider's ledger. A payout is pushed once: it has no
// generations.
func PayoutPushID(provider string, payoutID uuid.UUID, kind Kind) uuid.UUID {
	return uuid.NewSHA1(Namespace, []byte("payout/"+provider+"/"+payoutID.String()+"/"+string(kind)))
}

// PayoutDocumentID is the id a ledger de-duplicates a payout's document of
// one kind on.
func PayoutDocumentID(payoutID uuid.UUID, kind Kind) uuid.UUID {
	return uuid.NewSHA1(Namespace, []byte("payout-document/"+payoutID.String()+"/"+string(kind)))
}

// BankAccountFor returns the account payouts are transferred to in a
// provider's ledger: the mapping's, else the provider's default.
func (m Mapping) BankAccountFor(provider string) string {
	if m.BankAccount != "" {
		return m.BankAccount
	}
	if provider == ProviderQBO {
		return DefaultQBOBankAccount
	}
	return DefaultXeroBankAccount
}

// FeesAccountFor returns the expense account a gateway's fees are spent to
// in a provider's ledger: the mapping's, else the provider's default.
func (m Mapping) FeesAccountFor(provider string) string {
	if m.FeesAccount != "" {
		return m.FeesAccount
	}
	if provider == ProviderQBO {
		return DefaultQBOFeesAccount
	}
	return DefaultXeroFeesAccount
}
