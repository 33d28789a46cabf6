package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// TestFirmProposalSettings: the firm's JSON carries its proposal settings
// (reminders on days 3, 7 and 14, no default expiry, staff not told, by
// default); PATCH changes them; bad reminder days, expiry or staff address
// are refused with 422 naming each field, appending nothing.
func TestFirmProposalSettings(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	days := func(v any) string {
		return fmt.Sprint(v.(map[string]any)["proposals"].(map[string]any)["reminder_days"])
	}
	f := a.must(http.StatusOK, "GET", "/api/firm", nil)
	if got := days(f); got != "[3 7 14]" {
		t.Fatalf("default reminder days %s, want [3 7 14]", got)
	}
	f = a.must(http.StatusOK, "PATCH", "/api/firm", map[string]any{"proposals": map[string]any{
		"reminder_days": []int{2, 5}, "expiry_days": 30, "notify_staff": true, "staff_email": "partners@ledger.example",
	}})
	if got, mail := days(f), str(t, f, "proposals", "staff_email"); got != "[2 5]" || mail != "partners@ledger.example" {
		t.Fatalf("after PATCH: reminder days %s, staff email %q", got, mail)
	}
	head := a.head()
	r := a.do("PATCH", "/api/firm", map[string]any{"proposals": map[string]any{
		"reminder_days": []int{7, 3}, "expiry_days": 400, "staff_email": "nobody",
	}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad settings: %d %s, want 422", r.Status, r.Body)
	}
	var fields []string
	errs, _ := r.JSON(t)["errors"].([]any)
	for _, e := range errs {
		fields = append(fields, str(t, e, "field"))
	}
	slices.Sort(fields)
	if want := []string{"proposals.expiry_days", "proposals.reminder_days", "proposals.staff_email"}; !slices.Equal(fields, want) || a.head() != head {
		t.Fatalf("bad settings: fields %v (appended %d events); want %v and nothing appended", fields, a.head()-head, want)
	}
}
