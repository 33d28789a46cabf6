package ui

import (
	"context"
	"net/http"

	"remit/domain/firm"
	"remit/projections"
)

// The Dashboard's "Getting started" checklist: what a new firm does before
// it can bill, each step's "done" read from the read models (or from how
// Remit was started) every time, never recorded. It shows until every step
// is done or this browser dismissed it (a cookie: one person's choice, no
// event).

// gettingStartedCookie remembers that this browser dismissed the checklist.
const gettingStartedCookie = "remit_getting_started"

// step is one item of the checklist.
type step struct {
	Title, Hint string
	Href, Link  string // where to do it ("" when Remit's operator does it)
	Done        bool
}

// checklist is the Getting started list; nil when it is not shown.
type checklist struct{ Steps []step }

// Remaining counts the steps not done yet.
func (c *checklist) Remaining() int {
	n := 0
	for _, s := range c.Steps {
		if !s.Done {
			n++
		}
	}
	return n
}

func (h *handler) registerGettingStartedRoutes(rt routes) {
	rt.post("/dashboard/getting-started/dismiss", h.handleDismissGettingStarted)
}

// handleDismissGettingStarted hides the checklist in this browser.
func (h *handler) handleDismissGettingStarted(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: gettingStartedCookie, Value: "dismissed", Path: "/", MaxAge: 400 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	redirect(w, r, "/dashboard", "Getting started is hidden in this browser.")
}

// gettingStarted is the checklist for the firm f, or nil when this browser
// dismissed it or every step is done.
// proposalsSent is how many proposals the Proposals report counts.
func (h *handler) gettingStarted(ctx context.Context, r *http.Request, f firm.State, proposalsSent int) (*checklist, error) {
	if c, err := r.Cookie(gettingStartedCookie); err == nil && c.Value == "dismissed" {
		return nil, nil
	}
	m := h.models(ctx)
	lib, err := m.LibraryServices(ctx, projections.LibraryFilter{})
	if err != nil {
		return nil, err
	}
	clients, err := m.ListClients(ctx, projections.ClientQuery{Paging: projections.Paging{Limit: 1}})
	if err != nil {
		return nil, err
	}
	billing := proposalsSent > 0
	if !billing && clients.Total > 0 { // no client, no invoice nor service
		// An instant bill of one-off lines is an invoice and no service.
		invs, err := m.ListInvoices(ctx, projections.InvoiceQuery{Paging: projections.Paging{Limit: 1}})
		if err != nil {
			return nil, err
		}
		billing = invs.Total > 0
	}
	if !billing && clients.Total > 0 {
		svcs, err := m.AllServices(ctx)
		if err != nil {
			return nil, err
		}
		billing = len(svcs) > 0
	}
	staff := true // without sign-in there is no one to invite
	if h.cfg.Auth != nil {
		us, err := h.cfg.Auth.Users(ctx)
		if err != nil {
			return nil, err
		}
		staff = len(us) > 1
	}
	c := &checklist{Steps: []step{
		{Title: "Firm details", Hint: "Name, address, base currency, time zone and payment terms.", Href: firmPath, Link: "Firm settings", Done: f.SetUp},
		{Title: "Tax rates", Hint: "The rates the firm charges (GST 10%, say); new lines start at the default one.", Href: firmPath + "#tax-rates", Link: "Tax rates", Done: len(f.TaxRates) > 0},
		{Title: "Bank account for transfers", Hint: "Where clients pay an invoice nothing charges: named on the invoice, its email and the pay-now page.", Href: firmPath + "#bank-account", Link: "Firm settings", Done: f.BankAccount.Number != ""},
		{Title: "How clients pay", Hint: "Remit collects with the " + h.gateway() + " gateway. To take real payments, whoever runs Remit starts it with --gateway stripe (see docs/payments.md).", Done: h.gateway() != "sandbox"},
		{Title: "Email sending", Hint: "Invoices and reminders go by email once whoever runs Remit starts it with --smtp; until then they are written to the data folder's outbox.", Done: h.cfg.SendsEmail},
		{Title: "Invite your staff", Hint: "Add the people who bill and chase payments.", Href: "/settings/users", Link: "Users", Done: staff},
		{Title: "The services library", Hint: "The services you sell, with their usual price, to pick from on proposals and bills.", Href: "/settings/library", Link: "Services library", Done: len(lib) > 0},
		{Title: "Your first client", Hint: "A client, with a billing contact.", Href: "/clients/new", Link: "New client", Done: clients.Total > 0},
		{Title: "Your first service or proposal", Hint: "From a client's page: Instant bill, Add a service, or send a New proposal.", Href: "/clients", Link: "Clients", Done: billing},
	}}
	if c.Remaining() == 0 {
		return nil, nil
	}
	return c, nil
}
