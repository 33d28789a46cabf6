package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// mustBillOn issues a one-line invoice of price + 10% GST dated issue (the
// firm's terms: due 14 days later) in currency ("" the client's); returns
// its id.
func (a *app) mustBillOn(clientID, issue, price, currency string) string {
	a.tb.Helper()
	body := map[string]any{"client_id": clientID, "issue_date": issue,
		"lines": []any{map[string]any{"description": "Advice", "quantity": "1", "unit_price": price, "tax_rate": "10"}}}
	if currency != "" {
		body["currency"] = currency
	}
	return str(a.tb, a.must(http.StatusCreated, "POST", "/api/invoices", body), "id")
}

// TestCollections: GET /api/collections on a small firm, on 10 March 2025
// in Sydney (terms 14 days). Acme's card is charged today (upcoming);
// Bravo's was declined and a retry is set for the 13th (failed); Cobalt
// pays by hand and has invoices due on 15 Mar (current), 24 Feb (14 days
// past due), 8 Feb (30), 15 Jan (54), 15 Dec (85) and 15 Oct (146); Dover
// owes NZ$1,100 since 15 Jan. Totals and buckets are computed by hand; the
// filters narrow rows and totals; a section pages on its own; a write-off
// and a payment move rows out; bad parameters are 400 naming the field.
func TestCollections(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	acme := a.mustCreateClient("Acme")
	a.mustCard(acme, "pm_card_visa")
	upcoming := a.mustInstantBill(acme) // A$1,595.00, collected today
	bravo := a.mustCreateClient("Bravo")
	card := a.mustCard(bravo, "pm_card_visa")
	failed := a.mustInstantBill(bravo)
	a.must(http.StatusCreated, "POST", "/api/invoices/"+failed+"/attempts", map[string]any{"outcome": "rejected", "payment_method_id": card,
		"decline_code": "insufficient_funds", "decline_message": "The card has insufficient funds.", "amount": "0"})
	a.must(http.StatusOK, "POST", "/api/invoices/"+failed+"/retry", map[string]any{"date": "2025-03-13"})
	cobalt := a.mustCreateClient("Cobalt")
	due := map[string]string{}
	for _, b := range []struct{ issue, price string }{
		{"2025-03-01", "100"}, {"2025-02-10", "200"}, {"2025-01-25", "10"}, {"2025-01-01", "300"}, {"2024-12-01", "400"}, {"2024-10-01", "500"},
	} {
		due[b.issue] = a.mustBillOn(cobalt, b.issue, b.price, "")
	}
	dover := str(t, a.must(http.StatusCreated, "POST", "/api/clients", map[string]any{"name": "Dover", "kind": "business", "currency": "NZD",
		"contacts": []any{map[string]any{"name": "Dee", "email": "dee@dover.test"}}}), "id")
	nzd := a.mustBillOn(dover, "2025-01-01", "1000", "NZD")

	page := a.must(http.StatusOK, "GET", "/api/collections", nil)
	if str(t, page, "as_of") != "2025-03-10" {
		t.Errorf("as_of %v, want the firm's today 2025-03-10", page["as_of"])
	}
	wantTotals := "AUD upcoming 1595.00/1 failed 1595.00/1 overdue 1551.00/5 aging current 3300.00/3 1_30 231.00/2 31_60 330.00/1 61_90 440.00/1 over_90 550.00/1; " +
		"NZD upcoming 0.00/0 failed 0.00/0 overdue 1100.00/1 aging current 0.00/0 1_30 0.00/0 31_60 1100.00/1 61_90 0.00/0 over_90 0.00/0"
	if got := totalsText(t, page); got != wantTotals {
		t.Errorf("totals:\n got %s\nwant %s", got, wantTotals)
	}

	up := items(t, get(t, page, "upcoming"))
	if len(up) != 1 || str(t, up[0], "invoice_id") != upcoming || str(t, up[0], "date") != "2025-03-10" || str(t, up[0], "client_name") != "Acme" ||
		str(t, up[0], "brand") != "visa" || str(t, up[0], "last4") != "4242" || str(t, up[0], "balance", "amount") != "1595.00" || str(t, up[0], "balance", "currency") != "AUD" {
		t.Errorf("upcoming = %v, want Acme's A$1,595.00 from Visa 4242 today", up)
	}
	fl := items(t, get(t, page, "failed"))
	if len(fl) != 1 || str(t, fl[0], "invoice_id") != failed || str(t, fl[0], "client_name") != "Bravo" || str(t, fl[0], "decline_code") != "insufficient_funds" ||
		str(t, fl[0], "decline_message") != "The card has insufficient funds." || get(t, fl[0], "attempts") != 1.0 ||
		str(t, fl[0], "next_retry") != "2025-03-13" || str(t, fl[0], "rejected_since") != "2025-03-10" {
		t.Errorf("failed = %v, want Bravo declined today, 1 attempt, retry on the 13th", fl)
	}
	wantOverdue := []string{
		due["2024-10-01"] + " 146 over_90 550.00 AUD",
		due["2024-12-01"] + " 85 61_90 440.00 AUD",
		due["2025-01-01"] + " 54 31_60 330.00 AUD", // numbered before Dover's
		nzd + " 54 31_60 1100.00 NZD",
		due["2025-01-25"] + " 30 1_30 11.00 AUD",
		due["2025-02-10"] + " 14 1_30 220.00 AUD",
	}
	if got := overdueText(t, get(t, page, "overdue")); strings.Join(got, "\n") != strings.Join(wantOverdue, "\n") {
		t.Errorf("overdue:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantOverdue, "\n"))
	}

	// Filters narrow the rows and the totals.
	nz := a.must(http.StatusOK, "GET", "/api/collections?currency=nzd", nil)
	if got := totalsText(t, nz); !strings.HasPrefix(got, "NZD ") || strings.Contains(got, "AUD") {
		t.Errorf("currency=nzd totals %s, want NZD only", got)
	}
	if len(items(t, get(t, nz, "upcoming"))) != 0 || len(items(t, get(t, nz, "failed"))) != 0 || len(items(t, get(t, nz, "overdue"))) != 1 {
		t.Errorf("currency=nzd: %v", nz)
	}
	br := a.must(http.StatusOK, "GET", "/api/collections?search="+url.QueryEscape("BRAV"), nil)
	if got := totalsText(t, br); got != "AUD upcoming 0.00/0 failed 1595.00/1 overdue 0.00/0 aging current 1595.00/1 1_30 0.00/0 31_60 0.00/0 61_90 0.00/0 over_90 0.00/0" {
		t.Errorf("search=BRAV totals %s, want Bravo's alone", got)
	}
	if none := a.must(http.StatusOK, "GET", "/api/collections?search=nobody", nil); len(anyList(none["totals"])) != 0 || len(items(t, get(t, none, "overdue"))) != 0 {
		t.Errorf("a search finding no client: %v", none)
	}

	// One section pages on its own, by its next link.
	first := a.must(http.StatusOK, "GET", "/api/collections?section=overdue&limit=4", nil)
	if first["upcoming"] != nil || first["failed"] != nil {
		t.Errorf("section=overdue answers other sections: %v", first)
	}
	ov := get(t, first, "overdue")
	if get(t, ov, "total") != 6.0 || len(items(t, ov)) != 4 || !strings.Contains(str(t, ov, "next"), "section=overdue") {
		t.Fatalf("first page of overdue: %v", ov)
	}
	second := get(t, a.must(http.StatusOK, "GET", str(t, ov, "next"), nil), "overdue")
	if got := overdueText(t, second); strings.Join(got, "\n") != strings.Join(wantOverdue[4:], "\n") || second.(map[string]any)["next"] != nil {
		t.Errorf("second page of overdue: %v", got)
	}

	for _, bad := range []struct{ query, field string }{
		{"currency=XYZ", "currency"}, {"section=late", "section"}, {"limit=0", "limit"}, {"cursor=bogus&section=failed", "cursor"},
		{"cursor=" + cursorOf(t, str(t, ov, "next")), "section"},
	} {
		head := a.head()
		r := a.do("GET", "/api/collections?"+bad.query, nil)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"`+bad.field+`"`) {
			t.Errorf("?%s: %d %s, want 400 naming %s", bad.query, r.Status, r.Body, bad.field)
		}
		if a.head() != head {
			t.Errorf("?%s appended", bad.query)
		}
	}

	// Writing off Bravo's balance takes it out of failed payments; paying
	// the oldest invoice takes it out of the over-90 bucket.
	a.must(http.StatusOK, "POST", "/api/invoices/"+failed+"/write-off", map[string]any{"reason": "Gone"})
	a.must(http.StatusCreated, "POST", "/api/invoices/"+due["2024-10-01"]+"/payments", map[string]any{"amount": "550.00", "method": "bank_transfer", "date": "2025-03-10"})
	after := a.must(http.StatusOK, "GET", "/api/collections?currency=AUD", nil)
	if got := totalsText(t, after); got != "AUD upcoming 1595.00/1 failed 0.00/0 overdue 1001.00/4 aging current 1705.00/2 1_30 231.00/2 31_60 330.00/1 61_90 440.00/1 over_90 0.00/0" {
		t.Errorf("after the write-off and the payment: %s", got)
	}
	if len(items(t, get(t, after, "failed"))) != 0 {
		t.Errorf("failed after the write-off: %v", get(t, after, "failed"))
	}
}

// totalsText renders a collections answer's totals on one line.
func totalsText(tb testing.TB, page map[string]any) string {
	tb.Helper()
	var out []string
	for _, tt := range anyList(page["totals"]) {
		c := func(k string) string {
			return str(tb, tt, k, "amount", "amount") + "/" + fmt.Sprint(get(tb, tt, k, "count"))
		}
		s := str(tb, tt, "currency") + " upcoming " + c("upcoming") + " failed " + c("failed") + " overdue " + c("overdue") + " aging"
		for _, b := range anyList(get(tb, tt, "aging")) {
			s += fmt.Sprintf(" %s %s/%v", str(tb, b, "bucket"), str(tb, b, "amount", "amount"), get(tb, b, "count"))
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}

// overdueText renders the overdue section's rows: id, days, bucket, balance.
func overdueText(tb testing.TB, list any) []string {
	tb.Helper()
	var out []string
	for _, r := range items(tb, list) {
		out = append(out, fmt.Sprintf("%s %v %s %s %s", str(tb, r, "invoice_id"), get(tb, r, "days_overdue"), str(tb, r, "bucket"),
			str(tb, r, "balance", "amount"), str(tb, r, "balance", "currency")))
	}
	return out
}

// anyList is v as a JSON array (nil when it is not one).
func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}

// cursorOf is the cursor of a next link.
func cursorOf(tb testing.TB, next string) string {
	tb.Helper()
	u, err := url.Parse(next)
	if err != nil {
		tb.Fatal(err)
	}
	return u.Query().Get("cursor")
}
