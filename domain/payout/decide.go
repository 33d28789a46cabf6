package payout

import (
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"remit/domain"
)

// Command is a request about one payout; Decide handles each kind.
type Command interface{ isPayoutCommand() }

// Record records a payout as the gateway reports it. Amount and Fees are
// derived from the lines.
type Record struct {
	Gateway     string
	Reference   string
	Currency    domain.Currency
	Amount      decimal.Decimal
	ArrivalDate domain.Date
	Status      Status
	Lines       []Line
	Now         time.Time
}

// Fail records that a recorded payout bounced.
type Fail struct {
	Gateway   string
	Reference string
	Reason    string
	Now       time.Time
}

func (Record) isPayoutCommand() {}
func (Fail) isPayoutCommand()   {}

// Decide returns the events that c records against s, or why it is refused.
func Decide(s State, c Command) ([]domain.Event, error) {
	switch c := c.(type) {
	case Record:
		return record(s, c)
	case Fail:
		return fail(s, c)
	}
	return nil, domain.Errorf(domain.EINTERNAL, "payout: unknown command %T", c)
}

func record(s State, c Record) ([]domain.Event, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	if s.Recorded {
		return nil, nil // the same payout, synced again
	}
	fees := decimal.Zero
	lines := slices.Clone(c.Lines)
	for i := range lines {
		fees = fees.Add(lines[i].Fee)
		lines[i].Reference = strings.TrimSpace(lines[i].Reference)
	}
	id := ID(c.Gateway, c.Reference)
	first := lines[:min(len(lines), MaxLinesPerEvent)]
	rest := slices.Collect(slices.Chunk(lines[len(first):], MaxLinesPerEvent))
	out := make([]domain.Event, 0, 1+len(rest))
	out = append(out, PayoutRecorded{
		PayoutID: id, Gateway: c.Gateway, Reference: c.Reference, Currency: c.Currency,
		Amount: c.Amount, Fees: fees, ArrivalDate: c.ArrivalDate, Status: c.Status, Lines: first, Parts: len(rest), At: c.Now,
	})
	for i, part := range rest {
		out = append(out, PayoutLinesRecorded{PayoutID: id, Part: i + 1, Lines: part})
	}
	return out, nil
}

func (c Record) validate() error {
	var p domain.Problems
	if strings.TrimSpace(c.Gateway) == "" {
		p.Add("gateway", "name the gateway that made the payout")
	}
	if strings.TrimSpace(c.Reference) == "" {
		p.Add("reference", "a payout needs the gateway's reference")
	}
	if c.Currency.IsZero() {
		p.Add("currency", "a payout needs its currency")
	}
	if c.ArrivalDate.IsZero() {
		p.Add("arrival_date", "a payout needs its arrival date")
	}
	if c.Status != StatusPaid && c.Status != StatusInTransit {
		p.Add("status", "%q is not a payout status Remit records (paid or in_transit)", c.Status)
	}
	sum := decimal.Zero
	for _, l := range c.Lines {
		p.Merge(l.validate(c.Currency))
		sum = sum.Add(l.Net)
	}
	if !sum.Equal(c.Amount) {
		p.Add("amount", "the payout's amount %s is not the sum of its lines' nets, %s", c.Amount, sum)
	}
	return p.Err()
}

func (l Line) validate(cur domain.Currency) error {
	var p domain.Problems
	if !slices.Contains(Kinds(), l.Kind) {
		p.Add("lines.kind", "%q is not a balance transaction kind", l.Kind)
	}
	if strings.TrimSpace(l.Reference) == "" {
		p.Add("lines.reference", "each line needs the gateway's reference of its charge, refund or dispute")
	}
	if !l.Gross.Sub(l.Fee).Equal(l.Net) {
		p.Add("lines.net", "line %s: gross %s less fee %s is not its net %s", l.Reference, l.Gross, l.Fee, l.Net)
	}
	if !cur.IsZero() && (!cur.Round(l.Gross).Equal(l.Gross) || !cur.Round(l.Fee).Equal(l.Fee)) {
		p.Add("lines.gross", "line %s: amounts must be in whole %s minor units", l.Reference, cur)
	}
	return p.Err()
}

func fail(s State, c Fail) ([]domain.Event, error) {
	if !s.Recorded {
		return nil, domain.NotFound("There is no payout %s from %s.", c.Reference, c.Gateway)
	}
	if s.Failed {
		return nil, nil
	}
	reason := strings.TrimSpace(c.Reason)
	if reason == "" {
		reason = "the bank returned the payout"
	}
	return []domain.Event{PayoutFailed{PayoutID: s.Payout.PayoutID, Gateway: s.Payout.Gateway, Reference: s.Payout.Reference, Reason: reason, At: c.Now}}, nil
}
