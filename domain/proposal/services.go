package proposal

import (
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// ServiceSpec is everything needed to activate one service from an accepted
// proposal line.
type ServiceSpec struct {
	ServiceID   uuid.UUID // ServiceID(ProposalID, LineID)
	ClientID    uuid.UUID
	ProposalID  uuid.UUID
	LineID      uuid.UUID
	Name        string
	Description string
	Currency    domain.Currency
	UnitPrice   decimal.Decimal
	Quantity    decimal.Decimal
	Unit        string
	Discount    domain.Discount
	TaxRate     decimal.Decimal // percent
	// BillingRule is the line's rule with its start resolved: Start is
	// StartOnDate and StartDate is FirstDate (manual-only rules, which have no
	// date, are left as agreed).
	BillingRule     domain.BillingRule
	FirstDate       domain.Date // zero for manual-only rules
	Automatic       bool
	PaymentMethodID uuid.UUID // chosen on acceptance; uuid.Nil: the client's default
	AcceptedOn      domain.Date
	// RevenueAccount and LibraryServiceID are carried from the line for the
	// services library and the ledger ("" and uuid.Nil when not set).
	RevenueAccount   string
	LibraryServiceID uuid.UUID
}

// ServiceID is the id of the service activated from a proposal line:
// uuid.NewSHA1(proposalID, lineID's 16 bytes). It is deterministic, so
// activating the same accepted proposal twice yields the same ids.
func ServiceID(proposalID, lineID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(proposalID, lineID[:])
}

// ServicesToActivate returns one ServiceSpec per line of an accepted
// proposal, in the order of its lines, or nil when s is not accepted.
func ServicesToActivate(s State) []ServiceSpec {
	if s.Status != StatusAccepted {
		return nil
	}
	out := make([]ServiceSpec, 0, len(s.Lines))
	for _, l := range s.Lines {
		// AcceptProposal checked that every line resolves; an error here
		// would mean a hand-made state, and the line keeps its rule as agreed.
		rule, first, _ := resolve(l, s.AcceptedOn, s.StartDate)
		out = append(out, ServiceSpec{
			ServiceID:        ServiceID(s.ID, l.ID),
			ClientID:         s.ClientID,
			ProposalID:       s.ID,
			LineID:           l.ID,
			Name:             l.Name,
			Description:      l.Description,
			Currency:         s.Currency,
			UnitPrice:        l.UnitPrice,
			Quantity:         l.Quantity,
			Unit:             l.Unit,
			Discount:         l.Discount,
			TaxRate:          l.TaxRate,
			BillingRule:      rule,
			FirstDate:        first,
			Automatic:        l.Automatic,
			PaymentMethodID:  s.PaymentMethodID,
			AcceptedOn:       s.AcceptedOn,
			RevenueAccount:   l.RevenueAccount,
			LibraryServiceID: l.LibraryServiceID,
		})
	}
	return out
}

// resolve returns the line's billing rule with its start fixed to a date, and
// that date, given the acceptance date and the proposal's start date. It
// refuses a rule that would end before its first billing.
func resolve(l Line, acceptedOn, proposalStart domain.Date) (domain.BillingRule, domain.Date, error) {
	rule := l.BillingRule
	first, err := rule.FirstDate(acceptedOn, proposalStart)
	if err != nil {
		return rule, domain.Date{}, domain.Conflict("the service %q cannot start: %s", l.Name, domain.ErrorMessage(err))
	}
	if first.IsZero() {
		return rule, first, nil
	}
	if rule.End == domain.EndOnDate && rule.EndDate.Before(first) {
		return rule, first, domain.Conflict("the service %q would end on %s, before its first billing on %s", l.Name, rule.EndDate, first)
	}
	rule.Start = domain.StartOnDate
	rule.StartDate = first
	rule.StartDelayDays = 0
	return rule, first, nil
}
