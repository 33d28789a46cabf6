package ui

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/projections"
)

func (h *handler) registerServiceRoutes(rt routes) {
	rt.get("/services/{sid}", h.handleServicePage("summary"))
	rt.get("/services/{sid}/schedule", h.handleServicePage("schedule"))
	rt.get("/services/{sid}/activity", h.handleServicePage("activity"))
	rt.get("/services/{sid}/edit", h.handleServiceEditForm)
	rt.post("/services/{sid}/edit", h.handleServiceEdit)
	rt.post("/services/{sid}/manual", h.handleServiceManual)
	rt.post("/services/{sid}/automatic", h.handleServiceAutomatic)
	rt.get("/services/{sid}/end", h.handleServiceEndForm)
	rt.post("/services/{sid}/end", h.handleServiceEnd)
	rt.get("/clients/{id}/services/new", h.handleServiceNew)
	rt.post("/clients/{id}/services/new", h.handleServiceAdd)
	rt.get("/clients/{id}/bill", h.handleBillNew)
	rt.post("/clients/{id}/bill", h.handleBill)
}

// servicePage is a service's own page.
type servicePage struct {
	Service  projections.ServiceView
	Sub      string // summary, schedule, activity
	Schedule []projections.ScheduleItem
	Activity activityLines
}

// loadService reads a service and its client's summary.
func (h *handler) loadService(w http.ResponseWriter, r *http.Request) (projections.ServiceView, *projections.ClientSummary, domain.Date, bool) {
	sid, ok := h.idParam(w, r, "sid")
	if !ok {
		return projections.ServiceView{}, nil, domain.Date{}, false
	}
	today, _, err := h.today(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return projections.ServiceView{}, nil, today, false
	}
	sv, err := h.models(r.Context()).Service(r.Context(), sid, today)
	if err != nil {
		h.fail(w, r, err)
		return sv, nil, today, false
	}
	c, err := h.models(r.Context()).Summary(r.Context(), sv.ClientID, today)
	if err != nil {
		h.fail(w, r, err)
		return sv, nil, today, false
	}
	return sv, &c, today, true
}

func (h *handler) handleServicePage(sub string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sv, c, today, ok := h.loadService(w, r)
		if !ok {
			return
		}
		d := servicePage{Service: sv, Sub: sub}
		var err error
		switch sub {
		case "schedule":
			var q projections.ScheduleQuery
			if q, err = h.scheduleQuery(r.Context(), today, domain.Date{}, true); err == nil {
				d.Schedule, err = h.models(r.Context()).ServiceSchedule(r.Context(), sv.ID, q)
			}
		case "activity":
			d.Activity, err = h.activityOf(r.Context(), projections.SubjectService, sv.ID, beforeParam(r), "/services/"+sv.ID.String()+"/activity", nil)
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.render(w, r, http.StatusOK, "service", &view{Title: sv.Name, Section: "clients", Tab: "services", Client: c, Today: today, D: d, Form: newForm()})
	}
}

func (h *handler) handleServiceEditForm(w http.ResponseWriter, r *http.Request) {
	sv, c, today, ok := h.loadService(w, r)
	if !ok {
		return
	}
	f := newForm()
	f.set("effective_from", isoDate(today))
	f.set("description", sv.Description)
	f.set("unit_price", sv.UnitPrice.Amount.StringFixed(sv.Currency.MinorUnits))
	f.set("quantity", sv.Quantity.String())
	if sv.Discount.Kind != domain.DiscountNone {
		f.set("discount.kind", string(sv.Discount.Kind))
		f.set("discount.value", sv.Discount.Value.String())
	}
	if sv.PaymentMethodID != uuid.Nil {
		f.set("payment_method_id", sv.PaymentMethodID.String())
	}
	f.set("billing_rule.frequency", rulePreset(sv.BillingRule))
	if n := sv.BillingRule.Interval; n > 0 {
		f.set("billing_rule.interval", fmt.Sprint(n))
	}
	f.set("billing_rule.end", string(sv.BillingRule.End))
	if sv.BillingRule.End == domain.EndAfterN {
		f.set("billing_rule.end_after", fmt.Sprint(sv.BillingRule.EndAfter))
	}
	f.set("billing_rule.end_date", isoDate(sv.BillingRule.EndDate))
	if sv.BillingRule.AnchorDay > 0 {
		f.set("billing_rule.anchor_day", fmt.Sprint(sv.BillingRule.AnchorDay))
	}
	if sv.BillingRule.ProRataFirst {
		f.set("billing_rule.pro_rata_first", "on")
	}
	h.render(w, r, http.StatusOK, "service_edit", &view{Title: "Edit " + sv.Name, Section: "clients", Tab: "services", Client: c, Today: today, D: sv, Form: f})
}

func (h *handler) handleServiceEdit(w http.ResponseWriter, r *http.Request) {
	sv, c, today, ok := h.loadService(w, r)
	if !ok {
		return
	}
	fs := readForm(r)
	req := billing.EditServiceRequest{ServiceID: sv.ID, EffectiveFrom: fs.date("effective_from", true), NotifyClientOfPriceChange: fs.str("notify_client_of_price_change") == "on"}
	// Only what differs from the service's terms is a change.
	if d := fs.str("description"); d != sv.Description {
		req.Description = &d
	}
	if p := fs.dec("unit_price", true); !p.Equal(sv.UnitPrice.Amount) {
		req.UnitPrice = &p
	}
	if q := fs.dec("quantity", true); !q.Equal(sv.Quantity) {
		req.Quantity = &q
	}
	if d := fs.discount("discount"); d.Kind != sv.Discount.Kind || !d.Value.Equal(sv.Discount.Value) {
		req.Discount = &d
	}
	if m := fs.id("payment_method_id"); m != sv.PaymentMethodID {
		req.PaymentMethodID = &m
	}
	if fs.str("change_rule") == "on" {
		// A new rule replaces the unbilled items from its first billing
		// (billing_rule.start_date, else the effective date).
		rule := fs.rule("billing_rule", domain.StartOnDate)
		req.FirstDate = rule.StartDate
		if rule.Start == domain.StartOnDate && rule.StartDate.IsZero() {
			rule.StartDate = req.EffectiveFrom
		}
		req.BillingRule = &rule
	}
	err := fs.err()
	if err == nil {
		_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.EditService(ctx, req, meta)
		})
	}
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.render(w, r, statusOf(err), "service_edit", &view{Title: "Edit " + sv.Name, Section: "clients", Tab: "services", Client: c, Today: today, D: sv, Form: f})
		return
	}
	redirect(w, r, "/services/"+sv.ID.String(), fmt.Sprintf("%s changed from %s.", sv.Name, fmtDate(req.EffectiveFrom)))
}

func (h *handler) handleServiceManual(w http.ResponseWriter, r *http.Request) {
	sid, ok := h.idParam(w, r, "sid")
	if !ok {
		return
	}
	h.button(w, r, "/services/"+sid.String(), "Billing switched to manual: nothing will be invoiced until someone bills it.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.SwitchServiceToManual(ctx, billing.ServiceRef{ServiceID: sid}, meta)
	})
}

func (h *handler) handleServiceAutomatic(w http.ResponseWriter, r *http.Request) {
	sid, ok := h.idParam(w, r, "sid")
	if !ok {
		return
	}
	h.button(w, r, "/services/"+sid.String(), "Billing switched to automatic.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.SwitchServiceToAutomatic(ctx, billing.ServiceRef{ServiceID: sid}, meta)
	})
}

func (h *handler) handleServiceEndForm(w http.ResponseWriter, r *http.Request) {
	sv, c, today, ok := h.loadService(w, r)
	if !ok {
		return
	}
	f := newForm()
	f.set("on", isoDate(today))
	h.render(w, r, http.StatusOK, "service_end", &view{Title: "End " + sv.Name, Section: "clients", Tab: "services", Client: c, Today: today, D: sv, Form: f})
}

func (h *handler) handleServiceEnd(w http.ResponseWriter, r *http.Request) {
	sv, c, today, ok := h.loadService(w, r)
	if !ok {
		return
	}
	fs := readForm(r)
	ref := billing.ServiceRef{ServiceID: sv.ID, On: fs.date("on", true), Reason: fs.str("reason")}
	if fs.str("confirm") != "yes" {
		fs.p.Add("confirm", "tick the box to confirm: ending a service cannot be undone")
	}
	err := fs.err()
	if err == nil {
		_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.EndService(ctx, ref, meta)
		})
	}
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.render(w, r, statusOf(err), "service_end", &view{Title: "End " + sv.Name, Section: "clients", Tab: "services", Client: c, Today: today, D: sv, Form: f})
		return
	}
	redirect(w, r, "/services/"+sv.ID.String(), fmt.Sprintf("%s ends on %s; later billings are archived.", sv.Name, fmtDate(ref.On)))
}

func (h *handler) handleServiceNew(w http.ResponseWriter, r *http.Request) {
	c, today, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	action := "/clients/" + c.ID.String() + "/services/new"
	lib, from, err := h.libraryStart(r, action)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := newForm()
	f.set("quantity", "1")
	f.set("billing_rule.frequency", "monthly")
	f.set("billing_rule.end", "never")
	f.set("automatic", "on")
	if from != nil {
		// The library service's terms, every one still editable; its rule
		// starts today, as an instant bill's does.
		req := billing.ServiceRequestFrom(from.Service, c.ID, today)
		f = newForm()
		libraryFields(f, *from, c.Currency)
		f.Values.Del("terms")
		ruleFields(f, "billing_rule", req.BillingRule)
		f.set("library_service_id", from.ServiceID.String())
	}
	if from == nil {
		startTaxRates(f, h.defaultTaxRate(r.Context()), "")
	}
	if f.Value("billing_rule.start_date") == "" && (from == nil || !from.BillingRule.Frequency.Manual()) {
		f.set("billing_rule.start_date", isoDate(today))
	}
	h.render(w, r, http.StatusOK, "service_new", &view{Title: "Add a service", Section: "clients", Tab: "services", Client: c, Today: today, Form: f, D: lib})
}

func (h *handler) handleServiceAdd(w http.ResponseWriter, r *http.Request) {
	c, today, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	fs := readForm(r)
	req := billing.ServiceRequest{
		ClientID: c.ID, Name: fs.str("name"), Description: fs.str("description"), UnitPrice: fs.dec("unit_price", true),
		Quantity: fs.dec("quantity", true), Unit: fs.str("unit"), Discount: fs.discount("discount"), TaxRate: fs.dec("tax_rate", false),
		BillingRule: fs.rule("billing_rule", domain.StartOnDate), Automatic: fs.str("automatic") == "on", PaymentMethodID: fs.id("payment_method_id"),
		LibraryServiceID: fs.id("library_service_id"), RevenueAccount: fs.str("revenue_account"),
	}
	if req.BillingRule.Start == domain.StartOnDate && req.BillingRule.StartDate.IsZero() {
		req.BillingRule.StartDate = today
	}
	err := fs.err()
	var res billing.Result
	if err == nil {
		res, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.ActivateService(ctx, req, meta)
		})
	}
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		lib, _, _ := h.libraryStart(r, "/clients/"+c.ID.String()+"/services/new")
		h.render(w, r, statusOf(err), "service_new", &view{Title: "Add a service", Section: "clients", Tab: "services", Client: c, Today: today, Form: f, D: lib})
		return
	}
	redirect(w, r, "/services/"+res.ID.String(), fmt.Sprintf("Service %s added.", req.Name))
}

// billLines is how many lines the instant bill form offers.
const billLines = 3

func (h *handler) handleBillNew(w http.ResponseWriter, r *http.Request) {
	c, today, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	lib, from, err := h.libraryStart(r, "/clients/"+c.ID.String()+"/bill")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := newForm()
	f.set("lines[0].quantity", "1")
	if from != nil {
		// The first line starts from the library service; every field
		// stays editable.
		l := billing.InstantLineFrom(from.Service)
		f.set("lines[0].description", l.Description)
		f.set("lines[0].quantity", l.Quantity.String())
		f.set("lines[0].unit_price", l.UnitPrice.StringFixed(c.Currency.MinorUnits))
		f.set("lines[0].tax_rate", l.TaxRate.String())
	}
	startTaxRates(f, h.defaultTaxRate(r.Context()), linePrefixes("lines", billLines)...)
	h.render(w, r, http.StatusOK, "bill", &view{Title: "Instant bill", Section: "clients", Tab: "summary", Client: c, Today: today, Form: f, D: billPage{Lines: lineIndexes(), Library: lib}})
}

// billPage is the instant bill form's data: its line rows and the library
// it can start from.
type billPage struct {
	Lines   []int
	Library libraryChoice
}

func lineIndexes() []int {
	out := make([]int, billLines)
	for i := range out {
		out[i] = i
	}
	return out
}

func (h *handler) handleBill(w http.ResponseWriter, r *http.Request) {
	c, today, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	fs := readForm(r)
	req := billing.IssueInvoiceRequest{ClientID: c.ID, PaymentMethodID: fs.id("payment_method_id")}
	var formIndex []int // the form's line index of each request line
	for i := range billLines {
		p := fmt.Sprintf("lines[%d].", i)
		if !fs.has(p+"description") && !fs.has(p+"unit_price") && i > 0 {
			continue // an unused line
		}
		qty := fs.dec(p+"quantity", false)
		if !fs.has(p + "quantity") {
			qty = decimal.NewFromInt(1)
		}
		formIndex = append(formIndex, i)
		req.Lines = append(req.Lines, billing.InstantLine{
			Description: fs.str(p + "description"), Quantity: qty, UnitPrice: fs.dec(p+"unit_price", true),
			Discount: fs.discount(p + "discount"), TaxRate: fs.dec(p+"tax_rate", false),
		})
	}
	err := fs.err()
	var res billing.Result
	if err == nil {
		res, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.IssueInvoice(ctx, req, meta)
		})
	}
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, lineFields(formIndex))
		lib, _, _ := h.libraryStart(r, "/clients/"+c.ID.String()+"/bill")
		h.render(w, r, statusOf(err), "bill", &view{Title: "Instant bill", Section: "clients", Tab: "summary", Client: c, Today: today, Form: f, D: billPage{Lines: lineIndexes(), Library: lib}})
		return
	}
	msg := "Invoice issued."
	if res.AlreadyApplied {
		msg = "This invoice was already issued (the form was sent twice); it was issued once."
	}
	redirect(w, r, "/invoices/"+res.ID.String(), msg)
}
