package api_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestRenewalsDryRunThenMake previews a renewal at +10 % (nothing written),
// refuses bad input naming the fields, then makes and sends it.
func TestRenewalsDryRunThenMake(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	clientID := a.mustCreateClient("Acme")
	prop := a.must(http.StatusCreated, "POST", "/api/proposals", map[string]any{
		"client_id": clientID, "title": "Books 2025", "start_date": "2025-04-01",
		"lines": []any{map[string]any{"name": "Bookkeeping", "unit_price": "200", "quantity": "1", "tax_rate": "10", "automatic": true,
			"billing_rule": map[string]any{"frequency": "months", "interval": 1, "anchor_day": 1, "start": "proposal_start", "end": "never"}}},
	})
	id := str(t, prop, "id")
	a.must(http.StatusOK, "POST", "/api/proposals/"+id+"/send", map[string]any{"recipient_email": "alice@acme.test"})
	a.must(http.StatusOK, "POST", "/api/proposals/"+id+"/accept", map[string]any{"accepted_by_name": "Alice", "accepted_by_email": "alice@acme.test", "signature_name": "Alice"})

	head := a.head()
	r := a.do("POST", "/api/proposals/renewals", map[string]any{"proposal_ids": []string{id}, "price": map[string]any{"kind": "double", "rounding": "pennies"}})
	if r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
		t.Fatalf("bad price change: %d %s", r.Status, r.Body)
	}
	if got := fieldsOf(t, r.JSON(t)); !slices.Contains(got, "price.kind") || !slices.Contains(got, "price.rounding") {
		t.Fatalf("bad price change names %v", got)
	}
	body := map[string]any{"proposal_ids": []string{id}, "dry_run": true, "send": true, "price": map[string]any{"kind": "percent", "percent": "10"}}
	preview := a.must(http.StatusOK, "POST", "/api/proposals/renewals", body)
	if a.head() != head {
		t.Fatal("a dry run or a refused renewal appended")
	}
	// 200 + 10 % tax = 220 a month, 2,640 a year; +10 %: 242 and 2,904.
	for path, want := range map[string]string{
		"start_date": "2026-04-01", "old_per_period.0.gross.amount": "220.00", "new_per_period.0.gross.amount": "242.00",
		"old_per_year.amount": "2640.00", "new_per_year.amount": "2904.00", "new_per_period.0.cadence": "a month",
	} {
		if got := dig(t, preview, "renewals", 0, path); got != want {
			t.Errorf("preview %s = %q, want %q", path, got, want)
		}
	}
	body["dry_run"] = false
	body["batch_id"] = str(t, preview, "batch_id")
	made := a.must(http.StatusOK, "POST", "/api/proposals/renewals", body)
	if got := dig(t, made, "renewals", 0, "status"); got != "sent" {
		t.Fatalf("renewal status %q, want sent", got)
	}
	renewal := a.must(http.StatusOK, "GET", "/api/proposals/"+dig(t, made, "renewals", 0, "renewal_id"), nil)
	if str(t, renewal, "renewal_of") != id || str(t, renewal, "lines", 0, "unit_price") != "220" {
		t.Fatalf("renewal %v", renewal)
	}
}

// dig reads the string at the path base… then the dotted path (numbers
// index arrays).
func dig(t *testing.T, v any, base ...any) string {
	t.Helper()
	last := base[len(base)-1].(string)
	path := slices.Clone(base[:len(base)-1])
	for _, p := range strings.Split(last, ".") {
		if n, err := strconv.Atoi(p); err == nil {
			path = append(path, n)
		} else {
			path = append(path, p)
		}
	}
	return str(t, v, path...)
}
