package projections

import (
	"cmp"
	"context"
	"slices"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/invoice"
	"remit/domain/proposal"
)

// AgeingBuckets name the ranges of days past due receivables are aged in.
var AgeingBuckets = []string{"current", "1-30", "31-60", "61-90", "over_90"}

// ageingBucket is the index in AgeingBuckets of an amount so many days
// past due (0 or less: not yet due).
func ageingBucket(days int) int {
	switch {
	case days <= 0:
		return 0
	case days <= 30:
		return 1
	case days <= 60:
		return 2
	case days <= 90:
		return 3
	}
	return 4
}

// Receivables is accounts receivable by age today, per currency.
type Receivables struct {
	AsOf       domain.Date
	Currencies []ReceivablesIn
}

// ReceivablesIn is what is owed in one currency, by age.
type ReceivablesIn struct {
	Currency domain.Currency
	Total    domain.Money
	Invoices int
	Buckets  []AgeingBucket // in AgeingBuckets' order
}

// AgeingBucket is what is owed so many days past due.
type AgeingBucket struct {
	Name     string // one of AgeingBuckets
	Invoices int
	Amount   domain.Money
}

type receivableSums struct {
	currency domain.Currency
	counts   [5]int
	amounts  [5]decimal.Decimal
}

// Receivables ages every open invoice's outstanding balance (tax
// inclusive) by the days from its due date to today: current (not yet
// due, or due today), 1–30, 31–60, 61–90 and over 90 days past due.
func (m *Models) Receivables(ctx context.Context, q ReportQuery) (Receivables, error) {
	sums := newPerCurrency(q.Currency, func(c domain.Currency) *receivableSums { return &receivableSums{currency: c} })
	err := m.Invoices.each(ctx, func(r invoiceRecord) error {
		if !r.open() {
			return nil
		}
		s := sums.get(r.State.Currency)
		days := 0
		if !r.State.DueDate.IsZero() {
			days = r.State.DueDate.DaysUntil(q.Today)
		}
		b := ageingBucket(days)
		s.counts[b]++
		s.amounts[b] = s.amounts[b].Add(r.Outstanding)
		return nil
	})
	if err != nil {
		return Receivables{}, err
	}
	out := Receivables{AsOf: q.Today}
	for _, s := range sums.sorted() {
		in := ReceivablesIn{Currency: s.currency}
		total := decimal.Zero
		for i, name := range AgeingBuckets {
			in.Buckets = append(in.Buckets, AgeingBucket{Name: name, Invoices: s.counts[i], Amount: roundedSum(s.amounts[i], s.currency)})
			in.Invoices += s.counts[i]
			total = total.Add(s.amounts[i])
		}
		in.Total = roundedSum(total, s.currency)
		out.Currencies = append(out.Currencies, in)
	}
	return out, nil
}

// CollectionRate is how collection attempts went in the last twelve months.
type CollectionRate struct {
	From, To  domain.Date
	Attempts  int
	Succeeded int
	Rejected  int
	// SuccessRate is Succeeded ÷ Attempts in percent, one decimal; nil
	// without attempts.
	SuccessRate *decimal.Decimal
	Months      []CollectionMonth // twelve, oldest first
	Failures    []CollectionFailure
}

// CollectionMonth is the attempts dated in one month.
type CollectionMonth struct {
	Month                         Month
	Attempts, Succeeded, Rejected int
}

// CollectionFailure is how often one decline reason came back.
type CollectionFailure struct {
	Code, Message string
	Count         int
}

// CollectionRate counts the recorded collection attempts (payments taken from
// a method on file) by the month of their date in the firm's zone, and the
// rejected ones by decline code. The success rate is succeeded ÷ attempts.
func (m *Models) CollectionRate(ctx context.Context, q ReportQuery) (CollectionRate, error) {
	months := lastMonths(q.Today)
	out := CollectionRate{From: months[0].First(), To: q.Today, Months: make([]CollectionMonth, 12)}
	for i, mo := range months {
		out.Months[i].Month = mo
	}
	failures := map[string]*CollectionFailure{}
	err := m.Invoices.each(ctx, func(r invoiceRecord) error {
		for _, a := range r.Attempts {
			d := domain.DateOf(a.At, q.zone())
			if d.Before(out.From) || d.After(q.Today) {
				continue
			}
			mo := &out.Months[monthIndex(months[0], MonthOf(d))]
			mo.Attempts++
			out.Attempts++
			switch a.Outcome {
			case invoice.AttemptSucceeded:
				mo.Succeeded++
				out.Succeeded++
			case invoice.AttemptRejected:
				mo.Rejected++
				out.Rejected++
				f, ok := failures[a.DeclineCode]
				if !ok {
					f = &CollectionFailure{Code: a.DeclineCode, Message: a.DeclineMessage}
					failures[a.DeclineCode] = f
				}
				f.Count++
			}
		}
		return nil
	})
	if err != nil {
		return CollectionRate{}, err
	}
	out.SuccessRate = percent(out.Succeeded, out.Attempts)
	for _, f := range failures {
		out.Failures = append(out.Failures, *f)
	}
	slices.SortFunc(out.Failures, func(a, b CollectionFailure) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Code, b.Code)
	})
	return out, nil
}

// percent is part ÷ whole in percent to one decimal; nil when whole is 0.
func percent(part, whole int) *decimal.Decimal {
	if whole == 0 {
		return nil
	}
	p := decimal.NewFromInt(int64(part)).Mul(decimal.NewFromInt(100)).Div(decimal.NewFromInt(int64(whole))).Round(1)
	return &p
}

// Proposals counts proposals sent, accepted and declined in the last
// twelve months.
type Proposals struct {
	From, To                 domain.Date
	Sent, Accepted, Declined int
	// Conversion is the share of the proposals sent in these months that
	// were accepted (by now), in percent, one decimal; nil when none was
	// sent.
	Conversion *decimal.Decimal
	Months     []ProposalMonth // twelve, oldest first
}

// ProposalMonth is what happened to proposals in one month.
type ProposalMonth struct {
	Month                    Month
	Sent, Accepted, Declined int
	// Conversion is the share of the proposals sent that month that were
	// accepted (by now).
	Conversion *decimal.Decimal
	won        int
}

// Proposals counts each proposal in the month it was last sent (any
// proposal ever sent), the month it was accepted (its acceptance date) and
// the month it was declined. Conversion follows the proposals sent: of
// those sent in a month (or in the twelve), the share accepted since, so
// it never exceeds 100%.
func (m *Models) Proposals(ctx context.Context, q ReportQuery) (Proposals, error) {
	months := lastMonths(q.Today)
	out := Proposals{From: months[0].First(), To: q.Today, Months: make([]ProposalMonth, 12)}
	for i, mo := range months {
		out.Months[i].Month = mo
	}
	recs, err := m.Clients.proposals.Find(ctx, m.db, "")
	if err != nil {
		return Proposals{}, err
	}
	in := func(d domain.Date) (*ProposalMonth, bool) {
		if d.IsZero() || d.Before(out.From) || d.After(q.Today) {
			return nil, false
		}
		return &out.Months[monthIndex(months[0], MonthOf(d))], true
	}
	won := 0
	for _, r := range recs {
		st := r.State
		if !st.SentAt.IsZero() {
			if mo, ok := in(domain.DateOf(st.SentAt, q.zone())); ok {
				mo.Sent++
				out.Sent++
				if st.Status == proposal.StatusAccepted {
					mo.won++
					won++
				}
			}
		}
		if st.Status == proposal.StatusAccepted {
			if mo, ok := in(st.AcceptedOn); ok {
				mo.Accepted++
				out.Accepted++
			}
		}
		if st.Status == proposal.StatusDeclined && !st.ClosedAt.IsZero() {
			if mo, ok := in(domain.DateOf(st.ClosedAt, q.zone())); ok {
				mo.Declined++
				out.Declined++
			}
		}
	}
	for i := range out.Months {
		out.Months[i].Conversion = percent(out.Months[i].won, out.Months[i].Sent)
	}
	out.Conversion = percent(won, out.Sent)
	return out, nil
}

// DSOWindow is the days of sales days sales outstanding looks back over.
const DSOWindow = 90

// DSO is days sales outstanding today, per currency.
type DSO struct {
	AsOf       domain.Date
	From       domain.Date // the first day of the window
	Days       int         // the window: DSOWindow
	Currencies []DSOIn
}

// DSOIn is days sales outstanding in one currency:
// Receivable ÷ Invoiced × Days, one decimal; nil when nothing was invoiced.
type DSOIn struct {
	Currency   domain.Currency
	Receivable domain.Money // every open invoice's outstanding balance today
	Invoiced   domain.Money // the totals (tax inclusive) of invoices issued in the window, not void
	DSO        *decimal.Decimal
}

type dsoSums struct {
	currency             domain.Currency
	receivable, invoiced decimal.Decimal
}

// DSO computes days sales outstanding over the last DSOWindow days (today
// included): what is owed today ÷ what was invoiced in the window × the
// window's days. Both amounts are tax inclusive.
func (m *Models) DSO(ctx context.Context, q ReportQuery) (DSO, error) {
	from := q.Today.AddDays(1 - DSOWindow)
	sums := newPerCurrency(q.Currency, func(c domain.Currency) *dsoSums { return &dsoSums{currency: c} })
	err := m.Invoices.each(ctx, func(r invoiceRecord) error {
		st := r.State
		if !st.Issued() {
			return nil
		}
		if r.open() {
			s := sums.get(st.Currency)
			s.receivable = s.receivable.Add(r.Outstanding)
		}
		if st.Status != invoice.StatusVoid && !st.IssueDate.Before(from) && !st.IssueDate.After(q.Today) {
			s := sums.get(st.Currency)
			s.invoiced = s.invoiced.Add(st.Totals.Gross.Amount)
		}
		return nil
	})
	if err != nil {
		return DSO{}, err
	}
	out := DSO{AsOf: q.Today, From: from, Days: DSOWindow}
	for _, s := range sums.sorted() {
		in := DSOIn{Currency: s.currency, Receivable: roundedSum(s.receivable, s.currency), Invoiced: roundedSum(s.invoiced, s.currency)}
		if !s.invoiced.IsZero() {
			d := s.receivable.Div(s.invoiced).Mul(decimal.NewFromInt(DSOWindow)).Round(1)
			in.DSO = &d
		}
		out.Currencies = append(out.Currencies, in)
	}
	return out, nil
}
