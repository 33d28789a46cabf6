package api_test

import (
	"net/http"
	"testing"
)

// TestFirmMissedBillingsSetting: the firm settings JSON carries
// missed_billings ("catch_up" by default); PATCH changes it, and a value
// that is neither is refused with 422 naming the field, appending nothing.
func TestFirmMissedBillingsSetting(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	if got := str(t, a.must(http.StatusOK, "GET", "/api/firm", nil), "missed_billings"); got != "catch_up" {
		t.Fatalf("missed_billings = %q, want catch_up", got)
	}
	if got := str(t, a.must(http.StatusOK, "PATCH", "/api/firm", map[string]any{"missed_billings": "skip"}), "missed_billings"); got != "skip" {
		t.Fatalf("after PATCH: missed_billings = %q, want skip", got)
	}
	head := a.head()
	r := a.do("PATCH", "/api/firm", map[string]any{"missed_billings": "sometimes"})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad value: %d %s, want 422", r.Status, r.Body)
	}
	found := false
	errs, _ := r.JSON(t)["errors"].([]any)
	for _, e := range errs {
		found = found || str(t, e, "field") == "missed_billings"
	}
	if !found || a.head() != head {
		t.Fatalf("bad value: %s (appended %d events); want a problem naming missed_billings and nothing appended", r.Body, a.head()-head)
	}
}
