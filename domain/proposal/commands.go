package proposal

import (
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// Command is a request to change a proposal. It is sealed: only this
// package's command types implement it.
type Command interface{ isProposalCommand() }

// DraftProposal starts a draft proposal to a client. Lines may be empty while
// the draft is being written; a proposal needs a line to be sent.
type DraftProposal struct {
	ProposalID uuid.UUID
	ClientID   uuid.UUID
	Title      string
	Currency   domain.Currency
	StartDate  domain.Date // optional; needed by lines that start on the proposal's start date
	Lines      []Line
	Offer
	// Client is the client's currency: the proposal's must be the same, or
	// its services could never be billed with the client's others.
	Client domain.ClientFacts
	Now    time.Time
}

// EditDraft replaces a draft's title, start date, lines and offer.
type EditDraft struct {
	ProposalID uuid.UUID
	Title      string
	StartDate  domain.Date
	Lines      []Line
	Offer
	Now time.Time
}

// Offer is what a draft offers besides its core lines: the engagement
// letter, the packages and add-ons to choose from, who signs, and until when.
// Every field is optional.
type Offer struct {
	Letter      string // Markdown with placeholders (Placeholders); "": the default letter
	Packages    []Package
	AddOns      []Line
	Signatories []Signatory
	ExpiresOn   domain.Date // zero: never
	TemplateID  uuid.UUID
	RenewalOf   uuid.UUID
	// Today is the caller's date in the firm's time zone: ExpiresOn may not
	// be before it (zero: not checked).
	Today domain.Date
}

// SendProposal sends a draft, or sends a sent proposal again, to
// Recipients and RecipientEmail (either may be empty, not both).
type SendProposal struct {
	ProposalID     uuid.UUID
	Recipients     []Recipient // usually the client's contacts chosen by staff
	RecipientEmail string      // an address typed in
	Now            time.Time
}

// AcceptProposal records the client's acceptance of a sent proposal.
// AcceptedOn is the acceptance date in the firm's time zone;
// PaymentMethodID is the client's payment method chosen on acceptance, or
// uuid.Nil (the client's default then applies).
type AcceptProposal struct {
	ProposalID      uuid.UUID
	AcceptedByName  string
	AcceptedByEmail string
	SignatureName   string
	AcceptedOn      domain.Date
	PaymentMethodID uuid.UUID
	// PackageID and AddOnIDs are the client's choice when the proposal
	// offers packages (one must be chosen) or add-ons.
	PackageID uuid.UUID
	AddOnIDs  []uuid.UUID
	// Client is the client's payment methods: PaymentMethodID must be one.
	Client domain.ClientFacts
	Now    time.Time
}

// SignProposal records one signature of a sent proposal. A proposal with
// signatories is signed by each (SignatoryID); one without is signed once by
// whoever holds its link (Name and Email typed). The signature that
// completes the set accepts the proposal, on AcceptedOn with
// PaymentMethodID.
type SignProposal struct {
	ProposalID  uuid.UUID
	SignatoryID uuid.UUID // uuid.Nil: the proposal has no signatories
	Name        string    // typed when there is no SignatoryID
	Email       string    // typed when there is no SignatoryID
	SignedName  string    // the full name typed to sign
	IP          string
	UserAgent   string
	// ShownHash is the DocumentHash of the document the signer was shown;
	// decide refuses it unless it is the hash of Document(state, Facts).
	ShownHash string
	Facts     DocumentFacts
	PackageID uuid.UUID
	AddOnIDs  []uuid.UUID
	// AcceptedOn and PaymentMethodID apply when this signature accepts.
	AcceptedOn      domain.Date
	PaymentMethodID uuid.UUID
	Client          domain.ClientFacts
	Now             time.Time
}

// RecordView records that a signatory (or the link's visitor, SignatoryID
// uuid.Nil) opened a sent proposal. Only the first view by each since the
// last send is recorded.
type RecordView struct {
	ProposalID  uuid.UUID
	SignatoryID uuid.UUID
	IP          string
	UserAgent   string
	Now         time.Time
}

// RemindProposal reminds the signatories who have not signed a sent
// proposal. Reminder is the reminder's number, 1 for the first: it must be
// one more than the reminders already sent, so a job that runs twice sends
// each once.
type RemindProposal struct {
	ProposalID uuid.UUID
	Reminder   int
	Today      domain.Date
	Now        time.Time
}

// FileSignedDocument records the signed-proposal PDF made from the
// acceptance (its SHA-256 in lowercase hex and its size); filing the same
// hash again does nothing, so a retried outbox records it once.
type FileSignedDocument struct {
	ProposalID uuid.UUID
	PDFSHA256  string
	Bytes      int64
	Now        time.Time
}

// DeclineProposal records that the client declined a sent proposal.
type DeclineProposal struct {
	ProposalID uuid.UUID
	Reason     string // optional
	Now        time.Time
}

// WithdrawProposal withdraws a draft or sent proposal.
type WithdrawProposal struct {
	ProposalID uuid.UUID
	Reason     string // optional
	Now        time.Time
}

// ExpireProposal expires a sent proposal that was not answered by its expiry
// date. Today is the caller's current date in the firm's time zone; it must be
// on or after ExpiresOn.
type ExpireProposal struct {
	ProposalID uuid.UUID
	ExpiresOn  domain.Date
	Today      domain.Date
	Now        time.Time
}

func (DraftProposal) isProposalCommand()      {}
func (EditDraft) isProposalCommand()          {}
func (SendProposal) isProposalCommand()       {}
func (AcceptProposal) isProposalCommand()     {}
func (DeclineProposal) isProposalCommand()    {}
func (WithdrawProposal) isProposalCommand()   {}
func (ExpireProposal) isProposalCommand()     {}
func (SignProposal) isProposalCommand()       {}
func (RecordView) isProposalCommand()         {}
func (RemindProposal) isProposalCommand()     {}
func (FileSignedDocument) isProposalCommand() {}
