package invoice

import (
	"maps"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// Status is an invoice's status. All but StatusOverdue are stored facts,
// folded from events; overdue is derived by State.StatusOn.
type Status string

// Statuses.
const (
	StatusNone             Status = ""                  // not yet issued
	StatusAwaitingPayment  Status = "awaiting_payment"  // issued, nothing scheduled or collected yet
	StatusPaymentScheduled Status = "payment_scheduled" // a collection or retry is scheduled
	StatusPaid             Status = "paid"              // nothing is outstanding
	StatusPartlyPaid       Status = "partly_paid"       // some payment arrived, some is outstanding
	StatusPaymentRejected  Status = "payment_rejected"  // the last collection attempt was declined
	StatusWrittenOff       Status = "written_off"       // the outstanding balance was written off
	StatusVoid             Status = "void"              // cancelled; takes nothing more
	StatusOverdue          Status = "overdue"           // derived: unpaid after its due date (never stored)
)

// PaymentMethod is how an offline payment was made.
type PaymentMethod string

// Offline payment methods.
const (
	PaidByBankTransfer PaymentMethod = "bank_transfer"
	PaidByCash         PaymentMethod = "cash"
	PaidByCheque       PaymentMethod = "cheque"
	PaidByOther        PaymentMethod = "other"
)

// AttemptOutcome is the outcome of a collection attempt.
type AttemptOutcome string

// Attempt outcomes.
const (
	AttemptSucceeded AttemptOutcome = "succeeded"
	AttemptRejected  AttemptOutcome = "rejected"
)

// Collection is a scheduled collection (or retry) of payment.
type Collection struct {
	Date            domain.Date
	PaymentMethodID uuid.UUID
	Retry           bool
}

// Rejection is the last declined collection attempt.
type Rejection struct {
	AttemptID      uuid.UUID
	DeclineCode    string
	DeclineMessage string
}

// State is an invoice as folded from its events. The zero State is an invoice
// not yet issued.
type State struct {
	ID              uuid.UUID `json:",omitzero"`
	ClientID        uuid.UUID `json:",omitzero"`
	Number          string    `json:",omitzero"`
	Currency        domain.Currency
	IssueDate       domain.Date    `json:",omitzero"`
	DueDate         domain.Date    `json:",omitzero"`
	TaxMode         domain.TaxMode `json:",omitzero"`
	Lines           []Line         `json:",omitzero"`
	Totals          Totals         `json:",omitzero"`
	Recurring       bool           `json:",omitzero"`
	PaymentMethodID uuid.UUID      `json:",omitzero"` // the method on file when issued, or the last one collection used

	Status        Status     `json:",omitzero"`
	SendCount     int        `json:",omitzero"`
	LastRecipient string     `json:",omitzero"`
	Collection    Collection `json:",omitzero"` // zero when no collection is scheduled
	// CollectionCancelled: staff cancelled the last scheduled collection or
	// retry and nothing was scheduled since, so no run schedules one.
	CollectionCancelled bool      `json:",omitzero"`
	LastRejection       Rejection `json:",omitzero"` // zero until a collection attempt is declined
	VoidReason          string    `json:",omitzero"`
	// AbandonedReason and AbandonedNumber are set when the invoice was never
	// issued and never will be (InvoiceAbandoned); Status stays StatusNone.
	AbandonedReason, AbandonedNumber string `json:",omitzero"`

	Paid       domain.Money // collected and offline payments
	Credited   domain.Money // credit notes
	WrittenOff domain.Money // write-offs

	// Ids already recorded, so that a repeated command adds nothing. These
	// maps are copied on write: Evolve never changes the maps of the State it
	// was given.
	Attempts    map[uuid.UUID]AttemptOutcome `json:",omitzero"`
	Payments    map[uuid.UUID]bool           `json:",omitzero"`
	CreditNotes map[uuid.UUID]bool           `json:",omitzero"`

	// Refunds and disputes (refund.go): Refunded is what gateway refunds
	// paid back (Paid is already net of it); Charges the gateway charges
	// collected, by reference, in ChargeRefs' order.
	Refunded domain.Money
	Refunds  map[uuid.UUID]bool `json:",omitzero"`
	// Duplicates are the attempts whose payments were refunded as
	// duplicates (InvoiceDuplicatePaymentRefunded).
	Duplicates map[uuid.UUID]bool    `json:",omitzero"`
	Disputes   map[uuid.UUID]Dispute `json:",omitzero"`
	Charges    map[string]Charge     `json:",omitzero"`
	ChargeRefs []string              `json:",omitzero"`

	// Dunning (dunning.go): the reminder steps sent and the date of the
	// last, whether staff paused the dunning, and whether the retries of the current collection ran
	// out (a new collection scheduled starts again), when, and the
	// write-off date the policy set then (zero: none).
	RemindersSent      map[string]bool `json:",omitzero"`
	LastReminderOn     domain.Date     `json:",omitzero"`
	RemindersPaused    bool            `json:",omitzero"`
	RemindersResumedAt time.Time       `json:",omitzero"` // when staff last resumed them (zero: never)
	DunningExhausted   bool            `json:",omitzero"`
	DunningExhaustedOn domain.Date     `json:",omitzero"`
	WriteOffOn         domain.Date     `json:",omitzero"`

	// SurchargeLines are the ids of the surcharge lines among Lines
	// (surcharge.go).
	SurchargeLines map[uuid.UUID]bool `json:",omitzero"`
}

// Issued reports whether the invoice exists.
func (s State) Issued() bool { return s.Status != StatusNone }

// Balance is the amount outstanding: total − payments − credits − write-offs.
func (s State) Balance() domain.Money {
	amount := s.Totals.Gross.Amount.Sub(s.Paid.Amount).Sub(s.Credited.Amount).Sub(s.WrittenOff.Amount)
	return domain.Money{Amount: amount, Currency: s.Currency}
}

// AnyPaymentCollected reports whether money was received, by the gateway or
// offline.
func (s State) AnyPaymentCollected() bool { return s.Paid.Amount.IsPositive() }

// StatusOn returns the status as seen on the given day: the stored status, or
// StatusOverdue when the invoice is unpaid (awaiting payment, payment
// scheduled, partly paid or payment rejected) after its due date.
func (s State) StatusOn(today domain.Date) Status {
	switch s.Status {
	case StatusAwaitingPayment, StatusPaymentScheduled, StatusPartlyPaid, StatusPaymentRejected:
		if today.After(s.DueDate) && s.Balance().Amount.IsPositive() {
			return StatusOverdue
		}
	}
	return s.Status
}

// Fold evolves the zero State through events.
func Fold(events []domain.Event) State {
	var s State
	for _, e := range events {
		s = Evolve(s, e)
	}
	return s
}

// Evolve applies one event to the state. It never fails and never validates;
// unknown events are ignored.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case InvoiceAbandoned:
		s.ID, s.AbandonedNumber, s.AbandonedReason = e.InvoiceID, e.Number, e.Reason
	case InvoiceIssued:
		s = State{
			ID:              e.InvoiceID,
			ClientID:        e.ClientID,
			Number:          e.Number,
			Currency:        e.Currency,
			IssueDate:       e.IssueDate,
			DueDate:         e.DueDate,
			TaxMode:         e.TaxMode,
			Lines:           e.Lines,
			Totals:          e.Totals,
			Recurring:       e.Recurring,
			PaymentMethodID: e.PaymentMethodID,
			Status:          StatusAwaitingPayment,
			Paid:            domain.Zero(e.Currency),
			Credited:        domain.Zero(e.Currency),
			WrittenOff:      domain.Zero(e.Currency),
			Refunded:        domain.Zero(e.Currency),
		}
		if s.Balance().IsZero() {
			s.Status = StatusPaid // a zero invoice has nothing to collect
		}
	case InvoiceSent:
		s.SendCount++
		s.LastRecipient = e.Recipient
	case InvoiceCollectionScheduled:
		s.Collection = Collection{Date: e.Date, PaymentMethodID: e.PaymentMethodID}
		s.DunningExhausted, s.DunningExhaustedOn, s.WriteOffOn = false, domain.Date{}, domain.Date{}
		s.CollectionCancelled = false
		s.PaymentMethodID = e.PaymentMethodID
		s.Status = StatusPaymentScheduled
	case InvoiceRetryScheduled:
		s.Collection = Collection{Date: e.Date, PaymentMethodID: e.PaymentMethodID, Retry: true}
		s.CollectionCancelled = false
		s.PaymentMethodID = e.PaymentMethodID
		s.Status = StatusPaymentScheduled
	case InvoiceCollectionCancelled:
		s.Collection = Collection{}
		s.CollectionCancelled = true
		switch {
		case e.Retry:
			s.Status = StatusPaymentRejected // the rejection stands, nothing retries it
		case s.AnyPaymentCollected():
			s.Status = StatusPartlyPaid
		default:
			s.Status = StatusAwaitingPayment
		}
	case InvoicePaymentSucceeded:
		s.Attempts = with(s.Attempts, e.AttemptID, AttemptSucceeded)
		s.Paid = domain.Money{Amount: s.Paid.Amount.Add(e.Amount.Amount), Currency: s.Currency}
		s = s.recordCharge(e)
		s.Collection = Collection{}
		s.Status = s.afterMoneyIn()
	case InvoicePaymentRejected:
		s.Attempts = with(s.Attempts, e.AttemptID, AttemptRejected)
		s.Collection = Collection{}
		s.LastRejection = Rejection{AttemptID: e.AttemptID, DeclineCode: e.DeclineCode, DeclineMessage: e.DeclineMessage}
		s.Status = StatusPaymentRejected
	case InvoicePaymentRecorded:
		s.Payments = with(s.Payments, e.PaymentID, true)
		s.Paid = domain.Money{Amount: s.Paid.Amount.Add(e.Amount.Amount), Currency: s.Currency}
		s.Status = s.afterMoneyIn()
		if s.Status == StatusPaid {
			s.Collection = Collection{}
		}
	case InvoiceCreditNoteIssued:
		s.CreditNotes = with(s.CreditNotes, e.CreditNoteID, true)
		s.Credited = domain.Money{Amount: s.Credited.Amount.Add(e.Amount.Amount), Currency: s.Currency}
		if s.Status != StatusWrittenOff { // a refund's credit note on a written-off invoice
			s.Status = s.afterMoneyIn()
		}
		if s.Status == StatusPaid {
			s.Collection = Collection{}
		}
	case InvoiceWrittenOff:
		s.WrittenOff = domain.Money{Amount: s.WrittenOff.Amount.Add(e.Amount.Amount), Currency: s.Currency}
		s.Collection = Collection{}
		s.Status = StatusWrittenOff
	case InvoiceVoided:
		s.Collection = Collection{}
		s.VoidReason = e.Reason
		s.Status = StatusVoid
	case InvoiceSurchargeAdded:
		s.Lines = append(s.Lines[:len(s.Lines):len(s.Lines)], e.Line)
		s.Totals = e.Totals
		s.SurchargeLines = with(s.SurchargeLines, e.Line.LineID, true)
	default:
		if d, ok := evolveDunning(s, e); ok {
			return d
		}
		s, _ = evolveRefunds(s, e)
	}
	return s
}

// afterMoneyIn is the status once a payment or credit reduced the balance:
// paid when nothing is outstanding; payment scheduled while a collection is
// still scheduled for the rest; partly paid when some money was received;
// otherwise unchanged (a credit note alone does not change how payment is
// awaited).
func (s State) afterMoneyIn() Status {
	switch {
	case !s.Balance().Amount.IsPositive():
		return StatusPaid
	case !s.Collection.Date.IsZero():
		return StatusPaymentScheduled
	case s.AnyPaymentCollected():
		return StatusPartlyPaid
	}
	return s.Status
}

// with returns a copy of m with k set to v.
func with[V any](m map[uuid.UUID]V, k uuid.UUID, v V) map[uuid.UUID]V {
	out := make(map[uuid.UUID]V, len(m)+1)
	maps.Copy(out, m)
	out[k] = v
	return out
}
