package ui

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/invoice"
	"remit/domain/outbox"
	"remit/domain/proposal"
	"remit/domain/service"
	"remit/projections"
)

// fmtMoney formats an amount in its currency: its symbol, thousands
// separators and exactly the currency's minor units ("A$1,234.50",
// "-¥1,200"); see domain.FormatMoney.
func fmtMoney(m domain.Money) string { return domain.FormatMoney(m) }

func fmtMoneys(ms []domain.Money) string {
	if len(ms) == 0 {
		return "—"
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = fmtMoney(m)
	}
	return strings.Join(parts, " + ")
}

// fmtCadences says a proposal's totals per cadence, tax included, never added
// across cadences: "A$759.00 a month, A$3,520.00 a year, A$2,200.00 once".
func fmtCadences(cs []proposal.CadenceTotal) string {
	if len(cs) == 0 {
		return "—"
	}
	return proposal.FormatCadences(cs)
}

func anyNonZero(ms []domain.Money) bool {
	for _, m := range ms {
		if !m.IsZero() {
			return true
		}
	}
	return false
}

var invoiceStatusText = map[invoice.Status]string{
	invoice.StatusAwaitingPayment:  "Awaiting payment",
	invoice.StatusPaymentScheduled: "Payment scheduled",
	invoice.StatusPaid:             "Paid",
	invoice.StatusPartlyPaid:       "Partly paid",
	invoice.StatusPaymentRejected:  "Payment rejected",
	invoice.StatusWrittenOff:       "Written off",
	invoice.StatusVoid:             "Void",
	invoice.StatusOverdue:          "Overdue",
}

// statusText is the label of any status value.
func statusText(s any) string {
	if st, ok := s.(invoice.Status); ok {
		if t, ok := invoiceStatusText[st]; ok {
			return t
		}
	}
	v := strings.ReplaceAll(fmt.Sprint(s), "_", " ")
	if v == "" {
		return ""
	}
	return strings.ToUpper(v[:1]) + v[1:]
}

// statusClass is the CSS class of a status badge.
func statusClass(s any) string {
	switch fmt.Sprint(s) {
	case "paid", "accepted", "active":
		return "badge good"
	case "overdue", "payment_rejected", "failed", "expired", "declined":
		return "badge bad"
	case "void", "written_off", "withdrawn", "archived", "ended":
		return "badge muted"
	}
	return "badge"
}

func fmtDec(d decimal.Decimal) string { return d.String() }

func fmtDiscount(d domain.Discount) string {
	switch d.Kind {
	case domain.DiscountPercent:
		return d.Value.String() + "%"
	case domain.DiscountAmount:
		return d.Value.String() + " off"
	}
	return ""
}

// ruleText says a billing rule in words.
func ruleText(r domain.BillingRule) string {
	n := r.Interval
	if n <= 0 {
		n = 1
	}
	var s string
	switch r.Frequency {
	case domain.FrequencyOnce:
		s = "Once"
	case domain.FrequencyOnCompletion:
		return "On completion (manual)"
	case domain.FrequencyEstimate:
		return "Estimate (manual)"
	case domain.FrequencyDays:
		s = every(n, "day")
	case domain.FrequencyWeeks:
		switch n {
		case 1:
			s = "Weekly"
		case 2:
			s = "Fortnightly"
		default:
			s = every(n, "week")
		}
	case domain.FrequencyMonths:
		switch n {
		case 1:
			s = "Monthly"
		case 3:
			s = "Quarterly"
		case 12:
			s = "Yearly"
		default:
			s = every(n, "month")
		}
		if r.AnchorDay > 0 {
			s += fmt.Sprintf(" on day %d", r.AnchorDay)
		}
		if r.ProRataFirst {
			s += ", first period pro rata"
		}
	default:
		s = string(r.Frequency)
	}
	if !r.StartDate.IsZero() {
		s += ", from " + fmtDate(r.StartDate)
	}
	switch r.End {
	case domain.EndAfterN:
		s += fmt.Sprintf(", %d times", r.EndAfter)
	case domain.EndOnDate:
		s += ", until " + fmtDate(r.EndDate)
	}
	return s
}

func every(n int, unit string) string {
	if n == 1 {
		return "Every " + unit
	}
	return fmt.Sprintf("Every %d %ss", n, unit)
}

// methodName is the label of one of the client's payment methods.
func methodName(c *projections.ClientSummary, id uuid.UUID) string {
	if id == uuid.Nil {
		if c != nil {
			for _, m := range c.PaymentMethods {
				if m.Default {
					return m.Label + " (default)"
				}
			}
		}
		return "Client's default (none on file)"
	}
	if label, ok := methodLabel(c, id); ok {
		return label
	}
	return "Removed method"
}

// methodLabel is the label of the client's method id, when c has it.
func methodLabel(c *projections.ClientSummary, id uuid.UUID) (string, bool) {
	if c != nil {
		for _, m := range c.PaymentMethods {
			if m.ID == id {
				return m.Label, true
			}
		}
	}
	return "", false
}

// paidBy says, for the client, how one of their payments was made: "by
// Visa •••• 4242", "by bank transfer". c holds their methods on file (nil
// when none of the payments was made with one).
func paidBy(c *projections.ClientSummary, p projections.PaymentView) string {
	if !p.Gateway {
		return "by " + strings.ToLower(statusText(p.Method))
	}
	if p.PaidWith != nil {
		return "by " + projections.UsedMethodLabel(*p.PaidWith)
	}
	if label, ok := methodLabel(c, p.MethodID); ok && p.MethodID != uuid.Nil {
		return "by " + label
	}
	return "through our payment provider"
}

// paidWith names how a gateway payment or attempt was made: the method
// charged, or the pay-now page the client paid on (with the method when
// they kept it on file). Unlike methodName, no method is not the client's
// default: a payment names the method it was made with.
func paidWith(c *projections.ClientSummary, through invoice.PaymentChannel, id uuid.UUID, used *invoice.MethodUsed) string {
	switch {
	case through == invoice.PaidThroughPayNow && id == uuid.Nil && used != nil:
		return projections.UsedMethodLabel(*used) + " through the pay-now page (not kept on file)"
	case through == invoice.PaidThroughPayNow && id == uuid.Nil:
		return "Pay-now page (method not kept on file)"
	case through == invoice.PaidThroughPayNow:
		return methodName(c, id) + " through the pay-now page"
	case id == uuid.Nil:
		return "No method recorded"
	}
	return methodName(c, id)
}

// itemSeq is the sequence part of a schedule item key.
func itemSeq(key string) string {
	_, seq, _ := strings.Cut(key, "/")
	return seq
}

// input describes one form field for the "field" partial.
type input struct {
	Name, Label, Type, Value, Error, Hint, ID string
	Required                                  bool
	Options                                   []option
	Groups                                    []optionGroup // after Options, as <optgroup>s
	Attrs                                     template.HTMLAttr
}

type option struct{ Value, Label string }

func fieldID(name string) string {
	r := strings.NewReplacer(".", "-", "[", "-", "]", "")
	return "f-" + r.Replace(name)
}

func funcs() template.FuncMap {
	m := template.FuncMap{
		"money":       fmtMoney,
		"moneys":      fmtMoneys,
		"nonzero":     anyNonZero,
		"date":        fmtDate,
		"decline":     declineText,
		"iso":         func(d domain.Date) string { return isoDate(d) },
		"dec":         fmtDec,
		"discount":    fmtDiscount,
		"status":      statusText,
		"statusClass": statusClass,
		"rule":        ruleText,
		"firstBill":   firstBillingNote,
		"method":      methodName,
		"paidWith":    paidWith,
		"paidBy":      paidBy,
		"seq":         itemSeq,
		"add":         func(a, b int) int { return a + b },
		"isManual":    func(m service.BillingMode) bool { return m == service.Manual },
		"fieldID":     fieldID,
		// args builds a map for partials that take several values.
		"args": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		// newtoken is a fresh one-time token for a one-button form.
		"newtoken": uuid.NewString,
		// field builds an input for the field partial:
		// field form name label type [hint] [required].
		"field": func(f *form, name, label, typ string, extra ...any) input {
			in := input{Name: name, Label: label, Type: typ, Value: f.Value(name), Error: f.Error(name), ID: fieldID(name)}
			for _, e := range extra {
				switch x := e.(type) {
				case string:
					in.Hint = x
				case bool:
					in.Required = x
				}
			}
			return in
		},
		// choice builds a select: choice form name label value1 label1 value2 label2…
		"choice": func(f *form, name, label string, pairs ...string) input {
			in := input{Name: name, Label: label, Type: "select", Value: f.Value(name), Error: f.Error(name), ID: fieldID(name)}
			for i := 0; i+1 < len(pairs); i += 2 {
				in.Options = append(in.Options, option{Value: pairs[i], Label: pairs[i+1]})
			}
			return in
		},
		"currencies": currencyChoice,
		"zones":      zoneChoice,
		// methods builds a select of the client's active payment methods.
		"methods": func(f *form, name, label string, c *projections.ClientSummary, blank string) input {
			in := input{Name: name, Label: label, Type: "select", Value: f.Value(name), Error: f.Error(name), ID: fieldID(name)}
			if blank != "" {
				in.Options = append(in.Options, option{Value: "", Label: blank})
			}
			if c != nil {
				for _, m := range c.PaymentMethods {
					if m.Status == "active" {
						in.Options = append(in.Options, option{Value: m.ID.String(), Label: m.Label})
					}
				}
			}
			return in
		},
	}
	for name, f := range moneyFuncs() {
		m[name] = f
	}
	for name, f := range emailFuncs() {
		m[name] = f
	}
	return m
}

// emailKinds name the outbox's emails for staff.
var emailKinds = map[outbox.Kind]string{
	outbox.KindInvoiceIssued:         "Invoice",
	outbox.KindPaymentReceipt:        "Receipt",
	outbox.KindPaymentRejected:       "Payment declined",
	outbox.KindUpcomingCharge:        "Upcoming charge reminder",
	outbox.KindMethodExpiring:        "Card expiring reminder",
	outbox.KindProposal:              "Proposal",
	outbox.KindInvoiceSent:           "Invoice, sent again",
	outbox.KindPaymentDetailsRequest: "Payment details request",
	outbox.KindDisputeOpened:         "Payment disputed, to staff",
	outbox.KindRefundIssued:          "Refund",
	outbox.KindCreditNoteIssued:      "Credit note",
	outbox.KindProposalReminder:      "Proposal reminder",
	outbox.KindProposalViewed:        "Proposal viewed, to staff",
	outbox.KindProposalAccepted:      "Proposal accepted, to staff",
	outbox.KindProposalDeclined:      "Proposal declined, to staff",
}

// emailFuncs show the emails about an invoice or a proposal.
func emailFuncs() template.FuncMap {
	return template.FuncMap{
		"emailKind": func(k outbox.Kind) string {
			if s, ok := emailKinds[k]; ok {
				return s
			}
			return statusText(k)
		},
		"activityWhat": activityWhat,
		// newform is an empty form, for a page's forms other than the one
		// that failed.
		"newform": newForm,
		// lastEmail is the latest of a list of emails, or nil.
		"lastEmail": func(es []projections.EmailView) *projections.EmailView {
			if len(es) == 0 {
				return nil
			}
			return &es[len(es)-1]
		},
	}
}

// moneyFuncs format prices, discounts and proposal totals in the app's money
// format.
func moneyFuncs() template.FuncMap {
	return template.FuncMap{
		"cadences": fmtCadences,
		// price is a unit price in its currency ("A$690.00").
		"price": func(d decimal.Decimal, c domain.Currency) string { return fmtMoney(domain.NewMoney(d, c)) },
		// discountIn says a discount with an amount off in its currency
		// ("A$50.00 off", "10%").
		"discountIn": func(d domain.Discount, c domain.Currency) string {
			if d.Kind == domain.DiscountAmount {
				return fmtMoney(domain.NewMoney(d.Value, c)) + " off"
			}
			return fmtDiscount(d)
		},
	}
}

func isoDate(d domain.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// declineText tells a gateway's decline for people: its message, then its
// code as a detail ("Your card was declined. Gateway code: card_declined").
func declineText(message, code string) string {
	message, code = strings.TrimSpace(message), strings.TrimSpace(code)
	switch {
	case code == "":
		return message
	case message == "":
		return "Gateway code: " + code
	}
	return domain.Sentence(message) + " Gateway code: " + code
}
