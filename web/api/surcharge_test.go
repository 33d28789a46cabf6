package api_test

import (
	"net/http"
	"testing"
)

// TestFirmSurchargesSetting: the firm's JSON carries its surcharges (none
// by default); PATCH sets a card surcharge; more than 5 % is refused with
// 422 naming surcharges.card, appending nothing.
func TestFirmSurchargesSetting(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	if got := str(t, a.must(http.StatusOK, "GET", "/api/firm", nil), "surcharges", "card"); got != "0" {
		t.Fatalf("surcharges.card = %q, want 0", got)
	}
	f := a.must(http.StatusOK, "PATCH", "/api/firm", map[string]any{"surcharges": map[string]any{"card": "1.5"}})
	if got, bank := str(t, f, "surcharges", "card"), str(t, f, "surcharges", "bank_debit"); got != "1.5" || bank != "0" {
		t.Fatalf("after PATCH: card %q, bank debit %q; want 1.5 and 0", got, bank)
	}
	head := a.head()
	r := a.do("PATCH", "/api/firm", map[string]any{"surcharges": map[string]any{"card": "7"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("7 %%: %d %s, want 422", r.Status, r.Body)
	}
	found := false
	errs, _ := r.JSON(t)["errors"].([]any)
	for _, e := range errs {
		found = found || str(t, e, "field") == "surcharges.card"
	}
	if !found || a.head() != head {
		t.Fatalf("7 %%: %s (appended %d events); want a problem naming surcharges.card and nothing appended", r.Body, a.head()-head)
	}
}
