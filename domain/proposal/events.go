package proposal

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// StreamName returns the name of a proposal's stream: "proposal-<uuid>".
func StreamName(id uuid.UUID) string { return "proposal-" + id.String() }

// ProposalDrafted records a new draft proposal to a client.
type ProposalDrafted struct {
	ProposalID uuid.UUID       `json:"proposal_id"`
	ClientID   uuid.UUID       `json:"client_id"`
	Title      string          `json:"title"`
	Currency   domain.Currency `json:"currency"`
	StartDate  domain.Date     `json:"start_date"` // zero: none
	Lines      []Line          `json:"lines"`
	At         time.Time       `json:"at"`
}

// ProposalDraftEdited records a draft's new title, start date and lines,
// replaced whole.
type ProposalDraftEdited struct {
	ProposalID uuid.UUID   `json:"proposal_id"`
	Title      string      `json:"title"`
	StartDate  domain.Date `json:"start_date"`
	Lines      []Line      `json:"lines"`
	At         time.Time   `json:"at"`
}

// ProposalSent records that the proposal was sent (or sent again) to the
// client for acceptance; the outbox emails it to each recipient. It is at
// schema version 2: version 1 events named one recipient_email and may lack
// recipients; upcastProposalSentV1 fills recipients in for them, so a
// ProposalSent decoded through domain/catalog always has its Recipients.
type ProposalSent struct {
	ProposalID uuid.UUID `json:"proposal_id"`
	// ClientID names whose key seals the recipients (remit/eventstore/pii); zero in
	// events recorded before it was added.
	ClientID uuid.UUID `json:"client_id,omitzero"`
	// RecipientEmail is the first recipient's address.
	RecipientEmail string `json:"recipient_email"`
	// Recipients are everyone it was sent to. Schema version 1 events
	// recorded before it was added lack it (RecipientEmail alone then); the
	// upcaster to version 2 fills it in.
	Recipients []Recipient `json:"recipients,omitempty"`
	At         time.Time   `json:"at"`
}

// Recipient is someone a proposal is sent to: one of the client's contacts
// (ContactID) or an address typed in.
type Recipient struct {
	ContactID uuid.UUID `json:"contact_id,omitzero"`
	Name      string    `json:"name,omitempty"`
	Email     string    `json:"email"`
}

// AllRecipients returns the event's recipients, also for a version 1 event
// decoded without the catalogue's upcasters (DecodeEvent alone).
func (e ProposalSent) AllRecipients() []Recipient {
	if len(e.Recipients) > 0 || e.RecipientEmail == "" {
		return e.Recipients
	}
	return []Recipient{{Email: e.RecipientEmail}}
}

// ProposalAccepted records the client's agreement: who accepted and when, and
// the lines exactly as agreed, so that the record stands on its own.
type ProposalAccepted struct {
	ProposalID      uuid.UUID       `json:"proposal_id"`
	ClientID        uuid.UUID       `json:"client_id"`
	AcceptedByName  string          `json:"accepted_by_name"`
	AcceptedByEmail string          `json:"accepted_by_email"`
	SignatureName   string          `json:"signature_name"`
	AcceptedOn      domain.Date     `json:"accepted_on"`
	PaymentMethodID uuid.UUID       `json:"payment_method_id"` // uuid.Nil: none chosen
	Currency        domain.Currency `json:"currency"`
	StartDate       domain.Date     `json:"start_date"`
	Lines           []Line          `json:"lines"`
	At              time.Time       `json:"at"`
}

// ProposalDeclined records that the client declined the proposal.
type ProposalDeclined struct {
	ProposalID uuid.UUID `json:"proposal_id"`
	Reason     string    `json:"reason,omitempty"`
	At         time.Time `json:"at"`
}

// ProposalWithdrawn records that the firm withdrew the proposal.
type ProposalWithdrawn struct {
	ProposalID uuid.UUID `json:"proposal_id"`
	Reason     string    `json:"reason,omitempty"`
	At         time.Time `json:"at"`
}

// ProposalExpired records that a sent proposal lapsed unanswered.
type ProposalExpired struct {
	ProposalID uuid.UUID   `json:"proposal_id"`
	ExpiresOn  domain.Date `json:"expires_on"`
	At         time.Time   `json:"at"`
}

// EventType implements domain.Event.
func (ProposalDrafted) EventType() string { return "ProposalDrafted" }

// EventType implements domain.Event.
func (ProposalDraftEdited) EventType() string { return "ProposalDraftEdited" }

// EventType implements domain.Event.
func (ProposalSent) EventType() string { return "ProposalSent" }

// EventType implements domain.Event.
func (ProposalAccepted) EventType() string { return "ProposalAccepted" }

// EventType implements domain.Event.
func (ProposalDeclined) EventType() string { return "ProposalDeclined" }

// EventType implements domain.Event.
func (ProposalWithdrawn) EventType() string { return "ProposalWithdrawn" }

// EventType implements domain.Event.
func (ProposalExpired) EventType() string { return "ProposalExpired" }

// EventTypes lists every event type of the Proposal aggregate.
func EventTypes() []string {
	return []string{
		"ProposalDrafted",
		"ProposalDraftEdited",
		"ProposalSent",
		"ProposalAccepted",
		"ProposalDeclined",
		"ProposalWithdrawn",
		"ProposalExpired",
	}
}

// DecodeEvent decodes an event of the Proposal aggregate from its type name
// and JSON data, returning the event as a value.
func DecodeEvent(eventType string, data []byte) (domain.Event, error) {
	switch eventType {
	case "ProposalDrafted":
		return domain.DecodeAs[ProposalDrafted](eventType, data)
	case "ProposalDraftEdited":
		return domain.DecodeAs[ProposalDraftEdited](eventType, data)
	case "ProposalSent":
		return domain.DecodeAs[ProposalSent](eventType, data)
	case "ProposalAccepted":
		return domain.DecodeAs[ProposalAccepted](eventType, data)
	case "ProposalDeclined":
		return domain.DecodeAs[ProposalDeclined](eventType, data)
	case "ProposalWithdrawn":
		return domain.DecodeAs[ProposalWithdrawn](eventType, data)
	case "ProposalExpired":
		return domain.DecodeAs[ProposalExpired](eventType, data)
	}
	return nil, fmt.Errorf("proposal: unknown event type %q", eventType)
}
