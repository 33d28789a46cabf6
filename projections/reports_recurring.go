package projections

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/service"
)

// DaysPerMonth is the length of the average month of the Gregorian
// calendar's 365.25-day year: 365.25 ÷ 12 = 30.4375 days. Recurring revenue
// turns every frequency into a month with it.
var DaysPerMonth = decimal.RequireFromString("30.4375")

// MonthlyAmount is a month's worth of a recurring rule's billing of
// amount: amount ÷ N for every N months (quarterly ⅓, yearly 1⁄12),
// amount × 30.4375 ÷ (7 × N) for every N weeks (weekly × 4.348…),
// amount × 30.4375 ÷ N for every N days; multiplied before dividing, so
// the only rounding is the division's 16 decimal places. A rule that does
// not repeat (once, on completion, estimate) has no recurring revenue: ok
// is false.
func MonthlyAmount(amount decimal.Decimal, r domain.BillingRule) (decimal.Decimal, bool) {
	n := int64(max(r.Interval, 1))
	switch r.Frequency {
	case domain.FrequencyMonths:
		return amount.Div(decimal.NewFromInt(n)), true
	case domain.FrequencyWeeks:
		return amount.Mul(DaysPerMonth).Div(decimal.NewFromInt(7 * n)), true
	case domain.FrequencyDays:
		return amount.Mul(DaysPerMonth).Div(decimal.NewFromInt(n)), true
	}
	return decimal.Zero, false
}

// periodEnd is the day after the period that a billing on d covers.
func periodEnd(r domain.BillingRule, d domain.Date) domain.Date {
	n := max(r.Interval, 1)
	switch r.Frequency {
	case domain.FrequencyWeeks:
		return d.AddDays(7 * n)
	case domain.FrequencyDays:
		return d.AddDays(n)
	}
	return d.AddMonthsClamped(n, d.Day())
}

// RecurringRevenue is the firm's monthly recurring revenue (MRR) and its
// annual run rate (ARR = 12 × MRR) today, per currency, and the MRR at the
// end of each of the last twelve months.
type RecurringRevenue struct {
	AsOf       domain.Date
	Currencies []RecurringRevenueIn
}

// RecurringRevenueIn is recurring revenue in one currency.
type RecurringRevenueIn struct {
	Currency domain.Currency
	Monthly  domain.Money // MRR today
	Annual   domain.Money // 12 × MRR
	Services int          // recurring services billing today
	// History is the MRR on the last day of each of the last twelve
	// months (today for the current month), oldest first, each with its
	// change from the month before.
	History []RecurringMonth
}

// RecurringMonth is the MRR at the end of one month.
type RecurringMonth struct {
	Month   Month
	On      domain.Date
	Monthly domain.Money
	Change  domain.Money // from the month before
}

// recurringSums holds unrounded MRR per day asked about.
type recurringSums struct {
	currency domain.Currency
	at       []decimal.Decimal
	services int
}

// RecurringRevenue computes recurring revenue from the services read model.
// A service counts on a day when it repeats (every N days, weeks or months)
// and that day falls within the period of one of its billings (from the
// billing's date up to the next one by its rule) that is not skipped or
// archived (an ended service stops counting when its last billing's
// period is over); it contributes that billing's amount before tax, after
// discount, made monthly by MonthlyAmount for its billing rule.
func (m *Models) RecurringRevenue(ctx context.Context, q ReportQuery) (RecurringRevenue, error) {
	docs, err := m.Services.find(ctx, "ORDER BY seq, key")
	if err != nil {
		return RecurringRevenue{}, err
	}
	months := lastMonths(q.Today)
	days := make([]domain.Date, 0, 13)
	days = append(days, months[0].Add(-1).Last())
	for _, mo := range months[:11] {
		days = append(days, mo.Last())
	}
	days = append(days, q.Today)
	sums := newPerCurrency(q.Currency, func(c domain.Currency) *recurringSums {
		return &recurringSums{currency: c, at: make([]decimal.Decimal, len(days))}
	})
	for _, d := range docs {
		st := d.State
		if !st.Activated() {
			continue
		}
		for i, day := range days {
			monthly, cur, ok := d.monthlyOn(day, q.zone(), i == len(days)-1)
			if !ok {
				continue
			}
			s := sums.get(cur)
			s.at[i] = s.at[i].Add(monthly)
			if i == len(days)-1 {
				s.services++
			}
		}
	}
	out := RecurringRevenue{AsOf: q.Today}
	for _, s := range sums.sorted() {
		c := s.currency
		mrr := roundedSum(s.at[len(days)-1], c)
		in := RecurringRevenueIn{Currency: c, Monthly: mrr, Annual: roundedSum(s.at[len(days)-1].Mul(decimal.NewFromInt(12)), c), Services: s.services}
		for i, mo := range months {
			now, before := roundedSum(s.at[i+1], c), roundedSum(s.at[i], c)
			in.History = append(in.History, RecurringMonth{Month: mo, On: days[i+1], Monthly: now, Change: domain.NewMoney(now.Amount.Sub(before.Amount), c)})
		}
		out.Currencies = append(out.Currencies, in)
	}
	return out, nil
}

// monthlyAt is a service's recurring revenue made monthly on day, as its
// state st has it: ok is false when it does not repeat, or day is not in
// the period of one of its billings.
func monthlyAt(st service.State, day domain.Date) (decimal.Decimal, bool) {
	if _, ok := MonthlyAmount(decimal.Zero, st.BillingRule); !ok {
		return decimal.Zero, false
	}
	return monthlyAmong(st, billingItems(st.Schedule(day)), day)
}

// monthlyAmong is monthlyAt with the service's billing items through day
// or later (billingItems of a Schedule through any day from day on: the
// schedule through a day is a later one's less the items after it), so
// several days can share one schedule.
func monthlyAmong(st service.State, items []service.Item, day domain.Date) (decimal.Decimal, bool) {
	if _, ok := MonthlyAmount(decimal.Zero, st.BillingRule); !ok {
		return decimal.Zero, false
	}
	it, ok := coveringItem(st, items, day)
	if !ok {
		return decimal.Zero, false
	}
	return MonthlyAmount(itemAmount(it, st.Currency).Amount, st.BillingRule)
}

// monthlyOn is the service's monthly recurring revenue on day as the
// service stood at the end of that day (in the firm's zone loc): the state
// it had then, kept in MRRHistory when the next event was applied; its
// current state when nothing was recorded after the day (or now is set:
// today). A day before the service was first recorded (a back-dated start,
// services imported when a firm starts with Remit) has it as first
// recorded; a day Remit kept nothing for (older than MRRHistory keeps) has
// it as it stands.
func (d *serviceDoc) monthlyOn(day domain.Date, loc *time.Location, now bool) (decimal.Decimal, domain.Currency, bool) {
	next := day.AddDays(1)
	end := time.Date(next.Year(), next.Month(), next.Day(), 0, 0, 0, 0, loc)
	if !now && end.Before(d.Since) {
		for _, p := range d.MRRHistory {
			if p.On == day && !end.Before(p.Since) && end.Before(p.Until) {
				return p.Monthly, p.Currency, p.Counts
			}
		}
	}
	v, ok := monthlyAt(d.State, day)
	return v, d.State.Currency, ok
}

// mrrPoint is a service's recurring revenue on a month's last day (On) as
// one past state of the service had it: the state that stood from Since
// (the recording of the event that made it; zero for the first state,
// which stands for the days before it too) until Until (the next one's).
type mrrPoint struct {
	On       domain.Date     `json:"on"`
	Since    time.Time       `json:"since"`
	Until    time.Time       `json:"until"`
	Monthly  decimal.Decimal `json:"monthly"`
	Currency domain.Currency `json:"currency"`
	Counts   bool            `json:"counts"`
}

// mrrHistoryDays bounds how far back MRRHistory keeps points: the
// reports look back twelve months from today.
const mrrHistoryDays = 400

// closeMRRVersion records, before the service moves on from state st
// (standing since since) with an event recorded at until, the monthly
// recurring revenue st gave on each month's last day whose end (in any
// zone) may fall between the two; and drops points too old to be asked.
func (d *serviceDoc) closeMRRVersion(until time.Time) {
	since := d.Since
	if since.IsZero() || until.IsZero() || !d.State.Activated() {
		return
	}
	oldest := utcDate(until).AddDays(-mrrHistoryDays)
	first := utcDate(since).AddDays(-2)
	if since.Equal(d.First) {
		// The first state stands for every day before it was recorded.
		first, since = oldest, time.Time{}
	}
	last := utcDate(until).AddDays(1)
	var items []service.Item // the schedule through the last day, built once
	for day := MonthOf(first).Add(-1).Last(); !day.After(last); day = MonthOf(day).Add(1).Last() {
		if day.Before(first) {
			continue
		}
		if items == nil {
			items = billingItems(d.State.Schedule(MonthOf(last).Last()))
		}
		v, ok := monthlyAmong(d.State, items, day)
		d.MRRHistory = append(d.MRRHistory, mrrPoint{On: day, Since: since, Until: until, Monthly: v, Currency: d.State.Currency, Counts: ok})
	}
	keep := d.MRRHistory[:0]
	for _, p := range d.MRRHistory {
		if !p.On.Before(oldest) {
			keep = append(keep, p)
		}
	}
	d.MRRHistory = keep
}

func utcDate(t time.Time) domain.Date {
	t = t.UTC()
	return domain.MustDate(t.Year(), t.Month(), t.Day())
}

// billingItems keeps the dated items that bill (or billed): not skipped,
// not archived.
func billingItems(items []service.Item) []service.Item {
	out := items[:0:0]
	for _, it := range items {
		if !it.Date.IsZero() && it.Status != service.ItemSkipped && it.Status != service.ItemArchived {
			out = append(out, it)
		}
	}
	return out
}

// coveringItem is the billing whose period holds day: the latest dated on
// or before it, when day is before the end of its period (and not after
// the service's end date).
func coveringItem(st service.State, items []service.Item, day domain.Date) (service.Item, bool) {
	if st.Ended && !st.EndDate.IsZero() && st.EndDate.Before(day) {
		return service.Item{}, false
	}
	var last service.Item
	found := false
	for _, it := range items {
		if it.Date.After(day) {
			break
		}
		last, found = it, true
	}
	if !found || !day.Before(periodEnd(st.BillingRule, last.Date)) {
		return service.Item{}, false
	}
	return last, true
}
