package proposal

import (
	"slices"
	"time"

	"github.com/google/uuid"

	"remit/domain"
)

// State is a proposal as of its last event. The zero State is a proposal not
// yet drafted.
type State struct {
	ID        uuid.UUID
	ClientID  uuid.UUID
	Title     string
	Currency  domain.Currency
	StartDate domain.Date // zero: none
	Lines     []Line      // the core lines; once accepted, all the lines as agreed
	Status    Status
	DraftedAt time.Time

	Letter      string // "": the default letter
	Packages    []Package
	AddOns      []Line
	Signatories []Signatory
	OpenUntil   domain.Date // the draft's expiry date; zero: never
	TemplateID  uuid.UUID
	RenewalOf   uuid.UUID

	// Signatures since the proposal was sent; the first fixed the choice.
	Signatures  []Signature
	ChoiceFixed bool
	PackageID   uuid.UUID
	AddOnIDs    []uuid.UUID
	// Views are every recorded view; viewedSinceSend the viewers (by
	// signatory id, uuid.Nil for the link's visitor) since the last send.
	Views           []View
	viewedSinceSend []uuid.UUID
	Reminders       int       // reminders sent
	LastReminderAt  time.Time // zero: none
	// Document and DocumentHash are the accepted document, when accepted
	// by signature.
	Document     string
	DocumentHash string
	// SignedPDFSHA256 and SignedPDFBytes describe the signed-proposal PDF
	// filed (ProposalSignedDocumentFiled); "": not yet.
	SignedPDFSHA256 string
	SignedPDFBytes  int64

	SentTo         string      // the last recipient
	LastRecipients []Recipient // everyone it was last sent to
	SentAt         time.Time   // the last time it was sent

	AcceptedByName  string
	AcceptedByEmail string
	SignatureName   string
	AcceptedOn      domain.Date
	PaymentMethodID uuid.UUID // chosen on acceptance; uuid.Nil: none

	DeclineReason  string
	WithdrawReason string
	ExpiresOn      domain.Date // set when it expired
	ClosedAt       time.Time   // when it was accepted, declined, withdrawn or expired
}

func (s State) withOffer(letter string, packages []Package, addOns []Line, signatories []Signatory, expiresOn domain.Date, template, renewalOf uuid.UUID) State {
	s.Letter = letter
	s.Packages = slices.Clone(packages)
	s.AddOns = slices.Clone(addOns)
	s.Signatories = slices.Clone(signatories)
	s.OpenUntil = expiresOn
	s.TemplateID = template
	s.RenewalOf = renewalOf
	return s
}

// Package returns the package with the given id.
func (s State) Package(id uuid.UUID) (Package, bool) {
	i := slices.IndexFunc(s.Packages, func(p Package) bool { return p.ID == id })
	if i < 0 {
		return Package{}, false
	}
	return s.Packages[i], true
}

// AddOn returns the add-on with the given id.
func (s State) AddOn(id uuid.UUID) (Line, bool) {
	i := slices.IndexFunc(s.AddOns, func(l Line) bool { return l.ID == id })
	if i < 0 {
		return Line{}, false
	}
	return s.AddOns[i], true
}

// Signatory returns the signatory with the given id.
func (s State) Signatory(id uuid.UUID) (Signatory, bool) {
	i := slices.IndexFunc(s.Signatories, func(g Signatory) bool { return g.ID == id })
	if i < 0 {
		return Signatory{}, false
	}
	return s.Signatories[i], true
}

// Signed reports whether the signatory (uuid.Nil: whoever held the link) has
// signed since the proposal was sent.
func (s State) Signed(signatoryID uuid.UUID) bool {
	return slices.ContainsFunc(s.Signatures, func(g Signature) bool { return g.SignatoryID == signatoryID })
}

// Unsigned returns the signatories who have not signed yet.
func (s State) Unsigned() []Signatory {
	var out []Signatory
	for _, g := range s.Signatories {
		if !s.Signed(g.ID) {
			out = append(out, g)
		}
	}
	return out
}

// ViewedSinceSent reports whether the signatory (uuid.Nil: the link's
// visitor) has viewed the proposal since it was last sent.
func (s State) ViewedSinceSent(signatoryID uuid.UUID) bool {
	return slices.Contains(s.viewedSinceSend, signatoryID)
}

// OfferedLines returns every line the proposal offers: the core lines, each
// package's and the add-ons.
func (s State) OfferedLines() []Line {
	out := slices.Clone(s.Lines)
	for _, p := range s.Packages {
		out = append(out, p.Lines...)
	}
	return append(out, s.AddOns...)
}

// ChosenLines returns the lines agreed under a choice: the core lines, the
// package's and the add-ons ticked, in that order.
func (s State) ChosenLines(packageID uuid.UUID, addOnIDs []uuid.UUID) []Line {
	out := slices.Clone(s.Lines)
	if p, ok := s.Package(packageID); ok {
		out = append(out, p.Lines...)
	}
	for _, a := range s.AddOns {
		if slices.Contains(addOnIDs, a.ID) {
			out = append(out, a)
		}
	}
	return out
}

// Created reports whether the proposal exists.
func (s State) Created() bool { return s.ID != uuid.Nil }

// Line returns the line with the given id.
func (s State) Line(id uuid.UUID) (Line, bool) {
	i := slices.IndexFunc(s.Lines, func(l Line) bool { return l.ID == id })
	if i < 0 {
		return Line{}, false
	}
	return s.Lines[i], true
}

// Fold evolves the zero State through events.
func Fold(events []domain.Event) State {
	var s State
	for _, e := range events {
		s = Evolve(s, e)
	}
	return s
}

// Evolve returns the state after e. It never fails and never validates;
// events of other aggregates are ignored.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case ProposalDrafted:
		s = State{
			ID:        e.ProposalID,
			ClientID:  e.ClientID,
			Title:     e.Title,
			Currency:  e.Currency,
			StartDate: e.StartDate,
			Lines:     slices.Clone(e.Lines),
			Status:    StatusDraft,
			DraftedAt: e.At,
		}
		s = s.withOffer(e.Letter, e.Packages, e.AddOns, e.Signatories, e.ExpiresOn, e.TemplateID, e.RenewalOf)
	case ProposalDraftEdited:
		s.Title = e.Title
		s.StartDate = e.StartDate
		s.Lines = slices.Clone(e.Lines)
		s = s.withOffer(e.Letter, e.Packages, e.AddOns, e.Signatories, e.ExpiresOn, e.TemplateID, e.RenewalOf)
	case ProposalSent:
		s.Status = StatusSent
		s.SentTo = e.RecipientEmail
		s.SentAt = e.At
		s.LastRecipients = e.AllRecipients()
		s.viewedSinceSend = nil
	case ProposalViewed:
		s.Views = append(slices.Clip(s.Views), View{SignatoryID: e.SignatoryID, IP: e.IP, UserAgent: e.UserAgent, At: e.At})
		s.viewedSinceSend = append(slices.Clip(s.viewedSinceSend), e.SignatoryID)
	case ProposalSigned:
		if !s.ChoiceFixed {
			s.ChoiceFixed = true
			s.PackageID = e.PackageID
			s.AddOnIDs = slices.Clone(e.AddOnIDs)
		}
		s.Signatures = append(slices.Clip(s.Signatures), e.Signature())
	case ProposalSignedDocumentFiled:
		s.SignedPDFSHA256, s.SignedPDFBytes = e.PDFSHA256, e.Bytes
	case ProposalReminderSent:
		s.Reminders = max(s.Reminders, e.Reminder)
		s.LastReminderAt = e.At
	case ProposalAccepted:
		s.Status = StatusAccepted
		s.AcceptedByName = e.AcceptedByName
		s.AcceptedByEmail = e.AcceptedByEmail
		s.SignatureName = e.SignatureName
		s.AcceptedOn = e.AcceptedOn
		s.PaymentMethodID = e.PaymentMethodID
		// The event is the record of agreement: its snapshot is what holds.
		s.ClientID = e.ClientID
		s.Currency = e.Currency
		s.StartDate = e.StartDate
		s.Lines = slices.Clone(e.Lines)
		s.ClosedAt = e.At
		if len(e.Signatures) > 0 {
			s.Signatures = slices.Clone(e.Signatures)
		}
		if e.PackageID != uuid.Nil || len(e.AddOnIDs) > 0 {
			s.ChoiceFixed = true
			s.PackageID = e.PackageID
			s.AddOnIDs = slices.Clone(e.AddOnIDs)
		}
		s.Document = e.Document
		s.DocumentHash = e.DocumentHash
	case ProposalDeclined:
		s.Status = StatusDeclined
		s.DeclineReason = e.Reason
		s.ClosedAt = e.At
	case ProposalWithdrawn:
		s.Status = StatusWithdrawn
		s.WithdrawReason = e.Reason
		s.ClosedAt = e.At
	case ProposalExpired:
		s.Status = StatusExpired
		s.ExpiresOn = e.ExpiresOn
		s.ClosedAt = e.At
	}
	return s
}
