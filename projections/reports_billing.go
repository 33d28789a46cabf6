package projections

import (
	"context"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/invoice"
	"remit/domain/service"
)

// ProjectedBillings is what the schedules will bill from today to the end
// of the eleventh month after the current one (twelve calendar months, the
// first from today), per currency, by month and by service.
type ProjectedBillings struct {
	From, Through domain.Date
	Currencies    []ProjectedBillingsIn
}

// ProjectedBillingsIn is projected billings in one currency.
type ProjectedBillingsIn struct {
	Currency  domain.Currency
	Total     domain.Money
	Months    []MonthAmount // twelve, oldest first
	ByService []NamedAmount // largest first
}

type projectedSums struct {
	currency domain.Currency
	months   []decimal.Decimal
	services map[uuid.UUID]*NamedAmount
	order    []uuid.UUID
}

// ProjectedBillings sums the scheduled items (automatic and manual, not
// billed, skipped or archived) dated from today through the window's last
// day, each at its amount before tax, after discount. Items dated before
// today that were never billed (catch-ups a billing run has not issued
// yet) are not counted.
func (m *Models) ProjectedBillings(ctx context.Context, q ReportQuery) (ProjectedBillings, error) {
	svcs, err := m.allServices(ctx)
	if err != nil {
		return ProjectedBillings{}, err
	}
	names, err := m.clientNames(ctx)
	if err != nil {
		return ProjectedBillings{}, err
	}
	first := MonthOf(q.Today)
	through := first.Add(11).Last()
	sums := newPerCurrency(q.Currency, func(c domain.Currency) *projectedSums {
		return &projectedSums{currency: c, months: make([]decimal.Decimal, 12), services: map[uuid.UUID]*NamedAmount{}}
	})
	for _, st := range svcs {
		s := sums.get(st.Currency)
		for _, it := range st.Schedule(through) {
			if it.Date.IsZero() || it.Date.Before(q.Today) || (it.Status != service.ItemScheduled && it.Status != service.ItemScheduledToIssue) {
				continue
			}
			amount := itemAmount(it, st.Currency).Amount
			i := monthIndex(first, MonthOf(it.Date))
			s.months[i] = s.months[i].Add(amount)
			na, ok := s.services[st.ID]
			if !ok {
				na = &NamedAmount{ID: st.ID, Name: st.Name, Client: clientName(names, st.ClientID), Amount: domain.Zero(st.Currency)}
				s.services[st.ID] = na
				s.order = append(s.order, st.ID)
			}
			na.Amount.Amount = na.Amount.Amount.Add(amount)
		}
	}
	out := ProjectedBillings{From: q.Today, Through: through}
	for _, s := range sums.sorted() {
		in := ProjectedBillingsIn{Currency: s.currency}
		total := decimal.Zero
		for i, a := range s.months {
			in.Months = append(in.Months, MonthAmount{Month: first.Add(i), Amount: roundedSum(a, s.currency)})
			total = total.Add(a)
		}
		in.Total = roundedSum(total, s.currency)
		for _, id := range s.order {
			in.ByService = append(in.ByService, *s.services[id])
		}
		sortNamed(in.ByService)
		out.Currencies = append(out.Currencies, in)
	}
	return out, nil
}

// monthIndex is how many months m is after first.
func monthIndex(first, m Month) int {
	return (m.Year-first.Year)*12 + int(m.Month) - int(first.Month)
}

// Revenue is what the firm invoiced in a period, per currency, by service
// and by client.
type Revenue struct {
	From, To   domain.Date
	Currencies []RevenueIn
}

// RevenueIn is revenue in one currency. Net = Invoiced − Credited.
type RevenueIn struct {
	Currency  domain.Currency
	Invoices  int
	Invoiced  domain.Money // the net (before tax) of the invoices issued in the period
	Credited  domain.Money // their credit notes (refunds included), before tax
	Net       domain.Money
	ByService []NamedAmount // net of credit; once-off lines under "Once-off (instant bills)"
	ByClient  []NamedAmount
}

type revenueSums struct {
	currency           domain.Currency
	invoices           int
	invoiced, credited decimal.Decimal
	services, clients  map[uuid.UUID]*NamedAmount
}

// InstantBillName names the once-off lines (no service) in revenue by service.
const InstantBillName = "Once-off (instant bills)"

// Revenue sums the invoices issued (not void) between q.From and q.To,
// both included, before tax: each line's net amount, less the invoice's
// credit notes (which refunds issue too) taken out of its lines in
// proportion to their net amounts, at the invoice's net ÷ gross (credit
// notes are tax inclusive). Credit notes count in the period of their
// invoice. Write-offs are not revenue reductions (bad debt).
func (m *Models) Revenue(ctx context.Context, q ReportQuery) (Revenue, error) {
	from, to := q.From, q.To
	if from.IsZero() || to.IsZero() {
		months := lastMonths(q.Today)
		from, to = months[0].First(), months[11].Last()
	}
	svcs, err := m.allServices(ctx)
	if err != nil {
		return Revenue{}, err
	}
	svcNames := map[uuid.UUID]service.State{}
	for _, st := range svcs {
		svcNames[st.ID] = st
	}
	names, err := m.clientNames(ctx)
	if err != nil {
		return Revenue{}, err
	}
	sums := newPerCurrency(q.Currency, func(c domain.Currency) *revenueSums {
		return &revenueSums{currency: c, services: map[uuid.UUID]*NamedAmount{}, clients: map[uuid.UUID]*NamedAmount{}}
	})
	add := func(into map[uuid.UUID]*NamedAmount, id uuid.UUID, name, clientOf string, c domain.Currency, amount decimal.Decimal) {
		na, ok := into[id]
		if !ok {
			na = &NamedAmount{ID: id, Name: name, Client: clientOf, Amount: domain.Zero(c)}
			into[id] = na
		}
		na.Amount.Amount = na.Amount.Amount.Add(amount)
	}
	err = m.Invoices.each(ctx, func(r invoiceRecord) error {
		st := r.State
		if !st.Issued() || st.Status == invoice.StatusVoid || st.IssueDate.Before(from) || st.IssueDate.After(to) {
			return nil
		}
		s := sums.get(st.Currency)
		s.invoices++
		credit := creditNet(r)
		net := st.Totals.Net.Amount
		cname := clientName(names, st.ClientID)
		for _, l := range st.Lines {
			share := l.Amounts.Net.Amount
			if !net.IsZero() {
				share = share.Sub(credit.Mul(l.Amounts.Net.Amount).Div(net))
			}
			id, name, of := l.ServiceID, InstantBillName, ""
			if sv, ok := svcNames[l.ServiceID]; ok {
				name, of = sv.Name, clientName(names, sv.ClientID)
			} else if l.ServiceID != uuid.Nil {
				name = l.Description
			}
			add(s.services, id, name, of, st.Currency, share)
		}
		s.invoiced = s.invoiced.Add(net)
		s.credited = s.credited.Add(credit)
		add(s.clients, st.ClientID, cname, "", st.Currency, net.Sub(credit))
		return nil
	})
	if err != nil {
		return Revenue{}, err
	}
	out := Revenue{From: from, To: to}
	for _, s := range sums.sorted() {
		c := s.currency
		in := RevenueIn{Currency: c, Invoices: s.invoices, Invoiced: roundedSum(s.invoiced, c), Credited: roundedSum(s.credited, c), Net: roundedSum(s.invoiced.Sub(s.credited), c)}
		for _, na := range s.services {
			na.Amount = roundedSum(na.Amount.Amount, c)
			in.ByService = append(in.ByService, *na)
		}
		for _, na := range s.clients {
			na.Amount = roundedSum(na.Amount.Amount, c)
			in.ByClient = append(in.ByClient, *na)
		}
		sortNamed(in.ByService)
		sortNamed(in.ByClient)
		out.Currencies = append(out.Currencies, in)
	}
	return out, nil
}

// creditNet is an invoice's credit notes before tax: their (tax inclusive)
// sum × the invoice's net ÷ gross.
func creditNet(r invoiceRecord) decimal.Decimal {
	gross := decimal.Zero
	for _, cn := range r.CreditNotes {
		gross = gross.Add(cn.Amount.Amount)
	}
	t := r.State.Totals
	if gross.IsZero() || t.Gross.Amount.IsZero() {
		return gross
	}
	return gross.Mul(t.Net.Amount).Div(t.Gross.Amount)
}
