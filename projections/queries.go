package projections

import (
	"cmp"
	"context"
	"slices"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/service"
)

func (m *Models) summary(ctx context.Context, clientID uuid.UUID, today domain.Date) (ClientSummary, error) {
	rec, props, ok, err := m.Clients.get(ctx, clientID)
	if err != nil {
		return ClientSummary{}, err
	}
	if !ok {
		return ClientSummary{}, domain.NotFound("client %s not found", clientID)
	}
	st := rec.State
	sum := ClientSummary{
		ID:                     st.ID,
		Name:                   st.Name,
		Kind:                   st.Kind,
		Address:                st.Address,
		TaxNumber:              st.TaxNumber,
		Currency:               st.Currency,
		PaymentTermsDays:       st.PaymentTermsDays,
		Archived:               st.Archived,
		CreatedAt:              st.CreatedAt,
		Revision:               rec.Revision,
		Tags:                   st.Tags,
		PrimaryContact:         st.PrimaryContactID,
		DefaultMethod:          st.DefaultPaymentMethodID,
		Contacts:               make([]ContactView, len(st.Contacts)),
		PaymentMethods:         make([]PaymentMethodView, len(st.PaymentMethods)),
		Proposals:              make([]ProposalView, len(props)),
		PaymentDetailsRequests: slices.Clone(st.PaymentDetailsRequests),
	}
	for i, c := range st.Contacts {
		sum.Contacts[i] = ContactView{Contact: c, Primary: c.ID == st.PrimaryContactID}
	}
	for i, pm := range st.PaymentMethods {
		sum.PaymentMethods[i] = methodView(pm, st.DefaultPaymentMethodID)
	}
	for i, p := range props {
		ps := p.State
		total := domain.Zero(ps.Currency)
		for _, l := range ps.Lines {
			total.Amount = total.Amount.Add(l.UnitPrice.Mul(l.Quantity))
		}
		sum.Proposals[i] = ProposalView{
			ID: ps.ID, Title: ps.Title, Status: ps.Status, Currency: ps.Currency, StartDate: ps.StartDate,
			Lines: len(ps.Lines), Items: ps.Lines, Total: total, DraftedAt: ps.DraftedAt, SentAt: ps.SentAt,
			AcceptedOn: ps.AcceptedOn, ClosedAt: ps.ClosedAt, Revision: p.Revision,
		}
	}
	o, err := m.Invoices.owedBy(ctx, clientID, today)
	if err != nil {
		return ClientSummary{}, err
	}
	sum.Outstanding, sum.Overdue = o.outstanding.sorted(), o.overdue.sorted()
	sum.OpenInvoices, sum.OverdueInvoices = o.open, o.late
	return sum, nil
}

func methodView(pm client.PaymentMethod, defaultID uuid.UUID) PaymentMethodView {
	return PaymentMethodView{
		ID:                   pm.ID,
		PaymentMethodDetails: pm.PaymentMethodDetails,
		Label:                MethodLabel(pm.PaymentMethodDetails),
		Status:               pm.Status,
		FailureReason:        pm.FailureReason,
		Default:              pm.ID == defaultID,
		Replaces:             pm.Replaces,
		AddedAt:              pm.AddedAt,
	}
}

func (m *Models) listClients(ctx context.Context, q ClientQuery) (Page[ClientListItem], error) {
	states, total, err := m.Clients.list(ctx, q)
	if err != nil {
		return Page[ClientListItem]{}, err
	}
	p := Page[ClientListItem]{Total: total, Offset: max(q.Offset, 0), Limit: pageLimit(q.Paging), Items: make([]ClientListItem, 0, len(states))}
	ids := make([]uuid.UUID, len(states))
	for i, st := range states {
		ids[i] = st.ID
	}
	owing, err := m.Invoices.owedByClients(ctx, ids, q.Today)
	if err != nil {
		return Page[ClientListItem]{}, err
	}
	for _, st := range states {
		row := ClientListItem{ID: st.ID, Name: st.Name, Archived: st.Archived, HasActiveMethod: st.HasActiveMethod(), Tags: st.Tags}
		if r, ok := st.LatestPaymentDetailsRequest(); ok {
			row.LastRequest = &r
		}
		if c, ok := st.PrimaryContact(); ok {
			row.PrimaryEmail = c.Email
		}
		o := owing[st.ID]
		row.Outstanding, row.Overdue, row.OverdueInvoices = o.outstanding.sorted(), o.overdue.sorted(), o.late
		p.Items = append(p.Items, row)
	}
	return p, nil
}

func (m *Models) clientServices(ctx context.Context, clientID uuid.UUID, today domain.Date) (ClientServices, error) {
	if ok, err := m.Clients.exists(ctx, clientID); err != nil || !ok {
		return ClientServices{}, orNotFound(err, "client %s not found", clientID)
	}
	views, err := m.Services.ofClient(ctx, clientID, today)
	if err != nil {
		return ClientServices{}, err
	}
	var out ClientServices
	for _, v := range views {
		if v.Ended && (v.EndDate.IsZero() || v.EndDate.Before(today)) {
			out.Ended = append(out.Ended, v)
		} else {
			out.Active = append(out.Active, v)
		}
	}
	byName := func(a, b ServiceView) int {
		if c := cmp.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return cmp.Compare(a.ID.String(), b.ID.String())
	}
	slices.SortFunc(out.Active, byName)
	slices.SortFunc(out.Ended, byName)
	return out, nil
}

// through returns the last day a schedule query shows.
func (q ScheduleQuery) through() domain.Date {
	if !q.Through.IsZero() {
		return q.Through
	}
	return q.Today.AddMonthsClamped(12, q.Today.Day())
}

// grouping is how a billing run on the query's day forms groups.
func (q ScheduleQuery) grouping() service.Grouping {
	return service.Grouping{Today: q.Today, OneInvoicePerItem: q.OneInvoicePerItem, SkipMissed: q.SkipMissed}
}

// scheduleItems returns the items of one service a schedule shows, from
// its part of the schedule (partOf, or the schedule column).
func scheduleItems(part servicePart, q ScheduleQuery, defaultMethod uuid.UUID) []ScheduleItem {
	var out []ScheduleItem
	if len(part.Items) > 0 {
		out = make([]ScheduleItem, 0, len(part.Items))
	}
	g := q.grouping()
	through := q.through()
	var prev *service.Item // the last item whose amount was computed
	var prevAmount domain.Money
	for _, p := range part.Items {
		it := p.Item
		if !it.Date.IsZero() && it.Date.After(through) {
			continue
		}
		if it.Status == service.ItemArchived && !q.IncludeArchived {
			continue
		}
		b := g.Plan(part.ClientID, it, defaultMethod)
		si := ScheduleItem{
			Item: it, ServiceName: part.Name, LineDescription: p.Line, Currency: part.Currency, Overdue: it.OverdueOn(q.Today), PaymentMethodID: b.PaymentMethodID,
			IssueDate: b.IssueDate, CatchUp: b.CatchUp, SkippedAsMissed: b.Skip, GroupKey: b.GroupKey,
		}
		// A service's items mostly bill the same terms: their amount once.
		if prev != nil && sameAmounts(*prev, it) {
			si.Amount = prevAmount
		} else {
			si.Amount = itemAmount(it, part.Currency)
			prev, prevAmount = &p.Item, si.Amount
		}
		out = append(out, si)
	}
	if len(out) == 0 {
		return nil // as before: no items, a nil slice
	}
	return out
}

// itemAmount is what an item's invoice line will come to before tax.
func itemAmount(it service.Item, currency domain.Currency) domain.Money {
	amounts, err := domain.ComputeLine(currency, domain.TaxExclusive, domain.LineInput{
		Quantity: it.Quantity, UnitPrice: it.UnitPrice.Amount, Discount: it.Discount, TaxRate: it.TaxRate,
	})
	if err != nil {
		return domain.NewMoney(it.UnitPrice.Amount.Mul(it.Quantity), currency)
	}
	return amounts.Net
}

// sameAmounts reports whether two items' amounts are computed from the
// same numbers, written the same way (so the amounts are the same too).
func sameAmounts(a, b service.Item) bool {
	same := func(x, y decimal.Decimal) bool { return x.Exponent() == y.Exponent() && x.Equal(y) }
	return same(a.Quantity, b.Quantity) && same(a.UnitPrice.Amount, b.UnitPrice.Amount) && a.UnitPrice.Currency == b.UnitPrice.Currency &&
		a.Discount.Kind == b.Discount.Kind && same(a.Discount.Value, b.Discount.Value) && same(a.TaxRate, b.TaxRate)
}

func (m *Models) serviceSchedule(ctx context.Context, serviceID uuid.UUID, q ScheduleQuery) ([]ScheduleItem, error) {
	st, ok, err := m.Services.state(ctx, serviceID)
	if err != nil || !ok {
		return nil, orNotFound(err, "service %s not found", serviceID)
	}
	def, err := m.Clients.defaultMethod(ctx, st.ClientID)
	if err != nil {
		return nil, err
	}
	return scheduleItems(partOf(st, q.through()), q, def), nil
}

// sortSchedule sorts items as the Billing Schedule tab shows them: by date
// (undated last), then service name, then key.
func sortSchedule(items []ScheduleItem) {
	slices.SortFunc(items, func(a, b ScheduleItem) int {
		if a.Date.IsZero() != b.Date.IsZero() {
			if a.Date.IsZero() {
				return 1
			}
			return -1
		}
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		if c := cmp.Compare(a.ServiceName, b.ServiceName); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
}

func (m *Models) schedule(ctx context.Context, clientID uuid.UUID, q ScheduleQuery) (ClientSchedule, error) {
	if ok, err := m.Clients.exists(ctx, clientID); err != nil || !ok {
		return ClientSchedule{}, orNotFound(err, "client %s not found", clientID)
	}
	def, err := m.Clients.defaultMethod(ctx, clientID)
	if err != nil {
		return ClientSchedule{}, err
	}
	parts, err := m.Services.parts(ctx, clientID, q.through())
	if err != nil {
		return ClientSchedule{}, err
	}
	return scheduleOf(clientID, parts, q, def), nil
}

// scheduleOf is a client's schedule made of its services' parts.
func scheduleOf(clientID uuid.UUID, parts []servicePart, q ScheduleQuery, def uuid.UUID) ClientSchedule {
	var out ClientSchedule
	n := 0
	for _, part := range parts {
		n += len(part.Items)
	}
	if n > 0 { // none: nil, as before
		out.Items = make([]ScheduleItem, 0, n)
	}
	for _, part := range parts {
		out.Items = append(out.Items, scheduleItems(part, q, def)...)
	}
	if len(out.Items) == 0 {
		out.Items = nil // as before
	}
	sortSchedule(out.Items)
	// The groups, formed as the billing run forms them (service.Groups).
	// A client with a thousand items a year ahead (84 monthly services)
	// makes this the client page's largest part: items are found by index
	// and slices made to size, so a request does not copy each item into a
	// map and through growing slices (with 50 requests at once, the heap
	// holds every one's copies).
	byKey := map[string]int{}
	billings := make([]service.Billing, 0, len(out.Items))
	for i, it := range out.Items {
		if it.Mode == service.Manual {
			out.Manual = append(out.Manual, it)
		}
		if it.SkippedAsMissed {
			out.Missed = append(out.Missed, it)
		}
		if it.GroupKey != "" {
			byKey[it.Key] = i
			billings = append(billings, service.Billing{Item: it.Item, ClientID: clientID, IssueDate: it.IssueDate, PaymentMethodID: it.PaymentMethodID, GroupKey: it.GroupKey})
		}
	}
	groups := service.Groups(billings)
	if len(groups) > 0 {
		out.Groups = make([]BillingGroup, 0, len(groups))
	}
	for _, sg := range groups {
		g := BillingGroup{Key: sg.Key, Date: sg.IssueDate, PaymentMethodID: sg.PaymentMethodID, Items: make([]ScheduleItem, 0, len(sg.Items))}
		sum := moneyByCurrency{}
		for _, b := range sg.Items {
			it := out.Items[byKey[b.Key]]
			g.Items = append(g.Items, it)
			sum.add(it.Amount)
		}
		g.Total = sum.sorted()
		out.Groups = append(out.Groups, g)
	}
	slices.SortStableFunc(out.Manual, func(a, b ScheduleItem) int {
		switch {
		case a.Overdue && !b.Overdue:
			return -1
		case b.Overdue && !a.Overdue:
			return 1
		}
		return 0
	})
	return out
}

func (m *Models) listInvoices(ctx context.Context, q InvoiceQuery) (Page[InvoiceListItem], error) {
	rows, total, err := m.Invoices.list(ctx, q)
	if err != nil {
		return Page[InvoiceListItem]{}, err
	}
	p := Page[InvoiceListItem]{Total: total, Offset: max(q.Offset, 0), Limit: pageLimit(q.Paging), Items: rows}
	if p.Items == nil {
		p.Items = []InvoiceListItem{}
	}
	names := map[uuid.UUID]string{}
	for _, it := range p.Items {
		names[it.ClientID] = ""
	}
	if err := m.Clients.names(ctx, names); err != nil {
		return Page[InvoiceListItem]{}, err
	}
	for i := range p.Items {
		p.Items[i].ClientName = names[p.Items[i].ClientID]
	}
	return p, nil
}

func (m *Models) invoiceDetail(ctx context.Context, id uuid.UUID, today domain.Date) (InvoiceDetail, error) {
	d, err := m.Invoices.detail(ctx, id, today)
	if err != nil {
		return InvoiceDetail{}, err
	}
	names := map[uuid.UUID]string{d.ClientID: ""}
	if err := m.Clients.names(ctx, names); err != nil {
		return InvoiceDetail{}, err
	}
	d.ClientName = names[d.ClientID]
	audit, err := m.Activity.of(ctx, SubjectInvoice, id)
	if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
		return InvoiceDetail{}, err
	}
	d.Audit = audit
	return d, nil
}

// orNotFound is err, or when it is nil a domain.NotFound error.
func orNotFound(err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	return domain.NotFound(format, args...)
}
