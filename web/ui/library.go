package ui

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/projections"
)

// The services library (/settings/library): the services the firm sells,
// with their default terms. Staff list and search them, add, edit, archive
// and restore them; the instant bill and add-a-service forms start from
// one (?from=<id>, prefilled here, every field still editable).

const libraryPath = "/settings/library"

// libraryPage is the list's data.
type libraryPage struct {
	Services []projections.LibraryServiceView
	Search   string
	Status   string // "" (active), "archived" or "all"
	Currency domain.Currency
}

// PriceLabel is the price's label, naming the firm's base currency.
func (d libraryPage) PriceLabel() string { return priceLabel(d.Currency) }

// Price is a service's unit price with the base currency's minor units.
func (d libraryPage) Price(v projections.LibraryServiceView) string {
	if d.Currency.IsZero() {
		return v.UnitPrice.String()
	}
	return v.UnitPrice.StringFixed(d.Currency.MinorUnits)
}

func priceLabel(c domain.Currency) string {
	if c.IsZero() {
		return "Unit price"
	}
	return "Unit price (" + c.Code + ")"
}

// libraryForm is the add and edit pages' data.
type libraryForm struct {
	Service  *projections.LibraryServiceView // nil when adding
	Currency domain.Currency
}

// PriceLabel is the price field's label, naming the firm's base currency.
func (d libraryForm) PriceLabel() string { return priceLabel(d.Currency) }

func (h *handler) registerLibraryRoutes(rt routes) {
	rt.get(libraryPath, h.handleLibrary)
	rt.get(libraryPath+"/new", h.handleLibraryNew)
	rt.post(libraryPath+"/new", h.handleLibraryAdd)
	rt.get(libraryPath+"/{lid}/edit", h.handleLibraryEditForm)
	rt.post(libraryPath+"/{lid}/edit", h.handleLibraryEdit)
	rt.post(libraryPath+"/{lid}/archive", h.handleLibraryArchive)
	rt.post(libraryPath+"/{lid}/restore", h.handleLibraryRestore)
}

func (h *handler) baseCurrency(ctx context.Context) domain.Currency {
	f, _, err := h.firmNow(ctx)
	if err != nil {
		return domain.Currency{}
	}
	return f.BaseCurrency
}

func (h *handler) handleLibrary(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := libraryPage{Search: q.Get("q"), Status: q.Get("status"), Currency: h.baseCurrency(r.Context())}
	if d.Status != "archived" && d.Status != "all" {
		d.Status = ""
	}
	var err error
	if d.Services, err = h.models(r.Context()).LibraryServices(r.Context(), projections.LibraryFilter{Status: d.Status, Search: d.Search}); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "library", &view{Title: "Services library", Section: "library", D: d})
}

func (h *handler) handleLibraryNew(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	f.set("quantity", "1")
	f.set("billing_rule.frequency", "monthly")
	f.set("billing_rule.end", "never")
	f.set("automatic", "on")
	startTaxRates(f, h.defaultTaxRate(r.Context()), "")
	h.render(w, r, http.StatusOK, "library_form", &view{Title: "Add a library service", Section: "library", Form: f, D: libraryForm{Currency: h.baseCurrency(r.Context())}})
}

// libraryRequest reads the add and edit form.
func libraryRequest(fs *fields, id uuid.UUID) billing.LibraryServiceRequest {
	return billing.LibraryServiceRequest{
		LibraryServiceID: id, Name: fs.str("name"), Description: fs.str("description"), UnitPrice: fs.dec("unit_price", true),
		Quantity: fs.dec("quantity", false), Unit: fs.str("unit"), BillingRule: fs.rule("billing_rule", domain.StartOnAcceptance),
		Automatic: fs.str("automatic") == "on", TaxRate: fs.dec("tax_rate", false), RevenueAccount: fs.str("revenue_account"),
		Terms: fs.str("terms"),
	}
}

func (h *handler) handleLibraryAdd(w http.ResponseWriter, r *http.Request) {
	fs := readForm(r)
	req := libraryRequest(fs, uuid.Nil)
	err := fs.err()
	if err == nil {
		_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.AddLibraryService(ctx, req, meta)
		})
	}
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.render(w, r, statusOf(err), "library_form", &view{Title: "Add a library service", Section: "library", Form: f, D: libraryForm{Currency: h.baseCurrency(r.Context())}})
		return
	}
	redirect(w, r, libraryPath, fmt.Sprintf("%s added to the library.", req.Name))
}

// loadLibraryService reads the library service in the path.
func (h *handler) loadLibraryService(w http.ResponseWriter, r *http.Request) (projections.LibraryServiceView, bool) {
	id, ok := h.idParam(w, r, "lid")
	if !ok {
		return projections.LibraryServiceView{}, false
	}
	v, err := h.models(r.Context()).LibraryService(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return v, false
	}
	return v, true
}

// libraryFields prefills a form with a library service's fields, under
// prefix ("" or "lines[0].").
func libraryFields(f *form, v projections.LibraryServiceView, cur domain.Currency) {
	f.set("name", v.Name)
	f.set("description", v.Description)
	price := v.UnitPrice.String()
	if !cur.IsZero() {
		price = v.UnitPrice.StringFixed(cur.MinorUnits)
	}
	f.set("unit_price", price)
	f.set("quantity", v.Quantity.String())
	f.set("unit", v.Unit)
	f.set("tax_rate", v.TaxRate.String())
	f.set("revenue_account", v.RevenueAccount)
	f.set("terms", v.Terms)
	if v.Automatic {
		f.set("automatic", "on")
	}
	ruleFields(f, "billing_rule", v.BillingRule)
}

// ruleFields prefills the rule fields of a form.
func ruleFields(f *form, p string, rule domain.BillingRule) {
	f.set(p+".frequency", rulePreset(rule))
	if n := rule.Interval; n > 0 {
		f.set(p+".interval", fmt.Sprint(n))
	}
	f.set(p+".start_date", isoDate(rule.StartDate))
	end := rule.End
	if end == "" {
		end = domain.EndNever
	}
	f.set(p+".end", string(end))
	if rule.End == domain.EndAfterN {
		f.set(p+".end_after", fmt.Sprint(rule.EndAfter))
	}
	f.set(p+".end_date", isoDate(rule.EndDate))
}

func (h *handler) handleLibraryEditForm(w http.ResponseWriter, r *http.Request) {
	v, ok := h.loadLibraryService(w, r)
	if !ok {
		return
	}
	cur := h.baseCurrency(r.Context())
	f := newForm()
	libraryFields(f, v, cur)
	h.render(w, r, http.StatusOK, "library_form", &view{Title: "Edit " + v.Name, Section: "library", Form: f, D: libraryForm{Service: &v, Currency: cur}})
}

func (h *handler) handleLibraryEdit(w http.ResponseWriter, r *http.Request) {
	v, ok := h.loadLibraryService(w, r)
	if !ok {
		return
	}
	fs := readForm(r)
	req := libraryRequest(fs, v.ServiceID)
	err := fs.err()
	if err == nil {
		_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			return h.cfg.Billing.ChangeLibraryService(ctx, req, meta)
		})
	}
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.render(w, r, statusOf(err), "library_form", &view{Title: "Edit " + v.Name, Section: "library", Form: f, D: libraryForm{Service: &v, Currency: h.baseCurrency(r.Context())}})
		return
	}
	redirect(w, r, libraryPath, fmt.Sprintf("%s saved.", req.Name))
}

func (h *handler) handleLibraryArchive(w http.ResponseWriter, r *http.Request) {
	v, ok := h.loadLibraryService(w, r)
	if !ok {
		return
	}
	h.button(w, r, libraryPath, fmt.Sprintf("%s archived: it is no longer offered (restore it from the archived services).", v.Name), func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.ArchiveLibraryService(ctx, billing.LibraryServiceRef{LibraryServiceID: v.ServiceID}, meta)
	})
}

func (h *handler) handleLibraryRestore(w http.ResponseWriter, r *http.Request) {
	v, ok := h.loadLibraryService(w, r)
	if !ok {
		return
	}
	h.button(w, r, libraryPath+"?status=archived", fmt.Sprintf("%s restored.", v.Name), func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.RestoreLibraryService(ctx, billing.LibraryServiceRef{LibraryServiceID: v.ServiceID}, meta)
	})
}

// libraryChoice is what a form starting from the library shows: the active
// services to choose from and the one chosen (?from=<id>).
type libraryChoice struct {
	Services []projections.LibraryServiceView
	From     uuid.UUID
	Action   string // where the chooser's GET form goes
}

// libraryStart reads the library's active services and the one ?from names
// (nil when none, or not a library service: the form then starts empty).
func (h *handler) libraryStart(r *http.Request, action string) (libraryChoice, *projections.LibraryServiceView, error) {
	c := libraryChoice{Action: action}
	var err error
	if c.Services, err = h.models(r.Context()).LibraryServices(r.Context(), projections.LibraryFilter{}); err != nil {
		return c, nil, err
	}
	id, perr := uuid.Parse(r.URL.Query().Get("from"))
	if perr != nil {
		return c, nil, nil
	}
	v, err := h.models(r.Context()).LibraryService(r.Context(), id)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return c, nil, nil
	}
	if err != nil {
		return c, nil, err
	}
	c.From = id
	return c, &v, nil
}
