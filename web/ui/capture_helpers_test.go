package ui_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"

	"remit/eventstore"
)

// testCard is the sandbox page's card form with a test card number.
func testCard(number string) url.Values {
	return url.Values{"type": {"card"}, "number": {number}, "expiry": {"12 / 30"}, "cvc": {"123"}}
}

// becsAccount is the sandbox page's BECS form, mandate agreed.
func becsAccount(account string) url.Values {
	return url.Values{"type": {"au_becs_debit"}, "bsb": {"000-000"}, "account_number": {account}, "name": {"Ada Acme"}, "mandate": {"agree"}}
}

// pathOf is an absolute URL's path and query on the test server.
func pathOf(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return loc
	}
	if u.RawQuery != "" {
		return u.Path + "?" + u.RawQuery
	}
	return u.Path
}

// throughGateway follows a redirect to the sandbox's hosted page (gw, the
// Location Remit answered), submits form there as the client would, and
// follows the gateway's redirect back to Remit and Remit's redirect to its
// page, which it answers (its Location the page's path).
func (a *app) throughGateway(gw string, form url.Values) page {
	a.tb.Helper()
	if !strings.Contains(gw, "/sandbox-gateway/checkout/") {
		a.tb.Fatalf("not sent to the gateway's page: %q", gw)
	}
	if p := a.get(pathOf(gw)); p.Status != http.StatusOK {
		a.tb.Fatalf("GET gateway page = %d", p.Status)
	}
	done := a.post(pathOf(gw), form)
	if done.Status != http.StatusSeeOther {
		a.tb.Fatalf("gateway page = %d: %s", done.Status, done.Body)
	}
	back := a.get(pathOf(done.Location))
	if back.Status != http.StatusSeeOther {
		a.tb.Fatalf("return to Remit %s = %d: %s", done.Location, back.Status, errorsOf(back.Body))
	}
	next := a.get(back.Location)
	next.Location = back.Location
	return next
}

// enteredNumbers are the card and account numbers the tests enter on the
// gateway's page, in the forms they are typed and stored.
var enteredNumbers = []string{"4242424242424242", "4242 4242 4242 4242", "5555555555554444", "5555 5555 5555 4444", "4000000000000341",
	"4000000000000002", "000123456", "900123456"}

// assertNoNumbersInTheLog fails the test when any event holds a card or
// account number entered on the gateway's page: Remit keeps only the
// gateway's token, brand and last 4, or the masked account and mandate.
func (a *app) assertNoNumbersInTheLog() {
	a.tb.Helper()
	recs, err := a.store.ReadAll(context.Background(), 0, eventstore.Forward, 0, eventstore.Filter{})
	if err != nil {
		a.tb.Fatal(err)
	}
	for _, rec := range recs {
		for _, n := range enteredNumbers {
			if bytes.Contains(rec.Data, []byte(n)) {
				a.tb.Errorf("%s@%d holds %s: %s", rec.Stream, rec.Revision, n, rec.Data)
			}
		}
	}
}
