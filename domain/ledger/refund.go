package ledger

// KindRefund is a refund pushed to a ledger: the money a gateway refund paid
// back to the client, out of the clearing account, against the refund's
// credit note (Xero: a payment on the credit note; QuickBooks Online: a
// check to the customer from the clearing account applied with the credit
// memo). It is one of the invoice's pushes (PushID of its
// InvoicePaymentRefunded event), right after the refund's credit note,
// whose ledger id it needs.
const KindRefund Kind = "refund"
