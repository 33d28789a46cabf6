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
	// Client is the client's currency: the proposal's must be the same, or
	// its services could never be billed with the client's others.
	Client domain.ClientFacts
	Now    time.Time
}

// EditDraft replaces a draft's title, start date and lines.
type EditDraft struct {
	ProposalID uuid.UUID
	Title      string
	StartDate  domain.Date
	Lines      []Line
	Now        time.Time
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
	// Client is the client's payment methods: PaymentMethodID must be one.
	Client domain.ClientFacts
	Now    time.Time
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

func (DraftProposal) isProposalCommand()    {}
func (EditDraft) isProposalCommand()        {}
func (SendProposal) isProposalCommand()     {}
func (AcceptProposal) isProposalCommand()   {}
func (DeclineProposal) isProposalCommand()  {}
func (WithdrawProposal) isProposalCommand() {}
func (ExpireProposal) isProposalCommand()   {}
