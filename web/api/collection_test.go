package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// mustCard puts a sandbox card on file for the client; returns its id.
func (a *app) mustCard(clientID, token string) string {
	a.tb.Helper()
	m := a.must(http.StatusCreated, "POST", "/api/clients/"+clientID+"/payment-methods", map[string]any{
		"kind": "card", "gateway": "sandbox", "gateway_token": token, "brand": "visa", "last4": "4242", "expiry_month": 12, "expiry_year": 2030,
	})
	return str(a.tb, m, "id")
}

// mustInstantBill issues an instant bill of A$1,450 + GST; returns its id.
func (a *app) mustInstantBill(clientID string) string {
	a.tb.Helper()
	inv := a.must(http.StatusCreated, "POST", "/api/invoices", map[string]any{
		"client_id": clientID, "lines": []any{map[string]any{"description": "Advice", "quantity": "1", "unit_price": "1450", "tax_rate": "10"}},
	})
	return str(a.tb, inv, "id")
}

// TestInstantBillHasItsCollectionScheduled: an instant bill to a client whose
// default method is a card is payment-scheduled from it on the firm's
// once-off collection date (immediately by default), as the API shows it.
func TestInstantBillHasItsCollectionScheduled(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	c := a.mustCreateClient("Acme")
	card := a.mustCard(c, "pm_card_visa")
	inv := a.must(http.StatusOK, "GET", "/api/invoices/"+a.mustInstantBill(c), nil)
	if str(t, inv, "stored_status") != "payment_scheduled" || str(t, inv, "collection", "payment_method_id") != card || str(t, inv, "collection", "date") != "2025-03-10" {
		t.Fatalf("instant bill: status %v, collection %v; want payment scheduled from the card today", inv["stored_status"], inv["collection"])
	}
}

// TestCancelCollection: staff cancel a scheduled collection; it is recorded
// and shown in the audit trail. Cancelling when nothing is scheduled is 409,
// and a bad body 400; neither appends anything.
func TestCancelCollection(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	c := a.mustCreateClient("Acme")
	a.mustCard(c, "pm_card_visa")
	id := a.mustInstantBill(c)
	path := "/api/invoices/" + id + "/cancel-collection"

	head := a.head()
	inv := a.must(http.StatusOK, "POST", path, map[string]any{"reason": "Client pays by transfer this month"})
	if a.head() != head+1 {
		t.Fatalf("cancel appended %d events, want 1", a.head()-head)
	}
	if str(t, inv, "stored_status") != "awaiting_payment" || inv["collection"] != nil {
		t.Fatalf("after cancel: status %v, collection %v; want awaiting payment, none", inv["stored_status"], inv["collection"])
	}
	found := false
	for _, l := range get(t, inv, "audit").([]any) {
		text := str(t, l, "text")
		found = found || (strings.Contains(text, "payment collection of 10 Mar 2025") && strings.Contains(text, "cancelled: Client pays by transfer this month"))
	}
	if !found {
		t.Errorf("the audit trail does not show the cancellation: %v", inv["audit"])
	}

	refused := func(name string, want int, path string, body any) {
		t.Helper()
		head := a.head()
		r := a.do("POST", path, body)
		if r.Status != want || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d %s, want %d problem+json", name, r.Status, r.Body, want)
		}
		if a.head() != head {
			t.Errorf("%s appended %d events", name, a.head()-head)
		}
	}
	refused("cancel again", http.StatusConflict, path, nil)
	bare := a.mustCreateClient("Bare")
	refused("cancel without a method", http.StatusConflict, "/api/invoices/"+a.mustInstantBill(bare)+"/cancel-collection", map[string]any{})
	refused("unknown field", http.StatusBadRequest, path, map[string]any{"reasons": "x"})
	refused("no such invoice", http.StatusNotFound, "/api/invoices/00000000-0000-4000-8000-000000000000/cancel-collection", nil)

	// Scheduled again by staff, collection goes on.
	inv = a.must(http.StatusOK, "POST", "/api/invoices/"+id+"/schedule-collection", map[string]any{"date": "2025-03-12"})
	if str(t, inv, "stored_status") != "payment_scheduled" {
		t.Fatalf("rescheduled: %v", inv["stored_status"])
	}
}

// TestRetryReplacesPendingRetry: a payment rejected and a retry pending,
// staff change the method and retry now: the pending retry is replaced (one
// collection), where it used to be refused.
func TestRetryReplacesPendingRetry(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	c := a.mustCreateClient("Brick")
	old := a.mustCard(c, "pm_card_chargeDeclined")
	id := a.mustInstantBill(c)
	base := "/api/invoices/" + id
	a.must(http.StatusOK, "POST", base+"/schedule-collection", map[string]any{"date": "2025-03-10", "payment_method_id": old})
	a.must(http.StatusCreated, "POST", base+"/attempts", map[string]any{"outcome": "rejected", "payment_method_id": old, "decline_code": "card_declined", "amount": "0"})
	a.must(http.StatusOK, "POST", base+"/retry", map[string]any{"date": "2025-03-13"}) // as the policy does

	good := a.mustCard(c, "pm_card_visa")
	head := a.head()
	inv := a.must(http.StatusOK, "POST", base+"/retry", map[string]any{"payment_method_id": good})
	if a.head() != head+1 {
		t.Fatalf("retry appended %d events, want 1", a.head()-head)
	}
	if get(t, inv, "collection", "retry") != true || str(t, inv, "collection", "date") != "2025-03-10" || str(t, inv, "collection", "payment_method_id") != good {
		t.Fatalf("collection %v; want one retry today from the new card", inv["collection"])
	}
	// The same again (a double click) adds nothing.
	head = a.head()
	a.must(http.StatusOK, "POST", base+"/retry", map[string]any{"payment_method_id": good})
	if a.head() != head {
		t.Errorf("the same retry again appended %d events", a.head()-head)
	}
	// And cancelling the retry leaves the rejection for staff.
	inv = a.must(http.StatusOK, "POST", base+"/cancel-collection", nil)
	if str(t, inv, "stored_status") != "payment_rejected" || inv["collection"] != nil {
		t.Fatalf("after cancelling the retry: %v %v", inv["stored_status"], inv["collection"])
	}
}
