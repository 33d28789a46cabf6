package projections

import (
	"remit/domain"
	"remit/domain/firm"
	"remit/domain/invoice"
)

// dunningKinds tells the steps of the firm's dunning policy taken on an
// invoice, and staff pausing and resuming them.
func dunningKinds(k map[string]activityKind) {
	on(k, func(s *activityState, e invoice.InvoiceReminderSent, l *subjectList) { s.ofInvoice(l, e.InvoiceID) },
		func(r *render, e invoice.InvoiceReminderSent) string {
			what := "Invoice " + r.invoice(e.InvoiceID) + ": reminder (" + firm.ReminderStepText(e.Step) + ") emailed to " + e.To
			for i, k := range e.Skipped {
				sep := ", "
				if i == 0 {
					sep = "; skipped: "
				}
				why := "the daily job did not run that day"
				if k.Why == invoice.SkippedPaused {
					why = "reminders were paused"
				}
				what += sep + firm.ReminderStepText(k.Step) + " (due " + domain.FormatDate(k.Due) + "; " + why + ")"
			}
			return what
		})
	on(k, func(s *activityState, e invoice.InvoiceDunningExhausted, l *subjectList) { s.ofInvoice(l, e.InvoiceID) },
		func(r *render, e invoice.InvoiceDunningExhausted) string {
			what := "Invoice " + r.invoice(e.InvoiceID) + ": automatic retries ran out on " + domain.FormatDate(e.Date)
			if e.FinalAction == "switch_to_manual" {
				what += "; the client's services switched to manual billing"
			} else {
				what += "; the client's services left as they are"
			}
			if !e.WriteOffOn.IsZero() {
				what += "; to be written off on " + domain.FormatDate(e.WriteOffOn)
			}
			if e.NotifyClient != "" {
				what += "; final notice emailed to " + e.NotifyClient
			}
			return what
		})
	on(k, func(s *activityState, e invoice.InvoiceRemindersPaused, l *subjectList) { s.ofInvoice(l, e.InvoiceID) },
		func(r *render, e invoice.InvoiceRemindersPaused) string {
			return "Invoice " + r.invoice(e.InvoiceID) + ": reminders paused" + reason(e.Reason)
		})
	on(k, func(s *activityState, e invoice.InvoiceRemindersResumed, l *subjectList) { s.ofInvoice(l, e.InvoiceID) },
		func(r *render, e invoice.InvoiceRemindersResumed) string {
			return "Invoice " + r.invoice(e.InvoiceID) + ": reminders resumed"
		})
}
