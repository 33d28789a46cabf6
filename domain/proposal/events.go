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
	// The engagement letter and the choices offered; all optional (events
	// recorded before they existed lack them).
	Letter      string      `json:"letter,omitempty"`      // Markdown with placeholders; "": the default letter
	Packages    []Package   `json:"packages,omitempty"`    // none, or 2–3 to choose one of
	AddOns      []Line      `json:"add_ons,omitempty"`     // optional lines the client may tick
	Signatories []Signatory `json:"signatories,omitempty"` // all must sign; none: whoever holds the link
	ExpiresOn   domain.Date `json:"expires_on,omitzero"`   // zero: never
	TemplateID  uuid.UUID   `json:"template_id,omitzero"`  // the template it started from
	RenewalOf   uuid.UUID   `json:"renewal_of,omitzero"`   // the accepted proposal this renews
	At          time.Time   `json:"at"`
}

// ProposalDraftEdited records a draft's new title, start date and lines,
// replaced whole.
type ProposalDraftEdited struct {
	ProposalID uuid.UUID `json:"proposal_id"`
	// ClientID names whose key seals the signatories (remit/eventstore/pii);
	// zero in events recorded before it was added.
	ClientID  uuid.UUID   `json:"client_id,omitzero"`
	Title     string      `json:"title"`
	StartDate domain.Date `json:"start_date"`
	Lines     []Line      `json:"lines"`
	// The engagement letter and the choices offered; all optional (events
	// recorded before they existed lack them).
	Letter      string      `json:"letter,omitempty"`      // Markdown with placeholders; "": the default letter
	Packages    []Package   `json:"packages,omitempty"`    // none, or 2–3 to choose one of
	AddOns      []Line      `json:"add_ons,omitempty"`     // optional lines the client may tick
	Signatories []Signatory `json:"signatories,omitempty"` // all must sign; none: whoever holds the link
	ExpiresOn   domain.Date `json:"expires_on,omitzero"`   // zero: never
	TemplateID  uuid.UUID   `json:"template_id,omitzero"`  // the template it started from
	RenewalOf   uuid.UUID   `json:"renewal_of,omitzero"`   // the accepted proposal this renews
	At          time.Time   `json:"at"`
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
	// PackageID and AddOnIDs are the client's choice (Lines already include
	// the chosen package's lines and the add-ons ticked).
	PackageID uuid.UUID   `json:"package_id,omitzero"`
	AddOnIDs  []uuid.UUID `json:"add_on_ids,omitempty"`
	// Signatures are each signature's evidence, in the order signed.
	Signatures []Signature `json:"signatures,omitempty"`
	// Document is the final document (the choice included) and
	// DocumentHash its SHA-256; empty when accepted by staff.
	Document     string    `json:"document,omitempty"`
	DocumentHash string    `json:"document_hash,omitempty"`
	At           time.Time `json:"at"`
}

// ProposalViewed records the first view of a sent proposal by a signatory
// (or the link's visitor) since it was last sent.
type ProposalViewed struct {
	ProposalID  uuid.UUID `json:"proposal_id"`
	ClientID    uuid.UUID `json:"client_id"`             // whose key seals the IP and user agent
	SignatoryID uuid.UUID `json:"signatory_id,omitzero"` // uuid.Nil: the link's visitor
	IP          string    `json:"ip"`
	UserAgent   string    `json:"user_agent"`
	At          time.Time `json:"at"`
}

// ProposalSigned records one signature with its evidence. The first
// signature fixes the client's choice (PackageID, AddOnIDs); later ones carry
// the same choice.
type ProposalSigned struct {
	ProposalID   uuid.UUID   `json:"proposal_id"`
	ClientID     uuid.UUID   `json:"client_id"`
	SignatoryID  uuid.UUID   `json:"signatory_id,omitzero"` // uuid.Nil: whoever held the link
	SignedName   string      `json:"signed_name"`
	Email        string      `json:"email"`
	IP           string      `json:"ip"`
	UserAgent    string      `json:"user_agent"`
	DocumentHash string      `json:"document_hash"` // of exactly the document shown
	PackageID    uuid.UUID   `json:"package_id,omitzero"`
	AddOnIDs     []uuid.UUID `json:"add_on_ids,omitempty"`
	At           time.Time   `json:"at"`
}

// Signature returns the signature's evidence.
func (e ProposalSigned) Signature() Signature {
	return Signature{SignatoryID: e.SignatoryID, SignedName: e.SignedName, Email: e.Email, IP: e.IP,
		UserAgent: e.UserAgent, DocumentHash: e.DocumentHash, At: e.At}
}

// ProposalReminderSent records a reminder (1-based number) to the
// signatories who have not signed yet; the outbox emails them.
type ProposalReminderSent struct {
	ProposalID uuid.UUID   `json:"proposal_id"`
	ClientID   uuid.UUID   `json:"client_id,omitzero"`
	Reminder   int         `json:"reminder"`
	Recipients []Recipient `json:"recipients"`
	At         time.Time   `json:"at"`
}

// ProposalSignedDocumentFiled records the signed-proposal PDF kept with an
// accepted proposal: its SHA-256 (lowercase hex) and size in bytes.
type ProposalSignedDocumentFiled struct {
	ProposalID uuid.UUID `json:"proposal_id"`
	PDFSHA256  string    `json:"pdf_sha256"`
	Bytes      int64     `json:"bytes"`
	At         time.Time `json:"at"`
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

// EventType implements domain.Event.
func (ProposalViewed) EventType() string { return "ProposalViewed" }

// EventType implements domain.Event.
func (ProposalSigned) EventType() string { return "ProposalSigned" }

// EventType implements domain.Event.
func (ProposalReminderSent) EventType() string { return "ProposalReminderSent" }

// EventType implements domain.Event.
func (ProposalSignedDocumentFiled) EventType() string { return "ProposalSignedDocumentFiled" }

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
		"ProposalViewed",
		"ProposalSigned",
		"ProposalReminderSent",
		"ProposalSignedDocumentFiled",
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
	case "ProposalViewed":
		return domain.DecodeAs[ProposalViewed](eventType, data)
	case "ProposalSigned":
		return domain.DecodeAs[ProposalSigned](eventType, data)
	case "ProposalReminderSent":
		return domain.DecodeAs[ProposalReminderSent](eventType, data)
	case "ProposalSignedDocumentFiled":
		return domain.DecodeAs[ProposalSignedDocumentFiled](eventType, data)
	}
	return nil, fmt.Errorf("proposal: unknown event type %q", eventType)
}
