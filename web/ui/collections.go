package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"remit/domain"
	"remit/projections"
)

// The Collections page (/collections): what the firm expects to collect,
// the payments that failed, and the invoices overdue by age, each row with
// the actions that exist for it at hand. Each action is a link to its own
// form (the invoice's retry, collect, offline-payment, write-off and send
// forms, the client's request for payment details), which says what will
// happen and asks for the details; that form posts to the action's handler
// with its CSRF field and, carrying "back", returns here with the page's
// filters and a flash.

// collectionsPath is the page's path, and the only page an action form
// returns to (collectionsBack).
const collectionsPath = "/collections"

// collectionsPerPage is how many rows each section shows at once.
const collectionsPerPage = 25

func (h *handler) registerCollectionsRoutes(rt routes) {
	rt.get(collectionsPath, h.handleCollections)
}

// collectionsBack is p when it is the collections page (with its query), where an
// action form opened from it returns; "" for anything else, so no form can
// send the browser off the site or anywhere unexpected.
func collectionsBack(p string) string {
	if p == collectionsPath || (strings.HasPrefix(p, collectionsPath+"?") && !strings.ContainsAny(p, "\\\r\n")) {
		return p
	}
	return ""
}

// collectionsPage is the page's data.
type collectionsPage struct {
	C          projections.Collections
	Search     string
	Currency   string
	Currencies []string // what the currency filter offers
	// Here is this page's URL (filters and pages), where each action
	// returns.
	Here string
	// Per section: previous and next page links and "1–25 of 130".
	Upcoming, Failed, Overdue pageLinks
	Today                     domain.Date
	// RetryNow is true when "Retry now" charges on the spot (the UI has
	// Config.CollectNow); otherwise it links to the retry form.
	RetryNow bool
}

// rowPost is a button on a row that posts an invoice action at once and
// returns here: V is the page's view (for the form's token and CSRF).
type rowPost struct {
	V                         *view
	ID, Number, Action, Label string
	Back                      string
}

// Post is the row button posting action for row's invoice.
func (p collectionsPage) Post(v *view, row any, action, label string) rowPost {
	c := collectionInvoiceOf(row)
	return rowPost{V: v, ID: c.InvoiceID.String(), Number: c.Number, Action: action, Label: label, Back: p.Here}
}

// PauseOrResume is the row button pausing the invoice's reminders, or
// resuming them when they are paused.
func (p collectionsPage) PauseOrResume(v *view, row any) rowPost {
	if collectionInvoiceOf(row).RemindersPaused {
		return p.Post(v, row, "resume-reminders", "Resume reminders")
	}
	return p.Post(v, row, "pause-reminders", "Pause reminders")
}

// collectionInvoiceOf is what a row of any section says of its invoice.
func collectionInvoiceOf(row any) projections.CollectionInvoice {
	switch r := row.(type) {
	case projections.FailedPayment:
		return r.CollectionInvoice
	case projections.OverdueInvoice:
		return r.CollectionInvoice
	case projections.UpcomingCollection:
		return r.CollectionInvoice
	}
	return projections.CollectionInvoice{}
}

// pageLinks are one section's pager.
type pageLinks struct{ Prev, Next, Showing string }

// Filtered reports whether a filter narrows the page.
func (p collectionsPage) Filtered() bool { return p.Search != "" || p.Currency != "" }

// Action is the URL of an action's form for an invoice, returning here.
func (p collectionsPage) Action(invoiceID, action string) string {
	return "/invoices/" + invoiceID + "/" + action + "?" + url.Values{"back": {p.Here}}.Encode()
}

// RetryOn is the URL of the retry form with date suggested.
func (p collectionsPage) RetryOn(invoiceID string, date domain.Date) string {
	return "/invoices/" + invoiceID + "/retry?" + url.Values{"back": {p.Here}, "date": {date.String()}}.Encode()
}

// LaterRetry is the date a "retry on a date" link suggests: the retry
// scheduled, else three days from today.
func (p collectionsPage) LaterRetry(f projections.FailedPayment) domain.Date {
	if !f.NextRetry.IsZero() {
		return f.NextRetry
	}
	return p.Today.AddDays(3)
}

// RequestMethod is the URL of the form emailing a client the link to put
// a payment method on file, returning here.
func (p collectionsPage) RequestMethod(clientID string) string {
	return "/clients/" + clientID + "/payment-details-requests/new?" + url.Values{"back": {p.Here}}.Encode()
}

// Bucket names an aging bucket for people.
func (collectionsPage) Bucket(b projections.AgingBucket) string {
	return map[projections.AgingBucket]string{
		projections.AgingCurrent: "Not yet due", projections.Aging1To30: "1–30 days", projections.Aging31To60: "31–60 days",
		projections.Aging61To90: "61–90 days", projections.AgingOver90: "Over 90 days",
	}[b]
}

func (h *handler) handleCollections(w http.ResponseWriter, r *http.Request) {
	f, _, err := h.firmNow(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	today, _, err := h.today(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	d := collectionsPage{Search: strings.TrimSpace(q.Get("q")), Currency: strings.ToUpper(strings.TrimSpace(q.Get("currency"))), Today: today,
		RetryNow: h.cfg.CollectNow != nil}
	fm := newForm()
	if d.Currency != "" {
		if _, err := domain.ParseCurrency(d.Currency); err != nil {
			fm.Errors["currency"] = "Choose a currency from the list."
			d.Currency = ""
		}
	}
	pageOf := func(name string) int {
		n, err := strconv.Atoi(q.Get(name))
		if err != nil || n < 1 {
			return 1
		}
		return n
	}
	pages := map[string]int{"upcoming_page": pageOf("upcoming_page"), "failed_page": pageOf("failed_page"), "overdue_page": pageOf("overdue_page")}
	paging := func(name string) projections.Paging {
		return projections.Paging{Offset: (pages[name] - 1) * collectionsPerPage, Limit: collectionsPerPage}
	}
	d.C, err = h.models(r.Context()).Collections(r.Context(), projections.CollectionsQuery{Today: today, Currency: d.Currency, Search: d.Search,
		Upcoming: paging("upcoming_page"), Failed: paging("failed_page"), Overdue: paging("overdue_page")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	link := func(section string, n int) string {
		v := url.Values{}
		if d.Search != "" {
			v.Set("q", d.Search)
		}
		if d.Currency != "" {
			v.Set("currency", d.Currency)
		}
		for name, p := range pages {
			if name == section {
				p = n
			}
			if p > 1 {
				v.Set(name, strconv.Itoa(p))
			}
		}
		if len(v) == 0 {
			return collectionsPath
		}
		return collectionsPath + "?" + v.Encode()
	}
	d.Here = link("", 0)
	for _, s := range []struct {
		name  string
		to    *pageLinks
		total int
		shown int
	}{
		{"upcoming_page", &d.Upcoming, d.C.Upcoming.Total, len(d.C.Upcoming.Items)},
		{"failed_page", &d.Failed, d.C.Failed.Total, len(d.C.Failed.Items)},
		{"overdue_page", &d.Overdue, d.C.Overdue.Total, len(d.C.Overdue.Items)},
	} {
		s.to.Prev, s.to.Next, s.to.Showing = pager(pages[s.name], collectionsPerPage, s.total, s.shown, func(n int) string { return link(s.name, n) })
	}
	d.Currencies = collectionCurrencies(f.BaseCurrency.Code, d)
	h.render(w, r, http.StatusOK, "collections", &view{Title: "Collections", Section: "collections", Today: today, Form: fm, D: d})
}

// collectionCurrencies are the currencies the filter offers: the firm's
// base currency, those with amounts on the page, and the one chosen.
func collectionCurrencies(base string, d collectionsPage) []string {
	var out []string
	for _, t := range d.C.Totals {
		out = append(out, t.Currency.Code)
	}
	for _, c := range []string{base, d.Currency} {
		if c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}
