package ui

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/service"
	"remit/projections"
)

func (h *handler) registerScheduleRoutes(rt routes) {
	rt.get("/services/{sid}/items/{seq}/edit", h.handleItemEditForm)
	rt.post("/services/{sid}/items/{seq}/edit", h.handleItemEdit)
	rt.post("/services/{sid}/items/{seq}/manual", h.handleItemSwitch(false))
	rt.post("/services/{sid}/items/{seq}/automatic", h.handleItemSwitch(true))
	rt.post("/services/{sid}/items/{seq}/skip", h.handleItemSkip)
	rt.get("/services/{sid}/items/{seq}/bill", h.handleItemBillForm)
	rt.post("/services/{sid}/items/{seq}/bill", h.handleItemBill)
	rt.get("/services/{sid}/items/{seq}/schedule-issue", h.handleItemIssueForm)
	rt.post("/services/{sid}/items/{seq}/schedule-issue", h.handleItemIssue)
}

// scheduleQuery is a schedule query for today through through (zero: a
// year), with the firm's settings that shape billing groups, so the page
// shows the groups and catch-ups the billing run of today makes.
func (h *handler) scheduleQuery(ctx context.Context, today, through domain.Date, archived bool) (projections.ScheduleQuery, error) {
	f, _, err := h.firmNow(ctx)
	if err != nil {
		return projections.ScheduleQuery{}, err
	}
	return projections.ScheduleQuery{
		Today: today, Through: through, IncludeArchived: archived,
		OneInvoicePerItem: !f.GroupItems, SkipMissed: f.SkipsMissedBillings(),
	}, nil
}

// itemPage is the data of a schedule item's forms.
type itemPage struct {
	Item    projections.ScheduleItem
	Service projections.ServiceView
}

// loadItem reads a schedule item, its service and its client.
func (h *handler) loadItem(w http.ResponseWriter, r *http.Request) (itemPage, *projections.ClientSummary, domain.Date, bool) {
	sv, c, today, ok := h.loadService(w, r)
	if !ok {
		return itemPage{}, nil, today, false
	}
	seq, err := strconv.Atoi(r.PathValue("seq"))
	if err != nil {
		h.notFound(w, r, "There is no such schedule item.")
		return itemPage{}, nil, today, false
	}
	key := service.ItemKey(sv.ID, seq)
	q, err := h.scheduleQuery(r.Context(), today, domain.Date{}, true)
	var items []projections.ScheduleItem
	if err == nil {
		items, err = h.models(r.Context()).ServiceSchedule(r.Context(), sv.ID, q)
	}
	if err != nil {
		h.fail(w, r, err)
		return itemPage{}, nil, today, false
	}
	for _, it := range items {
		if it.Key == key {
			return itemPage{Item: it, Service: sv}, c, today, true
		}
	}
	h.notFound(w, r, "There is no schedule item "+key+" still to bill.")
	return itemPage{}, nil, today, false
}

func scheduleURL(c *projections.ClientSummary) string {
	return "/clients/" + c.ID.String() + "/schedule"
}

func (h *handler) handleItemEditForm(w http.ResponseWriter, r *http.Request) {
	d, c, today, ok := h.loadItem(w, r)
	if !ok {
		return
	}
	it := d.Item
	f := newForm()
	f.set("date", isoDate(it.Date))
	f.set("description", it.Description)
	f.set("unit_price", it.UnitPrice.Amount.StringFixed(it.Currency.MinorUnits))
	f.set("quantity", it.Quantity.String())
	if it.Discount.Kind != domain.DiscountNone {
		f.set("discount.kind", string(it.Discount.Kind))
		f.set("discount.value", it.Discount.Value.String())
	}
	if it.Item.PaymentMethodID != uuid.Nil {
		f.set("payment_method_id", it.Item.PaymentMethodID.String())
	}
	h.render(w, r, http.StatusOK, "item_edit", &view{Title: "Edit billing", Section: "clients", Tab: "schedule", Client: c, Today: today, D: d, Form: f})
}

func (h *handler) handleItemEdit(w http.ResponseWriter, r *http.Request) {
	d, c, today, ok := h.loadItem(w, r)
	if !ok {
		return
	}
	it := d.Item
	fs := readForm(r)
	req := billing.ItemRequest{ItemKey: it.Key}
	if dt := fs.date("date", !it.Date.IsZero()); dt != it.Date && !dt.IsZero() {
		req.Date = &dt
	}
	if s := fs.str("description"); s != it.Description {
		req.Description = &s
	}
	if p := fs.dec("unit_price", true); !p.Equal(it.UnitPrice.Amount) {
		req.UnitPrice = &p
	}
	if q := fs.dec("quantity", true); !q.Equal(it.Quantity) {
		req.Quantity = &q
	}
	if dc := fs.discount("discount"); dc.Kind != it.Discount.Kind || !dc.Value.Equal(it.Discount.Value) {
		req.Discount = &dc
	}
	if m := fs.id("payment_method_id"); m != it.Item.PaymentMethodID {
		req.PaymentMethodID = &m
	}
	err := fs.err()
	if err == nil {
		_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.EditScheduleItem(ctx, req, meta)
		})
	}
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.render(w, r, statusOf(err), "item_edit", &view{Title: "Edit billing", Section: "clients", Tab: "schedule", Client: c, Today: today, D: d, Form: f})
		return
	}
	redirect(w, r, scheduleURL(c), fmt.Sprintf("Billing of %s saved.", d.Service.Name))
}

func (h *handler) itemKey(w http.ResponseWriter, r *http.Request) (uuid.UUID, string, bool) {
	sid, ok := h.idParam(w, r, "sid")
	if !ok {
		return sid, "", false
	}
	seq, err := strconv.Atoi(r.PathValue("seq"))
	if err != nil {
		h.notFound(w, r, "There is no such schedule item.")
		return sid, "", false
	}
	return sid, service.ItemKey(sid, seq), true
}

// back is where a one-button item action returns: the page it came from
// (a local path in the form's "back" field), else the service's schedule.
func back(r *http.Request, fallback string) string {
	b := r.PostFormValue("back")
	if len(b) > 1 && b[0] == '/' && b[1] != '/' && b[1] != '\\' {
		return b
	}
	return fallback
}

func (h *handler) handleItemSwitch(automatic bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sid, key, ok := h.itemKey(w, r)
		if !ok {
			return
		}
		_ = r.ParseForm()
		done := "Billing switched to manual: it waits for someone to bill it."
		if automatic {
			done = "Billing switched to automatic: it is invoiced on its date."
		}
		h.button(w, r, back(r, "/services/"+sid.String()+"/schedule"), done, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			if automatic {
				return h.cfg.Billing.SwitchItemToAutomatic(ctx, billing.ItemRequest{ItemKey: key}, meta)
			}
			return h.cfg.Billing.SwitchItemToManual(ctx, billing.ItemRequest{ItemKey: key}, meta)
		})
	}
}

func (h *handler) handleItemSkip(w http.ResponseWriter, r *http.Request) {
	sid, key, ok := h.itemKey(w, r)
	if !ok {
		return
	}
	_ = r.ParseForm()
	h.button(w, r, back(r, "/services/"+sid.String()+"/schedule"), "Billing skipped: it will not be invoiced.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.SkipItem(ctx, billing.ItemRequest{ItemKey: key}, meta)
	})
}

func (h *handler) handleItemBillForm(w http.ResponseWriter, r *http.Request) {
	d, c, today, ok := h.loadItem(w, r)
	if !ok {
		return
	}
	it := d.Item
	f := newForm()
	f.set("description", it.Description)
	f.set("unit_price", it.UnitPrice.Amount.StringFixed(it.Currency.MinorUnits))
	f.set("quantity", it.Quantity.String())
	h.render(w, r, http.StatusOK, "item_bill", &view{Title: "Bill " + d.Service.Name, Section: "clients", Tab: "schedule", Client: c, Today: today, D: d, Form: f})
}

func (h *handler) handleItemBill(w http.ResponseWriter, r *http.Request) {
	d, c, today, ok := h.loadItem(w, r)
	if !ok {
		return
	}
	fs := readForm(r)
	price, qty, desc := fs.dec("unit_price", true), fs.dec("quantity", true), fs.str("description")
	req := billing.BillItemRequest{ItemKey: d.Item.Key, UnitPrice: &price, Quantity: &qty, Description: &desc}
	err := fs.err()
	var res billing.Result
	if err == nil {
		res, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.BillItemNow(ctx, req, meta)
		})
	}
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.render(w, r, statusOf(err), "item_bill", &view{Title: "Bill " + d.Service.Name, Section: "clients", Tab: "schedule", Client: c, Today: today, D: d, Form: f})
		return
	}
	redirect(w, r, "/invoices/"+res.ID.String(), "Invoice issued for "+d.Service.Name+".")
}

func (h *handler) handleItemIssueForm(w http.ResponseWriter, r *http.Request) {
	d, c, today, ok := h.loadItem(w, r)
	if !ok {
		return
	}
	f := newForm()
	on := d.Item.IssueOn
	if on.IsZero() {
		on = today.AddDays(7)
	}
	f.set("issue_on", isoDate(on))
	h.render(w, r, http.StatusOK, "item_issue", &view{Title: "Schedule the invoice", Section: "clients", Tab: "schedule", Client: c, Today: today, D: d, Form: f})
}

func (h *handler) handleItemIssue(w http.ResponseWriter, r *http.Request) {
	d, c, today, ok := h.loadItem(w, r)
	if !ok {
		return
	}
	fs := readForm(r)
	req := billing.ItemRequest{ItemKey: d.Item.Key, IssueOn: fs.date("issue_on", true)}
	err := fs.err()
	if err == nil {
		_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.ScheduleItemIssue(ctx, req, meta)
		})
	}
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.render(w, r, statusOf(err), "item_issue", &view{Title: "Schedule the invoice", Section: "clients", Tab: "schedule", Client: c, Today: today, D: d, Form: f})
		return
	}
	redirect(w, r, scheduleURL(c), fmt.Sprintf("The invoice for %s will be issued on %s.", d.Service.Name, fmtDate(req.IssueOn)))
}
