package emailer

import (
	"maps"

	"remit/domain/invoice"
	mailbox "remit/domain/outbox"
	"remit/formats/pdf"
)

// allTemplateSources are templateSources with the staff emails and the
// refund email.
func allTemplateSources() map[mailbox.Kind][3]string {
	m := maps.Clone(templateSources)
	m[mailbox.KindDisputeOpened] = disputeTemplates
	m[mailbox.KindRefundIssued] = refundTemplates
	m[mailbox.KindCreditNoteIssued] = creditNoteTemplates
	maps.Copy(m, proposalNoticeTemplates)
	m[mailbox.KindProposalSigned] = signedTemplates
	maps.Copy(m, dunningTemplates)
	m[mailbox.KindPriceIncrease] = priceNoticeTemplates
	m[mailbox.KindDunningDigest] = digestTemplates
	return m
}

// staffAddress is where staff emails go: Config.StaffTo, else the firm's
// own sending address.
func (o *Outbox) staffAddress() (string, string) {
	if o.cfg.StaffTo != "" {
		return o.cfg.StaffTo, "Billing staff"
	}
	return o.cfg.From, "Billing staff"
}

// staffView fills the view of the dispute and refund emails' triggers (the
// others have their own case in compose).
func staffView(v *view, trigger any, inv invoice.State) {
	switch e := trigger.(type) {
	case invoice.InvoicePaymentDisputed:
		disputeView(v, e, inv)
	case invoice.InvoicePaymentRefunded:
		v.Amount, v.PaidOn, v.Note = money(e.Amount), pdf.FormatDate(e.Date), e.Reason
	case invoice.InvoiceDuplicatePaymentRefunded:
		v.Amount, v.PaidOn = money(e.Amount), pdf.FormatDate(e.Date)
		v.Note = "the invoice was already paid when this payment arrived"
	}
}

// disputeView fills the dispute email's view: the disputed amount, the
// gateway's reason, the payment and the balance now outstanding.
func disputeView(v *view, e invoice.InvoicePaymentDisputed, inv invoice.State) {
	v.Amount = money(e.Amount)
	v.Decline = e.Reason
	v.DeclineCode = e.GatewayReference
	v.Balance = money(inv.Balance())
	v.PaidOn = pdf.FormatDate(e.Date)
}

// disputeTemplates are the staff email about a disputed payment.
var disputeTemplates = [3]string{
	`Payment disputed: invoice {{.Number}} ({{.Client}})`,
	`A payment on invoice {{.Number}} for {{.Client}} was disputed by the client's bank on {{.PaidOn}}.

Amount disputed: {{.Amount}}
Reason given: {{.Decline}}
Payment: {{.DeclineCode}}

The amount has been taken back while the dispute runs, and the invoice is
awaiting payment again ({{.Balance}} outstanding). Answer the dispute with
your evidence in the payment gateway's dashboard; Remit records the outcome
when the gateway reports it.
`,
	`<p>A payment on invoice <strong>{{.Number}}</strong> for {{.Client}} was disputed by the client's bank on {{.PaidOn}}.</p>
<table><tr><td>Amount disputed</td><td><strong>{{.Amount}}</strong></td></tr><tr><td>Reason given</td><td>{{.Decline}}</td></tr><tr><td>Payment</td><td>{{.DeclineCode}}</td></tr></table>
<p>The amount has been taken back while the dispute runs, and the invoice is awaiting payment again ({{.Balance}} outstanding). Answer the dispute with your evidence in the payment gateway's dashboard; Remit records the outcome when the gateway reports it.</p>
`,
}
