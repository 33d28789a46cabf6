package emailer

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
