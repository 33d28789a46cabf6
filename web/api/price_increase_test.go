package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestPriceIncreases walks the price increase API: tags on a client (PUT
// /api/clients/{id}/tags, the ?tag= list filter), a dry run that answers
// the plan and appends nothing, refusals that name their field and append
// nothing, the batch applied (201) and listed, the service's schedule at
// the new price from the effective date, and cancel (the old price back).
func TestPriceIncreases(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	acme, beta := a.mustCreateClient("Acme"), a.mustCreateClient("Beta")
	svc := str(t, a.must(http.StatusCreated, "POST", "/api/clients/"+acme+"/services", map[string]any{
		"name": "Bookkeeping", "unit_price": "450", "quantity": "1", "tax_rate": "10", "automatic": true,
		"billing_rule": map[string]any{"frequency": "months", "start": "on_date", "start_date": "2025-03-20", "end": "never"},
	}), "id")
	a.must(http.StatusCreated, "POST", "/api/clients/"+beta+"/services", map[string]any{
		"name": "Payroll", "unit_price": "100", "quantity": "1", "tax_rate": "10", "automatic": true,
		"billing_rule": map[string]any{"frequency": "months", "start": "on_date", "start_date": "2025-03-20", "end": "never"},
	})
	tagged := a.must(http.StatusOK, "PUT", "/api/clients/"+acme+"/tags", map[string]any{"tags": []string{" retainer", "Payroll", "RETAINER"}})
	if got := get(t, tagged, "tags"); len(got.([]any)) != 2 || str(t, tagged, "tags", 0) != "Payroll" || str(t, tagged, "tags", 1) != "retainer" {
		t.Fatalf("tags %v, want Payroll and retainer", got)
	}
	if list := items(t, a.must(http.StatusOK, "GET", "/api/clients?tag=Retainer", nil)); len(list) != 1 || str(t, list[0], "name") != "Acme" {
		t.Fatalf("clients tagged retainer: %v", list)
	}

	body := map[string]any{"filter": map[string]any{"tag": "retainer"}, "increase": map[string]any{"kind": "percent", "value": "5"},
		"rounding": "unit", "effective_from": "2025-05-01", "notice_days": 30, "dry_run": true}
	head := a.head()
	plan := a.must(http.StatusOK, "POST", "/api/price-increases", body)
	if a.head() != head {
		t.Fatalf("the dry run appended")
	}
	// 450 + 5 % = 472.50, up to the unit: 473; +23 a month, +276 a year.
	if s, _ := get(t, plan, "services").([]any); len(s) != 1 || str(t, s[0], "new_unit_price") != "473" ||
		str(t, s[0], "monthly_change", "amount") != "23.00" || str(t, s[0], "yearly_change", "amount") != "276.00" {
		t.Fatalf("plan services %v", get(t, plan, "services"))
	}
	if str(t, plan, "notice_on") != "2025-04-01" || str(t, plan, "clients", 0, "contact_email") != "alice@client.test" {
		t.Fatalf("plan %v", plan)
	}
	for _, c := range []struct {
		field string
		edit  func(map[string]any)
	}{
		{"effective_from", func(b map[string]any) { b["effective_from"] = "2025-03-10" }},
		{"notice_days", func(b map[string]any) { b["notice_days"] = 60 }},
		{"increase.value", func(b map[string]any) { b["increase"] = map[string]any{"kind": "percent", "value": "0"} }},
		{"rounding", func(b map[string]any) { b["rounding"] = "3" }},
		{"filter", func(b map[string]any) { b["filter"] = map[string]any{"tag": "nobody"}; delete(b, "dry_run") }},
	} {
		b := map[string]any{}
		for k, v := range body {
			b[k] = v
		}
		c.edit(b)
		r := a.do("POST", "/api/price-increases", b)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"`+c.field+`"`) {
			t.Errorf("%s: %d %s, want 422 naming the field", c.field, r.Status, r.Body)
		}
	}
	if a.head() != head {
		t.Fatalf("a refused request appended")
	}

	delete(body, "dry_run")
	batch := a.must(http.StatusCreated, "POST", "/api/price-increases", body)
	id := str(t, batch, "id")
	if str(t, batch, "status") != "scheduled" || str(t, batch, "services", 0, "old_unit_price") != "450" || str(t, batch, "approved_by") == "" {
		t.Fatalf("batch %v", batch)
	}
	if list := items(t, a.must(http.StatusOK, "GET", "/api/price-increases", nil)); len(list) != 1 || str(t, list[0], "id") != id {
		t.Fatalf("list %v", list)
	}
	price := func(date string) string {
		for _, it := range items(t, a.must(http.StatusOK, "GET", "/api/services/"+svc+"/schedule?through=2025-06-30", nil)) {
			if str(t, it, "date") == date {
				return str(t, it, "unit_price", "amount")
			}
		}
		t.Fatalf("no item on %s", date)
		return ""
	}
	if p, q := price("2025-04-20"), price("2025-05-20"); p != "450.00" || q != "473.00" {
		t.Errorf("April %s and May %s, want 450.00 and 473.00", p, q)
	}
	cancelled := a.must(http.StatusOK, "POST", "/api/price-increases/"+id+"/cancel", map[string]any{"reason": "held over"})
	if str(t, cancelled, "status") != "cancelled" || str(t, cancelled, "reason") != "held over" {
		t.Fatalf("cancelled %v", cancelled)
	}
	if q := price("2025-05-20"); q != "450.00" {
		t.Errorf("May after the cancel %s, want 450.00", q)
	}
	if r := a.do("GET", "/api/price-increases/00000000-0000-4000-8000-000000000000", nil); r.Status != http.StatusNotFound {
		t.Errorf("unknown batch: %d", r.Status)
	}
}
