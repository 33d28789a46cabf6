package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"remit/domain/user"
	"remit/web/api"
)

// parseCSVReply parses a CSV answer: its header and rows, after checking
// it is a CSV attachment.
func parseCSVReply(t *testing.T, r reply) ([]string, [][]string) {
	t.Helper()
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV answer: %d %s %s\n%s", r.Status, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"), r.Body)
	}
	recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("CSV does not parse (%v):\n%s", err, r.Body)
	}
	return recs[0], recs[1:]
}

// csvTable is a CSV answer as rows of column -> cell.
func csvTable(t *testing.T, r reply, wantHeader ...string) []map[string]string {
	t.Helper()
	header, rows := parseCSVReply(t, r)
	if strings.Join(header, ",") != strings.Join(wantHeader, ",") {
		t.Fatalf("header %v, want %v", header, wantHeader)
	}
	out := make([]map[string]string, len(rows))
	for i, row := range rows {
		out[i] = map[string]string{}
		for j, c := range header {
			out[i][c] = row[j]
		}
	}
	return out
}

// sameRows fails unless the CSV rows say what the JSON list says: for each
// CSV column in cols, the JSON value at its path (dot-separated).
func sameRows(t *testing.T, what string, list []any, rows []map[string]string, cols map[string]string) {
	t.Helper()
	if len(rows) != len(list) {
		t.Fatalf("%s: %d CSV rows, %d in JSON", what, len(rows), len(list))
	}
	for i, item := range list {
		for col, path := range cols {
			v := any(item)
			for _, k := range strings.Split(path, ".") {
				m, _ := v.(map[string]any)
				v = m[k] // a field left out (omitempty) is an empty cell
			}
			want := fmt.Sprint(v)
			if v == nil {
				want = ""
			}
			if rows[i][col] != want {
				t.Errorf("%s row %d: %s = %q, JSON %s = %q", what, i, col, rows[i][col], path, want)
			}
		}
	}
}

// TestReportsAsCSV downloads every report's tables as CSV, parses them back
// and compares each with the report's JSON, on the firm of TestReports.
func TestReportsAsCSV(t *testing.T) {
	a := reportsFirm(t)
	csvOf := func(path string, accept bool) reply {
		if accept {
			return a.do("GET", path, nil, "Accept", "text/csv")
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		return a.do("GET", path+sep+"format=csv", nil)
	}

	t.Run("RecurringRevenue", func(t *testing.T) {
		j := a.must(http.StatusOK, "GET", "/api/reports/recurring-revenue", nil)
		r := csvOf("/api/reports/recurring-revenue", true) // the first table: MRR in the firm's currency
		if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "recurring-revenue-mrr-AUD.csv") {
			t.Errorf("Content-Disposition %q, want the report and table in the file name", cd)
		}
		rows := csvTable(t, r, "month", "on", "mrr", "change")
		sameRows(t, "mrr", get(t, j, "currencies", 0, "history").([]any), rows,
			map[string]string{"month": "month", "on": "on", "mrr": "monthly.amount", "change": "change.amount"})
		if rows[11]["mrr"] != "504.38" {
			t.Errorf("June's MRR %q, want 504.38", rows[11]["mrr"])
		}
	})

	t.Run("ProjectedBillings", func(t *testing.T) {
		j := a.must(http.StatusOK, "GET", "/api/reports/projected-billings", nil)
		months := csvTable(t, csvOf("/api/reports/projected-billings?table=months-AUD", false), "month", "amount")
		sameRows(t, "months", get(t, j, "currencies", 0, "months").([]any), months, map[string]string{"month": "month", "amount": "amount.amount"})
		services := csvTable(t, csvOf("/api/reports/projected-billings?table=services-AUD", false), "service", "client", "amount")
		sameRows(t, "services", get(t, j, "currencies", 0, "by_service").([]any), services,
			map[string]string{"service": "name", "client": "client", "amount": "amount.amount"})
	})

	t.Run("Revenue", func(t *testing.T) {
		const period = "/api/reports/revenue?from=2025-01-01&to=2025-06-30"
		j := a.must(http.StatusOK, "GET", period, nil)
		services := csvTable(t, csvOf(period, false), "service", "client", "amount")
		sameRows(t, "by service", get(t, j, "currencies", 0, "by_service").([]any), services,
			map[string]string{"service": "name", "client": "client", "amount": "amount.amount"})
		clients := csvTable(t, csvOf(period+"&table=clients-AUD", false), "client", "amount")
		sameRows(t, "by client", get(t, j, "currencies", 0, "by_client").([]any), clients, map[string]string{"client": "name", "amount": "amount.amount"})
	})

	t.Run("Receivables", func(t *testing.T) {
		j := a.must(http.StatusOK, "GET", "/api/reports/receivables", nil)
		rows := csvTable(t, csvOf("/api/reports/receivables", false), "age", "invoices", "amount")
		sameRows(t, "ageing", get(t, j, "currencies", 0, "buckets").([]any), rows,
			map[string]string{"age": "age", "invoices": "invoices", "amount": "amount.amount"})
	})

	t.Run("Collections", func(t *testing.T) {
		j := a.must(http.StatusOK, "GET", "/api/reports/collections", nil)
		months := csvTable(t, csvOf("/api/reports/collections?table=months", false), "month", "attempts", "succeeded", "rejected")
		sameRows(t, "months", get(t, j, "months").([]any), months,
			map[string]string{"month": "month", "attempts": "attempts", "succeeded": "succeeded", "rejected": "rejected"})
		failures := csvTable(t, csvOf("/api/reports/collections?table=failures", false), "decline_code", "message", "count")
		sameRows(t, "failures", get(t, j, "failures").([]any), failures,
			map[string]string{"decline_code": "decline_code", "message": "message", "count": "count"})
	})

	t.Run("Proposals", func(t *testing.T) {
		j := a.must(http.StatusOK, "GET", "/api/reports/proposals", nil)
		rows := csvTable(t, csvOf("/api/reports/proposals", true), "month", "sent", "accepted", "declined", "conversion_percent")
		sameRows(t, "months", get(t, j, "months").([]any), rows,
			map[string]string{"month": "month", "sent": "sent", "accepted": "accepted", "declined": "declined", "conversion_percent": "conversion_percent"})
	})

	t.Run("DSO", func(t *testing.T) {
		j := a.must(http.StatusOK, "GET", "/api/reports/dso", nil)
		rows := csvTable(t, csvOf("/api/reports/dso", false), "currency", "receivable", "invoiced_last_90_days", "dso_days")
		sameRows(t, "dso", get(t, j, "currencies").([]any), rows,
			map[string]string{"currency": "currency", "receivable": "receivable.amount", "invoiced_last_90_days": "invoiced.amount", "dso_days": "dso_days"})
	})

	t.Run("BadTable", func(t *testing.T) {
		for _, q := range []string{"?format=csv&table=nope", "?format=xml"} {
			r := a.do("GET", "/api/reports/collections"+q, nil)
			if r.Status != http.StatusBadRequest || (!strings.Contains(string(r.Body), `"table"`) && !strings.Contains(string(r.Body), `"format"`)) ||
				(strings.Contains(q, "table") && !strings.Contains(string(r.Body), "months, failures")) {
				t.Errorf("%s: %d %s, want 400 naming the field (and the tables)", q, r.Status, r.Body)
			}
		}
	})
}

// TestListsAsCSV downloads the services library, a client's contacts and
// the API tokens as CSV, and compares each with its JSON list.
func TestListsAsCSV(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	a.must(http.StatusCreated, "POST", "/api/library-services", libraryBody("Monthly bookkeeping", "450"))
	a.must(http.StatusCreated, "POST", "/api/library-services", libraryBody("=HYPERLINK(\"x\")", "99.5"))
	lib := a.must(http.StatusOK, "GET", "/api/library-services", nil)
	rows := csvTable(t, a.do("GET", "/api/library-services?format=csv", nil), "id", "name", "description", "unit_price", "quantity", "unit",
		"frequency", "interval", "automatic", "tax_rate", "revenue_account", "archived", "added_at", "changed_at")
	sameRows(t, "library", items(t, lib), rows, map[string]string{"id": "id", "description": "description", "unit_price": "unit_price",
		"frequency": "billing_rule.frequency", "automatic": "automatic", "tax_rate": "tax_rate", "added_at": "added_at"})
	if rows[0]["name"] != `'=HYPERLINK("x")` || rows[1]["name"] != "Monthly bookkeeping" {
		t.Errorf("names %q, %q: want the formula guarded with '", rows[0]["name"], rows[1]["name"])
	}

	acme := a.mustCreateClient("Acme")
	a.must(http.StatusCreated, "POST", "/api/clients/"+acme+"/contacts", map[string]any{"name": "Bea Acme", "email": "bea@acme.test", "role": "Accounts"})
	contacts := a.must(http.StatusOK, "GET", "/api/clients/"+acme+"/contacts", nil)
	crows := csvTable(t, a.do("GET", "/api/clients/"+acme+"/contacts", nil, "Accept", "text/csv"), "id", "name", "email", "phone", "role", "primary")
	sameRows(t, "contacts", items(t, contacts), crows, map[string]string{"id": "id", "name": "name", "email": "email", "role": "role", "primary": "primary"})

}

// TestAPITokensAsCSV lists the signed-in user's API tokens as CSV: the same
// rows as the JSON list, never a token's secret.
func TestAPITokensAsCSV(t *testing.T) {
	s := newSecured(t)
	staff := s.login(user.RoleStaff)
	created := s.send(staff, http.MethodPost, "/api/tokens", `{"name":"reconcile","scope":"read"}`)
	var nt api.NewTokenView
	if err := json.Unmarshal(created.body, &nt); err != nil || created.status != http.StatusCreated {
		t.Fatalf("create token: %d %s", created.status, created.body)
	}
	var tokens map[string]any
	if err := json.Unmarshal(s.send(staff, http.MethodGet, "/api/tokens", "").body, &tokens); err != nil {
		t.Fatal(err)
	}
	r := s.send(staff, http.MethodGet, "/api/tokens?format=csv", "")
	trows := csvTable(t, reply{Status: r.status, Header: r.header, Body: r.body}, "id", "name", "scope", "created_at", "expires_at", "revoked")
	sameRows(t, "tokens", items(t, tokens), trows, map[string]string{"id": "id", "name": "name", "scope": "scope", "created_at": "created_at", "revoked": "revoked"})
	if len(trows) != 1 || bytes.Contains(r.body, []byte(nt.Token[len(nt.Token)-20:])) {
		t.Errorf("tokens CSV %v: want the token listed, never its secret", trows)
	}
}
