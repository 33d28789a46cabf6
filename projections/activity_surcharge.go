package projections

import (
	"remit/domain"
	"remit/domain/invoice"
)

// surchargeKinds tells surcharges added to invoices with their payment.
func surchargeKinds(k map[string]activityKind) {
	on(k, func(s *activityState, e invoice.InvoiceSurchargeAdded, l *subjectList) { s.ofInvoice(l, e.InvoiceID) },
		func(r *render, e invoice.InvoiceSurchargeAdded) string {
			return "Invoice " + r.invoice(e.InvoiceID) + ": " + e.Line.Description + " of " + domain.FormatMoney(e.Line.Amounts.Gross) +
				" added with the payment; total now " + domain.FormatMoney(e.Totals.Gross)
		})
}
