package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// movingClock is a clock the test sets to a day in Sydney (noon there).
type movingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *movingClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *movingClock) on(day string) {
	t, err := time.Parse("2006-01-02 15:04", day+" 01:00") // 11:00 or 12:00 in Sydney
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// reportsFirm builds a small firm with Remit's commands through the API,
// moving the clock from January to 15 June 2025 (see TestReports for the
// figures it must give).
func reportsFirm(t *testing.T) *app {
	t.Helper()
	clock := &movingClock{}
	clock.on("2025-01-10")
	a := &app{tb: t, dir: t.TempDir(), client: &http.Client{Timeout: 30 * time.Second}, clock: clock.now}
	a.open()
	t.Cleanup(a.close)
	a.mustSetUpFirm()
	acme, birch := a.mustCreateClient("Acme"), a.mustCreateClient("Birch")
	service := func(clientID, name, price string, rule map[string]any) string {
		return str(t, a.must(http.StatusCreated, "POST", "/api/clients/"+clientID+"/services", map[string]any{
			"name": name, "unit_price": price, "quantity": "1", "tax_rate": "10", "automatic": true, "billing_rule": rule}), "id")
	}
	bookkeeping := service(acme, "Bookkeeping", "100", map[string]any{"frequency": "months", "start": "on_date", "start_date": "2025-01-01", "end": "never"})
	service(acme, "Tax advisory", "300", map[string]any{"frequency": "months", "interval": 3, "start": "on_date", "start_date": "2025-02-15", "end": "never"})
	service(birch, "Payroll", "70", map[string]any{"frequency": "weeks", "start": "on_date", "start_date": "2025-03-03", "end": "never"})
	instant := func(clientID, price string) string {
		return str(t, a.must(http.StatusCreated, "POST", "/api/invoices", map[string]any{
			"client_id": clientID, "lines": []any{map[string]any{"description": "Advice", "quantity": "1", "unit_price": price, "tax_rate": "10"}}}), "id")
	}
	proposal := func(clientID, title string) string {
		p := str(t, a.must(http.StatusCreated, "POST", "/api/proposals", map[string]any{"client_id": clientID, "title": title, "lines": []any{
			map[string]any{"name": "Setup", "unit_price": "400", "quantity": "1", "tax_rate": "10", "automatic": true,
				"billing_rule": map[string]any{"frequency": "once", "start": "on_acceptance"}}}}), "id")
		a.must(http.StatusOK, "POST", "/api/proposals/"+p+"/send", map[string]any{"recipient_email": "alice@client.test"})
		return p
	}

	// 10 January: an instant bill of 1,450 + GST and January's bookkeeping
	// billed now (100 + GST), both due 24 January; a proposal sent.
	acmeBill := instant(acme, "1450")
	sched := a.must(http.StatusOK, "GET", "/api/services/"+bookkeeping+"/schedule", nil)
	a.must(http.StatusCreated, "POST", "/api/schedule-items/"+str(t, items(t, sched)[0], "key")+"/bill", map[string]any{})
	declined := proposal(acme, "Audit")

	// 20 February: the proposal declined; 110 credited on the instant bill.
	clock.on("2025-02-20")
	a.must(http.StatusOK, "POST", "/api/proposals/"+declined+"/decline", map[string]any{"reason": "Too dear"})
	a.must(http.StatusCreated, "POST", "/api/invoices/"+acmeBill+"/credit-notes", map[string]any{"amount": "110.00", "reason": "Goodwill"})

	// 20 April: Birch's card; 200 + GST billed, due 4 May; 500 + GST
	// billed and voided; a collection attempt declined.
	clock.on("2025-04-20")
	card := a.mustCard(birch, "pm_card_visa")
	birchBill := instant(birch, "200")
	a.must(http.StatusOK, "POST", "/api/invoices/"+instant(birch, "500")+"/void", map[string]any{"reason": "issued in error"})
	attempt := func(body map[string]any) {
		body["payment_method_id"] = card
		a.must(http.StatusCreated, "POST", "/api/invoices/"+birchBill+"/attempts", body)
	}
	attempt(map[string]any{"outcome": "rejected", "decline_code": "card_declined", "decline_message": "Card declined", "amount": "0"})

	// 10 May: declined again, then 120 of the 220 collected; two
	// proposals sent, one accepted.
	clock.on("2025-05-10")
	attempt(map[string]any{"outcome": "rejected", "decline_code": "insufficient_funds", "decline_message": "Insufficient funds", "amount": "0"})
	attempt(map[string]any{"outcome": "succeeded", "gateway_reference": "ch_report", "amount": "120.00"})
	accepted := proposal(birch, "Onboarding")
	a.must(http.StatusOK, "POST", "/api/proposals/"+accepted+"/accept", map[string]any{
		"accepted_by_name": "Alice Birch", "accepted_by_email": "alice@client.test", "signature_name": "Alice Birch", "payment_method_id": card})
	proposal(acme, "Payroll")

	// 15 June (today): 50 + GST billed, due 29 June.
	clock.on("2025-06-15")
	instant(acme, "50")
	return a
}

// want fails the test unless the value at path in v prints as want.
func want(t *testing.T, v any, want string, path ...any) {
	t.Helper()
	if got := fmt.Sprint(get(t, v, path...)); got != want {
		t.Errorf("%v = %s, want %s", path, got, want)
	}
}

// TestReports checks every report against figures worked out by hand for
// the firm reportsFirm builds, as of 15 June 2025 in Sydney.
func TestReports(t *testing.T) {
	a := reportsFirm(t)

	t.Run("RecurringRevenue", func(t *testing.T) {
		// Today: bookkeeping 100 (monthly) + tax advisory 300 ÷ 3
		// (quarterly) + payroll 70 × 30.4375 ÷ 7 (weekly) = 504.375.
		r := a.must(http.StatusOK, "GET", "/api/reports/recurring-revenue", nil)
		want(t, r, "2025-06-15", "as_of")
		want(t, r, "AUD", "currencies", 0, "currency")
		want(t, r, "504.38", "currencies", 0, "monthly", "amount")
		want(t, r, "6052.50", "currencies", 0, "annual", "amount")
		want(t, r, "3", "currencies", 0, "services")
		// July 2024 … June 2025: nothing until bookkeeping from 1 January,
		// tax advisory from 15 February, payroll from 3 March.
		hist := []struct{ month, on, mrr, change string }{
			{"2024-12", "2024-12-31", "0.00", "0.00"}, {"2025-01", "2025-01-31", "100.00", "100.00"},
			{"2025-02", "2025-02-28", "200.00", "100.00"}, {"2025-03", "2025-03-31", "504.38", "304.38"},
			{"2025-05", "2025-05-31", "504.38", "0.00"}, {"2025-06", "2025-06-15", "504.38", "0.00"},
		}
		months := get(t, r, "currencies", 0, "history").([]any)
		if len(months) != 12 || str(t, months[0], "month") != "2024-07" {
			t.Fatalf("history has %d months from %v, want 12 from 2024-07", len(months), get(t, months[0], "month"))
		}
		for _, h := range hist {
			for _, m := range months {
				if str(t, m, "month") == h.month {
					want(t, m, h.on, "on")
					want(t, m, h.mrr, "monthly", "amount")
					want(t, m, h.change, "change", "amount")
				}
			}
		}
	})

	t.Run("ProjectedBillings", func(t *testing.T) {
		// 15 June 2025 – 31 May 2026: bookkeeping 1 July … 1 May (11 ×
		// 100), tax advisory 15 Aug, Nov, Feb, May (4 × 300), payroll every
		// Monday 16 June … 25 May (50 × 70). June: payroll 16, 23, 30 June.
		r := a.must(http.StatusOK, "GET", "/api/reports/projected-billings", nil)
		want(t, r, "2025-06-15", "from")
		want(t, r, "2026-05-31", "to")
		want(t, r, "5800.00", "currencies", 0, "total", "amount")
		want(t, r, "2025-06", "currencies", 0, "months", 0, "month")
		want(t, r, "210.00", "currencies", 0, "months", 0, "amount", "amount")
		want(t, r, "380.00", "currencies", 0, "months", 1, "amount", "amount")
		want(t, r, "680.00", "currencies", 0, "months", 2, "amount", "amount")
		want(t, r, "Payroll", "currencies", 0, "by_service", 0, "name")
		want(t, r, "Birch", "currencies", 0, "by_service", 0, "client")
		want(t, r, "3500.00", "currencies", 0, "by_service", 0, "amount", "amount")
		want(t, r, "1200.00", "currencies", 0, "by_service", 1, "amount", "amount")
		want(t, r, "1100.00", "currencies", 0, "by_service", 2, "amount", "amount")
	})

	t.Run("Revenue", func(t *testing.T) {
		// Issued July 2024 – June 2025, not void, before tax: 1,450 + 100
		// + 200 + 50 = 1,800; credited 110 incl. GST = 100 before tax.
		r := a.must(http.StatusOK, "GET", "/api/reports/revenue", nil)
		want(t, r, "2024-07-01", "from")
		want(t, r, "2025-06-30", "to")
		want(t, r, "4", "currencies", 0, "invoices")
		want(t, r, "1800.00", "currencies", 0, "invoiced", "amount")
		want(t, r, "100.00", "currencies", 0, "credited", "amount")
		want(t, r, "1700.00", "currencies", 0, "net", "amount")
		want(t, r, "Once-off (instant bills)", "currencies", 0, "by_service", 0, "name")
		want(t, r, "1600.00", "currencies", 0, "by_service", 0, "amount", "amount")
		want(t, r, "Bookkeeping", "currencies", 0, "by_service", 1, "name")
		want(t, r, "100.00", "currencies", 0, "by_service", 1, "amount", "amount")
		want(t, r, "Acme", "currencies", 0, "by_client", 0, "name")
		want(t, r, "1500.00", "currencies", 0, "by_client", 0, "amount", "amount")
		want(t, r, "200.00", "currencies", 0, "by_client", 1, "amount", "amount")

		// A period: April only (Birch's 200; the voided 500 is not revenue).
		r = a.must(http.StatusOK, "GET", "/api/reports/revenue?from=2025-04-01&to=2025-04-30", nil)
		want(t, r, "200.00", "currencies", 0, "net", "amount")
		want(t, r, "1", "currencies", 0, "invoices")
		for _, bad := range []struct{ query, field string }{{"from=2025-04-01", "to"}, {"from=2025-13-01&to=2025-04-30", "from"}, {"from=2025-05-01&to=2025-04-30", "to"}} {
			r := a.do("GET", "/api/reports/revenue?"+bad.query, nil)
			if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"`+bad.field+`"`) {
				t.Errorf("?%s: %d %s, want 400 naming %s", bad.query, r.Status, r.Body, bad.field)
			}
		}
	})

	t.Run("Receivables", func(t *testing.T) {
		// Acme's 1,595 − 110 and 110, due 24 January (142 days): over 90;
		// Birch's 220 − 120, due 4 May (42 days): 31–60; Acme's 55 due 29
		// June: current.
		r := a.must(http.StatusOK, "GET", "/api/reports/receivables", nil)
		want(t, r, "1750.00", "currencies", 0, "total", "amount")
		want(t, r, "4", "currencies", 0, "invoices")
		for i, b := range []struct{ age, n, amount string }{{"current", "1", "55.00"}, {"1-30", "0", "0.00"}, {"31-60", "1", "100.00"}, {"61-90", "0", "0.00"}, {"over_90", "2", "1595.00"}} {
			want(t, r, b.age, "currencies", 0, "buckets", i, "age")
			want(t, r, b.n, "currencies", 0, "buckets", i, "invoices")
			want(t, r, b.amount, "currencies", 0, "buckets", i, "amount", "amount")
		}
	})

	t.Run("Collections", func(t *testing.T) {
		r := a.must(http.StatusOK, "GET", "/api/reports/collections", nil)
		want(t, r, "3", "attempts")
		want(t, r, "1", "succeeded")
		want(t, r, "2", "rejected")
		want(t, r, "33.3", "success_rate_percent")
		want(t, r, "2025-04", "months", 9, "month")
		want(t, r, "1", "months", 9, "rejected")
		want(t, r, "2", "months", 10, "attempts")
		want(t, r, "1", "months", 10, "succeeded")
		if f := get(t, r, "failures").([]any); len(f) != 2 || str(t, f[0], "decline_code") != "card_declined" {
			t.Errorf("failures %v, want card_declined and insufficient_funds once each", f)
		}
	})

	t.Run("Proposals", func(t *testing.T) {
		r := a.must(http.StatusOK, "GET", "/api/reports/proposals", nil)
		want(t, r, "3", "sent")
		want(t, r, "1", "accepted")
		want(t, r, "1", "declined")
		want(t, r, "33.3", "conversion_percent")
		want(t, r, "1", "months", 6, "sent")     // January
		want(t, r, "1", "months", 7, "declined") // February
		want(t, r, "2", "months", 10, "sent")    // May
		want(t, r, "50.0", "months", 10, "conversion_percent")
	})

	t.Run("DSO", func(t *testing.T) {
		// Invoiced 18 March – 15 June, not void: 220 + 55 = 275; owed
		// 1,750; 1,750 ÷ 275 × 90 = 572.7 days.
		r := a.must(http.StatusOK, "GET", "/api/reports/dso", nil)
		want(t, r, "2025-03-18", "from")
		want(t, r, "90", "window_days")
		want(t, r, "1750.00", "currencies", 0, "receivable", "amount")
		want(t, r, "275.00", "currencies", 0, "invoiced", "amount")
		want(t, r, "572.7", "currencies", 0, "dso_days")
	})
}
