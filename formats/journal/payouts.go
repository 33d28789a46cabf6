package journal

import (
	"fmt"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/payout"
	"remit/projections/follow"
)

// What the clearing account holds
//
// Assets:Clearing:Gateway is the money the gateway holds for the firm: a
// collected payment goes in (InvoicePaymentSucceeded), a refund goes out
// (InvoicePaymentRefunded, booked by the refunds' postings), and a payout
// takes out everything it settles (PayoutRecorded):
//
//	PayoutRecorded  Dr Assets:Bank            amount (the net paid out)
//	                Dr Expenses:Payment-Fees  fees (the sum of its lines' fees)
//	                Cr Assets:Clearing:Gateway amount + fees (the sum of its lines' grosses)
//	PayoutFailed    Dr Assets:Clearing:Gateway / Cr Assets:Bank  amount (back at the gateway)
//
// so the clearing account's balance is what was collected and not yet paid
// out: collected − fees − refunds − paid out, which Check proves.

// FlowKind is a movement of the clearing account, as Check recounts it.
type FlowKind string

// Flow kinds.
const (
	FlowCollected FlowKind = "collected" // a payment collected by the gateway
	// FlowRefunded is a payment refunded through the gateway, added by the
	// postings of InvoicePaymentRefunded (refunds.go).
	FlowRefunded FlowKind = "refunded"
	// FlowDisputed is money the gateway took back for a dispute, or its
	// dispute fee (and, as a negative amount, money a won dispute
	// restored), added by the dispute events' postings (refunds.go).
	FlowDisputed FlowKind = "disputed"
	FlowFee      FlowKind = "fee"      // the gateway's fees in a payout
	FlowPaidOut  FlowKind = "paid_out" // a payout's net (negative when it failed)
	// FlowSettled is a charge line of a payout (not a movement of its own:
	// the payout's fee and net are): Check matches it with the collected
	// payment of the same gateway reference.
	FlowSettled FlowKind = "settled"
)

// Flow is one amount of the clearing account's reckoning, taken from an
// event's data (not from the postings, which Check compares it with).
type Flow struct {
	Kind      FlowKind
	Date      domain.Date
	EventID   uuid.UUID
	Reference string // the gateway's reference of the charge (collected, settled) or payout
	Amount    domain.Money
}

// payoutBooked is what the journal holds of a payout.
type payoutBooked struct {
	amount    domain.Money
	reference string
	gateway   string
	arrival   domain.Date
}

func (b *builder) flow(f Flow) { b.j.Flows = append(b.j.Flows, f) }

func (b *builder) payoutRecorded(r follow.Event, e payout.PayoutRecorded) error {
	if _, dup := b.payouts[e.PayoutID]; dup {
		return fmt.Errorf("payout %s recorded twice", e.Reference)
	}
	cur := e.Currency
	b.payouts[e.PayoutID] = &payoutBooked{amount: domain.NewMoney(e.Amount, cur), reference: e.Reference, gateway: e.Gateway, arrival: e.ArrivalDate}
	fees := decimal.Zero
	for _, l := range e.Lines {
		fees = fees.Add(l.Fee)
	}
	if e.Parts > 0 { // the rest of the lines follow; the payout's fees are all of them
		fees = e.Fees
	}
	b.settled(r, e.ArrivalDate, cur, e.Lines)
	b.flow(Flow{Kind: FlowFee, Date: e.ArrivalDate, EventID: r.ID, Reference: e.Reference, Amount: domain.Money{Amount: fees, Currency: cur}})
	b.flow(Flow{Kind: FlowPaidOut, Date: e.ArrivalDate, EventID: r.ID, Reference: e.Reference, Amount: domain.Money{Amount: e.Amount, Currency: cur}})
	b.addPayout(r, e.PayoutID, b.payouts[e.PayoutID], e.ArrivalDate, "payout",
		Posting{Account: AccountBank, Amount: e.Amount, Currency: cur},
		Posting{Account: AccountPaymentFees, Amount: fees, Currency: cur},
		Posting{Account: AccountGateway, Amount: e.Amount.Add(fees).Neg(), Currency: cur},
	)
	return nil
}

// payoutLines adds the settled charges of a big payout's further lines; its
// transaction was booked with its PayoutRecorded.
func (b *builder) payoutLines(r follow.Event, e payout.PayoutLinesRecorded) error {
	p, ok := b.payouts[e.PayoutID]
	if !ok {
		return fmt.Errorf("lines of payout %s before it was recorded", e.PayoutID)
	}
	b.settled(r, p.arrival, p.amount.Currency, e.Lines)
	return nil
}

// settled records the flow of each charge a payout settles.
func (b *builder) settled(r follow.Event, date domain.Date, cur domain.Currency, lines []payout.Line) {
	for _, l := range lines {
		if l.Kind == payout.KindCharge {
			b.flow(Flow{Kind: FlowSettled, Date: date, EventID: r.ID, Reference: l.Reference, Amount: domain.Money{Amount: l.Gross, Currency: cur}})
		}
	}
}

func (b *builder) payoutFailed(r follow.Event, e payout.PayoutFailed) error {
	p, ok := b.payouts[e.PayoutID]
	if !ok {
		return fmt.Errorf("payout %s failed before it was recorded", e.Reference)
	}
	date := b.dateOf(e.At)
	b.flow(Flow{Kind: FlowPaidOut, Date: date, EventID: r.ID, Reference: e.Reference, Amount: p.amount.Neg()})
	b.addPayout(r, e.PayoutID, p, date, "payout failed: "+oneLine(e.Reason),
		Posting{Account: AccountGateway, Amount: p.amount.Amount, Currency: p.amount.Currency},
		Posting{Account: AccountBank, Amount: p.amount.Amount.Neg(), Currency: p.amount.Currency},
	)
	return nil
}

func (b *builder) addPayout(r follow.Event, id uuid.UUID, p *payoutBooked, date domain.Date, narration string, postings ...Posting) {
	b.j.Transactions = append(b.j.Transactions, Transaction{
		Date: date, Position: r.Position, EventID: r.ID, EventType: r.Type,
		PayoutID: id, InvoiceNumber: p.reference, ClientName: p.gateway,
		Narration: narration, Postings: dropZero(postings),
	})
}

// Clearing sums the postings of the clearing account per currency code.
func (j *Journal) Clearing() map[string]domain.Money {
	out := map[string]domain.Money{}
	for _, t := range j.Transactions {
		for _, p := range t.Postings {
			if p.Account == AccountGateway {
				add(out, p.Currency, p.Amount)
			}
		}
	}
	return out
}

func add(m map[string]domain.Money, cur domain.Currency, amount decimal.Decimal) {
	v, ok := m[cur.Code]
	if !ok {
		v = domain.Zero(cur)
	}
	v.Amount = v.Amount.Add(amount)
	m[cur.Code] = v
}

// CheckClearing proves the clearing account: per currency, its balance
// equals collected − fees − refunds − paid out, counted from the events;
// and every charge a payout settles is a payment Remit collected, for the
// amount collected, settled once. It returns one line per difference.
func (j *Journal) CheckClearing() []string {
	var diffs []string
	expected := map[string]domain.Money{}
	collected := map[string]domain.Money{}
	settled := map[string]int{}
	for _, f := range j.Flows {
		switch f.Kind {
		case FlowCollected:
			add(expected, f.Amount.Currency, f.Amount.Amount)
			if f.Reference != "" {
				collected[f.Reference] = f.Amount
			}
		case FlowRefunded, FlowDisputed, FlowFee, FlowPaidOut:
			add(expected, f.Amount.Currency, f.Amount.Amount.Neg())
		}
	}
	for _, f := range j.Flows {
		if f.Kind != FlowSettled {
			continue
		}
		settled[f.Reference]++
		c, ok := collected[f.Reference]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("payout line %s (event %s) settles %s, which Remit never collected", f.Reference, f.EventID, f.Amount))
		case !c.Equal(f.Amount):
			diffs = append(diffs, fmt.Sprintf("payout line %s (event %s) settles %s but Remit collected %s", f.Reference, f.EventID, f.Amount, c))
		case settled[f.Reference] == 2:
			diffs = append(diffs, fmt.Sprintf("charge %s is settled by more than one payout (event %s)", f.Reference, f.EventID))
		}
	}
	booked := j.Clearing()
	codes := map[string]domain.Currency{}
	for code, m := range booked {
		codes[code] = m.Currency
	}
	for code, m := range expected {
		codes[code] = m.Currency
	}
	for _, code := range sortedKeys(codes) {
		b, e := amountOr(booked, code), amountOr(expected, code)
		if !b.Equal(e) {
			cur := codes[code]
			diffs = append(diffs, fmt.Sprintf("clearing account %s %s: the journal's balance is %s but collected − fees − refunds − paid out is %s",
				AccountGateway, code, b.StringFixed(cur.MinorUnits), e.StringFixed(cur.MinorUnits)))
		}
	}
	return diffs
}
