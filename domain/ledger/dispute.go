package ledger

// Dispute push kinds, pushed only when the mapping names a DisputesAccount
// (a "Disputed payments" balance-sheet account): a dispute's withdrawal
// moves the disputed amount out of the clearing account into the disputes
// account (KindDispute, from InvoicePaymentDisputed); a won dispute moves
// it back (KindDisputeWon, from InvoiceDisputeClosed won); a lost dispute's
// fee is spent from the clearing account to the fees account
// (KindDisputeFee, from InvoiceDisputeClosed lost, when the fee is not
// zero). A lost dispute's amount stays in the disputes account for the firm
// to settle there.
const (
	KindDispute    Kind = "dispute"
	KindDisputeWon Kind = "dispute_won"
	KindDisputeFee Kind = "dispute_fee"
)

// PushesDisputes reports whether disputes are pushed under this mapping:
// when it names a disputes account.
func (m Mapping) PushesDisputes() bool { return m.DisputesAccount != "" }
