package ui

import (
	"strings"
	"testing"
)

// A page as of a moment keeps its reads working as of that moment (links
// and CSV downloads carry as_of) and disables what would change something.
func TestAsOfPageKeepsReadsAndDisablesActions(t *testing.T) {
	page := `<a href="/clients/1">Acme</a>` +
		`<a class="button secondary csv" href="/api/clients?format=csv" download>Download CSV</a>` +
		`<a class="button" href="/clients/1/edit">Edit client</a>` +
		`<form method="post" action="/clients/1/archive"><button>Archive</button></form>`
	got := string(asOfPage([]byte(page), "p:42"))
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
