package gateways_test

import (
	"fmt"
	"net/http"
	"testing"

	stripego "github.com/stripe/stripe-go/v82"
)

// disputeEvent is a Stripe charge.dispute.* event about pi_1.
func disputeEvent(evtID, typ, status, bts string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":%q,"type":%q,"data":{"object":{"id":"dp_1","object":"dispute","amount":11000,"currency":"aud","charge":"ch_1","payment_intent":"pi_1","reason":"fraudulent","status":%q,"created":1700000000,"balance_transactions":[%s]}}}`,
		evtID, stripego.APIVersion, typ, status, bts)
}

// TestWebhookRecordsDisputes: signed charge.dispute.created, .updated and
// .closed deliveries about a payment Remit collected mark the invoice's
// payment disputed (once, however often they come) and record the lost
// outcome with Stripe's fee; a dispute of a payment Remit did not collect
// is acknowledged and records nothing.
func TestWebhookRecordsDisputes(t *testing.T) {
	f := newFixture(t)
	h := webhookOf(t, f)
	inv := f.MustInvoiceDue()
	paid := event("evt_1", "payment_intent.succeeded", inv, succeededPI)
	if code := post(h, paid, sign(paid, secret)); code != http.StatusOK {
		t.Fatalf("payment: %d", code)
	}
	for _, p := range [][]byte{
		disputeEvent("evt_2", "charge.dispute.created", "needs_response", ""),
		disputeEvent("evt_2", "charge.dispute.created", "needs_response", ""), // delivered twice
		disputeEvent("evt_3", "charge.dispute.updated", "under_review", ""),
	} {
		if code := post(h, p, sign(p, secret)); code != http.StatusOK {
			t.Fatalf("dispute: %d", code)
		}
	}
	want := "[InvoiceIssued InvoiceCollectionScheduled InvoicePaymentSucceeded InvoicePaymentDisputed]"
	if got := fmt.Sprint(f.events(inv)); got != want {
		t.Fatalf("invoice events %s, want %s", got, want)
	}
	closed := disputeEvent("evt_4", "charge.dispute.closed", "lost", `{"id":"txn_1","object":"balance_transaction","amount":-11000,"fee":1500,"currency":"aud"}`)
	for range 2 {
		if code := post(h, closed, sign(closed, secret)); code != http.StatusOK {
			t.Fatalf("closed: %d", code)
		}
	}
	want = "[InvoiceIssued InvoiceCollectionScheduled InvoicePaymentSucceeded InvoicePaymentDisputed InvoiceDisputeClosed]"
	if got := fmt.Sprint(f.events(inv)); got != want {
		t.Fatalf("invoice events %s, want %s", got, want)
	}
	before := f.head()
	other := []byte(`{"id":"evt_9","object":"event","api_version":"` + stripego.APIVersion + `","type":"charge.dispute.created","data":{"object":{"id":"dp_9","object":"dispute","amount":500,"currency":"aud","payment_intent":"pi_unknown","reason":"general","status":"needs_response"}}}`)
	if code := post(h, other, sign(other, secret)); code != http.StatusOK || f.head() != before {
		t.Fatalf("a dispute of a payment Remit did not collect: %d, appended %d", code, f.head()-before)
	}
}
