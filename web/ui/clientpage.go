package ui

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/google/uuid"

	"remit/domain/invoice"
	"remit/domain/proposal"
	"remit/projections"
)

const invoicesPerPage = 25

func (h *handler) registerClientPageRoutes(rt routes) {
	rt.get("/clients/{id}", h.handleClientSummary)
	rt.get("/clients/{id}/services", h.handleClientServices)
	rt.get("/clients/{id}/schedule", h.handleClientSchedule)
	rt.get("/clients/{id}/invoices", h.handleClientInvoices)
}

func (h *handler) handleClientSummary(w http.ResponseWriter, r *http.Request) {
	c, today, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	f, _, err := h.firmNow(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	values := map[uuid.UUID]proposal.Value{}
	for _, p := range c.Proposals {
		st := proposal.State{Currency: p.Currency, StartDate: p.StartDate, Lines: p.Items}
		if v, err := proposal.ValueOf(st, f.TaxMode, today); err == nil {
			values[p.ID] = v
		}
	}
	h.render(w, r, http.StatusOK, "client_summary", &view{Title: c.Name, Section: "clients", Tab: "summary", Client: c, Today: today, Form: newForm(), D: summaryPage{Values: values}})
}

// summaryPage is what the Summary tab shows besides the client: each
// proposal's value.
type summaryPage struct {
	Values map[uuid.UUID]proposal.Value
}

func (h *handler) handleClientServices(w http.ResponseWriter, r *http.Request) {
	c, today, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	svcs, err := h.models(r.Context()).ClientServices(r.Context(), c.ID, today)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "client_services", &view{Title: c.Name + " · Services", Section: "clients", Tab: "services", Client: c, Today: today, D: svcs, Form: newForm()})
}

func (h *handler) handleClientSchedule(w http.ResponseWriter, r *http.Request) {
	c, today, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	months := 3
	if n, err := strconv.Atoi(r.URL.Query().Get("months")); err == nil && n >= 1 && n <= 24 {
		months = n
	}
	q, err := h.scheduleQuery(r.Context(), today, today.AddMonthsClamped(months, today.Day()), false)
	var sch projections.ClientSchedule
	if err == nil {
		sch, err = h.models(r.Context()).Schedule(r.Context(), c.ID, q)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := schedulePage{ClientSchedule: sch, Months: months}
	if months < 24 {
		d.More = min(months*4, 24)
	}
	h.render(w, r, http.StatusOK, "client_schedule", &view{Title: c.Name + " · Billing schedule", Section: "clients", Tab: "schedule", Client: c, Today: today, D: d, Form: newForm()})
}

// schedulePage is the Billing schedule tab: the schedule through Months
// months from today, and a longer horizon to offer (More, 0 for none).
type schedulePage struct {
	projections.ClientSchedule
	Months int
	More   int
}

// invoiceList is the Invoices tab's data.
type invoiceList struct {
	Page    projections.Page[projections.InvoiceListItem]
	Status  string
	Prev    string
	Next    string
	Showing string
}

func (h *handler) handleClientInvoices(w http.ResponseWriter, r *http.Request) {
	c, today, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	pageNo := pageParam(q)
	d := invoiceList{Status: q.Get("status")}
	query := projections.InvoiceQuery{ClientID: c.ID, Today: today, Paging: projections.Paging{Offset: (pageNo - 1) * invoicesPerPage, Limit: invoicesPerPage}}
	if d.Status != "" {
		if _, known := invoiceStatusText[invoice.Status(d.Status)]; known {
			query.Statuses = []invoice.Status{invoice.Status(d.Status)}
		} else {
			d.Status = ""
		}
	}
	var err error
	if d.Page, err = h.models(r.Context()).ListInvoices(r.Context(), query); err != nil {
		h.fail(w, r, err)
		return
	}
	link := func(p int) string {
		v := url.Values{}
		if d.Status != "" {
			v.Set("status", d.Status)
		}
		v.Set("page", strconv.Itoa(p))
		return "/clients/" + c.ID.String() + "/invoices?" + v.Encode()
	}
	d.Prev, d.Next, d.Showing = pager(pageNo, invoicesPerPage, d.Page.Total, len(d.Page.Items), link)
	h.render(w, r, http.StatusOK, "client_invoices", &view{Title: c.Name + " · Invoices", Section: "clients", Tab: "invoices", Client: c, Today: today, D: d})
}
