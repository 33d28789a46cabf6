package api_test

import (
	"net/http"
	"testing"
)

// TestServiceProRataFirstPeriod: a service created through the API billed
// monthly on the 1st from 15 April 2025 with "pro_rata_first" shows the
// option on its billing rule, and its schedule starts with 16/30 of the
// price on the start date, the line naming the days, then the whole price
// on 1 May.
func TestServiceProRataFirstPeriod(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	clientID := a.mustCreateClient("Acme")
	svc := a.must(http.StatusCreated, "POST", "/api/clients/"+clientID+"/services", map[string]any{
		"name": "Payroll", "unit_price": "300", "quantity": "1", "tax_rate": "10", "automatic": true,
		"billing_rule": map[string]any{"frequency": "months", "start": "on_date", "start_date": "2025-04-15", "anchor_day": 1, "end": "never", "pro_rata_first": true},
	})
	id := str(t, svc, "id")
	view := a.must(http.StatusOK, "GET", "/api/services/"+id, nil)
	if on, _ := get(t, view, "billing_rule", "pro_rata_first").(bool); !on {
		t.Errorf("billing rule %v: want pro_rata_first", get(t, view, "billing_rule"))
	}
	sched := items(t, a.must(http.StatusOK, "GET", "/api/services/"+id+"/schedule?through=2025-05-31", nil))
	if len(sched) < 2 {
		t.Fatalf("schedule %v: want at least two items", sched)
	}
	for i, want := range []struct{ date, price, line string }{
		{"2025-04-15", "160.00", "Payroll — 15 – 30 April 2025, pro rata 16/30 days"},
		{"2025-05-01", "300.00", "Payroll — May 2025"},
	} {
		if d, p, l := str(t, sched[i], "date"), str(t, sched[i], "unit_price", "amount"), str(t, sched[i], "line_description"); d != want.date || p != want.price || l != want.line {
			t.Errorf("item %d: %s %s %q, want %s %s %q", i+1, d, p, l, want.date, want.price, want.line)
		}
	}
}
