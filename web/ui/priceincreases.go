package ui

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/billing"
	"remit/domain"
	"remit/domain/priceincrease"
	"remit/processes/priceincreases"
	"remit/projections"
	"remit/web/auth"
)

// The Price increases page (/price-increases): the form of a bulk price
// increase (which services: library service, client tag, client status,
// billing frequency, currency, and clients picked by name: Find posts the
// form back with the clients the search matches to tick, so it works
// without JavaScript; the increase, rounding, effective date and notice
// period), Preview (the dry run: every service with its billings at
// the old and new price, each client's and the total change in recurring
// revenue, who is notified; nothing written), Apply (after ticking the
// confirmation), and the list of batches with their status. A batch's page
// (/price-increases/{id}) shows its services with their old and new prices,
// each client's notice (sent, or when it goes out), the services a cancel
// left as changed by hand, and Cancel before its effective date.

func (h *handler) registerPriceIncreaseRoutes(rt routes) {
	rt.get("/price-increases", h.handlePriceIncreases)
	rt.post("/price-increases", h.handlePriceIncreasesPost)
	rt.get("/price-increases/{id}", h.handlePriceIncrease)
	rt.post("/price-increases/{id}/cancel", h.handlePriceIncreaseCancel)
}

// priceIncreasesPage is the Price increases page's data.
type priceIncreasesPage struct {
	Library   []projections.LibraryServiceView
	Batches   []projections.PriceIncreaseView
	Preview   priceincreases.Preview
	Previewed bool
	// The client picker (no JavaScript: Find posts the form back): the
	// clients ticked (the filter's client_ids), the search and what it
	// found besides them.
	Picked   []clientPick
	ClientQ  string
	Searched bool
	Found    []clientPick
}

// clientPick is a client the picker offers.
type clientPick struct {
	ID          uuid.UUID
	Name, Email string
}

// maxClientsFound bounds what one search of the picker lists.
const maxClientsFound = 20

// pickClients fills the picker from the posted form: the ticked clients
// by name, and, when Find was asked, the clients the search matches.
func (h *handler) pickClients(r *http.Request, d *priceIncreasesPage) error {
	ctx := r.Context()
	var ids []uuid.UUID
	for _, v := range r.PostForm["client_id"] {
		if id, err := uuid.Parse(v); err == nil && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		byID, err := h.models(ctx).ClientsByID(ctx, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if c, ok := byID[id]; ok {
				pc, _ := c.PrimaryContact()
				d.Picked = append(d.Picked, clientPick{ID: id, Name: c.Name, Email: pc.Email})
			}
		}
		slices.SortFunc(d.Picked, func(a, b clientPick) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	}
	d.ClientQ = strings.TrimSpace(r.PostFormValue("client_q"))
	if r.PostFormValue("action") != "find" {
		return nil
	}
	d.Searched = true
	found, err := h.models(ctx).ListClients(ctx, projections.ClientQuery{Search: d.ClientQ, Paging: projections.Paging{Limit: maxClientsFound}})
	if err != nil {
		return err
	}
	for _, c := range found.Items {
		if !slices.Contains(ids, c.ID) {
			d.Found = append(d.Found, clientPick{ID: c.ID, Name: c.Name, Email: c.PrimaryEmail})
		}
	}
	return nil
}

// PickedNames lists the ticked clients' names, for the preview.
func (p priceIncreasesPage) PickedNames() string {
	names := make([]string, len(p.Picked))
	for i, c := range p.Picked {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// frequencies are the billing frequencies the form offers: value, label.
var frequencies = []struct{ Value, Label string }{
	{"", "Any"}, {"weeks/1", "Weekly"}, {"weeks/2", "Fortnightly"}, {"months/1", "Monthly"}, {"months/3", "Quarterly"}, {"months/12", "Yearly"},
}

// Frequencies lists the form's billing frequencies.
func (priceIncreasesPage) Frequencies() []struct{ Value, Label string } { return frequencies }

// Money writes an amount of a currency for people.
func (priceIncreasesPage) Money(d decimal.Decimal, c domain.Currency) string {
	return domain.FormatMoney(domain.NewMoney(d, c))
}

// Change writes a service's change in recurring revenue per month and per year.
func (p priceIncreasesPage) Change(c priceincrease.ServiceChange) string {
	m, y := c.Change()
	return "+" + p.Money(m, c.Currency) + " a month, +" + p.Money(y, c.Currency) + " a year"
}

func (h *handler) priceIncreasesView(r *http.Request, f *form, d priceIncreasesPage) (*view, error) {
	ctx := r.Context()
	today, _, err := h.today(ctx)
	if err != nil {
		return nil, err
	}
	if d.Library, err = h.models(ctx).LibraryServices(ctx, projections.LibraryFilter{}); err != nil {
		return nil, err
	}
	if d.Batches, err = h.models(ctx).PriceIncreaseList(ctx); err != nil {
		return nil, err
	}
	if r.Method == http.MethodPost {
		if err := h.pickClients(r, &d); err != nil {
			return nil, err
		}
	}
	return &view{Title: "Price increases", Section: "price-increases", Today: today, Form: f, D: d}, nil
}

func (h *handler) handlePriceIncreases(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	f.set("increase_kind", string(priceincrease.Percent))
	f.set("rounding", string(priceincrease.RoundCent))
	f.set("notice_days", "30")
	f.set("client_status", priceincrease.StatusActive)
	approver := h.actor(r)
	if p, ok := auth.PrincipalFrom(r.Context()); ok && p.Email != "" {
		approver = p.Email
	}
	f.set("approved_by", approver)
	v, err := h.priceIncreasesView(r, f, priceIncreasesPage{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "price_increases", v)
}

// priceIncreaseRequest reads the form.
func priceIncreaseRequest(r *http.Request) (billing.PriceIncreaseRequest, error) {
	fs := readForm(r)
	req := billing.PriceIncreaseRequest{
		Filter: priceincrease.Filter{LibraryServiceID: fs.id("library_service_id"), Tag: fs.str("tag"), ClientStatus: fs.str("client_status"),
			Currency: strings.ToUpper(fs.str("currency"))},
		Increase:      priceincrease.Increase{Kind: priceincrease.IncreaseKind(fs.str("increase_kind")), Value: fs.dec("increase_value", true)},
		Rounding:      priceincrease.Rounding(fs.str("rounding")),
		EffectiveFrom: fs.date("effective_from", true),
		ApprovedBy:    fs.str("approved_by"),
	}
	if freq, n, ok := strings.Cut(fs.str("frequency"), "/"); ok {
		req.Filter.Frequency = domain.Frequency(freq)
		_, _ = fmt.Sscan(n, &req.Filter.Interval)
	}
	if n, ok := fs.integer("notice_days"); ok {
		req.NoticeDays = n
	}
	for _, v := range r.PostForm["client_id"] {
		id, err := uuid.Parse(v)
		switch {
		case err != nil:
			fs.p.Add("client_ids", "choose clients from the list")
		case !slices.Contains(req.Filter.ClientIDs, id):
			req.Filter.ClientIDs = append(req.Filter.ClientIDs, id)
		}
	}
	return req, fs.err()
}

// priceIncreaseField maps the domain's field names to the form's.
func priceIncreaseField(field string) string {
	switch field {
	case "increase.value":
		return "increase_value"
	case "increase.kind":
		return "increase_kind"
	case "filter.frequency", "filter.interval":
		return "frequency"
	case "filter":
		return "tag"
	}
	return strings.TrimPrefix(field, "filter.")
}

func (h *handler) handlePriceIncreasesPost(w http.ResponseWriter, r *http.Request) {
	req, err := priceIncreaseRequest(r)
	cfg := priceincreases.Config{Billing: h.cfg.Billing, Models: h.cfg.Models, UpToDate: h.upToDate}
	apply := r.PostFormValue("action") == "apply"
	var p priceincreases.Preview
	find := r.PostFormValue("action") == "find"
	if err == nil && !find {
		p, err = priceincreases.Plan(r.Context(), cfg, req)
	}
	previewed := err == nil && !find
	switch {
	case err != nil:
	case apply && r.PostFormValue("confirm") != "on":
		// The preview stays, with the approval to tick.
		err = domain.Invalid("confirm", "tick to approve: the prices change and the clients are emailed")
	case apply:
		var res billing.Result
		res, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
			res, pv, err := priceincreases.Apply(ctx, cfg, req, meta)
			p = pv
			return res, err
		})
		if err == nil {
			redirect(w, r, "/price-increases/"+res.ID.String(), fmt.Sprintf("Price increase applied to %d services; the notices go out on %s.", len(p.Services), fmtDate(p.NoticeOn)))
			return
		}
		previewed = false
	}
	f := formFrom(r)
	if err != nil {
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, priceIncreaseField)
	}
	v, verr := h.priceIncreasesView(r, f, priceIncreasesPage{Preview: p, Previewed: previewed})
	if verr != nil {
		h.fail(w, r, verr)
		return
	}
	h.render(w, r, statusOf(err), "price_increases", v)
}

// upToDate waits for the read models to reach the log's head.
func (h *handler) upToDate(ctx context.Context) error {
	if h.cfg.Runner == nil || h.cfg.Store == nil {
		return nil
	}
	head, err := h.cfg.Store.Head(ctx)
	if err != nil {
		return err
	}
	return h.cfg.Runner.WaitFor(ctx, head)
}

// priceIncreasePage is a batch's page data.
type priceIncreasePage struct {
	priceIncreasesPage
	Batch     projections.PriceIncreaseView
	Status    string
	Cancelled bool
	CanCancel bool
}

// ClientName names a client of the batch.
func (p priceIncreasePage) ClientName(id uuid.UUID) string {
	for _, c := range p.Batch.State.Services {
		if c.ClientID == id {
			return c.ClientName
		}
	}
	return id.String()
}

// Notice says where a client's notice stands: sent on a date to whom, due
// on the notice date, or not sent (cancelled).
func (p priceIncreasePage) Notice(clientID uuid.UUID) string {
	st := p.Batch.State
	for _, n := range st.Notices {
		if n.ClientID == clientID {
			return "Sent " + fmtDate(n.On) + " to " + n.ContactEmail
		}
	}
	if st.Cancelled {
		return "Not sent: cancelled"
	}
	return "Goes out " + fmtDate(st.NoticeOn)
}

// Left is the price a cancel left a service at, changed by hand since the
// batch ("" when the service went back to its old price, or the batch is
// not cancelled).
func (p priceIncreasePage) Left(c priceincrease.ServiceChange) string {
	for _, l := range p.Batch.State.LeftAsChanged {
		if l.ServiceID == c.ServiceID {
			return p.Money(l.Price, c.Currency)
		}
	}
	return ""
}

func (h *handler) handlePriceIncrease(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idParam(w, r, "id")
	if !ok {
		return
	}
	ctx := r.Context()
	today, _, err := h.today(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := h.models(ctx).PriceIncrease(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := priceIncreasePage{Batch: b, Status: b.State.Status(today), Cancelled: b.State.Cancelled,
		CanCancel: !b.State.Cancelled && today.Before(b.State.EffectiveFrom)}
	h.render(w, r, http.StatusOK, "price_increase", &view{Title: "Price increase", Section: "price-increases", Today: today, Form: newForm(), D: d})
}

func (h *handler) handlePriceIncreaseCancel(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idParam(w, r, "id")
	if !ok {
		return
	}
	h.button(w, r, "/price-increases/"+id.String(), "Price increase cancelled: the services still at the new price are back at their old price.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.CancelPriceIncrease(ctx, id, r.PostFormValue("reason"), meta)
	})
}
