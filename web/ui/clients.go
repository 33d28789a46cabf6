package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/projections"
	"remit/web/auth"
)

const clientsPerPage = 25

func (h *handler) registerClientRoutes(rt routes) {
	rt.get("/clients", h.handleClientList)
	rt.get("/clients/new", h.handleClientNew)
	rt.post("/clients/new", h.handleClientCreate)
	rt.get("/clients/{id}/edit", h.handleClientEditForm)
	rt.post("/clients/{id}/edit", h.handleClientEdit)
	rt.post("/clients/{id}/archive", h.handleClientArchive)
	rt.post("/clients/{id}/restore", h.handleClientRestore)
	rt.post("/clients/{id}/revoke-links", h.handleClientRevokeLinks)
	rt.get("/clients/{id}/contacts/new", h.handleContactNew)
	rt.post("/clients/{id}/contacts/new", h.handleContactAdd)
	rt.get("/clients/{id}/contacts/{cid}/edit", h.handleContactEditForm)
	rt.post("/clients/{id}/contacts/{cid}/edit", h.handleContactEdit)
	rt.post("/clients/{id}/contacts/{cid}/primary", h.handleContactPrimary)
	rt.post("/clients/{id}/contacts/{cid}/remove", h.handleContactRemove)
}

// clientList is the clients page's data.
type clientList struct {
	Page    projections.Page[projections.ClientListItem]
	Search  string
	Filter  string
	Tag     string // only the clients with this tag
	Prev    string // URL of the previous page, "" on the first
	Next    string // URL of the next page, "" on the last
	Showing string // "1–25 of 130"
	// BillingRun offers "Run billing now"; BillingPreview its preview.
	BillingRun, BillingPreview bool
	// CSV downloads the whole list, as filtered, from the API.
	CSV string
	// RequestDetails is the confirm page of a request for payment details
	// from every client the filter and search select ("" for the whole list).
	RequestDetails string
}

func (h *handler) handleClientList(w http.ResponseWriter, r *http.Request) {
	today, _, err := h.today(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	filter := projections.ClientFilter(q.Get("filter"))
	if !slices.Contains(projections.ClientFilters(), filter) {
		filter = projections.ClientsAll
	}
	pageNo := pageParam(q)
	d := clientList{Search: q.Get("q"), Filter: string(filter), Tag: strings.TrimSpace(q.Get("tag")), BillingRun: h.cfg.BillingRun != nil, BillingPreview: h.cfg.BillingDryRun != nil}
	d.CSV = csvURL("/api/clients", url.Values{"search": {d.Search}, "filter": {d.Filter}, "tag": {d.Tag}})
	d.Page, err = h.models(r.Context()).ListClients(r.Context(), projections.ClientQuery{Search: d.Search, Filter: filter, Tag: d.Tag, Today: today,
		Paging: projections.Paging{Offset: (pageNo - 1) * clientsPerPage, Limit: clientsPerPage}})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	link := func(p int) string {
		v := url.Values{}
		if d.Search != "" {
			v.Set("q", d.Search)
		}
		if d.Filter != "" {
			v.Set("filter", d.Filter)
		}
		if d.Tag != "" {
			v.Set("tag", d.Tag)
		}
		v.Set("page", strconv.Itoa(p))
		return "/clients?" + v.Encode()
	}
	d.Prev, d.Next, d.Showing = pager(pageNo, clientsPerPage, d.Page.Total, len(d.Page.Items), link)
	// The bulk request selects by filter and search only: not offered for a
	// tag, whose clients it would not select alone.
	if (d.Filter != "" || d.Search != "") && d.Tag == "" {
		d.RequestDetails = "/clients/request-payment-details?" + strings.TrimPrefix(link(1), "/clients?")
	}
	h.render(w, r, http.StatusOK, "clients", &view{Title: "Clients", Section: "clients", Today: today, D: d})
}

// pageParam is the 1-based ?page= number.
func pageParam(q url.Values) int {
	n, err := strconv.Atoi(q.Get("page"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// pager returns the previous and next page links and a "1–25 of 130" text.
func pager(pageNo, per, total, shown int, link func(int) string) (prev, next, showing string) {
	if pageNo > 1 {
		prev = link(pageNo - 1)
	}
	if pageNo*per < total {
		next = link(pageNo + 1)
	}
	if shown == 0 {
		return prev, next, fmt.Sprintf("0 of %d", total)
	}
	first := (pageNo-1)*per + 1
	return prev, next, fmt.Sprintf("%d–%d of %d", first, first+shown-1, total)
}

func (h *handler) handleClientNew(w http.ResponseWriter, r *http.Request) {
	f := newForm()
	f.set("kind", string(client.KindBusiness))
	if fm, _, err := h.firmNow(r.Context()); err == nil && !fm.BaseCurrency.IsZero() {
		f.set("currency", fm.BaseCurrency.Code)
	}
	h.render(w, r, http.StatusOK, "client_form", &view{Title: "New client", Section: "clients", Form: f})
}

// clientRequest reads the client form (create and edit share it).
func clientRequest(fs *fields) billing.ClientRequest {
	req := billing.ClientRequest{
		Name: fs.str("name"), Kind: client.Kind(fs.str("kind")), TaxNumber: fs.str("tax_number"),
		Currency: strings.ToUpper(fs.str("currency")),
		Address: domain.Address{Line1: fs.str("address.line1"), Line2: fs.str("address.line2"), City: fs.str("address.city"),
			Region: fs.str("address.region"), Postcode: fs.str("address.postcode"), Country: fs.str("address.country")},
	}
	if n, ok := fs.integer("payment_terms_days"); ok {
		req.PaymentTermsDays = &n
	}
	return req
}

func (h *handler) handleClientCreate(w http.ResponseWriter, r *http.Request) {
	fs := readForm(r)
	req := clientRequest(fs)
	req.Contacts = []client.Contact{{Name: fs.str("contacts[0].name"), Email: fs.str("contacts[0].email"), Phone: fs.str("contacts[0].phone")}}
	if err := fs.err(); err != nil {
		h.clientFormError(w, r, "client_form", "New client", nil, err)
		return
	}
	res, err := h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.CreateClient(ctx, req, meta)
	})
	if err != nil {
		h.clientFormError(w, r, "client_form", "New client", nil, err)
		return
	}
	redirect(w, r, "/clients/"+res.ID.String(), fmt.Sprintf("Client %s created.", req.Name))
}

// clientFormError re-renders a client form with what was typed and the
// errors inline.
func (h *handler) clientFormError(w http.ResponseWriter, r *http.Request, page, title string, c *projections.ClientSummary, err error) {
	f := formFrom(r)
	f.fail(err, func(e error) string { return h.userMessage(r, e) }, func(field string) string {
		switch field {
		case "contacts", "primary_contact_id":
			return "contacts[0].name"
		}
		return field
	})
	v := &view{Title: title, Section: "clients", Form: f, Client: c}
	if c != nil {
		v.Tab = "edit"
	}
	h.render(w, r, statusOf(err), page, v)
}

// loadClient reads the client's summary for the client page's header.
func (h *handler) loadClient(w http.ResponseWriter, r *http.Request) (*projections.ClientSummary, domain.Date, bool) {
	id, ok := h.idParam(w, r, "id")
	if !ok {
		return nil, domain.Date{}, false
	}
	today, _, err := h.today(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return nil, today, false
	}
	c, err := h.models(r.Context()).Summary(r.Context(), id, today)
	if err != nil {
		h.fail(w, r, err)
		return nil, today, false
	}
	return &c, today, true
}

func (h *handler) handleClientEditForm(w http.ResponseWriter, r *http.Request) {
	c, _, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	f := newForm()
	f.set("name", c.Name)
	f.set("kind", string(c.Kind))
	f.set("tax_number", c.TaxNumber)
	f.set("currency", c.Currency.Code)
	f.set("address.line1", c.Address.Line1)
	f.set("address.line2", c.Address.Line2)
	f.set("address.city", c.Address.City)
	f.set("address.region", c.Address.Region)
	f.set("address.postcode", c.Address.Postcode)
	f.set("address.country", c.Address.Country)
	if c.PaymentTermsDays != nil {
		f.set("payment_terms_days", strconv.Itoa(*c.PaymentTermsDays))
	}
	f.set("tags", strings.Join(c.Tags, ", "))
	h.render(w, r, http.StatusOK, "client_edit", &view{Title: "Edit " + c.Name, Section: "clients", Tab: "edit", Client: c, Form: f})
}

func (h *handler) handleClientEdit(w http.ResponseWriter, r *http.Request) {
	c, _, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	fs := readForm(r)
	req := clientRequest(fs)
	req.ClientID = c.ID
	if err := fs.err(); err != nil {
		h.clientFormError(w, r, "client_edit", "Edit "+c.Name, c, err)
		return
	}
	if _, err := h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		if _, err := h.cfg.Billing.EditClient(ctx, req, meta); err != nil {
			return billing.Result{}, err
		}
		// The tags are a second command on the client's stream: its own id.
		meta.CommandID += "/tags"
		return h.cfg.Billing.ChangeClientTags(ctx, billing.ClientTagsRequest{ClientID: c.ID, Tags: strings.Split(fs.str("tags"), ",")}, meta)
	}); err != nil {
		h.clientFormError(w, r, "client_edit", "Edit "+c.Name, c, err)
		return
	}
	redirect(w, r, "/clients/"+c.ID.String(), "Client details saved.")
}

// button runs a one-button action and redirects to back with its
// confirmation or its error.
func (h *handler) button(w http.ResponseWriter, r *http.Request, back, done string, do func(ctx context.Context, meta billing.Meta) (billing.Result, error)) {
	_ = r.ParseForm()
	if _, err := h.run(r, do); err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			h.fail(w, r, err)
			return
		}
		redirectError(w, r, back, h.userMessage(r, err))
		return
	}
	redirect(w, r, back, done)
}

func (h *handler) handleClientArchive(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idParam(w, r, "id")
	if !ok {
		return
	}
	h.button(w, r, "/clients/"+id.String(), "Client archived.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.ArchiveClient(ctx, billing.ClientRef{ClientID: id, Reason: r.PostFormValue("reason")}, meta)
	})
}

// handleClientRevokeLinks ends every signed link sent to the client so far
// (the client's record of it is the ClientLinksRevoked event).
func (h *handler) handleClientRevokeLinks(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idParam(w, r, "id")
	if !ok {
		return
	}
	h.button(w, r, "/clients/"+id.String(), "Client links revoked: every link sent before now stops working.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return auth.RevokeClientLinks(ctx, h.cfg.Store, id, meta, h.cfg.Now())
	})
}

func (h *handler) handleClientRestore(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idParam(w, r, "id")
	if !ok {
		return
	}
	h.button(w, r, "/clients/"+id.String(), "Client restored.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.RestoreClient(ctx, billing.ClientRef{ClientID: id}, meta)
	})
}

func (h *handler) handleContactNew(w http.ResponseWriter, r *http.Request) {
	c, _, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "contact_form", &view{Title: "Add a contact", Section: "clients", Tab: "summary", Client: c, Form: newForm()})
}

func (h *handler) handleContactAdd(w http.ResponseWriter, r *http.Request) {
	c, _, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	fs := readForm(r)
	ct := client.Contact{Name: fs.str("contact.name"), Email: fs.str("contact.email"), Phone: fs.str("contact.phone"), Role: fs.str("contact.role")}
	_, err := h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.AddContact(ctx, billing.ContactRequest{ClientID: c.ID, Contact: ct}, meta)
	})
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.render(w, r, statusOf(err), "contact_form", &view{Title: "Add a contact", Section: "clients", Tab: "summary", Client: c, Form: f})
		return
	}
	redirect(w, r, "/clients/"+c.ID.String(), fmt.Sprintf("Contact %s added.", ct.Name))
}

func (h *handler) handleContactPrimary(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idParam(w, r, "id")
	if !ok {
		return
	}
	cid, ok := h.idParam(w, r, "cid")
	if !ok {
		return
	}
	h.button(w, r, "/clients/"+id.String(), "Primary billing contact changed.", func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.SetPrimaryContact(ctx, billing.ContactRef{ClientID: id, ContactID: cid}, meta)
	})
}

// contactEdit is the edit-contact page's data: the contact, and the others
// who could become the primary billing contact if it is removed.
type contactEdit struct {
	Contact projections.ContactView
	Others  []projections.ContactView
}

// loadContact loads the client and the contact the path names.
func (h *handler) loadContact(w http.ResponseWriter, r *http.Request) (*projections.ClientSummary, contactEdit, bool) {
	c, _, ok := h.loadClient(w, r)
	if !ok {
		return nil, contactEdit{}, false
	}
	cid, ok := h.idParam(w, r, "cid")
	if !ok {
		return nil, contactEdit{}, false
	}
	var d contactEdit
	found := false
	for _, ct := range c.Contacts {
		if ct.ID == cid {
			d.Contact, found = ct, true
		} else {
			d.Others = append(d.Others, ct)
		}
	}
	if !found {
		h.notFound(w, r, "This client has no such contact.")
		return nil, contactEdit{}, false
	}
	return c, d, true
}

func (h *handler) handleContactEditForm(w http.ResponseWriter, r *http.Request) {
	c, d, ok := h.loadContact(w, r)
	if !ok {
		return
	}
	f := newForm()
	f.set("contact.name", d.Contact.Name)
	f.set("contact.email", d.Contact.Email)
	f.set("contact.phone", d.Contact.Phone)
	f.set("contact.role", d.Contact.Role)
	h.render(w, r, http.StatusOK, "contact_form", &view{Title: "Edit contact " + d.Contact.Name, Section: "clients", Tab: "summary", Client: c, Form: f, D: d})
}

func (h *handler) handleContactEdit(w http.ResponseWriter, r *http.Request) {
	c, d, ok := h.loadContact(w, r)
	if !ok {
		return
	}
	fs := readForm(r)
	ct := client.Contact{ID: d.Contact.ID, Name: fs.str("contact.name"), Email: fs.str("contact.email"), Phone: fs.str("contact.phone"), Role: fs.str("contact.role")}
	_, err := h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.EditContact(ctx, billing.ContactRequest{ClientID: c.ID, Contact: ct}, meta)
	})
	if err != nil {
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.render(w, r, statusOf(err), "contact_form", &view{Title: "Edit contact " + d.Contact.Name, Section: "clients", Tab: "summary", Client: c, Form: f, D: d})
		return
	}
	redirect(w, r, "/clients/"+c.ID.String(), fmt.Sprintf("Contact %s saved.", ct.Name))
}

// handleContactRemove removes a contact; the primary billing contact only
// with new_primary_contact_id, the contact who takes their place (chosen on
// the contact's edit page, where a refusal leads back).
func (h *handler) handleContactRemove(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idParam(w, r, "id")
	if !ok {
		return
	}
	cid, ok := h.idParam(w, r, "cid")
	if !ok {
		return
	}
	_ = r.ParseForm()
	var next uuid.UUID
	if v := r.PostFormValue("new_primary_contact_id"); v != "" {
		next, _ = uuid.Parse(v)
	}
	back := "/clients/" + id.String()
	if _, err := h.run(r, func(ctx context.Context, meta billing.Meta) (billing.Result, error) {
		return h.cfg.Billing.RemoveContact(ctx, billing.ContactRef{ClientID: id, ContactID: cid, NewPrimaryContactID: next}, meta)
	}); err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			h.fail(w, r, err)
			return
		}
		redirectError(w, r, back+"/contacts/"+cid.String()+"/edit", h.userMessage(r, err))
		return
	}
	redirect(w, r, back, "Contact removed.")
}
