package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"remit/projections"
)

// TestLibraryAddServiceFromLibrary: the add-a-service form started from a
// library service is prefilled with its terms and revenue account (the
// rule starting today), every field editable; the service added records
// both. Bad input is shown beside its field and records nothing.
func TestLibraryAddServiceFromLibrary(t *testing.T) {
	a := newApp(t)
	client := a.mustClient("Harbour Bakery")
	form := url.Values{"name": {"Payroll"}, "unit_price": {"25"}, "quantity": {"4"}, "unit": {"employee"}, "tax_rate": {"10"},
		"revenue_account": {"4100"}, "billing_rule.frequency": {"fortnightly"}, "billing_rule.end": {"never"}, "automatic": {"on"},
		"terms": {"Pay runs from approved timesheets.\n\nSTP reported."}}
	a.mustPost("/settings/library/new", form, "Payroll added to the library.")

	before := a.head()
	bad := clone(form)
	bad.Set("name", "PAYROLL")
	bad.Set("unit_price", "-3")
	p := a.post("/settings/library/new", bad)
	if p.Status != http.StatusUnprocessableEntity || fieldError(p.Body, "name") == "" || fieldError(p.Body, "unit_price") == "" {
		t.Fatalf("refused add: %d, name %q, price %q", p.Status, fieldError(p.Body, "name"), fieldError(p.Body, "unit_price"))
	}
	if a.head() != before {
		t.Error("a refused library service was recorded")
	}

	lib, err := a.models.LibraryServices(context.Background(), projections.LibraryFilter{})
	if err != nil || len(lib) != 1 {
		t.Fatalf("library = %+v, %v", lib, err)
	}
	page := a.get("/clients/" + client.String() + "/services/new?from=" + lib[0].ServiceID.String())
	for name, want := range map[string]string{"name": "Payroll", "unit_price": "25.00", "quantity": "4", "unit": "employee",
		"revenue_account": "4100", "billing_rule.frequency": "fortnightly", "library_service_id": lib[0].ServiceID.String()} {
		if got := inputValue(page.Body, name); got != want {
			t.Errorf("%s prefilled with %q, want %q", name, got, want)
		}
	}
	if got := inputValue(page.Body, "billing_rule.start_date"); got == "" {
		t.Error("the rule of a service from the library has no first billing date")
	}

	add := url.Values{"name": {"Payroll"}, "unit_price": {"22.50"}, "quantity": {"4"}, "unit": {"employee"}, "tax_rate": {"10"},
		"revenue_account": {"4100"}, "library_service_id": {lib[0].ServiceID.String()}, "billing_rule.frequency": {"fortnightly"},
		"billing_rule.start_date": {inputValue(page.Body, "billing_rule.start_date")}, "billing_rule.end": {"never"}, "automatic": {"on"}}
	done := a.mustPost("/clients/"+client.String()+"/services/new", add, "Service Payroll added.")
	sid := idFrom(t, done.Location, "/services/")
	mustContain(t, a.get(done.Location), "Revenue account", "4100", "services library")
	sv, err := a.models.Service(context.Background(), sid, date("2025-03-10"))
	if err != nil || sv.RevenueAccount != "4100" || sv.Source.LibraryServiceID != lib[0].ServiceID || sv.UnitPrice.Amount.String() != "22.5" {
		t.Errorf("service = %+v, %v", sv, err)
	}
}
