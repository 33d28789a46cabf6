package ledger

// KindRefund is a refund pushed to a ledger: the money a gateway refund paid
// back to the client, out of the clearing account, against the refund's
// credit note (Xero: a payment on the credit note; QuickBooks Online: a
// check to the customer from the clearing account applied with the credit
// memo). It is one of the invoice's pushes (PushID of its
// InvoicePaymentRefunded event), right after the refund's credit note,
// whose ledger id it needs.
const KindRefund Kind = "refund"

// DefaultQBOReceivableAccount is the QuickBooks Online sample company's
// Accounts Receivable (A/R) account id, which a mapping without its own
// ReceivableAccount uses for refunds.
const DefaultQBOReceivableAccount = "84"

// ReceivableAccountFor returns the accounts-receivable account a refund
// goes through in a provider's ledger: the mapping's, else QBO's default;
// Xero refunds against the credit note itself and needs none ("").
func (m Mapping) ReceivableAccountFor(provider string) string {
	if m.ReceivableAccount != "" {
		return m.ReceivableAccount
	}
	if provider == ProviderQBO {
		return DefaultQBOReceivableAccount
	}
	return ""
}
