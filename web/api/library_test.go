package api_test

import (
	"net/http"
	"strings"
	"testing"
)

func libraryBody(name, price string) map[string]any {
	return map[string]any{
		"name": name, "description": "Bank reconciliation and monthly reports", "unit_price": price, "quantity": "1", "unit": "month",
		"billing_rule": map[string]any{"frequency": "months", "start": "on_acceptance", "end": "never"},
		"automatic":    true, "tax_rate": "10", "revenue_account": "4000", "terms": "We reconcile your accounts **monthly**.\n\nStatements by the 5th.",
	}
}

// TestLibraryServices walks the services library through the API: add,
// read, list and search, replace, archive (the name is then free), restore
// refused while the name is taken; every refusal names its field and
// appends nothing.
func TestLibraryServices(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()

	book := a.must(http.StatusCreated, "POST", "/api/library-services", libraryBody("Monthly bookkeeping", "450"))
	id := str(t, book, "id")
	if str(t, book, "unit_price") != "450" || str(t, book, "revenue_account") != "4000" || !strings.Contains(str(t, book, "terms"), "\n\nStatements") ||
		str(t, book, "billing_rule", "frequency") != "months" || book["automatic"] != true {
		t.Fatalf("added: %v", book)
	}
	a.must(http.StatusCreated, "POST", "/api/library-services", map[string]any{
		"name": "Tax return", "unit_price": "650", "unit": "return", "tax_rate": "10",
		"billing_rule": map[string]any{"frequency": "once", "start": "on_acceptance"},
	})

	got := a.do("GET", "/api/library-services/"+id, nil)
	if got.Status != http.StatusOK || got.Header.Get("ETag") == "" {
		t.Fatalf("GET: %d %s", got.Status, got.Body)
	}
	list := a.must(http.StatusOK, "GET", "/api/library-services", nil)
	if n := len(items(t, list)); n != 2 || str(t, list, "items", 0, "name") != "Monthly bookkeeping" {
		t.Fatalf("list: %v", list)
	}
	found := a.must(http.StatusOK, "GET", "/api/library-services?search=RETURN", nil)
	if n := len(items(t, found)); n != 1 || str(t, found, "items", 0, "name") != "Tax return" {
		t.Fatalf("search: %v", found)
	}

	changed := libraryBody("Monthly bookkeeping", "495")
	put := a.do("PUT", "/api/library-services/"+id, changed, "If-Match", got.Header.Get("ETag"))
	if put.Status != http.StatusOK || str(t, put.JSON(t), "unit_price") != "495" {
		t.Fatalf("PUT: %d %s", put.Status, put.Body)
	}
	if r := a.do("PUT", "/api/library-services/"+id, libraryBody("Monthly bookkeeping", "500"), "If-Match", got.Header.Get("ETag")); r.Status != http.StatusPreconditionFailed {
		t.Fatalf("PUT with a stale ETag: %d %s", r.Status, r.Body)
	}

	for _, c := range []struct {
		name, method, path string
		body               any
		status             int
		field              string
	}{
		{"NameRequired", "POST", "/api/library-services", libraryBody(" ", "10"), 422, "name"},
		{"DuplicateName", "POST", "/api/library-services", libraryBody("monthly BOOKKEEPING", "10"), 422, "name"},
		{"NegativePrice", "POST", "/api/library-services", libraryBody("Payroll", "-1"), 422, "unit_price"},
		{"BadRule", "POST", "/api/library-services", func() map[string]any {
			b := libraryBody("Payroll", "25")
			b["billing_rule"] = map[string]any{"frequency": "fortnightly", "start": "on_acceptance"}
			return b
		}(), 422, "billing_rule.frequency"},
		{"MissingPrice", "POST", "/api/library-services", map[string]any{"name": "Payroll", "billing_rule": map[string]any{"frequency": "once", "start": "on_acceptance"}}, 400, "unit_price"},
		{"RenameToTaken", "PUT", "/api/library-services/" + id, libraryBody("Tax return", "495"), 422, "name"},
		{"BadStatus", "GET", "/api/library-services?status=gone", nil, 400, "status"},
		{"Unknown", "PUT", "/api/library-services/0f6c1f8e-7a2b-4c3d-9e4f-5a6b7c8d9e09", libraryBody("Payroll", "25"), 404, "-"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := a.head()
			r := a.do(c.method, c.path, c.body)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d\n%s", r.Status, c.status, r.Body)
			}
			if c.field != "-" && !strings.Contains(string(r.Body), `"field":"`+c.field+`"`) {
				t.Fatalf("no error for field %q: %s", c.field, r.Body)
			}
			if after := a.head(); after != before {
				t.Fatalf("head moved from %d to %d on a refused request", before, after)
			}
		})
	}

	arch := a.must(http.StatusOK, "POST", "/api/library-services/"+id+"/archive", nil)
	if arch["archived"] != true {
		t.Fatalf("archived: %v", arch)
	}
	if n := len(items(t, a.must(http.StatusOK, "GET", "/api/library-services", nil))); n != 1 {
		t.Fatalf("active services after archiving: %d, want 1", n)
	}
	if n := len(items(t, a.must(http.StatusOK, "GET", "/api/library-services?status=archived", nil))); n != 1 {
		t.Fatalf("archived services: %d, want 1", n)
	}
	if r := a.do("PUT", "/api/library-services/"+id, libraryBody("Monthly bookkeeping", "500")); r.Status != http.StatusConflict {
		t.Fatalf("changing an archived service: %d %s", r.Status, r.Body)
	}
	// The archived service's name is free again; restoring the old one is
	// then refused, naming the field.
	a.must(http.StatusCreated, "POST", "/api/library-services", libraryBody("Monthly Bookkeeping", "520"))
	if r := a.do("POST", "/api/library-services/"+id+"/restore", nil); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"field":"name"`) {
		t.Fatalf("restoring while the name is taken: %d %s", r.Status, r.Body)
	}
}
