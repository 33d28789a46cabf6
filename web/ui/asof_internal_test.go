package ui

import (
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

// A page as of a moment keeps its reads working as of that moment (links
// and CSV downloads carry as_of) and disables what would change something.
func TestAsOfPageKeepsReadsAndDisablesActions(t *testing.T) {
	page := `<a href="/clients/1">Acme</a>` +
		`<a class="button secondary csv" href="/api/clients?format=csv" download>Download CSV</a>` +
		`<a class="button" href="/clients/1/edit">Edit client</a>` +
		`<form method="post" action="/clients/1/archive"><button>Archive</button></form>`
	got := string(asOfPage([]byte(page), "p:42", nil))
	for _, want := range []string{
		`<a href="/clients/1?as_of=p%3A42">`,
		`href="/api/clients?format=csv&amp;as_of=p%3A42" download>`,
		`<a class="button" aria-disabled="true">`,
		`<fieldset class="asof-off" disabled>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("page as of p:42 lacks %s:\n%s", want, got)
		}
	}
}

// A page as of a moment disables plain links to forms (Edit client, an
// invoice's Void), found from the UI's own routes: a path that shows a form
// (GET) and takes its post. Links to pages to read keep working, as of the
// moment, and so do a section's pages (Renewals lists, and takes a post).
func TestAsOfPageDisablesLinksToForms(t *testing.T) {
	h := newHandler(Config{})
	h.registerRoutes(mux.NewRouter())
	page := `<a href="/clients/1/edit" aria-current="page">Edit client</a>` +
		`<a href="/invoices/9/void">Void</a>` +
		`<a href="/services/5/items/3/edit?back=%2Fclients">Edit billing</a>` +
		`<a href="/clients/1/contacts/new">Add contact</a>` +
		`<a href="/clients/1/schedule">Billing schedule</a>` +
		`<a href="/renewals">Renewals</a>` +
		`<a href="/invoices/9">Invoice</a>`
	got := string(asOfPage([]byte(page), "p:42", h.forms.isForm))
	for _, want := range []string{
		`<a aria-disabled="true" aria-current="page">Edit client</a>`,
		`<a aria-disabled="true">Void</a>`,
		`<a aria-disabled="true">Edit billing</a>`,
		`<a aria-disabled="true">Add contact</a>`,
		`<a href="/clients/1/schedule?as_of=p%3A42">`,
		`<a href="/renewals?as_of=p%3A42">`,
		`<a href="/invoices/9?as_of=p%3A42">`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("page as of p:42 lacks %s:\n%s", want, got)
		}
	}
}
