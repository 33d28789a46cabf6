package emailer

import (
	"bytes"
	"context"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/eventstore"
	"remit/formats/pdf"
	"remit/integrations/mail"
	"remit/projections/follow"
)

// refundTemplates are the client's email about a refund: one staff made
// (InvoicePaymentRefunded) or a duplicate payment given back at once
// (InvoiceDuplicatePaymentRefunded).
var refundTemplates = [3]string{
	`Refund of {{.Amount}} for invoice {{.Number}}`,
	`Hello {{.Contact}},

We refunded {{.Amount}} of your payment for invoice {{.Number}} on {{.PaidOn}}{{if .Note}} ({{.Note}}){{end}}.
It goes back to the card or bank account you paid with; your bank may take
a few business days to show it.

{{.Firm}}
`,
	`<p>Hello {{.Contact}},</p>
<p>We refunded <strong>{{.Amount}}</strong> of your payment for invoice {{.Number}} on {{.PaidOn}}{{if .Note}} ({{.Note}}){{end}}.</p>
<p>It goes back to the card or bank account you paid with; your bank may take a few business days to show it.</p>
<p>{{.Firm}}</p>
`,
}

// creditNoteTemplates are the client's email about a credit note issued on
// its own (its PDF attached): what is left to pay, with the pay-now link
// when nothing charges it, or the date it is charged.
var creditNoteTemplates = [3]string{
	`Credit note {{.CreditNote}} for invoice {{.Number}}`,
	`Hello {{.Contact}},

We issued credit note {{.CreditNote}} of {{.Amount}} against invoice {{.Number}} on {{.PaidOn}}{{if .Note}}: {{.Note}}{{end}}.
{{if .Balance}}{{.Balance}} is left to pay on the invoice.{{if .PayLink}}
Pay it now by card or bank account: {{.PayLink}}{{else if .ChargeDate}} It is charged on {{.ChargeDate}}, as scheduled.{{end}}{{else}}Nothing is left to pay on the invoice.{{end}}

{{.Firm}}
`,
	`<p>Hello {{.Contact}},</p>
<p>We issued credit note {{.CreditNote}} of <strong>{{.Amount}}</strong> against invoice {{.Number}} on {{.PaidOn}}{{if .Note}}: {{.Note}}{{end}}.</p>
<p>{{if .Balance}}{{.Balance}} is left to pay on the invoice.{{if .ChargeDate}} It is charged on {{.ChargeDate}}, as scheduled.{{end}}{{else}}Nothing is left to pay on the invoice.{{end}}</p>
{{if .PayLink}}<p><a href="{{.PayLink}}">Pay it now by card or bank account</a></p>{{end}}
<p>{{.Firm}}</p>
`,
}

// creditNoteOnItsOwn reports whether the credit note ev records was
// issued on its own: a refund's credit note (appended with its
// InvoicePaymentRefunded, which names it) is told by the refund's email.
func (o *Outbox) creditNoteOnItsOwn(ctx context.Context, ev follow.Event) (bool, error) {
	cn, ok := ev.Data.(invoice.InvoiceCreditNoteIssued)
	if !ok {
		return false, nil
	}
	evs, err := o.events(ctx, invoice.StreamName(cn.InvoiceID), eventstore.End)
	if err != nil {
		return false, err
	}
	for _, e := range evs {
		if r, ok := e.(invoice.InvoicePaymentRefunded); ok && r.CreditNoteID == cn.CreditNoteID {
			return false, nil
		}
	}
	return true, nil
}

// creditNoteView fills the credit note email's view (its number: the
// invoice's with -CN and its place among the invoice's credit notes, as the
// e-invoice export and the client's page number it; amount; day in the
// firm's time zone; reason; the balance left after it) and answers its PDF
// as the attachment.
func creditNoteView(v *view, e invoice.InvoiceCreditNoteIssued, inv invoice.State, f firm.State, c client.State) ([]mail.Attachment, error) {
	data := pdf.CreditNoteFrom(e, inv, invoice.CreditNoteNumber(inv.Number, len(inv.CreditNotes)), f, c, domain.DateOf(e.At, location(f)))
	v.CreditNote, v.Amount, v.PaidOn, v.Note = data.Number, money(e.Amount), pdf.FormatDate(data.IssueDate), e.Reason
	if data.Balance.Amount.IsPositive() {
		v.Balance = money(data.Balance)
	}
	var buf bytes.Buffer
	if err := pdf.CreditNote(&buf, data); err != nil {
		return nil, err
	}
	return []mail.Attachment{{Filename: data.Number + ".pdf", ContentType: "application/pdf", Data: buf.Bytes()}}, nil
}
