package emailer

import (
	"bytes"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"github.com/google/uuid"

	"remit/domain/client"
	"remit/domain/invoice"
	mailbox "remit/domain/outbox"
	"remit/formats/pdf"
)

// view is what an email's templates are given.
type view struct {
	Firm        string
	Client      string
	Contact     string // the recipient's name, or the client's
	Number      string
	IssueDate   string
	DueDate     string
	Total       string // with the currency code
	Amount      string // the payment (receipt) or the amount to be charged
	PaidOn      string // the payment's date (receipt)
	Balance     string // what is still owed after this payment
	Method      string // a payment method, for people ("Visa ending 4242")
	PaidBy      string // how an offline payment was made ("bank transfer, reference EFT 991")
	ExpiresOn   string
	ChargeDate  string
	Decline     string // the decline message
	DeclineCode string
	RetryLink   string
	UpdateLink  string
	Note        string // staff's note on a request for payment details, a refund's or credit note's reason
	CreditNote  string // a credit note's number (INV-000042-CN1)
	PayLink     string // the invoice's pay-now link, when nothing charges it
	HowToPay    string
	// A proposal: its title, start, services (tax included), totals per
	// cadence, first-year value and acceptance link.
	Title      string
	StartDate  string
	Services   []serviceLine
	PerCadence string
	FirstYear  string
	AcceptLink string
	// A reminder's number ("second") and a staff notice's signer or
	// viewer and decline reason (proposal_notices.go).
	Reminder string
	Who      string
	Reason   string
	Sign     bool // the recipient is a signatory: AcceptLink is theirs to sign
	// A price change: each service's old and new price, and the date the
	// new prices take effect (price_notice.go).
	Prices      []priceLine
	EffectiveOn string
	// The staff's daily digest (digest.go): its date, counts and totals,
	// the failed payments, the overdue invoices by age bucket, how many
	// more the Collections page lists, and its link.
	DigestDate                string
	FailedCount, OverdueCount int
	FailedTotal, OverdueTotal string
	Failed                    []digestFailed
	Buckets                   []digestBucket
	MoreFailed, MoreOverdue   int
	CollectionsLink           string
}

// serviceLine is one service of a proposal email: "Bookkeeping: A$759.00 a
// month".
type serviceLine struct{ Name, Amount, Cadence string }

// templateSet is one email kind's subject, text and HTML templates.
type templateSet struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// templateSources are the emails' wording: a subject, a text body and an
// HTML body per kind. Keep the two bodies saying the same things.
var templateSources = map[mailbox.Kind][3]string{
	mailbox.KindInvoiceIssued: {
		`Invoice {{.Number}} from {{.Firm}}`,
		`Hello {{.Contact}},

Please find attached invoice {{.Number}} from {{.Firm}}, issued on {{.IssueDate}}.

Amount due: {{.Total}}
Due date: {{.DueDate}}

{{.HowToPay}}
{{if .PayLink}}
Pay it now by card or bank account: {{.PayLink}}
{{end}}
Thank you,
{{.Firm}}
`,
		`<p>Hello {{.Contact}},</p>
<p>Please find attached invoice <strong>{{.Number}}</strong> from {{.Firm}}, issued on {{.IssueDate}}.</p>
<table><tr><td>Amount due</td><td><strong>{{.Total}}</strong></td></tr><tr><td>Due date</td><td>{{.DueDate}}</td></tr></table>
<p>{{.HowToPay}}</p>
{{if .PayLink}}<p><a href="{{.PayLink}}">Pay it now by card or bank account</a></p>
{{end}}<p>Thank you,<br>{{.Firm}}</p>
`},
	mailbox.KindPaymentReceipt: {
		`Payment received for invoice {{.Number}}`,
		`Hello {{.Contact}},

We received your payment of {{.Amount}}{{if .PaidOn}} on {{.PaidOn}}{{end}}{{if .Method}} from {{.Method}}{{end}}{{if .PaidBy}} by {{.PaidBy}}{{end}} for invoice {{.Number}}. Thank you.
{{if .Balance}}Still to pay on this invoice: {{.Balance}}.{{else}}The invoice is paid in full.{{end}}

{{.Firm}}
`,
		`<p>Hello {{.Contact}},</p>
<p>We received your payment of <strong>{{.Amount}}</strong>{{if .PaidOn}} on {{.PaidOn}}{{end}}{{if .Method}} from {{.Method}}{{end}}{{if .PaidBy}} by {{.PaidBy}}{{end}} for invoice {{.Number}}. Thank you.</p>
<p>{{if .Balance}}Still to pay on this invoice: {{.Balance}}.{{else}}The invoice is paid in full.{{end}}</p>
<p>{{.Firm}}</p>
`},
	mailbox.KindPaymentRejected: {
		`Payment for invoice {{.Number}} was declined`,
		`Hello {{.Contact}},

We could not collect {{.Total}} for invoice {{.Number}}{{if .Method}} from {{.Method}}{{end}}.
The payment was declined: {{.Decline}}{{if .DeclineCode}} (gateway code: {{.DeclineCode}}){{end}}

Retry the payment: {{.RetryLink}}
Or use another payment method: {{.UpdateLink}}

{{.Firm}}
`,
		`<p>Hello {{.Contact}},</p>
<p>We could not collect <strong>{{.Total}}</strong> for invoice {{.Number}}{{if .Method}} from {{.Method}}{{end}}.</p>
<p>The payment was declined: {{.Decline}}{{if .DeclineCode}} (gateway code: {{.DeclineCode}}){{end}}</p>
<p><a href="{{.RetryLink}}">Retry the payment</a> or <a href="{{.UpdateLink}}">use another payment method</a>.</p>
<p>{{.Firm}}</p>
`},
	mailbox.KindMethodExpiring: {
		`Your {{.Method}} expires on {{.ExpiresOn}}`,
		`Hello {{.Contact}},

The card {{.Firm}} charges for your services, {{.Method}}, expires on {{.ExpiresOn}}.
Please add a new card so that your next payments go through: {{.UpdateLink}}

{{.Firm}}
`,
		`<p>Hello {{.Contact}},</p>
<p>The card {{.Firm}} charges for your services, <strong>{{.Method}}</strong>, expires on {{.ExpiresOn}}.</p>
<p>Please <a href="{{.UpdateLink}}">add a new card</a> so that your next payments go through.</p>
<p>{{.Firm}}</p>
`},
	mailbox.KindUpcomingCharge: {
		`{{.Amount}} will be charged on {{.ChargeDate}} for invoice {{.Number}}`,
		`Hello {{.Contact}},

On {{.ChargeDate}} we will charge {{.Amount}} to {{.Method}} for invoice {{.Number}}.
To use another payment method: {{.UpdateLink}}

{{.Firm}}
`,
		`<p>Hello {{.Contact}},</p>
<p>On <strong>{{.ChargeDate}}</strong> we will charge <strong>{{.Amount}}</strong> to {{.Method}} for invoice {{.Number}}.</p>
<p><a href="{{.UpdateLink}}">Use another payment method</a>.</p>
<p>{{.Firm}}</p>
`},
	mailbox.KindPaymentDetailsRequest: {
		`{{.Firm}} asks for your payment details`,
		`Hello {{.Contact}},

{{.Firm}} asks you to add a payment method for {{.Client}}, so that your invoices are paid on time without you having to do anything.
{{if .Note}}
{{.Note}}
{{end}}
Add a card or bank account here: {{.UpdateLink}}

Thank you,
{{.Firm}}
`,
		`<p>Hello {{.Contact}},</p>
<p>{{.Firm}} asks you to add a payment method for {{.Client}}, so that your invoices are paid on time without you having to do anything.</p>
{{if .Note}}<p>{{.Note}}</p>
{{end}}<p><a href="{{.UpdateLink}}">Add a card or bank account</a></p>
<p>Thank you,<br>{{.Firm}}</p>
`},
	mailbox.KindProposal: {
		`Proposal: {{.Title}}, from {{.Firm}}`,
		`Hello {{.Contact}},

{{.Firm}} has prepared a proposal for {{.Client}}: {{.Title}}{{if .StartDate}}, starting {{.StartDate}}{{end}}.

{{range .Services}}- {{.Name}}: {{.Amount}} {{.Cadence}}
{{end}}
Total, tax included: {{.PerCadence}}
First-year value: {{.FirstYear}}

{{if .Sign}}Read and sign the proposal here (this link is yours alone): {{.AcceptLink}}{{else}}Read and accept the proposal here: {{.AcceptLink}}{{end}}

Thank you,
{{.Firm}}
`,
		`<p>Hello {{.Contact}},</p>
<p>{{.Firm}} has prepared a proposal for {{.Client}}: <strong>{{.Title}}</strong>{{if .StartDate}}, starting {{.StartDate}}{{end}}.</p>
<table>{{range .Services}}<tr><td>{{.Name}}</td><td>{{.Amount}} {{.Cadence}}</td></tr>{{end}}
<tr><td>Total, tax included</td><td><strong>{{.PerCadence}}</strong></td></tr>
<tr><td>First-year value</td><td>{{.FirstYear}}</td></tr></table>
<p><a href="{{.AcceptLink}}">{{if .Sign}}Read and sign the proposal</a> (this link is yours alone){{else}}Read and accept the proposal</a>{{end}}</p>
<p>Thank you,<br>{{.Firm}}</p>
`},
}

func parseTemplates() (map[mailbox.Kind]templateSet, error) {
	out := map[mailbox.Kind]templateSet{}
	for kind, src := range allTemplateSources() {
		s, err := texttemplate.New(string(kind) + ".subject").Option("missingkey=error").Parse(src[0])
		if err != nil {
			return nil, err
		}
		t, err := texttemplate.New(string(kind) + ".txt").Option("missingkey=error").Parse(src[1])
		if err != nil {
			return nil, err
		}
		h, err := htmltemplate.New(string(kind) + ".html").Option("missingkey=error").Parse(src[2])
		if err != nil {
			return nil, err
		}
		out[kind] = templateSet{subject: s, text: t, html: h}
	}
	return out, nil
}

// render returns the subject, text and HTML of an email.
func (ts templateSet) render(v view) (subject, text, html string, err error) {
	var s, t, h bytes.Buffer
	if err := ts.subject.Execute(&s, v); err != nil {
		return "", "", "", err
	}
	if err := ts.text.Execute(&t, v); err != nil {
		return "", "", "", err
	}
	if err := ts.html.Execute(&h, v); err != nil {
		return "", "", "", err
	}
	return strings.Join(strings.Fields(s.String()), " "), t.String(), h.String(), nil
}

// paidOffline says how a payment recorded by staff was made, for its
// receipt: "bank transfer", "cash", "cheque", with its reference when
// staff gave one ("bank transfer, reference EFT 991"); "" for another way.
func paidOffline(e invoice.InvoicePaymentRecorded) string {
	how := map[invoice.PaymentMethod]string{invoice.PaidByBankTransfer: "bank transfer", invoice.PaidByCash: "cash", invoice.PaidByCheque: "cheque"}[e.Method]
	if how == "" {
		return ""
	}
	if e.Reference != "" {
		how += ", reference " + e.Reference
	}
	return how
}

// paidWith names the method a gateway payment was taken from, for its
// receipt ("Visa ending 4242"): the method on file it was charged to, or the
// one the client paid with on the pay-now page and did not keep; "" when
// neither is known.
func paidWith(e invoice.InvoicePaymentSucceeded, c client.State) string {
	if e.PaymentMethodID != uuid.Nil {
		if m, ok := c.PaymentMethod(e.PaymentMethodID); ok {
			return pdf.MethodName(m.PaymentMethodDetails)
		}
	}
	if u := e.PaidWith; u != nil {
		return pdf.MethodName(client.PaymentMethodDetails{Kind: client.PaymentMethodKind(u.Kind), Brand: u.Brand, Last4: u.Last4, MaskedAccount: u.MaskedAccount})
	}
	return ""
}
