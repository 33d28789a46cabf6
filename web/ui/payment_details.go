package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain/client"
	"remit/projections"
)

// Requests for payment details: from the client page (one client) and from
// the clients list (every client its filter and search select, after a
// confirm page that says how many will be emailed and how many skipped).
func (h *handler) registerPaymentDetailsRoutes(rt routes) {
	rt.get("/clients/request-payment-details", h.handlePaymentDetailsBulkConfirm)
	rt.post("/clients/request-payment-details", h.handlePaymentDetailsBulk)
	rt.get("/clients/{id}/payment-details-requests/new", h.handlePaymentDetailsRequestForm)
	rt.post("/clients/{id}/payment-details-requests/new", h.handlePaymentDetailsRequest)
}

// detailsRequestPage is the data of the page asking one client.
type detailsRequestPage struct {
	To      string // "Ada Acme <ada@acme.test>", "" when there is no billing email
	Refusal string // why the client cannot be asked now, "" when it can
	Last    *client.PaymentDetailsRequest
	// Back is the collections page the form was opened from (see collectionsBack),
	// where it returns; "" for the client's page.
	Back string
}

// section is the navigation's current section: collections when the form
// was opened from there.
func (d detailsRequestPage) section() string {
	if d.Back != "" {
		return "collections"
	}
	return "clients"
}

// Done is where the form leads once sent or cancelled.
func (d detailsRequestPage) Done(clientID uuid.UUID) string {
	if d.Back != "" {
		return d.Back
	}
	return "/clients/" + clientID.String()
}

func (h *handler) detailsRequestPage(c *projections.ClientSummary) detailsRequestPage {
	var d detailsRequestPage
	for _, ct := range c.Contacts {
		if ct.Primary && strings.Contains(ct.Email, "@") {
			d.To = ct.Name + " <" + ct.Email + ">"
		}
	}
	switch {
	case c.Archived:
		d.Refusal = c.Name + " is archived: restore the client before asking for payment details."
	case d.To == "":
		d.Refusal = c.Name + " has no billing email address: give the primary billing contact an email first."
	}
	if n := len(c.PaymentDetailsRequests); n > 0 {
		last := c.PaymentDetailsRequests[n-1]
		d.Last = &last
	}
	return d
}

func (h *handler) handlePaymentDetailsRequestForm(w http.ResponseWriter, r *http.Request) {
	c, today, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	d := h.detailsRequestPage(c)
	d.Back = collectionsBack(r.URL.Query().Get("back"))
	h.render(w, r, http.StatusOK, "request_details", &view{Title: c.Name + " · Request payment details", Section: d.section(), Tab: "summary",
		Client: c, Today: today, Form: newForm(), D: d})
}

func (h *handler) handlePaymentDetailsRequest(w http.ResponseWriter, r *http.Request) {
	c, today, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	note := r.PostFormValue("note")
	d := h.detailsRequestPage(c)
	d.Back = collectionsBack(r.PostFormValue("back"))
	_, err := h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.RequestPaymentDetails(ctx, billing.PaymentDetailsRequest{ClientID: c.ID, Note: note}, meta)
	})
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.render(w, r, statusOf(err), "request_details", &view{Title: c.Name + " · Request payment details", Section: d.section(), Tab: "summary",
			Client: c, Today: today, Form: f, D: d})
		return
	}
	redirect(w, r, d.Done(c.ID), "Payment details requested: an email with a link to add a payment method is on its way to "+d.To+".")
}

// detailsBulkPage is the data of the bulk request's confirm page.
type detailsBulkPage struct {
	Filter, Search string
	Describe       string // what the selection is, for people
	Emailed        []projections.ClientListItem
	Skipped        []projections.ClientListItem
	Back           string // the clients list as it was
}

// selectForRequest reads the clients list's filter and search (from the
// query or the posted form) and the clients they select, split into those
// to email and those to skip (archived, no billing email).
func (h *handler) selectForRequest(r *http.Request, filter, search string) (detailsBulkPage, error) {
	f := projections.ClientFilter(filter)
	known := f == projections.ClientsAll
	for _, k := range projections.ClientFilters() {
		known = known || f == k
	}
	if !known {
		f = projections.ClientsAll
	}
	d := detailsBulkPage{Filter: string(f), Search: strings.TrimSpace(search), Describe: filterLabel(f)}
	if d.Search != "" {
		d.Describe += fmt.Sprintf(" matching “%s”", d.Search)
	}
	v := url.Values{}
	if d.Search != "" {
		v.Set("q", d.Search)
	}
	if d.Filter != "" {
		v.Set("filter", d.Filter)
	}
	d.Back = "/clients"
	if len(v) > 0 {
		d.Back += "?" + v.Encode()
	}
	if f == projections.ClientsAll && d.Search == "" {
		return d, nil // asking every client at once is not offered
	}
	today, _, err := h.today(r.Context())
	if err != nil {
		return d, err
	}
	items, err := h.models(r.Context()).SelectClients(r.Context(), projections.ClientQuery{Filter: f, Search: d.Search, Today: today})
	if err != nil {
		return d, err
	}
	for _, it := range items {
		if it.Archived || !strings.Contains(it.PrimaryEmail, "@") {
			d.Skipped = append(d.Skipped, it)
		} else {
			d.Emailed = append(d.Emailed, it)
		}
	}
	return d, nil
}

// filterLabel names a clients-list filter for people.
func filterLabel(f projections.ClientFilter) string {
	switch f {
	case projections.ClientsActive:
		return "Active clients"
	case projections.ClientsArchived:
		return "Archived clients"
	case projections.ClientsHasOverdue:
		return "Clients with overdue invoices"
	case projections.ClientsNoActiveMethod:
		return "Clients without a payment method"
	case projections.ClientsRequestUnanswered:
		return "Clients asked for payment details who have not answered"
	}
	return "All clients"
}

func (h *handler) handlePaymentDetailsBulkConfirm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d, err := h.selectForRequest(r, q.Get("filter"), q.Get("q"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "request_details_bulk", &view{Title: "Request payment details", Section: "clients", Form: newForm(), D: d})
}

// handlePaymentDetailsBulk asks every client the filter selects now. The
// form's token names the batch, so a form sent twice asks nobody twice.
func (h *handler) handlePaymentDetailsBulk(w http.ResponseWriter, r *http.Request) {
	d, err := h.selectForRequest(r, r.PostFormValue("filter"), r.PostFormValue("q"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ids := make([]uuid.UUID, 0, len(d.Emailed)+len(d.Skipped))
	for _, it := range append(append([]projections.ClientListItem{}, d.Emailed...), d.Skipped...) {
		ids = append(ids, it.ID)
	}
	if len(ids) == 0 {
		redirectError(w, r, d.Back, "No clients are selected: choose a filter or a search first.")
		return
	}
	var res billing.BulkPaymentDetailsResult
	_, err = h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		var err error
		res, err = h.cfg.Billing.RequestPaymentDetailsBulk(ctx, billing.BulkPaymentDetailsRequest{ClientIDs: ids, Note: r.PostFormValue("note")}, meta)
		return billing.Result{Position: res.Position}, err
	})
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.render(w, r, statusOf(err), "request_details_bulk", &view{Title: "Request payment details", Section: "clients", Form: f, D: d})
		return
	}
	msg := fmt.Sprintf("Payment details requested from %s.", clientsCount(len(res.Requested)))
	if n := len(res.AlreadyRequested); n > 0 {
		msg += fmt.Sprintf(" %s had already been asked by this request.", clientsCount(n))
	}
	if n := len(res.Skipped); n > 0 {
		msg += fmt.Sprintf(" %s skipped (archived, or no billing email).", clientsCount(n))
	}
	redirect(w, r, "/clients?filter="+string(projections.ClientsRequestUnanswered), msg)
}

func clientsCount(n int) string {
	if n == 1 {
		return "1 client"
	}
	return fmt.Sprintf("%d clients", n)
}
