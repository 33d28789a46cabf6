package emailer

import (
	"context"
	"strconv"

	"remit/domain"
	"remit/domain/firm"
	"remit/domain/invoice"
	mailbox "remit/domain/outbox"
	"remit/formats/pdf"
	"remit/projections/follow"
)

// triggerDunning emails a dunning reminder to the address its event names,
// or the final notice when the retries ran out, when the event names one.
// The email's id is the event's: recorded once, emailed once.
func (o *Outbox) triggerDunning(ctx context.Context, kind mailbox.Kind, ev follow.Event) error {
	var to string
	var inv invoice.State
	var err error
	switch e := ev.Data.(type) {
	case invoice.InvoiceReminderSent:
		to = e.To
		inv, err = o.invoiceAsOf(ctx, e.InvoiceID, ev.Position)
	case invoice.InvoiceDunningExhausted:
		to = e.NotifyClient
		inv, err = o.invoiceAsOf(ctx, e.InvoiceID, ev.Position)
	default:
		return nil
	}
	if err != nil || to == "" {
		return err
	}
	id := mailbox.EmailID(kind, ev.ID.String())
	if known, err := o.known(ctx, id); err != nil || known {
		return err
	}
	q := mailbox.EmailQueued{
		EmailID: id, Kind: kind, ClientID: inv.ClientID, InvoiceID: inv.ID, PaymentMethodID: inv.PaymentMethodID,
		To: to, TriggerEventID: ev.ID, TriggerPosition: ev.Position,
	}
	return o.queueAndSend(ctx, q, ev.Metadata.CorrelationID)
}

// rejectionNotices emails the firm's staff of a rejected payment, one email
// per staff address, when the dunning policy asks for it; send reports
// whether the client is emailed too (the policy's email_client_on_rejection).
func (o *Outbox) rejectionNotices(ctx context.Context, ev follow.Event) (send bool, err error) {
	e, ok := ev.Data.(invoice.InvoicePaymentRejected)
	if !ok {
		return true, nil
	}
	f, err := o.firm(ctx)
	if err != nil {
		return false, err
	}
	policy := f.Dunning()
	if !policy.NotifyStaffOnFailure {
		return policy.EmailClientOnRejection, nil
	}
	inv, err := o.invoiceAsOf(ctx, e.InvoiceID, ev.Position)
	if err != nil {
		return false, err
	}
	to := policy.StaffEmails
	if len(to) == 0 {
		a, _ := o.staffAddress()
		to = []string{a}
	}
	for i, a := range to {
		id := mailbox.EmailID(mailbox.KindPaymentFailedStaff, ev.ID.String()+"/"+strconv.Itoa(i))
		if known, err := o.known(ctx, id); err != nil {
			return false, err
		} else if known {
			continue
		}
		q := mailbox.EmailQueued{
			EmailID: id, Kind: mailbox.KindPaymentFailedStaff, ClientID: inv.ClientID, InvoiceID: inv.ID, PaymentMethodID: e.PaymentMethodID,
			To: a, ToName: "Billing staff", TriggerEventID: ev.ID, TriggerPosition: ev.Position,
		}
		if err := o.queueAndSend(ctx, q, ev.Metadata.CorrelationID); err != nil {
			return false, err
		}
	}
	return policy.EmailClientOnRejection, nil
}

// dunningView fills in what a reminder or a final notice says: the balance,
// the step, and the pay-now link.
func (o *Outbox) dunningView(v *view, e domain.Event, inv invoice.State, q mailbox.EmailQueued) {
	v.Balance = money(inv.Balance())
	v.PayLink = o.cfg.LinkFor(LinkPayInvoice, q.ClientID, q.InvoiceID)
	switch e := e.(type) {
	case invoice.InvoiceReminderSent:
		v.Reminder = firm.ReminderStepText(e.Step)
	case invoice.InvoiceDunningExhausted:
		v.PaidOn = pdf.FormatDate(e.Date)
		if !e.WriteOffOn.IsZero() {
			v.ExpiresOn = pdf.FormatDate(e.WriteOffOn)
		}
	}
}

// dunningTemplates are the dunning emails: the client's reminder and final
// notice, and the staff's failure notice.
var dunningTemplates = map[mailbox.Kind][3]string{
	mailbox.KindInvoiceReminder: {
		`Reminder: invoice {{.Number}}, {{.Balance}} due {{.DueDate}}`,
		`Hello {{.Contact}},

This is a reminder ({{.Reminder}}) that invoice {{.Number}} from {{.Firm}},
issued on {{.IssueDate}} and due on {{.DueDate}}, has {{.Balance}} to pay.

Pay it now: {{.PayLink}}
Or put a payment method on file: {{.UpdateLink}}

If you have paid already, thank you, and please ignore this email.

{{.Firm}}
`,
		`<p>Hello {{.Contact}},</p>
<p>This is a reminder ({{.Reminder}}) that invoice <strong>{{.Number}}</strong> from {{.Firm}}, issued on {{.IssueDate}} and due on {{.DueDate}}, has <strong>{{.Balance}}</strong> to pay.</p>
<p><a href="{{.PayLink}}">Pay it now</a> or <a href="{{.UpdateLink}}">put a payment method on file</a>.</p>
<p>If you have paid already, thank you, and please ignore this email.</p>
<p>{{.Firm}}</p>
`},
	mailbox.KindDunningFinalNotice: {
		`Final notice: invoice {{.Number}} is unpaid`,
		`Hello {{.Contact}},

We tried several times to collect the payment of invoice {{.Number}}{{if .Method}} from {{.Method}}{{end}},
and could not: {{.Balance}} is still to pay, and we will not try again automatically.
{{if .ExpiresOn}}
If it is not paid by {{.ExpiresOn}}, the invoice will be closed as unpaid.
{{end}}
Pay it now: {{.PayLink}}
Or use another payment method: {{.UpdateLink}}

{{.Firm}}
`,
		`<p>Hello {{.Contact}},</p>
<p>We tried several times to collect the payment of invoice <strong>{{.Number}}</strong>{{if .Method}} from {{.Method}}{{end}}, and could not: <strong>{{.Balance}}</strong> is still to pay, and we will not try again automatically.</p>
{{if .ExpiresOn}}<p>If it is not paid by {{.ExpiresOn}}, the invoice will be closed as unpaid.</p>
{{end}}<p><a href="{{.PayLink}}">Pay it now</a> or <a href="{{.UpdateLink}}">use another payment method</a>.</p>
<p>{{.Firm}}</p>
`},
	mailbox.KindPaymentFailedStaff: {
		`Payment failed: invoice {{.Number}} ({{.Client}})`,
		`A payment of {{.Total}} on invoice {{.Number}} for {{.Client}}{{if .Method}} from {{.Method}}{{end}} was rejected.

Reason: {{.Decline}}{{if .DeclineCode}} (gateway code: {{.DeclineCode}}){{end}}

Remit retries it by the firm's payment-chasing policy; the invoice's page shows where it stands.
`,
		`<p>A payment of <strong>{{.Total}}</strong> on invoice <strong>{{.Number}}</strong> for {{.Client}}{{if .Method}} from {{.Method}}{{end}} was rejected.</p>
<p>Reason: {{.Decline}}{{if .DeclineCode}} (gateway code: {{.DeclineCode}}){{end}}</p>
<p>Remit retries it by the firm's payment-chasing policy; the invoice's page shows where it stands.</p>
`},
}
