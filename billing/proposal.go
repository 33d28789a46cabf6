package billing

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/proposal"
	"remit/domain/service"
)

// ProposalRequest drafts a proposal (ProposalID optional) or edits a draft
// (ProposalID required; ClientID and Currency ignored). Lines without an id
// get one derived from the command id.
type ProposalRequest struct {
	ProposalID uuid.UUID       `json:"proposal_id,omitzero"`
	ClientID   uuid.UUID       `json:"client_id,omitzero"`
	Title      string          `json:"title"`
	Currency   string          `json:"currency,omitempty"` // ISO 4217; empty: the client's currency
	StartDate  domain.Date     `json:"start_date,omitzero"`
	Lines      []proposal.Line `json:"lines,omitempty"`
	ProposalOffer
}

// ProposalOffer is what a proposal offers besides its core lines (every
// field optional): the engagement letter (Markdown with placeholders, see
// proposal.Placeholders), packages to choose one of, add-ons, signatories
// and the expiry date. Packages, their lines, add-ons and signatories
// without an id get one derived from the command id.
type ProposalOffer struct {
	Letter      string               `json:"letter,omitempty"`
	Packages    []proposal.Package   `json:"packages,omitempty"`
	AddOns      []proposal.Line      `json:"add_ons,omitempty"`
	Signatories []proposal.Signatory `json:"signatories,omitempty"`
	ExpiresOn   domain.Date          `json:"expires_on,omitzero"`
	TemplateID  uuid.UUID            `json:"template_id,omitzero"`
	RenewalOf   uuid.UUID            `json:"renewal_of,omitzero"`
}

// offer gives the offer's packages, lines and signatories their ids and
// fills in a contact signatory's name and email from the client's contact.
func offer(o ProposalOffer, cl client.State, meta Meta, today domain.Date) (proposal.Offer, error) {
	out := proposal.Offer{Letter: o.Letter, ExpiresOn: o.ExpiresOn, TemplateID: o.TemplateID, RenewalOf: o.RenewalOf, Today: today}
	for i, p := range o.Packages {
		p.ID = pick(p.ID, meta, fmt.Sprintf("package/%d", i))
		p.Lines = withLineIDsAs(p.Lines, meta, fmt.Sprintf("package/%d/line", i))
		out.Packages = append(out.Packages, p)
	}
	out.AddOns = withLineIDsAs(o.AddOns, meta, "add-on")
	var probs domain.Problems
	for i, g := range o.Signatories {
		g.ID = pick(g.ID, meta, fmt.Sprintf("signatory/%d", i))
		if g.ContactID != uuid.Nil {
			ct, ok := cl.Contact(g.ContactID)
			if !ok {
				probs.Add(fmt.Sprintf("signatories[%d].contact_id", i), "the client has no such contact")
			}
			if g.Name == "" {
				g.Name = ct.Name
			}
			if g.Email == "" {
				g.Email = ct.Email
			}
		}
		out.Signatories = append(out.Signatories, g)
	}
	return out, probs.Err()
}

func withLineIDsAs(lines []proposal.Line, meta Meta, kind string) []proposal.Line {
	out := slices.Clone(lines)
	for i := range out {
		out[i].ID = pick(out[i].ID, meta, fmt.Sprintf("%s/%d", kind, i))
	}
	return out
}

// SignProposalRequest is one signature: by the signatory SignatoryID, or,
// for a proposal without signatories, by whoever holds its link (Name and
// Email). DocumentHash is the hash of the document the signer was shown
// (GET /api/proposals/{id}/document); IP and UserAgent are the evidence the
// caller saw. The signature that completes the set accepts the proposal and
// starts its services, as AcceptProposal does.
type SignProposalRequest struct {
	ProposalID      uuid.UUID   `json:"proposal_id"`
	SignatoryID     uuid.UUID   `json:"signatory_id,omitzero"`
	Name            string      `json:"name,omitempty"`
	Email           string      `json:"email,omitempty"`
	SignedName      string      `json:"signed_name"`
	DocumentHash    string      `json:"document_hash"`
	PackageID       uuid.UUID   `json:"package_id,omitzero"`
	AddOnIDs        []uuid.UUID `json:"add_on_ids,omitempty"`
	PaymentMethodID uuid.UUID   `json:"payment_method_id,omitzero"`
	IP              string      `json:"-"`
	UserAgent       string      `json:"-"`
}

// ProposalViewRequest records that a signatory (or the link's visitor)
// opened a sent proposal.
type ProposalViewRequest struct {
	ProposalID  uuid.UUID
	SignatoryID uuid.UUID
	IP          string
	UserAgent   string
}

// ProposalReminderRequest sends reminder number Reminder of a proposal.
type ProposalReminderRequest struct {
	ProposalID uuid.UUID `json:"proposal_id"`
	Reminder   int       `json:"reminder"`
}

// SignedDocumentRequest files the signed PDF of an accepted proposal: its
// SHA-256 (lowercase hex) and size.
type SignedDocumentRequest struct {
	ProposalID uuid.UUID `json:"proposal_id"`
	PDFSHA256  string    `json:"pdf_sha256"`
	Bytes      int64     `json:"bytes"`
}

// SendProposalRequest sends (or re-sends) a proposal to the client's
// contacts named by ContactIDs and to RecipientEmail (either may be empty,
// not both); the outbox emails it to each.
type SendProposalRequest struct {
	ProposalID     uuid.UUID   `json:"proposal_id"`
	ContactIDs     []uuid.UUID `json:"contact_ids,omitempty"`
	RecipientEmail string      `json:"recipient_email,omitempty"`
}

// AcceptProposalRequest records the client's acceptance; the acceptance date
// is today in the firm's time zone.
type AcceptProposalRequest struct {
	ProposalID      uuid.UUID `json:"proposal_id"`
	AcceptedByName  string    `json:"accepted_by_name"`
	AcceptedByEmail string    `json:"accepted_by_email"`
	SignatureName   string    `json:"signature_name"`
	PaymentMethodID uuid.UUID `json:"payment_method_id,omitzero"`
	// PackageID and AddOnIDs are the choice, when the proposal offers
	// packages (one must be chosen) or add-ons.
	PackageID uuid.UUID   `json:"package_id,omitzero"`
	AddOnIDs  []uuid.UUID `json:"add_on_ids,omitempty"`
}

// ProposalRef names a proposal, with an optional reason (decline, withdraw)
// or expiry date (expire).
type ProposalRef struct {
	ProposalID uuid.UUID   `json:"proposal_id"`
	Reason     string      `json:"reason,omitempty"`
	ExpiresOn  domain.Date `json:"expires_on,omitzero"`
}

func (s *Service) proposal(ctx context.Context, c proposal.Command, id uuid.UUID, meta Meta, created uuid.UUID) (Result, error) {
	return run(ctx, s, proposalDecider, proposal.StreamName(id), c, meta, created)
}

func withLineIDs(lines []proposal.Line, meta Meta) []proposal.Line {
	out := slices.Clone(lines)
	for i := range out {
		out[i].ID = pick(out[i].ID, meta, fmt.Sprintf("line/%d", i))
	}
	return out
}

// DraftProposal starts a draft proposal; Result.ID is its id.
func (s *Service) DraftProposal(ctx context.Context, r ProposalRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	var p domain.Problems
	var cl client.State
	if r.ClientID != uuid.Nil || r.Currency == "" {
		var ok bool
		var err error
		cl, _, ok, err = fold(ctx, s.env, clientDecider, clientStream(r.ClientID))
		if err != nil {
			return Result{}, err
		}
		if !ok {
			return Result{}, domain.NotFound("There is no such client.")
		}
	}
	cur := parseCurrency(&p, "currency", r.Currency, cl.Currency)
	if err := p.Err(); err != nil {
		return Result{}, err
	}
	f, err := s.firm(ctx)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	o, err := offer(r.ProposalOffer, cl, meta, s.today(f, now))
	if err != nil {
		return Result{}, err
	}
	id := pick(r.ProposalID, meta, "proposal")
	return s.proposal(ctx, proposal.DraftProposal{
		ProposalID: id, ClientID: r.ClientID, Title: r.Title, Currency: cur, StartDate: r.StartDate,
		Lines: withLineIDs(r.Lines, meta), Offer: o, Client: cl.Facts(), Now: now,
	}, id, meta, id)
}

// EditProposal replaces a draft's title, start date, lines and offer.
func (s *Service) EditProposal(ctx context.Context, r ProposalRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	_, cl, f, err := s.proposalFacts(ctx, r.ProposalID)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	o, err := offer(r.ProposalOffer, cl, meta, s.today(f, now))
	if err != nil {
		return Result{}, err
	}
	return s.proposal(ctx, proposal.EditDraft{ProposalID: r.ProposalID, Title: r.Title, StartDate: r.StartDate, Lines: withLineIDs(r.Lines, meta), Offer: o, Now: now}, r.ProposalID, meta, uuid.Nil)
}

// SendProposal sends a draft, or re-sends a sent proposal.
func (s *Service) SendProposal(ctx context.Context, r SendProposalRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	var to []proposal.Recipient
	if len(r.ContactIDs) > 0 {
		p, _, ok, err := fold(ctx, s.env, proposalDecider, proposal.StreamName(r.ProposalID))
		if err != nil {
			return Result{}, err
		}
		if !ok {
			return Result{}, domain.NotFound("this proposal does not exist")
		}
		c, _, _, err := fold(ctx, s.env, clientDecider, clientStream(p.ClientID))
		if err != nil {
			return Result{}, err
		}
		var probs domain.Problems
		for i, id := range r.ContactIDs {
			ct, ok := c.Contact(id)
			if !ok {
				probs.Add(fmt.Sprintf("contact_ids[%d]", i), "the client has no such contact")
				continue
			}
			to = append(to, proposal.Recipient{ContactID: ct.ID, Name: ct.Name, Email: ct.Email})
		}
		if err := probs.Err(); err != nil {
			return Result{}, err
		}
	}
	return s.proposal(ctx, proposal.SendProposal{ProposalID: r.ProposalID, Recipients: to, RecipientEmail: r.RecipientEmail, Now: s.now()}, r.ProposalID, meta, uuid.Nil)
}

// AcceptProposal records the acceptance, then activates one service per line
// (ids proposal.ServiceID(proposal, line)), each its own append. Re-running
// it (same or another command id) activates what is missing and nothing
// twice. Result is the proposal stream's; Position covers the activations.
func (s *Service) AcceptProposal(ctx context.Context, r AcceptProposalRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	f, err := s.firm(ctx)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	// The client's facts: the method named must be one of its own, and
	// every service activated is checked against them too.
	ps, _, _, err := fold(ctx, s.env, proposalDecider, proposal.StreamName(r.ProposalID))
	if err != nil {
		return Result{}, err
	}
	cl, _, _, err := fold(ctx, s.env, clientDecider, clientStream(ps.ClientID))
	if err != nil {
		return Result{}, err
	}
	facts := cl.Facts()
	out, err := Handle(ctx, s.env, proposalDecider, proposal.StreamName(r.ProposalID), proposal.Command(proposal.AcceptProposal{
		ProposalID: r.ProposalID, AcceptedByName: r.AcceptedByName, AcceptedByEmail: r.AcceptedByEmail,
		SignatureName: r.SignatureName, AcceptedOn: s.today(f, now), PaymentMethodID: r.PaymentMethodID,
		PackageID: r.PackageID, AddOnIDs: r.AddOnIDs, Client: facts, Now: now,
	}), meta)
	if err != nil {
		return Result{}, err
	}
	return s.activateProposal(ctx, out, facts, meta, now)
}

// activateProposal starts the services of a proposal just accepted (none
// when out's state is not accepted), each its own append, and when it
// renews another ends the old services it carries over (endRenewedServices).
func (s *Service) activateProposal(ctx context.Context, out Outcome[proposal.State], facts domain.ClientFacts, meta Meta, now time.Time) (Result, error) {
	res := out.Result
	for _, spec := range proposal.ServicesToActivate(out.State) {
		mode := service.Manual
		if spec.Automatic {
			mode = service.Automatic
		}
		act, err := Handle(ctx, s.env, s.serviceDecider, service.StreamName(spec.ServiceID), service.Command(service.Activate{
			ServiceID: spec.ServiceID, ClientID: spec.ClientID,
			Source: service.Source{ProposalID: spec.ProposalID, ProposalLineID: spec.LineID},
			Name:   spec.Name, Description: spec.Description, UnitPrice: spec.UnitPrice, Quantity: spec.Quantity,
			Unit: spec.Unit, Discount: spec.Discount, TaxRate: spec.TaxRate, Currency: spec.Currency,
			BillingRule: spec.BillingRule, FirstDate: spec.FirstDate, Mode: mode,
			PaymentMethodID: spec.PaymentMethodID, Client: facts, Now: now,
		}), meta)
		if err != nil {
			if domain.ErrorCode(err) == domain.ECONFLICT && alreadyActivated(ctx, s, spec.ServiceID) {
				continue // activated by an earlier run of another command
			}
			return Result{}, fmt.Errorf("activate service %s of proposal %s: %w", spec.ServiceID, spec.ProposalID, err)
		}
		res.Position = max(res.Position, act.Position)
	}
	ended, err := s.endRenewedServices(ctx, out.State, meta)
	res.Position = max(res.Position, ended.Position)
	return res, err
}

func alreadyActivated(ctx context.Context, s *Service, id uuid.UUID) bool {
	st, _, _, err := fold(ctx, s.env, s.serviceDecider, service.StreamName(id))
	return err == nil && st.Activated()
}

// ProposalDocument returns the document a proposal's signers read now (the
// accepted document once accepted) and its hash.
func (s *Service) ProposalDocument(ctx context.Context, id uuid.UUID) (doc, hash string, err error) {
	ps, cl, f, err := s.proposalFacts(ctx, id)
	if err != nil {
		return "", "", err
	}
	doc = proposal.Document(ps, s.documentFacts(f, cl, s.now()))
	return doc, proposal.DocumentHash(doc), nil
}

func (s *Service) documentFacts(f firm.State, cl client.State, now time.Time) proposal.DocumentFacts {
	return proposal.DocumentFacts{FirmName: f.Name, ClientName: cl.Name, TaxMode: f.TaxMode, Today: domain.DateOf(now, s.location(f))}
}

// proposalFacts folds a proposal, its client and the firm.
func (s *Service) proposalFacts(ctx context.Context, id uuid.UUID) (proposal.State, client.State, firm.State, error) {
	ps, _, ok, err := fold(ctx, s.env, proposalDecider, proposal.StreamName(id))
	if err != nil {
		return ps, client.State{}, firm.State{}, err
	}
	if !ok {
		return ps, client.State{}, firm.State{}, domain.NotFound("this proposal does not exist")
	}
	cl, _, _, err := fold(ctx, s.env, clientDecider, clientStream(ps.ClientID))
	if err != nil {
		return ps, cl, firm.State{}, err
	}
	f, err := s.firm(ctx)
	return ps, cl, f, err
}

// SignProposal records one signature; the signature that completes the set
// accepts the proposal (on today's date in the firm's time zone) and starts
// its services like AcceptProposal. The document is rendered here, from the
// proposal as it is now: a signer shown an older one is refused
// (document_hash).
func (s *Service) SignProposal(ctx context.Context, r SignProposalRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	_, cl, f, err := s.proposalFacts(ctx, r.ProposalID)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	facts := cl.Facts()
	out, err := Handle(ctx, s.env, proposalDecider, proposal.StreamName(r.ProposalID), proposal.Command(proposal.SignProposal{
		ProposalID: r.ProposalID, SignatoryID: r.SignatoryID, Name: r.Name, Email: r.Email, SignedName: r.SignedName,
		IP: r.IP, UserAgent: r.UserAgent, ShownHash: r.DocumentHash, Facts: s.documentFacts(f, cl, now),
		PackageID: r.PackageID, AddOnIDs: r.AddOnIDs, AcceptedOn: s.today(f, now), PaymentMethodID: r.PaymentMethodID,
		Client: facts, Now: now,
	}), meta)
	if err != nil {
		return Result{}, err
	}
	return s.activateProposal(ctx, out, facts, meta, now)
}

// RecordProposalView records the first view of a sent proposal by each
// signatory (or the link's visitor) since it was last sent; later views
// append nothing.
func (s *Service) RecordProposalView(ctx context.Context, r ProposalViewRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.proposal(ctx, proposal.RecordView{ProposalID: r.ProposalID, SignatoryID: r.SignatoryID, IP: r.IP, UserAgent: r.UserAgent, Now: s.now()}, r.ProposalID, meta, uuid.Nil)
}

// RemindProposal sends reminder number r.Reminder to whoever has yet to
// sign; a number already sent appends nothing.
func (s *Service) RemindProposal(ctx context.Context, r ProposalReminderRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	f, err := s.firm(ctx)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	return s.proposal(ctx, proposal.RemindProposal{ProposalID: r.ProposalID, Reminder: r.Reminder, Today: s.today(f, now), Now: now}, r.ProposalID, meta, uuid.Nil)
}

// FileSignedDocument records the signed PDF of an accepted proposal. The
// caller (processes/signeddoc) gives a command id derived from the
// proposal and the hash, so a retry records it once; filing the same hash
// again appends nothing anyway.
func (s *Service) FileSignedDocument(ctx context.Context, r SignedDocumentRequest, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.proposal(ctx, proposal.FileSignedDocument{ProposalID: r.ProposalID, PDFSHA256: r.PDFSHA256, Bytes: r.Bytes, Now: s.now()}, r.ProposalID, meta, uuid.Nil)
}

// DeclineProposal records that the client declined.
func (s *Service) DeclineProposal(ctx context.Context, r ProposalRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.proposal(ctx, proposal.DeclineProposal{ProposalID: r.ProposalID, Reason: r.Reason, Now: s.now()}, r.ProposalID, meta, uuid.Nil)
}

// WithdrawProposal withdraws a draft or sent proposal.
func (s *Service) WithdrawProposal(ctx context.Context, r ProposalRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	return s.proposal(ctx, proposal.WithdrawProposal{ProposalID: r.ProposalID, Reason: r.Reason, Now: s.now()}, r.ProposalID, meta, uuid.Nil)
}

// ExpireProposal expires a sent proposal on or after r.ExpiresOn (today
// when zero).
func (s *Service) ExpireProposal(ctx context.Context, r ProposalRef, meta Meta) (Result, error) {
	meta = s.begin(meta)
	f, err := s.firm(ctx)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	today := s.today(f, now)
	on := r.ExpiresOn
	if on.IsZero() {
		on = today
	}
	return s.proposal(ctx, proposal.ExpireProposal{ProposalID: r.ProposalID, ExpiresOn: on, Today: today, Now: now}, r.ProposalID, meta, uuid.Nil)
}
