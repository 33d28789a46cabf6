package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestPaymentDetailsRequests: staff ask one client, then every client
// without a method on file, for payment details; archived clients and
// clients without a billing email are skipped and counted; the same batch
// again asks nobody twice; the list shows who has not answered, and a
// method added answers the request.
func TestPaymentDetailsRequests(t *testing.T) {
	a := newApp(t)
	a.mustSetUpFirm()
	acme := a.mustCreateClient("Acme")
	beta := a.mustCreateClient("Beta")
	carded := a.mustCreateClient("Carded")
	a.mustCard(carded, "tok_carded")
	gone := a.mustCreateClient("Gone")
	a.must(http.StatusOK, "POST", "/api/clients/"+gone+"/archive", map[string]any{})

	t.Run("One", func(t *testing.T) {
		r := a.must(http.StatusCreated, "POST", "/api/clients/"+acme+"/payment-details-requests", map[string]any{"note": "For the new year"},
			"Idempotency-Key", "ask-acme")
		if str(t, r, "email") != "alice@client.test" || str(t, r, "note") != "For the new year" || get(t, r, "answered") != false {
			t.Errorf("request = %v", r)
		}
		again := a.do("POST", "/api/clients/"+acme+"/payment-details-requests", map[string]any{"note": "For the new year"}, "Idempotency-Key", "ask-acme")
		if again.Status != http.StatusCreated || str(t, again.JSON(t), "id") != str(t, r, "id") {
			t.Errorf("a retry answered %d %s; want the same request", again.Status, again.Body)
		}
		sum := a.must(http.StatusOK, "GET", "/api/clients/"+acme, nil)
		if n := len(get(t, sum, "payment_details_requests").([]any)); n != 1 {
			t.Errorf("Acme has %d requests after a retried request, want 1", n)
		}
	})

	t.Run("ErrArchived", func(t *testing.T) {
		r := a.do("POST", "/api/clients/"+gone+"/payment-details-requests", map[string]any{})
		if r.Status != http.StatusConflict {
			t.Errorf("archived client: %d %s, want 409", r.Status, r.Body)
		}
	})
	t.Run("ErrCardNumberInNote", func(t *testing.T) {
		r := a.do("POST", "/api/clients/"+beta+"/payment-details-requests", map[string]any{"note": "use 4242424242424242"})
		if r.Status != http.StatusUnprocessableEntity || str(t, r.JSON(t), "errors", 0, "field") != "note" {
			t.Errorf("a card number in the note: %d %s, want 422 naming note", r.Status, r.Body)
		}
		if strings.Contains(string(a.do("GET", "/api/clients/"+beta, nil).Body), "4242424242424242") {
			t.Error("the card number was recorded")
		}
	})
	t.Run("ErrLongNote", func(t *testing.T) {
		r := a.do("POST", "/api/clients/"+beta+"/payment-details-requests", map[string]any{"note": strings.Repeat("x", 1001)})
		if r.Status != http.StatusUnprocessableEntity || str(t, r.JSON(t), "errors", 0, "field") != "note" {
			t.Errorf("long note: %d %s, want 422 naming note", r.Status, r.Body)
		}
	})
	t.Run("ErrBadFilter", func(t *testing.T) {
		if r := a.do("POST", "/api/payment-details-requests", map[string]any{"filter": "everyone"}); r.Status != http.StatusBadRequest {
			t.Errorf("unknown filter: %d %s, want 400", r.Status, r.Body)
		}
		if r := a.do("POST", "/api/payment-details-requests", map[string]any{}); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("no filter: %d %s, want 422", r.Status, r.Body)
		}
	})

	t.Run("Bulk", func(t *testing.T) {
		body := map[string]any{"filter": "no_active_method", "note": "Please add a card"}
		r := a.must(http.StatusOK, "POST", "/api/payment-details-requests", body, "Idempotency-Key", "bulk-1")
		// Acme and Beta have no method and are not archived.
		if get(t, r, "selected") != float64(2) || len(get(t, r, "requested").([]any)) != 2 || len(get(t, r, "skipped").([]any)) != 0 {
			t.Fatalf("bulk = %v; want 2 selected, 2 requested, none skipped", r)
		}
		again := a.must(http.StatusOK, "POST", "/api/payment-details-requests", body, "Idempotency-Key", "bulk-1")
		if len(get(t, again, "requested").([]any)) != 0 || len(get(t, again, "already_requested").([]any)) != 2 || str(t, again, "batch_id") != str(t, r, "batch_id") {
			t.Errorf("the same batch again = %v; want nobody asked again", again)
		}
		// A search that selects an archived client skips it, and says why.
		sk := a.must(http.StatusOK, "POST", "/api/payment-details-requests", map[string]any{"search": "gone"})
		if get(t, sk, "selected") != float64(1) || len(get(t, sk, "requested").([]any)) != 0 ||
			str(t, sk, "skipped", 0, "client_id") != gone || str(t, sk, "skipped", 0, "name") != "Gone" || str(t, sk, "skipped", 0, "reason") == "" {
			t.Errorf("bulk over an archived client = %v; want it skipped with its reason", sk)
		}
	})

	t.Run("Unanswered", func(t *testing.T) {
		l := a.must(http.StatusOK, "GET", "/api/payment-details-requests?status=unanswered", nil)
		// The test clock stands still: every request has the same time, so
		// the rows are in client-id order (the projection's test checks the
		// longest-waiting-first order).
		rows := items(t, l)
		byClient := map[string]any{}
		for _, r := range rows {
			byClient[str(t, r, "client_id")] = r
		}
		if len(rows) != 2 || byClient[acme] == nil || byClient[beta] == nil {
			t.Fatalf("unanswered = %v; want Acme and Beta", rows)
		}
		if get(t, byClient[acme], "requests") != float64(2) || str(t, byClient[acme], "note") != "Please add a card" {
			t.Errorf("Acme's row = %v; want asked twice, the latest note", byClient[acme])
		}
		f := a.must(http.StatusOK, "GET", "/api/clients?filter=request_unanswered", nil)
		if len(items(t, f)) != 2 {
			t.Errorf("request_unanswered filter = %v", items(t, f))
		}
		method := a.mustCard(acme, "tok_acme")
		l = a.must(http.StatusOK, "GET", "/api/payment-details-requests", nil)
		if rows := items(t, l); len(rows) != 1 || str(t, rows[0], "client_id") != beta {
			t.Errorf("after Acme added a card, unanswered = %v; want Beta only", rows)
		}
		l = a.must(http.StatusOK, "GET", "/api/payment-details-requests?status=answered", nil)
		if rows := items(t, l); len(rows) != 1 || str(t, rows[0], "answered_by") != method {
			t.Errorf("answered = %v; want Acme, answered by its card", rows)
		}
		if r := a.do("GET", "/api/payment-details-requests?status=maybe", nil); r.Status != http.StatusBadRequest {
			t.Errorf("unknown status: %d, want 400", r.Status)
		}
	})
}
