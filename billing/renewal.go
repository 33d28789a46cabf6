package billing

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/firm"
	"remit/domain/proposal"
	"remit/domain/service"
)

// RenewalsRequest renews accepted proposals: those named by ProposalIDs
// (ticked by staff, or listed by the caller) that pass every filter given
// (accepted on or after AcceptedFrom, on or before AcceptedTo, drafted from
// TemplateID). Each becomes a draft renewal (proposal.Renew) with the start
// date (zero: each one's anniversary), expiry and price change given; with
// Send, each renewal is sent to whoever the old proposal was last sent to.
// BatchID (optional: derived from the command id) makes the renewals'
// ids, so the same batch run twice drafts and sends nothing twice. DryRun
// writes nothing and returns the preview.
type RenewalsRequest struct {
	BatchID      uuid.UUID   `json:"batch_id,omitzero"`
	ProposalIDs  []uuid.UUID `json:"proposal_ids"`
	AcceptedFrom domain.Date `json:"accepted_from,omitzero"`
	AcceptedTo   domain.Date `json:"accepted_to,omitzero"`
	TemplateID   uuid.UUID   `json:"template_id,omitzero"`
	StartDate    domain.Date `json:"start_date,omitzero"`
	ExpiresOn    domain.Date `json:"expires_on,omitzero"`
	Price        PriceChange `json:"price"`
	Send         bool        `json:"send,omitempty"`
	DryRun       bool        `json:"dry_run,omitempty"`
}

// PriceChange is a renewal's price change (proposal.PriceChange): kind
// "" (prices as accepted), "percent", "amount" or "lines" (Lines: new unit
// prices by the old line's id), rounded to the cent or, with rounding
// "dollar", to the dollar.
type PriceChange struct {
	Kind     proposal.PriceChangeKind      `json:"kind,omitempty"`
	Percent  decimal.Decimal               `json:"percent,omitzero"`
	Amount   decimal.Decimal               `json:"amount,omitzero"`
	Lines    map[uuid.UUID]decimal.Decimal `json:"lines,omitempty"`
	Rounding proposal.Rounding             `json:"rounding,omitempty"`
}

// Renewal is one row of a renewal run: the client, the proposal renewed and
// its renewal, and what the renewed services bill per period (gross, one
// figure per cadence) and in a year, before and after.
type Renewal struct {
	ClientID     uuid.UUID       `json:"client_id"`
	ClientName   string          `json:"client_name"`
	ProposalID   uuid.UUID       `json:"proposal_id"`
	RenewalID    uuid.UUID       `json:"renewal_id"`
	Title        string          `json:"title"`
	StartDate    domain.Date     `json:"start_date"`
	OldPerPeriod []PeriodTotal   `json:"old_per_period"`
	NewPerPeriod []PeriodTotal   `json:"new_per_period"`
	OldPerYear   domain.Money    `json:"old_per_year"`
	NewPerYear   domain.Money    `json:"new_per_year"`
	Status       proposal.Status `json:"status,omitempty"` // the renewal's, once created: draft or sent
}

// PeriodTotal is what lines billed at one cadence add up to per billing,
// tax included: {"cadence": "a month", "gross": …}.
type PeriodTotal struct {
	Cadence string       `json:"cadence"`
	Gross   domain.Money `json:"gross"`
}

// RenewalsResult lists the renewals previewed or made, in the order of the
// request's proposal ids, and the batch id.
type RenewalsResult struct {
	BatchID  uuid.UUID `json:"batch_id"`
	DryRun   bool      `json:"dry_run"`
	Renewals []Renewal `json:"renewals"`
	Result   Result    `json:"-"`
}

// RenewProposals previews (DryRun) or drafts, and with Send sends, the
// renewals of the accepted proposals r names and its filters keep. A proposal
// that is not accepted is refused (proposal_ids[i]); so is a bad start date
// or price change, before anything is written.
func (s *Service) RenewProposals(ctx context.Context, r RenewalsRequest, meta Meta) (RenewalsResult, error) {
	meta = s.begin(meta)
	if len(r.ProposalIDs) == 0 {
		return RenewalsResult{}, domain.Invalid("proposal_ids", "choose the proposals to renew")
	}
	batch := pick(r.BatchID, meta, "renewal-batch")
	f, err := s.firm(ctx)
	if err != nil {
		return RenewalsResult{}, err
	}
	now := s.now()
	today := s.today(f, now)
	out := RenewalsResult{BatchID: batch, DryRun: r.DryRun}
	var plans []renewalPlan
	for i, id := range r.ProposalIDs {
		pl, keep, err := s.planRenewal(ctx, r, batch, f, today, id)
		if err != nil {
			return RenewalsResult{}, proposalIDError(i, err)
		}
		if keep {
			plans = append(plans, pl)
		}
	}
	for _, pl := range plans {
		row := pl.row
		if !r.DryRun {
			st, res, err := s.makeRenewal(ctx, pl, r.Send, meta)
			if err != nil {
				return RenewalsResult{}, fmt.Errorf("renew proposal %s: %w", pl.old.ID, err)
			}
			row.Status = st
			out.Result.Position = max(out.Result.Position, res.Position)
		}
		out.Renewals = append(out.Renewals, row)
	}
	return out, nil
}

type renewalPlan struct {
	old   proposal.State
	draft proposal.DraftProposal
	row   Renewal
}

// planRenewal folds one proposal and, when it passes the filters, works out
// its renewal and the preview's row.
func (s *Service) planRenewal(ctx context.Context, r RenewalsRequest, batch uuid.UUID, f firm.State, today domain.Date, id uuid.UUID) (renewalPlan, bool, error) {
	old, _, ok, err := fold(ctx, s.env, proposalDecider, proposal.StreamName(id))
	if err != nil {
		return renewalPlan{}, false, err
	}
	if !ok {
		return renewalPlan{}, false, domain.NotFound("there is no such proposal")
	}
	if (!r.AcceptedFrom.IsZero() && old.AcceptedOn.Before(r.AcceptedFrom)) || (!r.AcceptedTo.IsZero() && old.AcceptedOn.After(r.AcceptedTo)) ||
		(r.TemplateID != uuid.Nil && old.TemplateID != r.TemplateID) {
		return renewalPlan{}, false, nil
	}
	cl, _, _, err := fold(ctx, s.env, clientDecider, clientStream(old.ClientID))
	if err != nil {
		return renewalPlan{}, false, err
	}
	draft, err := proposal.Renew(old, proposal.RenewalTerms{
		BatchID: batch, StartDate: r.StartDate, ExpiresOn: r.ExpiresOn,
		Price: proposal.PriceChange(r.Price),
	}, cl.Facts(), today, s.now())
	if err != nil {
		return renewalPlan{}, false, err
	}
	row, err := renewalRow(old, draft, cl, f.TaxMode)
	return renewalPlan{old: old, draft: draft, row: row}, true, err
}

// renewalRow compares what the renewed lines bill before and after: both
// counted from their own start, a year of billings each.
func renewalRow(old proposal.State, draft proposal.DraftProposal, cl client.State, mode domain.TaxMode) (Renewal, error) {
	before := old
	before.StartDate = proposal.Anniversary(old).AddMonthsClamped(-12, proposal.Anniversary(old).Day())
	before.Lines = nil
	for _, l := range draft.Lines {
		for _, o := range old.Lines {
			if proposal.RenewalLineID(draft.ProposalID, o.ID) == l.ID {
				o.BillingRule = l.BillingRule
				before.Lines = append(before.Lines, o)
			}
		}
	}
	after := proposal.State{Currency: draft.Currency, StartDate: draft.StartDate, Lines: draft.Lines}
	bv, err := proposal.ValueOf(before, mode, before.StartDate)
	if err != nil {
		return Renewal{}, err
	}
	av, err := proposal.ValueOf(after, mode, after.StartDate)
	if err != nil {
		return Renewal{}, err
	}
	return Renewal{
		ClientID: old.ClientID, ClientName: cl.Name, ProposalID: old.ID, RenewalID: draft.ProposalID,
		Title: old.Title, StartDate: draft.StartDate,
		OldPerPeriod: periods(bv.Cadences), NewPerPeriod: periods(av.Cadences),
		OldPerYear: bv.FirstYear, NewPerYear: av.FirstYear,
	}, nil
}

func periods(cs []proposal.CadenceTotal) []PeriodTotal {
	out := make([]PeriodTotal, len(cs))
	for i, c := range cs {
		out[i] = PeriodTotal{Cadence: c.Cadence.Label, Gross: c.Gross}
	}
	return out
}

// makeRenewal drafts the renewal unless it exists (a batch run again) and,
// with send, sends it unless it was sent. It returns the renewal's status.
func (s *Service) makeRenewal(ctx context.Context, pl renewalPlan, send bool, meta Meta) (proposal.Status, Result, error) {
	id := pl.draft.ProposalID
	cur, _, exists, err := fold(ctx, s.env, proposalDecider, proposal.StreamName(id))
	if err != nil {
		return "", Result{}, err
	}
	var res Result
	if !exists {
		out, err := Handle(ctx, s.env, proposalDecider, proposal.StreamName(id), proposal.Command(pl.draft), meta)
		if err != nil {
			return "", Result{}, err
		}
		cur, res = out.State, out.Result
	}
	if !send || cur.Status != proposal.StatusDraft {
		return cur.Status, res, nil
	}
	to := slices.Clone(pl.old.LastRecipients)
	if len(to) == 0 && pl.old.SentTo != "" {
		to = []proposal.Recipient{{Email: pl.old.SentTo}}
	}
	// Its own command id: the draft's, on the same stream, would make the
	// send look like a retry of the draft.
	sendMeta := meta
	sendMeta.CommandID += "/send"
	out, err := Handle(ctx, s.env, proposalDecider, proposal.StreamName(id), proposal.Command(proposal.SendProposal{ProposalID: id, Recipients: to, Now: s.now()}), sendMeta)
	if err != nil {
		return "", Result{}, err
	}
	out.Result.Position = max(out.Result.Position, res.Position)
	return out.State.Status, out.Result, nil
}

// endRenewedServices ends, when the proposal just accepted renews another,
// each service of the old proposal whose line it carries over, on the day
// before the renewal starts: the old service's billings on or after the
// start date are archived and the new service's first falls on it, so
// billing has neither gap nor overlap. A service already ended is left as
// it is.
func (s *Service) endRenewedServices(ctx context.Context, renewal proposal.State, meta Meta) (Result, error) {
	var res Result
	if renewal.Status != proposal.StatusAccepted || renewal.RenewalOf == uuid.Nil || renewal.StartDate.IsZero() {
		return res, nil
	}
	old, _, ok, err := fold(ctx, s.env, proposalDecider, proposal.StreamName(renewal.RenewalOf))
	if err != nil || !ok {
		return res, err
	}
	last := renewal.StartDate.AddDays(-1)
	for _, line := range proposal.Carried(old, renewal) {
		id := proposal.ServiceID(old.ID, line)
		st, _, _, err := fold(ctx, s.env, s.serviceDecider, service.StreamName(id))
		if err != nil {
			return res, err
		}
		if !st.Activated() || st.Ended {
			continue
		}
		out, err := Handle(ctx, s.env, s.serviceDecider, service.StreamName(id), service.Command(service.End{
			On: last, Reason: fmt.Sprintf("renewed by %q from %s", renewal.Title, renewal.StartDate), Now: s.now(),
		}), meta)
		if err != nil {
			return res, fmt.Errorf("end service %s renewed by proposal %s: %w", id, renewal.ID, err)
		}
		res.Position = max(res.Position, out.Result.Position)
	}
	return res, nil
}

// proposalIDError names proposal_ids[i] in an error about that proposal
// (not found, not accepted); errors of the request's own fields pass.
func proposalIDError(i int, err error) error {
	switch domain.ErrorCode(err) {
	case domain.ENOTFOUND, domain.ECONFLICT:
		return domain.Invalid(fmt.Sprintf("proposal_ids[%d]", i), "%s", domain.ErrorMessage(err))
	}
	return err
}
