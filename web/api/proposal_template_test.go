package api_test

import (
	"net/http"
	"slices"
	"testing"
)

// TestProposalTemplates creates a template with packages and add-ons,
// refuses bad ones naming their fields, edits and lists it, previews then
// drafts a proposal from it for three clients (sent again, nothing twice),
// and archives it.
func TestProposalTemplates(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	line := func(name, price string) map[string]any {
		return map[string]any{"name": name, "unit_price": price, "quantity": "1", "tax_rate": "10", "automatic": true,
			"billing_rule": map[string]any{"frequency": "months", "start": "on_acceptance", "end": "never"}}
	}
	body := map[string]any{
		"name": "Monthly bookkeeping & compliance", "title": "Bookkeeping 2026",
		"letter": "Dear {{client_name}},\n\n{{firm_name}} will keep your books.",
		"lines":  []any{line("Compliance", "100")},
		"packages": []any{
			map[string]any{"name": "Bronze", "lines": []any{line("Bronze books", "200")}},
			map[string]any{"name": "Silver", "lines": []any{line("Silver books", "400")}},
			map[string]any{"name": "Gold", "lines": []any{line("Gold books", "800")}},
		},
		"add_ons":     []any{line("Payroll", "50")},
		"expiry_days": 14,
	}

	head := a.head()
	bad := map[string]any{"name": "", "title": "T", "letter": "Hi {{nickname}}", "expiry_days": 999,
		"packages": []any{map[string]any{"name": "One", "lines": []any{line("x", "-1")}}, map[string]any{"name": "Two", "lines": []any{line("y", "1")}}}}
	r := a.do("POST", "/api/proposal-templates", bad)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad template: %d %s", r.Status, r.Body)
	}
	got := fieldsOf(t, r.JSON(t))
	for _, want := range []string{"name", "letter", "expiry_days", "packages[0].lines[0].unit_price"} {
		if !slices.Contains(got, want) {
			t.Errorf("bad template: fields %v lack %s", got, want)
		}
	}
	if a.head() != head {
		t.Fatal("a refused template appended")
	}

	tpl := a.must(http.StatusCreated, "POST", "/api/proposal-templates", body)
	url := "/api/proposal-templates/" + str(t, tpl, "id")
	if str(t, tpl, "packages", 2, "name") != "Gold" || str(t, tpl, "add_ons", 0, "name") != "Payroll" {
		t.Fatalf("template = %v", tpl)
	}
	body["expiry_days"] = 21
	if got := a.must(http.StatusOK, "PUT", url, body); get(t, got, "expiry_days") != float64(21) {
		t.Errorf("edited expiry_days = %v", get(t, got, "expiry_days"))
	}
	list := a.must(http.StatusOK, "GET", "/api/proposal-templates", nil)
	if n := len(items(t, list)); n != 1 || str(t, list, "items", 0, "name") != "Monthly bookkeeping & compliance" {
		t.Fatalf("list = %v", list)
	}

	c1, c2, c3 := a.mustCreateClient("Acme"), a.mustCreateClient("Birch"), a.mustCreateClient("Cedar")
	clients := []any{c1, c2, c3}
	head = a.head()
	r = a.do("POST", url+"/proposals", map[string]any{"client_ids": []any{}, "dry_run": true})
	if r.Status != http.StatusUnprocessableEntity || !slices.Contains(fieldsOf(t, r.JSON(t)), "filter") {
		t.Errorf("no clients: %d %s", r.Status, r.Body)
	}
	preview := a.must(http.StatusOK, "POST", url+"/proposals", map[string]any{"client_ids": clients, "dry_run": true, "batch_id": "ba000000-0000-4000-8000-000000000001"})
	rows := items(t, preview)
	if len(rows) != 3 || str(t, preview, "items", 1, "client_name") != "Birch" || str(t, preview, "items", 0, "status") != "preview" {
		t.Fatalf("preview = %v", preview)
	}
	if got := str(t, preview, "items", 0, "totals", 1); got != "Silver: $550.00 a month" && got != "Silver: A$550.00 a month" {
		t.Errorf("Silver's total = %q, want (100 + 400 + 10%% tax) $550.00 a month", got)
	}
	if a.head() != head {
		t.Fatal("a dry run appended")
	}

	batch := map[string]any{"client_ids": clients, "batch_id": "ba000000-0000-4000-8000-000000000001"}
	made := a.must(http.StatusOK, "POST", url+"/proposals", batch)
	for i := range 3 {
		if s := str(t, made, "items", i, "status"); s != "created" {
			t.Errorf("client %d: %s", i, s)
		}
	}
	pid := str(t, made, "items", 2, "proposal_id")
	if pid != str(t, preview, "items", 2, "proposal_id") {
		t.Error("the preview named another proposal than the one drafted")
	}
	prop := a.must(http.StatusOK, "GET", "/api/proposals/"+pid, nil)
	if str(t, prop, "client_id") != c3 || str(t, prop, "template_id") != str(t, tpl, "id") || str(t, prop, "packages", 1, "name") != "Silver" || str(t, prop, "status") != "draft" {
		t.Errorf("drafted proposal = %v", prop)
	}
	if str(t, prop, "open_until") == "" {
		t.Error("the template's 21 days set no expiry date")
	}
	head = a.head()
	again := a.must(http.StatusOK, "POST", url+"/proposals", batch)
	if s := str(t, again, "items", 0, "status"); s != "existed" || a.head() != head {
		t.Errorf("the batch again: %s, appended %v", s, a.head() != head)
	}

	a.must(http.StatusOK, "POST", url+"/archive", nil)
	if list := a.must(http.StatusOK, "GET", "/api/proposal-templates", nil); len(items(t, list)) != 0 {
		t.Errorf("an archived template is still listed: %v", list)
	}
	if r := a.do("PUT", url, body); r.Status != http.StatusConflict {
		t.Errorf("editing an archived template: %d", r.Status)
	}
	if r := a.do("POST", url+"/proposals", batch); r.Status != http.StatusConflict {
		t.Errorf("drafting from an archived template: %d", r.Status)
	}
}
