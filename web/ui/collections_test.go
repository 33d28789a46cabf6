package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCollectionsActionsReturnOnlyThere: an action form opened from the
// collections page carries the page (filters kept) and returns to it with
// the confirmation naming the invoice; a "back" leading anywhere else is
// ignored and the form returns to the invoice, so no link can use Remit's
// forms to send staff off the site. A failed action stays on its form,
// with the way back, and records nothing.
func TestCollectionsActionsReturnOnlyThere(t *testing.T) {
	a := newApp(t)
	c := a.mustClient("Acme")
	inv := a.mustInvoice(c, "100")
	ip := "/invoices/" + inv.String()
	back := "/collections?q=acme"

	form := a.get(ip + "/write-off?back=" + url.QueryEscape(back))
	if !strings.Contains(form.Body, `name="back" value="/collections?q=acme"`) || !strings.Contains(form.Body, `href="/collections?q=acme">Cancel`) {
		t.Fatalf("the write-off form opened from collections does not lead back there:\n%s", form.Body)
	}
	for _, evil := range []string{"https://evil.test/", "//evil.test/collections", "/clients", "/collectionsx"} {
		if f := a.get(ip + "/write-off?back=" + url.QueryEscape(evil)); strings.Contains(f.Body, `name="back"`) {
			t.Errorf("back=%s is kept by the form", evil)
		}
	}

	head := a.head()
	bad := a.post(ip+"/retry", url.Values{"date": {"not a date"}, "back": {back}})
	if bad.Status == http.StatusSeeOther || !strings.Contains(bad.Body, `name="back" value="/collections?q=acme"`) || a.head() != head {
		t.Errorf("a refused retry: %d, appended %d, form keeps the way back: %v", bad.Status, a.head()-head, strings.Contains(bad.Body, `name="back"`))
	}

	p := a.post(ip+"/write-off", url.Values{"reason": {"Gone"}, "back": {"https://evil.test/"}})
	if p.Status != http.StatusSeeOther || p.Location != ip {
		t.Errorf("write-off with a foreign back: %d to %q, want 303 to the invoice", p.Status, p.Location)
	}
	inv2 := a.mustInvoice(c, "50")
	done := a.mustPost("/invoices/"+inv2.String()+"/write-off", url.Values{"reason": {"Gone"}, "back": {back}}, "Balance written off.")
	if done.Location != back || !strings.Contains(done.Body, "<h1>Collections</h1>") {
		t.Errorf("write-off from collections returned to %q", done.Location)
	}
}
