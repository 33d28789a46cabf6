package proposal

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
)

// PriceChange says how a renewal's prices differ from the accepted ones.
// The zero PriceChange keeps every price.
type PriceChange struct {
	Kind PriceChangeKind
	// Percent is the increase for PricePercent (5 for 5 %; negative
	// lowers); Amount is added to each line's unit price for PriceAmount;
	// Lines are the new unit prices by the old line's id for PriceLines
	// (a line not named keeps its price).
	Percent  decimal.Decimal
	Amount   decimal.Decimal
	Lines    map[uuid.UUID]decimal.Decimal
	Rounding Rounding
}

// PriceChangeKind is the kind of a renewal's price change.
type PriceChangeKind string

// Price change kinds.
const (
	PriceSame    PriceChangeKind = ""        // prices as accepted
	PricePercent PriceChangeKind = "percent" // every price up by Percent
	PriceAmount  PriceChangeKind = "amount"  // every price up by Amount
	PriceLines   PriceChangeKind = "lines"   // the prices given per line
)

// Rounding is how a changed price is rounded (half away from zero).
type Rounding string

// Roundings.
const (
	RoundCent   Rounding = "" // to the cent (0.01)
	RoundDollar Rounding = "dollar"
)

// RenewalTerms are what a renewal changes: the new start date (zero: the
// anniversary of the old start, Anniversary), the new expiry date (zero:
// none) and prices. BatchID names the renewal run: the renewal's id is
// RenewalID(old, BatchID), so running the same batch again drafts nothing
// twice.
type RenewalTerms struct {
	BatchID   uuid.UUID
	StartDate domain.Date
	ExpiresOn domain.Date
	Price     PriceChange
}

// RenewalID is the id of the renewal of proposal old drafted by batch:
// uuid.NewSHA1(batch, old's 16 bytes).
func RenewalID(old, batch uuid.UUID) uuid.UUID { return uuid.NewSHA1(batch, old[:]) }

// RenewalLineID is the id, in the renewal renewal, of the line carried over
// from the old line oldLine: uuid.NewSHA1(renewal, oldLine's 16 bytes).
// Accepting the renewal ends the old line's service (Carried).
func RenewalLineID(renewal, oldLine uuid.UUID) uuid.UUID { return uuid.NewSHA1(renewal, oldLine[:]) }

// Anniversary is the default start of a renewal of the accepted proposal s:
// twelve months after its services' earliest first billing (or its start
// date, or its acceptance date, when none is dated).
func Anniversary(s State) domain.Date {
	var first domain.Date
	for _, sp := range ServicesToActivate(s) {
		if !sp.FirstDate.IsZero() && (first.IsZero() || sp.FirstDate.Before(first)) {
			first = sp.FirstDate
		}
	}
	if first.IsZero() {
		first = s.StartDate
	}
	if first.IsZero() {
		first = s.AcceptedOn
	}
	return first.AddMonthsClamped(12, first.Day())
}

// Renew drafts the renewal of the accepted proposal old: a DraftProposal
// (id RenewalID) to the same client with the same title, letter,
// signatories and template, whose core lines are the accepted lines (the
// core lines, the chosen package's and the add-ons ticked) that bill again
// and again. One-off lines (once, on completion, estimate) are not renewed.
// Each renewed line (id RenewalLineID) starts on the renewal's start date,
// keeps its rule otherwise (an end date moves by the months between the two
// starts) and gets its new price. Today is the firm's date: the start and
// expiry may not be before it.
func Renew(old State, t RenewalTerms, client domain.ClientFacts, today domain.Date, now time.Time) (DraftProposal, error) {
	if old.Status != StatusAccepted {
		return DraftProposal{}, domain.Conflict("Only an accepted proposal can be renewed; %q is %s.", old.Title, old.Status)
	}
	var p domain.Problems
	if t.BatchID == uuid.Nil {
		p.Add("batch_id", "the renewal needs a batch id")
	}
	oldStart := Anniversary(old).AddMonthsClamped(-12, Anniversary(old).Day())
	start := t.StartDate
	if start.IsZero() {
		start = Anniversary(old)
	}
	if !today.IsZero() && start.Before(today) {
		p.Add("start_date", "the renewal cannot start before today (%s)", today)
	}
	checkPriceChange(&p, t.Price)
	if err := p.Err(); err != nil {
		return DraftProposal{}, err
	}
	id := RenewalID(old.ID, t.BatchID)
	months := monthsBetween(oldStart, start)
	var lines []Line
	for _, l := range old.Lines {
		if !recurring(l.BillingRule) {
			continue
		}
		l.UnitPrice = newPrice(l.UnitPrice, t.Price, l.ID)
		l.ID = RenewalLineID(id, l.ID)
		l.BillingRule = renewedRule(l.BillingRule, months)
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return DraftProposal{}, domain.Conflict("%q has no recurring service to renew.", old.Title)
	}
	signatories := make([]Signatory, len(old.Signatories))
	for i, g := range old.Signatories {
		g.ID = uuid.NewSHA1(id, g.ID[:])
		signatories[i] = g
	}
	return DraftProposal{
		ProposalID: id, ClientID: old.ClientID, Title: old.Title, Currency: old.Currency, StartDate: start,
		Lines: lines, Client: client, Now: now,
		Offer: Offer{
			Letter: old.Letter, Signatories: signatories, ExpiresOn: t.ExpiresOn, TemplateID: old.TemplateID,
			RenewalOf: old.ID, Today: today,
		},
	}, nil
}

// Carried reports, for each line of the accepted proposal old, whether the
// accepted renewal renewal carries it over: its services end the day before
// the renewal starts.
func Carried(old, renewal State) []uuid.UUID {
	var out []uuid.UUID
	for _, l := range old.Lines {
		want := RenewalLineID(renewal.ID, l.ID)
		for _, n := range renewal.Lines {
			if n.ID == want {
				out = append(out, l.ID)
				break
			}
		}
	}
	return out
}

func recurring(r domain.BillingRule) bool {
	switch r.Frequency {
	case domain.FrequencyDays, domain.FrequencyWeeks, domain.FrequencyMonths:
		return true
	}
	return false
}

func renewedRule(r domain.BillingRule, months int) domain.BillingRule {
	r.Start = domain.StartOnProposalStart
	r.StartDate = domain.Date{}
	r.StartDelayDays = 0
	if r.End == domain.EndOnDate && !r.EndDate.IsZero() {
		r.EndDate = r.EndDate.AddMonthsClamped(months, r.EndDate.Day())
	}
	return r
}

func monthsBetween(a, b domain.Date) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}

func checkPriceChange(p *domain.Problems, c PriceChange) {
	switch c.Kind {
	case PriceSame, PriceLines:
	case PricePercent:
		if c.Percent.LessThanOrEqual(decimal.NewFromInt(-100)) {
			p.Add("price.percent", "the change must be more than -100 %%")
		}
	case PriceAmount:
	default:
		p.Add("price.kind", "choose %q, %q, %q or none", PricePercent, PriceAmount, PriceLines)
	}
	switch c.Rounding {
	case RoundCent, RoundDollar:
	default:
		p.Add("price.rounding", "choose \"cent\" (or none) or %q", RoundDollar)
	}
}

// newPrice is the renewed price of the old line oldLine.
func newPrice(price decimal.Decimal, c PriceChange, oldLine uuid.UUID) decimal.Decimal {
	var out decimal.Decimal
	switch c.Kind {
	case PricePercent:
		out = price.Mul(decimal.NewFromInt(100).Add(c.Percent)).Div(decimal.NewFromInt(100))
	case PriceAmount:
		out = price.Add(c.Amount)
	case PriceLines:
		out = price
		if np, ok := c.Lines[oldLine]; ok {
			out = np
		}
	default:
		return price
	}
	if c.Rounding == RoundDollar {
		return out.Round(0)
	}
	return out.Round(2)
}

// String says the change for people: "+5 % (rounded to the dollar)".
func (c PriceChange) String() string {
	var s string
	switch c.Kind {
	case PricePercent:
		s = signed(c.Percent) + " %"
	case PriceAmount:
		s = signed(c.Amount) + " per billing"
	case PriceLines:
		s = "new prices per service"
	default:
		return "prices as accepted"
	}
	if c.Rounding == RoundDollar {
		return s + " (rounded to the dollar)"
	}
	return s
}

func signed(d decimal.Decimal) string {
	if d.IsNegative() {
		return d.String()
	}
	return "+" + d.String()
}
