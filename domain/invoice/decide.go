package invoice

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// Command is a request to change an invoice. The set of commands is closed:
// only this package's types implement it.
type Command interface{ invoiceCommand() }

// NewLine is one line of an invoice to issue. UnitPrice must be in the
// invoice's currency. ServiceID and ItemKey name the schedule item billed; an
// instant-bill line has neither.
type NewLine struct {
	LineID      uuid.UUID
	Description string
	Quantity    decimal.Decimal
	UnitPrice   domain.Money
	Discount    domain.Discount
	TaxRate     decimal.Decimal // percent
	ServiceID   uuid.UUID       // optional
	ItemKey     string          // optional; requires ServiceID
}

// Issue issues the invoice. Number comes from the numbering stream; DueDate is
// computed by the caller from the payment terms.
type Issue struct {
	InvoiceID       uuid.UUID
	ClientID        uuid.UUID
	Number          string
	Currency        domain.Currency
	IssueDate       domain.Date
	DueDate         domain.Date
	TaxMode         domain.TaxMode
	Lines           []NewLine
	Recurring       bool      // billed from a recurring schedule rather than once-off
	PaymentMethodID uuid.UUID // optional: the method to collect from
	// CollectionDate, when set, schedules collecting the invoice from
	// PaymentMethodID on that date together with its issue
	// (InvoiceCollectionScheduled follows InvoiceIssued), so an invoice with
	// a method is never left without a collection. Ignored when there is no
	// method or nothing to collect.
	CollectionDate domain.Date
	// Client is the client's currency and methods: Currency must be the
	// client's and PaymentMethodID one of its methods.
	Client domain.ClientFacts
	Now    time.Time
}

// Send emails the invoice (again) to a recipient.
type Send struct {
	Recipient string
	Now       time.Time
}

// ScheduleCollection schedules collecting the balance from a payment method
// on a date (or moves an already scheduled collection).
type ScheduleCollection struct {
	Date            domain.Date
	PaymentMethodID uuid.UUID
	// Client is the client's methods: a method other than the invoice's own
	// (checked when it was issued) must be one of them.
	Client domain.ClientFacts
	Now    time.Time
}

// RecordCollectionAttempt records what the payment gateway answered to one
// collection attempt. For AttemptSucceeded, GatewayReference and Amount are
// required; for AttemptRejected, DeclineCode (and ideally DeclineMessage).
// Date is the firm's calendar date of the attempt (the collection run's
// as-of date); the caller works it out, since decide knows no time zone.
type RecordCollectionAttempt struct {
	AttemptID        uuid.UUID
	Outcome          AttemptOutcome
	PaymentMethodID  uuid.UUID      // optional: the method charged
	Through          PaymentChannel // how the client paid on their own (InvoicePaymentSucceeded.Through)
	PaidWith         *MethodUsed    // the method they paid with, when not kept (InvoicePaymentSucceeded.PaidWith)
	GatewayReference string
	Amount           domain.Money
	DeclineCode      string
	DeclineMessage   string
	Date             domain.Date
	// Surcharge, when set, is the surcharge the charge carried: a
	// successful Amount of the balance plus its line (State.SurchargedAmount)
	// records InvoiceSurchargeAdded before InvoicePaymentSucceeded
	// (surcharge.go); an Amount no more than the balance records none.
	Surcharge *Surcharge
	Now       time.Time
}

// CancelCollection cancels the scheduled collection or retry; the reason is
// optional.
type CancelCollection struct {
	Reason string
	Now    time.Time
}

// ScheduleRetry schedules retrying a rejected collection on a date, from
// PaymentMethodID or, when that is zero, from the method last used. While a
// retry is pending it replaces that retry (there is only ever one).
type ScheduleRetry struct {
	Date            domain.Date
	PaymentMethodID uuid.UUID
	// Client is the client's methods: a method other than the invoice's own
	// (checked when it was issued) must be one of them.
	Client domain.ClientFacts
	Now    time.Time
}

// RecordOfflinePayment records a payment received outside the gateway.
// Partial payments are allowed; overpayment is not.
type RecordOfflinePayment struct {
	PaymentID uuid.UUID
	Method    PaymentMethod
	Reference string
	Amount    domain.Money
	Date      domain.Date
	Now       time.Time
}

// WriteOff writes off the whole outstanding balance.
type WriteOff struct {
	Reason string
	Now    time.Time
}

// Void cancels the invoice; refused once any payment was collected.
type Void struct {
	Reason string
	Now    time.Time
}

// IssueCreditNote credits part or all of the outstanding balance.
type IssueCreditNote struct {
	CreditNoteID uuid.UUID
	Amount       domain.Money
	Reason       string
	Now          time.Time
}

func (Issue) invoiceCommand()                   {}
func (Send) invoiceCommand()                    {}
func (ScheduleCollection) invoiceCommand()      {}
func (RecordCollectionAttempt) invoiceCommand() {}
func (ScheduleRetry) invoiceCommand()           {}
func (RecordOfflinePayment) invoiceCommand()    {}
func (WriteOff) invoiceCommand()                {}
func (Void) invoiceCommand()                    {}
func (IssueCreditNote) invoiceCommand()         {}
func (CancelCollection) invoiceCommand()        {}

// Decide checks c against s and returns the events that record it, or a
// *domain.Error (a validation error for several fields) saying in a user's
// words why not. No events and no error means there was nothing to do.
func Decide(s State, c Command) ([]domain.Event, error) {
	switch c := c.(type) {
	case Issue:
		return issue(s, c)
	case Send:
		return send(s, c)
	case ScheduleCollection:
		return scheduleCollection(s, c)
	case RecordCollectionAttempt:
		return recordCollectionAttempt(s, c)
	case ScheduleRetry:
		return scheduleRetry(s, c)
	case RecordOfflinePayment:
		return recordOfflinePayment(s, c)
	case WriteOff:
		return writeOff(s, c)
	case Void:
		return void(s, c)
	case IssueCreditNote:
		return issueCreditNote(s, c)
	case CancelCollection:
		return cancelCollection(s, c)
	case Abandon:
		return abandon(s, c)
	case RefundPayment:
		return refundPayment(s, c)
	case RecordDispute:
		return recordDispute(s, c)
	case CloseDispute:
		return closeDispute(s, c)
	case SendReminder:
		return sendReminder(s, c)
	case ExhaustDunning:
		return exhaustDunning(s, c)
	case PauseReminders:
		return pauseReminders(s, c)
	case ResumeReminders:
		return resumeReminders(s, c)
	case RecordDuplicateRefund:
		return recordDuplicateRefund(s, c)
	}
	return nil, domain.Errorf(domain.EINTERNAL, "unknown invoice command %T", c)
}

func issue(s State, c Issue) ([]domain.Event, error) {
	if s.Issued() {
		if s.Number == c.Number && s.ID == c.InvoiceID {
			return nil, nil // a retried issue
		}
		return nil, domain.Conflict("This invoice has already been issued as %s.", s.Number)
	}
	if s.AbandonedReason != "" {
		return nil, domain.Conflict("This invoice was never issued and cannot be now: its number %s was voided (%s). Issue a new invoice.", s.AbandonedNumber, s.AbandonedReason)
	}
	var p domain.Problems
	checkIssueHeader(&p, c)
	switch {
	case len(c.Lines) == 0:
		p.Add("lines", "an invoice needs at least one line")
	case len(c.Lines) > domain.MaxInvoiceLines:
		// Refused before any line is looked at: the caller decides before it
		// reserves a number, so nothing is reserved or appended.
		return nil, domain.Invalid("lines", "an invoice has at most %d lines (this one has %d): split it into several invoices", domain.MaxInvoiceLines, len(c.Lines))
	}
	lines := make([]Line, 0, len(c.Lines))
	seen := seenOnInvoice{lineIDs: map[uuid.UUID]bool{}, itemKeys: map[string]bool{}}
	for i, l := range c.Lines {
		lines = append(lines, issueLine(&p, c, fmt.Sprintf("lines[%d].", i), l, &seen))
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	totals := sumLines(c.Currency, lines)
	events := []domain.Event{InvoiceIssued{
		InvoiceID:       c.InvoiceID,
		ClientID:        c.ClientID,
		Number:          strings.TrimSpace(c.Number),
		Currency:        c.Currency,
		IssueDate:       c.IssueDate,
		DueDate:         c.DueDate,
		TaxMode:         c.TaxMode,
		Lines:           lines,
		Totals:          totals,
		Recurring:       c.Recurring,
		PaymentMethodID: c.PaymentMethodID,
		At:              c.Now,
	}}
	if !c.CollectionDate.IsZero() && c.PaymentMethodID != uuid.Nil && totals.Gross.Amount.IsPositive() {
		events = append(events, InvoiceCollectionScheduled{InvoiceID: c.InvoiceID, Date: c.CollectionDate, PaymentMethodID: c.PaymentMethodID, At: c.Now})
	}
	return events, nil
}

// checkIssueHeader reports the problems of everything an issue states
// besides its lines.
func checkIssueHeader(p *domain.Problems, c Issue) {
	if c.InvoiceID == uuid.Nil {
		p.Add("invoice_id", "an invoice id is required")
	}
	if c.ClientID == uuid.Nil {
		p.Add("client_id", "choose the client to invoice")
	}
	if strings.TrimSpace(c.Number) == "" {
		p.Add("number", "an invoice number is required")
	}
	if c.Currency.IsZero() {
		p.Add("currency", "choose the invoice's currency")
	}
	c.Client.CheckCurrency(p, "currency", c.Currency)
	c.Client.CheckPaymentMethod(p, "payment_method_id", c.PaymentMethodID)
	if c.IssueDate.IsZero() {
		p.Add("issue_date", "an issue date is required")
	}
	switch {
	case c.DueDate.IsZero():
		p.Add("due_date", "a due date is required")
	case !c.IssueDate.IsZero() && c.DueDate.Before(c.IssueDate):
		p.Add("due_date", "the due date (%s) cannot be before the issue date (%s)", c.DueDate, c.IssueDate)
	}
	if !c.CollectionDate.IsZero() && !c.IssueDate.IsZero() && c.CollectionDate.Before(c.IssueDate) {
		p.Add("collection_date", "payment cannot be collected before the invoice's issue date (%s)", c.IssueDate)
	}
	if !validTaxMode(c.TaxMode) {
		p.Add("tax_mode", "prices must be stated exclusive or inclusive of tax")
	}
}

func validTaxMode(m domain.TaxMode) bool {
	return m == domain.TaxExclusive || m == domain.TaxInclusive
}

// seenOnInvoice is what the lines before this one used: a line id or a
// schedule item appears once per invoice.
type seenOnInvoice struct {
	lineIDs  map[uuid.UUID]bool
	itemKeys map[string]bool
}

// issueLine checks one line of an issue (its field names prefixed by f)
// and returns it with its amounts, which are computed only once currency
// and tax mode are sound, so that their problems are reported once, not on
// every line.
func issueLine(p *domain.Problems, c Issue, f string, l NewLine, seen *seenOnInvoice) Line {
	if l.LineID == uuid.Nil {
		p.Add(f+"line_id", "a line id is required")
	} else if seen.lineIDs[l.LineID] {
		p.Add(f+"line_id", "this line id is used twice")
	}
	seen.lineIDs[l.LineID] = true
	switch {
	case strings.TrimSpace(l.Description) == "":
		p.Add(f+"description", "describe what this line bills")
	case l.ItemKey == "" && utf8.RuneCountInString(l.Description) > domain.MaxDescriptionLength:
		// An item's description was checked when it was entered.
		p.Add(f+"description", "the description is too long (at most %d characters)", domain.MaxDescriptionLength)
	}
	if l.Quantity.IsZero() { // ComputeLine reports a negative quantity
		p.Add(f+"quantity", "the quantity must be more than zero")
	}
	if l.UnitPrice.IsNegative() {
		p.Add(f+"unit_price", "the unit price cannot be negative")
	}
	if !c.Currency.IsZero() && l.UnitPrice.Currency != c.Currency {
		p.Add(f+"unit_price", "the price is in %s but the invoice is in %s: currencies never mix", orNone(l.UnitPrice.Currency), c.Currency)
	}
	if l.ItemKey != "" {
		if l.ServiceID == uuid.Nil {
			p.Add(f+"service_id", "a line billing a schedule item must name its service")
		}
		if seen.itemKeys[l.ItemKey] {
			p.Add(f+"item_key", "schedule item %s is billed twice on this invoice", l.ItemKey)
		}
		seen.itemKeys[l.ItemKey] = true
	}
	return Line{
		LineID:      l.LineID,
		Description: strings.TrimSpace(l.Description),
		Quantity:    l.Quantity,
		UnitPrice:   l.UnitPrice,
		Discount:    l.Discount,
		TaxRate:     l.TaxRate,
		ServiceID:   l.ServiceID,
		ItemKey:     l.ItemKey,
		Amounts:     lineAmounts(p, c, f, l),
	}
}

// lineAmounts computes a line's amounts when its invoice's currency and tax
// mode allow, reporting why they cannot be.
func lineAmounts(p *domain.Problems, c Issue, f string, l NewLine) domain.LineAmounts {
	in := domain.LineInput{Quantity: l.Quantity, UnitPrice: l.UnitPrice.Amount, Discount: l.Discount, TaxRate: l.TaxRate}
	if l.ItemKey == "" && !c.Currency.IsZero() {
		// An instant-bill line is entered now (an item's terms were
		// checked when they were entered): refused, never rounded.
		var q domain.Problems
		if !domain.CheckLineInput(&q, c.Currency, in) {
			addProblems(p, f, q.Err())
			return domain.LineAmounts{}
		}
	}
	if !validTaxMode(c.TaxMode) || c.Currency.IsZero() {
		return domain.LineAmounts{}
	}
	amounts, err := domain.ComputeLine(c.Currency, c.TaxMode, in)
	switch {
	case err != nil:
		addProblems(p, f, err)
	case amounts.Gross.IsNegative():
		p.Add(f+"discount", "the discount is more than the line's amount")
	}
	return amounts
}

// sumLines totals the lines' rounded amounts.
func sumLines(cur domain.Currency, lines []Line) Totals {
	totals := Totals{Net: domain.Zero(cur), Tax: domain.Zero(cur), Gross: domain.Zero(cur)}
	for _, l := range lines {
		// Currencies were checked above, so Add cannot fail here.
		totals.Net, _ = totals.Net.Add(l.Amounts.Net)
		totals.Tax, _ = totals.Tax.Add(l.Amounts.Tax)
		totals.Gross, _ = totals.Gross.Add(l.Amounts.Gross)
	}
	return totals
}

// addProblems copies the field problems of err under prefix.
func addProblems(p *domain.Problems, prefix string, err error) {
	switch e := err.(type) {
	case *domain.ValidationError:
		for _, q := range e.Problems {
			*p = append(*p, domain.Invalid(prefix+q.Field, "%s", q.Message))
		}
	case *domain.Error:
		*p = append(*p, domain.Invalid(prefix+e.Field, "%s", e.Message))
	default:
		*p = append(*p, domain.Invalid(strings.TrimSuffix(prefix, "."), "%s", domain.ErrorMessage(err)))
	}
}

func orNone(c domain.Currency) string {
	if c.IsZero() {
		return "no currency"
	}
	return c.Code
}

// usable refuses commands on an invoice that does not exist or is void.
// doing completes "Invoice INV-000042 is void and cannot …".
func usable(s State, doing string) error {
	switch s.Status {
	case StatusNone:
		return domain.NotFound("There is no such invoice.")
	case StatusVoid:
		return domain.Conflict("Invoice %s is void and cannot %s.", s.Number, doing)
	}
	return nil
}

// collectable refuses commands that need an outstanding balance.
func collectable(s State, doing string) error {
	if err := usable(s, doing); err != nil {
		return err
	}
	switch {
	case s.Status == StatusWrittenOff:
		return domain.Conflict("Invoice %s has been written off and cannot %s.", s.Number, doing)
	case !s.Balance().Amount.IsPositive():
		return domain.Conflict("Invoice %s is already paid and cannot %s.", s.Number, doing)
	}
	return nil
}

// checkAmount reports a problem with an amount of money paid or credited
// against the invoice: it must be positive, in the invoice's currency, and in
// the currency's minor units.
func checkAmount(p *domain.Problems, s State, field string, m domain.Money) {
	switch {
	case m.Currency != s.Currency:
		p.Add(field, "the amount is in %s but invoice %s is in %s: currencies never mix", orNone(m.Currency), s.Number, s.Currency)
	case !m.Amount.IsPositive():
		p.Add(field, "the amount must be more than zero")
	default:
		domain.CheckAmount(p, field, m.Amount, s.Currency) // refused, never rounded
	}
}

func send(s State, c Send) ([]domain.Event, error) {
	if err := usable(s, "be sent"); err != nil {
		return nil, err
	}
	recipient := strings.TrimSpace(c.Recipient)
	if recipient == "" {
		return nil, domain.Invalid("recipient", "enter the email address to send the invoice to")
	}
	if a, err := mail.ParseAddress(recipient); err != nil || a.Address != recipient {
		return nil, domain.Invalid("recipient", "%q is not an email address", c.Recipient)
	}
	return []domain.Event{InvoiceSent{InvoiceID: s.ID, ClientID: s.ClientID, Recipient: recipient, Resent: s.SendCount > 0, At: c.Now}}, nil
}

func scheduleCollection(s State, c ScheduleCollection) ([]domain.Event, error) {
	if err := collectable(s, "have a payment collection scheduled"); err != nil {
		return nil, err
	}
	var p domain.Problems
	switch {
	case c.Date.IsZero():
		p.Add("date", "choose the date to collect payment")
	case c.Date.Before(s.IssueDate):
		p.Add("date", "payment cannot be collected before the invoice's issue date (%s)", s.IssueDate)
	}
	if c.PaymentMethodID == uuid.Nil {
		p.Add("payment_method_id", "choose the payment method to collect from")
	} else if c.PaymentMethodID != s.PaymentMethodID {
		c.Client.CheckPaymentMethod(&p, "payment_method_id", c.PaymentMethodID)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if s.Status == StatusPaymentScheduled && s.Collection.Date == c.Date && s.Collection.PaymentMethodID == c.PaymentMethodID {
		return nil, nil // already scheduled just so
	}
	return []domain.Event{InvoiceCollectionScheduled{InvoiceID: s.ID, Date: c.Date, PaymentMethodID: c.PaymentMethodID, At: c.Now}}, nil
}

func recordCollectionAttempt(s State, c RecordCollectionAttempt) ([]domain.Event, error) {
	if s.Status == StatusNone {
		return nil, domain.NotFound("There is no such invoice.")
	}
	if c.AttemptID == uuid.Nil {
		return nil, domain.Invalid("attempt_id", "an attempt id is required")
	}
	if outcome, ok := s.Attempts[c.AttemptID]; ok {
		if outcome == c.Outcome {
			return nil, nil // the gateway told us twice
		}
		return nil, domain.Conflict("Collection attempt %s on invoice %s was already recorded as %s.", c.AttemptID, s.Number, outcome)
	}
	if err := collectable(s, "take a payment"); err != nil {
		return nil, err
	}
	var p domain.Problems
	switch c.Outcome {
	case AttemptSucceeded:
		if strings.TrimSpace(c.GatewayReference) == "" {
			p.Add("gateway_reference", "a successful collection needs the gateway's reference")
		}
		checkAmount(&p, s, "amount", c.Amount)
		if c.PaidWith != nil && (c.Through != PaidThroughPayNow || c.PaymentMethodID != uuid.Nil) {
			p.Add("paid_with", "only a pay-now payment with a method not kept on file names the method it was made with")
		}
		if err := p.Err(); err != nil {
			return nil, err
		}
		sur, err := surchargeEvent(s, c)
		if err != nil {
			return nil, err
		}
		var events []domain.Event
		if sur != nil {
			events = append(events, *sur)
		} else if c.Amount.Amount.GreaterThan(s.Balance().Amount) {
			return nil, domain.Invalid("amount", "a payment of %s is more than the %s outstanding on invoice %s", c.Amount, s.Balance(), s.Number)
		}
		return append(events, InvoicePaymentSucceeded{
			InvoiceID:        s.ID,
			AttemptID:        c.AttemptID,
			PaymentMethodID:  c.PaymentMethodID,
			GatewayReference: strings.TrimSpace(c.GatewayReference),
			Amount:           c.Amount,
			Date:             c.Date,
			Through:          c.Through,
			PaidWith:         c.PaidWith,
			At:               c.Now,
		}), nil
	case AttemptRejected:
		if strings.TrimSpace(c.DeclineCode) == "" {
			p.Add("decline_code", "a rejected collection needs the gateway's decline code")
		}
		if err := p.Err(); err != nil {
			return nil, err
		}
		return []domain.Event{InvoicePaymentRejected{
			InvoiceID:       s.ID,
			AttemptID:       c.AttemptID,
			PaymentMethodID: c.PaymentMethodID,
			DeclineCode:     strings.TrimSpace(c.DeclineCode),
			DeclineMessage:  strings.TrimSpace(c.DeclineMessage),
			Date:            c.Date,
			At:              c.Now,
		}}, nil
	}
	return nil, domain.Invalid("outcome", "an attempt either succeeded or was rejected")
}

func scheduleRetry(s State, c ScheduleRetry) ([]domain.Event, error) {
	if err := collectable(s, "have a payment retry scheduled"); err != nil {
		return nil, err
	}
	pending := s.Status == StatusPaymentScheduled && s.Collection.Retry
	if s.Status != StatusPaymentRejected && !pending {
		return nil, domain.Conflict("Invoice %s has no rejected payment to retry.", s.Number)
	}
	var p domain.Problems
	switch {
	case c.Date.IsZero():
		p.Add("date", "choose the date to retry the payment")
	case c.Date.Before(s.IssueDate):
		p.Add("date", "payment cannot be collected before the invoice's issue date (%s)", s.IssueDate)
	}
	method := c.PaymentMethodID
	if method == uuid.Nil {
		method = s.PaymentMethodID
	}
	if method == uuid.Nil {
		p.Add("payment_method_id", "choose the payment method to retry with")
	} else if method != s.PaymentMethodID {
		c.Client.CheckPaymentMethod(&p, "payment_method_id", method)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if pending && s.Collection.Date == c.Date && s.Collection.PaymentMethodID == method {
		return nil, nil // already pending just so
	}
	// A pending retry is replaced, never doubled: the state holds one
	// collection, and the run charges it once.
	return []domain.Event{InvoiceRetryScheduled{InvoiceID: s.ID, Date: c.Date, PaymentMethodID: method, At: c.Now}}, nil
}

func cancelCollection(s State, c CancelCollection) ([]domain.Event, error) {
	if err := usable(s, "have its payment collection cancelled"); err != nil {
		return nil, err
	}
	if s.Collection.Date.IsZero() {
		return nil, domain.Conflict("Invoice %s has no payment collection scheduled to cancel.", s.Number)
	}
	return []domain.Event{InvoiceCollectionCancelled{
		InvoiceID: s.ID, Date: s.Collection.Date, PaymentMethodID: s.Collection.PaymentMethodID, Retry: s.Collection.Retry,
		Reason: strings.TrimSpace(c.Reason), At: c.Now,
	}}, nil
}

func recordOfflinePayment(s State, c RecordOfflinePayment) ([]domain.Event, error) {
	if s.Status == StatusNone {
		return nil, domain.NotFound("There is no such invoice.")
	}
	if c.PaymentID == uuid.Nil {
		return nil, domain.Invalid("payment_id", "a payment id is required")
	}
	if s.Payments[c.PaymentID] {
		return nil, nil // already recorded
	}
	if err := collectable(s, "take a payment"); err != nil {
		return nil, err
	}
	var p domain.Problems
	switch c.Method {
	case PaidByBankTransfer, PaidByCash, PaidByCheque, PaidByOther:
	default:
		p.Add("method", "say how it was paid: bank transfer, cash, cheque or other")
	}
	checkAmount(&p, s, "amount", c.Amount)
	if c.Date.IsZero() {
		p.Add("date", "enter the date the payment was received")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if c.Amount.Amount.GreaterThan(s.Balance().Amount) {
		return nil, domain.Invalid("amount", "a payment of %s is more than the %s outstanding on invoice %s", c.Amount, s.Balance(), s.Number)
	}
	return []domain.Event{InvoicePaymentRecorded{
		InvoiceID: s.ID,
		PaymentID: c.PaymentID,
		Method:    c.Method,
		Reference: strings.TrimSpace(c.Reference),
		Amount:    c.Amount,
		Date:      c.Date,
		At:        c.Now,
	}}, nil
}

func writeOff(s State, c WriteOff) ([]domain.Event, error) {
	if err := collectable(s, "be written off"); err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(c.Reason)
	if reason == "" {
		return nil, domain.Invalid("reason", "say why the invoice is written off")
	}
	return []domain.Event{InvoiceWrittenOff{InvoiceID: s.ID, Amount: s.Balance(), Reason: reason, At: c.Now}}, nil
}

func void(s State, c Void) ([]domain.Event, error) {
	if err := usable(s, "be voided again"); err != nil {
		return nil, err
	}
	switch {
	case s.AnyPaymentCollected():
		return nil, domain.Conflict("Invoice %s cannot be voided because a payment was collected; issue a credit note instead.", s.Number)
	case s.Status == StatusWrittenOff:
		return nil, domain.Conflict("Invoice %s has been written off and cannot be voided.", s.Number)
	}
	reason := strings.TrimSpace(c.Reason)
	if reason == "" {
		return nil, domain.Invalid("reason", "say why the invoice is voided")
	}
	return []domain.Event{InvoiceVoided{InvoiceID: s.ID, Reason: reason, At: c.Now}}, nil
}

func issueCreditNote(s State, c IssueCreditNote) ([]domain.Event, error) {
	if s.Status == StatusNone {
		return nil, domain.NotFound("There is no such invoice.")
	}
	if c.CreditNoteID == uuid.Nil {
		return nil, domain.Invalid("credit_note_id", "a credit note id is required")
	}
	if s.CreditNotes[c.CreditNoteID] {
		return nil, nil // already issued
	}
	if err := collectable(s, "take a credit note"); err != nil {
		return nil, err
	}
	var p domain.Problems
	checkAmount(&p, s, "amount", c.Amount)
	if c.Amount.Currency == s.Currency && c.Amount.Amount.GreaterThan(s.Balance().Amount) {
		// Said beside a missing reason, so the form shows both at once.
		p.Add("amount", "a credit of %s is more than the %s outstanding on invoice %s", c.Amount, s.Balance(), s.Number)
	}
	if strings.TrimSpace(c.Reason) == "" {
		p.Add("reason", "say why the credit note is issued")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{InvoiceCreditNoteIssued{
		InvoiceID:    s.ID,
		CreditNoteID: c.CreditNoteID,
		Amount:       c.Amount,
		Reason:       strings.TrimSpace(c.Reason),
		At:           c.Now,
	}}, nil
}
