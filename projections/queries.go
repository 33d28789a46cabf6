package projections

import (
	"cmp"
	"slices"
	"strings"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/service"
)

func (m *Models) summary(clientID uuid.UUID, today domain.Date) (ClientSummary, error) {
	rec, props, ok := m.Clients.get(clientID)
	if !ok {
		return ClientSummary{}, domain.NotFound("client %s not found", clientID)
	}
	st := rec.State
	sum := ClientSummary{
		ID:               st.ID,
		Name:             st.Name,
		Kind:             st.Kind,
		Address:          st.Address,
		TaxNumber:        st.TaxNumber,
		Currency:         st.Currency,
		PaymentTermsDays: st.PaymentTermsDays,
		Archived:         st.Archived,
		CreatedAt:        st.CreatedAt,
		Revision:         rec.Revision,
		PrimaryContact:   st.PrimaryContactID,
		DefaultMethod:    st.DefaultPaymentMethodID,
		Contacts:         make([]ContactView, len(st.Contacts)),
		PaymentMethods:   make([]PaymentMethodView, len(st.PaymentMethods)),
		Proposals:        make([]ProposalView, len(props)),
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
	o := m.Invoices.owedBy(clientID, today)
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

func (m *Models) listClients(q ClientQuery) Page[ClientListItem] {
	search := strings.ToLower(strings.TrimSpace(q.Search))
	var rows []ClientListItem
	for _, st := range m.Clients.all() {
		switch q.Filter {
		case ClientsActive:
			if st.Archived {
				continue
			}
		case ClientsArchived:
			if !st.Archived {
				continue
			}
		}
		if search != "" && !clientMatches(st, search) {
			continue
		}
		row := ClientListItem{ID: st.ID, Name: st.Name, Archived: st.Archived}
		if c, ok := st.PrimaryContact(); ok {
			row.PrimaryEmail = c.Email
		}
		o := m.Invoices.owedBy(st.ID, q.Today)
		if q.Filter == ClientsHasOverdue && o.late == 0 {
			continue
		}
		row.Outstanding, row.Overdue, row.OverdueInvoices = o.outstanding.sorted(), o.overdue.sorted(), o.late
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b ClientListItem) int {
		if c := cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return cmp.Compare(a.ID.String(), b.ID.String())
	})
	return page(rows, q.Paging)
}

func clientMatches(st client.State, search string) bool {
	if strings.Contains(strings.ToLower(st.Name), search) {
		return true
	}
	for _, c := range st.Contacts {
		if strings.Contains(strings.ToLower(c.Name), search) || strings.Contains(strings.ToLower(c.Email), search) {
			return true
		}
	}
	return false
}

func (m *Models) clientServices(clientID uuid.UUID, today domain.Date) (ClientServices, error) {
	if !m.Clients.exists(clientID) {
		return ClientServices{}, domain.NotFound("client %s not found", clientID)
	}
	var out ClientServices
	for _, v := range m.Services.ofClient(clientID, today) {
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

// scheduleItems returns the items of one service a schedule shows.
func scheduleItems(st service.State, q ScheduleQuery, defaultMethod uuid.UUID) []ScheduleItem {
	var out []ScheduleItem
	g := q.grouping()
	for _, it := range st.Schedule(q.through()) {
		switch it.Status {
		case service.ItemBilled, service.ItemSkipped:
			continue
		case service.ItemArchived:
			if !q.IncludeArchived {
				continue
			}
		}
		b := g.Plan(st.ClientID, it, defaultMethod)
		si := ScheduleItem{
			Item: it, ServiceName: st.Name, LineDescription: st.LineDescription(it), Currency: st.Currency, Overdue: it.OverdueOn(q.Today), PaymentMethodID: b.PaymentMethodID,
			IssueDate: b.IssueDate, CatchUp: b.CatchUp, SkippedAsMissed: b.Skip, GroupKey: b.GroupKey,
		}
		amounts, err := domain.ComputeLine(st.Currency, domain.TaxExclusive, domain.LineInput{
			Quantity: it.Quantity, UnitPrice: it.UnitPrice.Amount, Discount: it.Discount, TaxRate: it.TaxRate,
		})
		if err == nil {
			si.Amount = amounts.Net
		} else {
			si.Amount = domain.NewMoney(it.UnitPrice.Amount.Mul(it.Quantity), st.Currency)
		}
		out = append(out, si)
	}
	return out
}

func (m *Models) serviceSchedule(serviceID uuid.UUID, q ScheduleQuery) ([]ScheduleItem, error) {
	st, ok := m.Services.state(serviceID)
	if !ok {
		return nil, domain.NotFound("service %s not found", serviceID)
	}
	return scheduleItems(st, q, m.Clients.defaultMethod(st.ClientID)), nil
}

func (m *Models) schedule(clientID uuid.UUID, q ScheduleQuery) (ClientSchedule, error) {
	if !m.Clients.exists(clientID) {
		return ClientSchedule{}, domain.NotFound("client %s not found", clientID)
	}
	def := m.Clients.defaultMethod(clientID)
	var out ClientSchedule
	for _, st := range m.Services.states(clientID) {
		out.Items = append(out.Items, scheduleItems(st, q, def)...)
	}
	slices.SortFunc(out.Items, func(a, b ScheduleItem) int {
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
	// The groups, formed as the billing run forms them (service.Groups).
	byKey := map[string]ScheduleItem{}
	var billings []service.Billing
	for _, it := range out.Items {
		if it.Mode == service.Manual {
			out.Manual = append(out.Manual, it)
		}
		if it.SkippedAsMissed {
			out.Missed = append(out.Missed, it)
		}
		if it.GroupKey != "" {
			byKey[it.Key] = it
			billings = append(billings, service.Billing{Item: it.Item, ClientID: clientID, IssueDate: it.IssueDate, PaymentMethodID: it.PaymentMethodID, GroupKey: it.GroupKey})
		}
	}
	for _, sg := range service.Groups(billings) {
		g := BillingGroup{Key: sg.Key, Date: sg.IssueDate, PaymentMethodID: sg.PaymentMethodID}
		sum := moneyByCurrency{}
		for _, b := range sg.Items {
			it := byKey[b.Key]
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
	return out, nil
}

func (m *Models) listInvoices(q InvoiceQuery) Page[InvoiceListItem] {
	rows, total := m.Invoices.list(q)
	p := page(rows, Paging{Limit: MaxLimit})
	p.Total, p.Offset, p.Limit = total, max(q.Offset, 0), pageLimit(q.Paging)
	names := map[uuid.UUID]string{}
	for _, it := range p.Items {
		names[it.ClientID] = ""
	}
	m.Clients.names(names)
	for i := range p.Items {
		p.Items[i].ClientName = names[p.Items[i].ClientID]
	}
	return p
}

func (m *Models) invoiceDetail(id uuid.UUID, today domain.Date) (InvoiceDetail, error) {
	d, err := m.Invoices.detail(id, today)
	if err != nil {
		return InvoiceDetail{}, err
	}
	names := map[uuid.UUID]string{d.ClientID: ""}
	m.Clients.names(names)
	d.ClientName = names[d.ClientID]
	if audit, err := m.Activity.of(SubjectInvoice, id); err == nil {
		d.Audit = audit
	}
	return d, nil
}
