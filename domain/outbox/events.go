package outbox

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// StreamName returns the name of the email's event stream, "email-<uuid>".
func StreamName(id uuid.UUID) string { return "email-" + id.String() }

// Namespace is the uuid namespace email ids are derived in.
var Namespace = uuid.MustParse("6f1d3c2a-8e4b-5c7d-9a0b-1c2d3e4f5a6b")

// EmailID returns the deterministic id of the email of the given kind that an
// event (by its id) or a clock check (by a key such as
// "<client>/<method>/<expiry>") triggers.
func EmailID(kind Kind, trigger string) uuid.UUID {
	return uuid.NewSHA1(Namespace, []byte(string(kind)+"/"+trigger))
}

// Kind is what an email is for.
type Kind string

// Email kinds.
const (
	KindInvoiceIssued   Kind = "invoice_issued"   // the invoice, with its PDF
	KindPaymentReceipt  Kind = "payment_receipt"  // a payment was received
	KindPaymentRejected Kind = "payment_rejected" // a collection was declined
	KindMethodExpiring  Kind = "method_expiring"  // a card is about to expire
	KindUpcomingCharge  Kind = "upcoming_charge"  // a collection is a few days away
	KindProposal        Kind = "proposal"         // a proposal to accept, with its signed link
	KindInvoiceSent     Kind = "invoice_sent"     // the invoice sent (again) by staff, with its PDF
	// KindDisputeOpened is to the firm's staff, not the client: a client's
	// bank disputed a payment (a chargeback).
	KindDisputeOpened Kind = "dispute_opened"
	// KindRefundIssued tells the client a payment (or part of one) was
	// refunded to them: a refund staff made, or a duplicate payment.
	KindRefundIssued Kind = "refund_issued"
	// KindCreditNoteIssued tells the client a credit note was issued
	// against an invoice on its own (a refund's credit note is told by the
	// refund's email): its number, amount, reason and what is left to pay.
	KindCreditNoteIssued Kind = "credit_note_issued"
	// KindPaymentDetailsRequest asks the client to put a payment method on
	// file, with their signed link.
	KindPaymentDetailsRequest Kind = "payment_details_request"
	// KindProposalReminder reminds a signatory who has not signed a sent
	// proposal, with their signing link (ProposalReminderSent).
	KindProposalReminder Kind = "proposal_reminder"
	// KindProposalViewed, KindProposalAccepted and KindProposalDeclined are
	// to the firm's staff, when the firm's proposal settings ask for them:
	// a client first opened, accepted or declined a proposal.
	KindProposalViewed   Kind = "proposal_viewed"
	KindProposalAccepted Kind = "proposal_accepted"
	KindProposalDeclined Kind = "proposal_declined"
	// KindProposalSigned sends the signed-proposal PDF to each signatory
	// and to the firm's staff.
	KindProposalSigned Kind = "proposal_signed"
	// KindInvoiceReminder reminds the client of an unpaid invoice (a step
	// of the firm's dunning policy), with its pay-now link;
	// KindDunningFinalNotice tells the client the automatic retries ran
	// out; KindPaymentFailedStaff tells the firm's staff a payment was
	// rejected.
	KindInvoiceReminder    Kind = "invoice_reminder"
	KindDunningFinalNotice Kind = "dunning_final_notice"
	KindPaymentFailedStaff Kind = "payment_failed_staff"
	// KindDunningDigest is the staff's daily digest of failed payments and
	// overdue invoices (FirmDunningDigestSent).
	KindDunningDigest Kind = "dunning_digest"
	// KindPriceIncrease tells the client its prices change: the old and
	// new price of each service and the date the new ones take effect (a
	// bulk price increase's notice, or one service's price change made
	// with "notify the client").
	KindPriceIncrease Kind = "price_increase"
)

// Kinds lists every email kind.
func Kinds() []Kind {
	return []Kind{KindInvoiceIssued, KindPaymentReceipt, KindPaymentRejected, KindMethodExpiring, KindUpcomingCharge, KindProposal, KindInvoiceSent, KindDisputeOpened, KindPaymentDetailsRequest, KindRefundIssued, KindCreditNoteIssued,
		KindProposalReminder, KindProposalViewed, KindProposalAccepted, KindProposalDeclined, KindProposalSigned,
		KindInvoiceReminder, KindDunningFinalNotice, KindPaymentFailedStaff, KindPriceIncrease, KindDunningDigest}
}

// EmailQueued records that an email was decided on, before it is sent.
type EmailQueued struct {
	EmailID         uuid.UUID   `json:"email_id"`
	Kind            Kind        `json:"kind"`
	MessageID       string      `json:"message_id"`
	To              string      `json:"to"`
	ToName          string      `json:"to_name,omitempty"`
	From            string      `json:"from"`
	Subject         string      `json:"subject"`
	ClientID        uuid.UUID   `json:"client_id"`
	InvoiceID       uuid.UUID   `json:"invoice_id,omitzero"`
	ProposalID      uuid.UUID   `json:"proposal_id,omitzero"`
	PaymentMethodID uuid.UUID   `json:"payment_method_id,omitzero"`
	Date            domain.Date `json:"date,omitzero"`
	TriggerEventID  uuid.UUID   `json:"trigger_event_id,omitzero"`
	TriggerPosition uint64      `json:"trigger_position,omitempty"`
	At              time.Time   `json:"at"`
}

// EmailSent records that the transport accepted the email.
type EmailSent struct {
	EmailID   uuid.UUID `json:"email_id"`
	Transport string    `json:"transport"`
	Attempts  int       `json:"attempts"`
	At        time.Time `json:"at"`
}

// EmailFailed records that the transport refused the email for good.
type EmailFailed struct {
	EmailID  uuid.UUID `json:"email_id"`
	Reason   string    `json:"reason"`
	Attempts int       `json:"attempts"`
	At       time.Time `json:"at"`
}

// StartStreamName is the stream of the outbox's own start marker,
// "email-00000000-0000-0000-0000-000000000000".
func StartStreamName() string { return StreamName(uuid.Nil) }

// OutboxStarted records that emails were first enabled on a store whose log
// already held events up to FromPosition: those events (history loaded, a
// demo, a migration) send no email; only later ones do.
type OutboxStarted struct {
	FromPosition uint64    `json:"from_position"`
	At           time.Time `json:"at"`
}

// EventType returns "OutboxStarted".
func (OutboxStarted) EventType() string { return "OutboxStarted" }

// EventType returns "EmailQueued".
func (EmailQueued) EventType() string { return "EmailQueued" }

// EventType returns "EmailSent".
func (EmailSent) EventType() string { return "EmailSent" }

// EventType returns "EmailFailed".
func (EmailFailed) EventType() string { return "EmailFailed" }

// EventTypes lists every event type of the outbox.
func EventTypes() []string {
	return []string{"EmailQueued", "EmailSent", "EmailFailed", "OutboxStarted"}
}

// DecodeEvent decodes the JSON data of an event of the given type into its
// value.
func DecodeEvent(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case "EmailQueued":
		return domain.DecodeAs[EmailQueued](eventType, data)
	case "EmailSent":
		return domain.DecodeAs[EmailSent](eventType, data)
	case "OutboxStarted":
		return domain.DecodeAs[OutboxStarted](eventType, data)
	case "EmailFailed":
		return domain.DecodeAs[EmailFailed](eventType, data)
	}
	return nil, fmt.Errorf("outbox: unknown event type %q", eventType)
}
