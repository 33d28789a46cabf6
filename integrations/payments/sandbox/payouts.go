package sandbox

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/integrations/payments"
)

// Payouts: the sandbox pays out, once a day per currency, what settled on
// one day, PayoutDelayDays later.
//
//   - A card charge settles on the day it was made; a bank debit on the day
//     it stops being pending (Options.SettleDays after it was made). Declined
//     and returned charges never settle.
//   - Fees, in the charge's currency, rounded half away from zero to its
//     minor units: cards (tokens "pm_card_…", "tok_…") 1.75% + 0.30; bank
//     debits ("pm_debit_…") 1%, at most 3.50 (CardFee, DebitFee).
//   - Refunds (the rows of a "refunds" table in the same database, when the
//     refunds part of the sandbox keeps one) are taken out of the payout of
//     the day they were made, with no fee.
//   - The payout of day D in currency C is made at 00:00 UTC on
//     D + PayoutDelayDays and arrives that day; its reference is
//     "po_sandbox_<YYYYMMDD of D>_<c>" (DayPayoutReference), so the same day
//     always yields the same payout.
//
// A payout is computed from the charges and the clock the first time it is
// asked for, then kept in the table "payouts" as it was made, so it never
// changes afterwards, as a real gateway's would not.

// PayoutDelayDays is how many days after settling money is paid out.
const PayoutDelayDays = 2

// Fee schedule of the sandbox.
var (
	cardFeeRate  = decimal.RequireFromString("0.0175")
	cardFeeFixed = decimal.RequireFromString("0.30")
	debitFeeRate = decimal.RequireFromString("0.01")
	debitFeeCap  = decimal.RequireFromString("3.50")
)

// CardFee is the sandbox's fee on a card charge: 1.75% + 0.30.
func CardFee(amount decimal.Decimal, cur domain.Currency) decimal.Decimal {
	return cur.Round(amount.Mul(cardFeeRate).Add(cardFeeFixed))
}

// DebitFee is the sandbox's fee on a bank debit: 1%, at most 3.50.
func DebitFee(amount decimal.Decimal, cur domain.Currency) decimal.Decimal {
	return cur.Round(decimal.Min(amount.Mul(debitFeeRate), debitFeeCap))
}

// FeeOf is the fee the sandbox takes on a charge made with a payment method
// token.
func FeeOf(token string, amount decimal.Decimal, cur domain.Currency) decimal.Decimal {
	if strings.HasPrefix(token, "pm_debit_") {
		return DebitFee(amount, cur)
	}
	return CardFee(amount, cur)
}

// DayPayoutReference is the reference of the payout of what settled on day
// in currency code.
func DayPayoutReference(day domain.Date, code string) string {
	return fmt.Sprintf("po_sandbox_%04d%02d%02d_%s", day.Year(), day.Month(), day.Day(), strings.ToLower(code))
}

const payoutsSchema = `CREATE TABLE IF NOT EXISTS payouts (
	reference TEXT PRIMARY KEY,
	created_at TEXT NOT NULL,
	payout TEXT NOT NULL
)`

var _ payments.PayoutWindows = (*Gateway)(nil)

// settled is one balance transaction of the sandbox before it is paid out.
type settled struct {
	day  domain.Date
	cur  domain.Currency
	line payments.PayoutLine
	at   time.Time // to order lines
}

// Payouts implements payments.PayoutSource: every payout made by now (on
// the injected clock) at or after since, oldest first.
func (g *Gateway) Payouts(ctx context.Context, since time.Time) ([]payments.Payout, error) {
	return g.PayoutsBetween(ctx, since, time.Time{})
}

// FirstPayoutAfter implements payments.PayoutWindows: no payout is made
// before the day of the first charge.
func (g *Gateway) FirstPayoutAfter(ctx context.Context) (time.Time, bool, error) {
	var first sql.NullString
	if err := g.db.QueryRowContext(ctx, `SELECT MIN(json_extract(charge, '$.created_at')) FROM charges`).Scan(&first); err != nil {
		return time.Time{}, false, fmt.Errorf("sandbox gateway: first charge: %w", err)
	}
	if !first.Valid {
		return time.Time{}, false, nil
	}
	at, err := time.Parse(time.RFC3339Nano, first.String)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("sandbox gateway: first charge: %w", err)
	}
	// A day before it: the earliest time sorts first as text, which a time
	// written with a zone ahead of UTC may not.
	day := domain.DateOf(at.UTC(), time.UTC).AddDays(-1)
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC), true, nil
}

// PayoutsBetween implements payments.PayoutWindows: every payout made by
// now (on the injected clock) at or after since and before until (the zero
// until: no end), oldest first. It reads the charges and refunds that
// settle on the days those payouts pay out, and a few days before (bank
// debits settle later), not all of them.
func (g *Gateway) PayoutsBetween(ctx context.Context, since, until time.Time) ([]payments.Payout, error) {
	if _, err := g.db.ExecContext(ctx, payoutsSchema); err != nil {
		return nil, fmt.Errorf("sandbox gateway: payouts: %w", err)
	}
	now := g.opts.Now().UTC()
	toDay := domain.DateOf(now, time.UTC).AddDays(-PayoutDelayDays)
	if !until.IsZero() {
		// A payout made before until is of a day before this one.
		toDay = minDate(toDay, domain.DateOf(until.UTC(), time.UTC).AddDays(-PayoutDelayDays))
	}
	// A payout made at or after since is of a day at or after this one.
	fromDay := domain.DateOf(since.UTC(), time.UTC).AddDays(-PayoutDelayDays)
	if since.IsZero() {
		fromDay = domain.Date{}
	}
	if !fromDay.IsZero() && toDay.Before(fromDay) {
		return nil, nil
	}
	lines, err := g.settledLines(ctx, fromDay, toDay)
	if err != nil {
		return nil, err
	}
	type key struct {
		day  domain.Date
		code string
	}
	groups := map[key][]settled{}
	for _, s := range lines {
		k := key{s.day, s.cur.Code}
		groups[k] = append(groups[k], s)
	}
	var out []payments.Payout
	for k, ss := range groups {
		p := makePayout(k.day, ss)
		if p.Created.Before(since) || (!until.IsZero() && !p.Created.Before(until)) {
			continue
		}
		kept, err := g.keepPayout(ctx, p)
		if err != nil {
			return nil, err
		}
		out = append(out, kept)
	}
	slices.SortFunc(out, func(a, b payments.Payout) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.Reference, b.Reference))
	})
	return out, nil
}

// makePayout is the payout of one day's settled lines in one currency.
func makePayout(day domain.Date, ss []settled) payments.Payout {
	slices.SortFunc(ss, func(a, b settled) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.line.Reference, b.line.Reference))
	})
	cur := ss[0].cur
	total := decimal.Zero
	p := payments.Payout{Reference: DayPayoutReference(day, cur.Code), Currency: cur, Status: "paid"}
	for _, s := range ss {
		total = total.Add(s.line.Net)
		p.Lines = append(p.Lines, s.line)
	}
	arrive := day.AddDays(PayoutDelayDays)
	p.ArrivalDate = arrive
	p.Created = time.Date(arrive.Year(), arrive.Month(), arrive.Day(), 0, 0, 0, 0, time.UTC)
	p.Amount = domain.NewMoney(total, cur)
	return p
}

// keepPayout stores a payout the first time it is made and answers the
// stored one (so a payout never changes once made).
func (g *Gateway) keepPayout(ctx context.Context, p payments.Payout) (payments.Payout, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return p, err
	}
	if _, err := g.db.ExecContext(ctx, `INSERT INTO payouts(reference, created_at, payout) VALUES (?, ?, ?) ON CONFLICT(reference) DO NOTHING`,
		p.Reference, p.Created.Format(time.RFC3339), raw); err != nil {
		return p, fmt.Errorf("sandbox gateway: record payout: %w", err)
	}
	var stored []byte
	if err := g.db.QueryRowContext(ctx, `SELECT payout FROM payouts WHERE reference = ?`, p.Reference).Scan(&stored); err != nil {
		return p, fmt.Errorf("sandbox gateway: read payout: %w", err)
	}
	var kept payments.Payout
	if err := json.Unmarshal(stored, &kept); err != nil {
		return p, fmt.Errorf("sandbox gateway: payout %s: %w", p.Reference, err)
	}
	return kept, nil
}

// settledLines are the charges and refunds that settled from day from to
// day to (inclusive; from zero: since the first).
func (g *Gateway) settledLines(ctx context.Context, from, to domain.Date) ([]settled, error) {
	charges, err := g.chargesBetween(ctx, from, to)
	if err != nil {
		return nil, err
	}
	in := func(d domain.Date) bool { return !d.After(to) && (from.IsZero() || !d.Before(from)) }
	var out []settled
	for _, c := range charges {
		res := g.result(c)
		if res.Status != payments.StatusSucceeded {
			continue
		}
		at := c.CreatedAt
		if strings.HasPrefix(c.PaymentMethod, "pm_debit_") {
			at = at.Add(time.Duration(g.opts.SettleDays) * 24 * time.Hour)
		}
		day := domain.DateOf(at, time.UTC)
		if !in(day) {
			continue
		}
		cur := res.Amount.Currency
		fee := FeeOf(c.PaymentMethod, c.Amount, cur)
		inv, _ := uuid.Parse(c.Metadata["invoice_id"])
		out = append(out, settled{day: day, cur: cur, at: at, line: payments.PayoutLine{
			Kind: payments.LineCharge, Reference: c.Reference, InvoiceID: inv,
			Gross: c.Amount, Fee: fee, Net: c.Amount.Sub(fee),
		}})
	}
	for _, c := range charges {
		for _, d := range g.disputeLines(c) {
			if in(d.day) {
				out = append(out, d)
			}
		}
	}
	refunds, err := g.refundLines(ctx, from, to)
	if err != nil {
		return nil, err
	}
	for _, r := range refunds {
		if in(r.day) {
			out = append(out, r)
		}
	}
	return out, nil
}

// disputeLines are the balance transactions of a disputed test card's
// charge, as Stripe makes them: the disputed amount taken back on the day
// the dispute opens, and on the day it closes the amount given back (won)
// or the dispute fee taken (lost). A payout after a dispute so carries it,
// and the clearing account settles to what is left.
func (g *Gateway) disputeLines(c Charge) []settled {
	d, ok := g.dispute(c)
	if !ok {
		return nil
	}
	cur := d.Amount.Currency
	inv, _ := uuid.Parse(c.Metadata["invoice_id"])
	line := func(at time.Time, kind payments.PayoutLineKind, gross decimal.Decimal) settled {
		return settled{day: domain.DateOf(at, time.UTC), cur: cur, at: at, line: payments.PayoutLine{
			Kind: kind, Reference: d.Reference, InvoiceID: inv, Gross: gross, Fee: decimal.Zero, Net: gross,
		}}
	}
	out := []settled{line(d.Created, payments.LineDispute, d.Amount.Amount.Neg())}
	closed := c.CreatedAt.Add(DisputeCloseDays * 24 * time.Hour)
	switch d.Status {
	case payments.DisputeWon:
		out = append(out, line(closed, payments.LineDispute, d.Amount.Amount))
	case payments.DisputeLost:
		if d.Fee.Amount.IsPositive() {
			out = append(out, line(closed, payments.LineDisputeFee, d.Fee.Amount.Neg()))
		}
	}
	return out
}

// chargesBetween reads the charges that can settle, or have a dispute open
// or close, from day from to day to: those made from the bank debits'
// settling days (or a dispute's closing days) before from (from the first
// when from is zero) to the day after to (every line of a charge is on
// the day it was made or later; the day after, for times written with a
// zone ahead of UTC), so a sync reads those days' charges, not all.
func (g *Gateway) chargesBetween(ctx context.Context, from, to domain.Date) ([]Charge, error) {
	start := time.Time{}
	if !from.IsZero() {
		start = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -max(g.opts.SettleDays, DisputeCloseDays)-1)
	}
	end := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 2)
	return g.queryCharges(ctx, `SELECT charge FROM charges WHERE json_extract(charge, '$.created_at') >= ? AND json_extract(charge, '$.created_at') < ? ORDER BY seq`,
		start.Format(time.RFC3339), end.Format(time.RFC3339))
}

// refundLines reads the refunds the sandbox made (refund.go) from day from
// (the first when from is zero) to the day after to, as money out of a
// payout.
func (g *Gateway) refundLines(ctx context.Context, from, to domain.Date) ([]settled, error) {
	if _, err := g.db.ExecContext(ctx, refundsSchema); err != nil {
		return nil, fmt.Errorf("sandbox gateway: refunds: %w", err)
	}
	start := time.Time{}
	if !from.IsZero() {
		start = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	}
	end := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 2)
	rows, err := g.db.QueryContext(ctx, `SELECT refund FROM refunds WHERE json_extract(refund, '$.created_at') >= ? AND json_extract(refund, '$.created_at') < ? ORDER BY seq`,
		start.Format(time.RFC3339), end.Format(time.RFC3339))
	if err != nil {
		return nil, fmt.Errorf("sandbox gateway: refunds: %w", err)
	}
	defer rows.Close()
	var out []settled
	for rows.Next() {
		var raw []byte
		var r Refund
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("sandbox gateway: refunds: %w", err)
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("sandbox gateway: refunds: %w", err)
		}
		inv, _ := uuid.Parse(r.Metadata["invoice_id"])
		gross := r.Amount.Neg()
		out = append(out, settled{day: domain.DateOf(r.CreatedAt, time.UTC), cur: currency(r.Currency), at: r.CreatedAt, line: payments.PayoutLine{
			Kind: payments.LineRefund, Reference: r.Reference, InvoiceID: inv, Gross: gross, Fee: decimal.Zero, Net: gross,
		}})
	}
	return out, rows.Err()
}

// minDate is the earlier of two dates.
func minDate(a, b domain.Date) domain.Date {
	if b.Before(a) {
		return b
	}
	return a
}
