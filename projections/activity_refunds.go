package projections

import (
	"remit/domain"
	"remit/domain/invoice"
)

// refundKinds tells refunds and disputes of gateway payments, and refunded
// duplicate payments.
func refundKinds(k map[string]activityKind) {
	on(k, func(s *activityState, e invoice.InvoicePaymentRefunded, l *subjectList) { s.ofInvoice(l, e.InvoiceID) },
		func(r *render, e invoice.InvoicePaymentRefunded) string {
			return "Invoice " + r.invoice(e.InvoiceID) + ": " + domain.FormatMoney(e.Amount) + " refunded to the client (payment " + e.GatewayReference + ")" + reason(e.Reason)
		})
	on(k, func(s *activityState, e invoice.InvoicePaymentDisputed, l *subjectList) { s.ofInvoice(l, e.InvoiceID) },
		func(r *render, e invoice.InvoicePaymentDisputed) string {
			return "Invoice " + r.invoice(e.InvoiceID) + ": payment of " + domain.FormatMoney(e.Amount) + " disputed by the client's bank" + reason(e.Reason) + "; awaiting payment again"
		})
	on(k, func(s *activityState, e invoice.InvoiceDisputeClosed, l *subjectList) { s.ofInvoice(l, e.InvoiceID) },
		func(r *render, e invoice.InvoiceDisputeClosed) string {
			if e.Outcome == invoice.DisputeWon {
				return "Invoice " + r.invoice(e.InvoiceID) + ": dispute won, " + domain.FormatMoney(e.Amount) + " restored"
			}
			return "Invoice " + r.invoice(e.InvoiceID) + ": dispute lost, " + domain.FormatMoney(e.Amount) + " reversed, dispute fee " + domain.FormatMoney(e.Fee)
		})
	on(k, func(s *activityState, e invoice.InvoiceDuplicatePaymentRefunded, l *subjectList) {
		s.ofInvoice(l, e.InvoiceID)
	},
		func(r *render, e invoice.InvoiceDuplicatePaymentRefunded) string {
			return "Invoice " + r.invoice(e.InvoiceID) + ": a second payment of " + domain.FormatMoney(e.Amount) + " (" + e.GatewayReference +
				") came after it was paid and was refunded in full (" + e.GatewayRefundReference + ")"
		})
}
