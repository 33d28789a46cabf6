package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// TestDunningPolicy: GET /api/firm/dunning-policy answers the defaults
// (retries 3, 5, 7, the client emailed each rejection, services left as
// they are); PUT replaces the policy whole, and its retry days are the
// firm's retry_after_days; a bad policy is refused with 422 naming each
// field and appends nothing. An invoice's reminders pause and resume by
// POST, shown in its reminders_paused; pausing a paid invoice is a 409.
func TestDunningPolicy(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	p := a.must(http.StatusOK, "GET", "/api/firm/dunning-policy", nil)
	if got := fmt.Sprintf("%v %v %v", field(t, p, "retry_after_days"), field(t, p, "email_client_on_rejection"), field(t, p, "final_action")); got != "[3 5 7] true leave" {
		t.Fatalf("default policy: %s", got)
	}
	policy := map[string]any{
		"retry_after_days": []int{2, 4}, "email_client_on_rejection": true, "email_client_final_notice": true,
		"notify_staff_on_failure": true, "staff_emails": []string{"ar@ledger.example"}, "final_action": "switch_to_manual",
		"write_off_after_days": 30, "remind_before_due": []int{3}, "remind_on_due": true, "remind_after_due": []int{14, 7}, "daily_digest": true,
	}
	p = a.must(http.StatusOK, "PUT", "/api/firm/dunning-policy", policy)
	if got := fmt.Sprintf("%v %v %v", field(t, p, "remind_after_due"), field(t, p, "final_action"), field(t, p, "write_off_after_days")); got != "[7 14] switch_to_manual 30" {
		t.Errorf("after PUT: %s", got)
	}
	if got := field(t, a.must(http.StatusOK, "GET", "/api/firm/dunning-policy", nil), "daily_digest"); got != true {
		t.Errorf("daily_digest after PUT: %v, want true", got)
	}
	if got := fmt.Sprint(field(t, a.must(http.StatusOK, "GET", "/api/firm", nil), "retry_after_days")); got != "[2 4]" {
		t.Errorf("the firm's retry days after PUT: %s, want [2 4]", got)
	}
	head := a.head()
	r := a.do("PUT", "/api/firm/dunning-policy", map[string]any{
		"retry_after_days": []int{5, 3}, "final_action": "sue", "write_off_after_days": 400, "staff_emails": []string{"nobody"}, "remind_after_due": []int{0},
	})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad policy: %d %s, want 422", r.Status, r.Body)
	}
	var fields []string
	errs, _ := r.JSON(t)["errors"].([]any)
	for _, e := range errs {
		fields = append(fields, str(t, e, "field"))
	}
	slices.Sort(fields)
	if want := []string{"final_action", "remind_after_due", "retry_after_days", "staff_emails", "write_off_after_days"}; !slices.Equal(fields, want) || a.head() != head {
		t.Fatalf("bad policy: fields %v (appended %d events); want %v and nothing appended", fields, a.head()-head, want)
	}

	clientID := a.mustCreateClient("Harbour Cafe")
	inv := a.must(http.StatusCreated, "POST", "/api/invoices", map[string]any{"client_id": clientID, "lines": []any{map[string]any{"description": "Advice", "quantity": "1", "unit_price": "500", "tax_rate": "10"}}})
	id := str(t, inv, "id")
	inv = a.must(http.StatusOK, "POST", "/api/invoices/"+id+"/reminders/pause", map[string]any{"reason": "Client promised to pay Friday"})
	if field(t, inv, "reminders_paused") != true {
		t.Errorf("after pause: reminders_paused %v", field(t, inv, "reminders_paused"))
	}
	inv = a.must(http.StatusOK, "POST", "/api/invoices/"+id+"/reminders/resume", nil)
	if field(t, inv, "reminders_paused") != false {
		t.Errorf("after resume: reminders_paused %v", field(t, inv, "reminders_paused"))
	}
	a.must(http.StatusOK, "POST", "/api/invoices/"+id+"/write-off", map[string]any{"reason": "Client wound up"})
	if r := a.do("POST", "/api/invoices/"+id+"/reminders/pause", nil); r.Status != http.StatusConflict {
		t.Errorf("pausing a written-off invoice: %d %s, want 409", r.Status, r.Body)
	}
}

func field(t *testing.T, v any, name string) any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not an object: %v", v)
	}
	return m[name]
}
