package emailer_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"remit/billing"
	"remit/processes/emailer"
)

// TestAPaymentDetailsRequestEmailsTheSignedLink: a request for payment
// details emails the primary billing contact the client's signed link to
// add a method, with staff's note; a replay or a retried bulk request
// sends nothing again, and a new request emails again.
func TestAPaymentDetailsRequestEmailsTheSignedLink(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ob := f.outbox(nil)
	batch := uuid.New()
	bulk := billing.BulkPaymentDetailsRequest{BatchID: batch, ClientIDs: []uuid.UUID{f.clientID}, Note: "Our bank details changed."}
	res, err := f.svc.RequestPaymentDetailsBulk(ctx, bulk, f.meta())
	if err != nil || len(res.Requested) != 1 {
		t.Fatalf("bulk request: %+v, %v", res, err)
	}
	f.catchUp(ob)
	m := f.only("Ledger & Co asks for your payment details")
	if len(m.To) != 1 || m.To[0].Address != "ana@harbour.example" {
		t.Errorf("sent to %+v, want Ana, the primary billing contact", m.To)
	}
	link := f.links(emailer.LinkUpdateMethod, f.clientID, uuid.Nil)
	contains(t, "request email", m.Text, "Hello Ana Lima", "Our bank details changed.", link)
	contains(t, "request email HTML", m.HTML, `href="`+link+`"`)

	// The same batch again asks nobody again; a replayed log sends nothing.
	res, err = f.svc.RequestPaymentDetailsBulk(ctx, bulk, f.meta())
	if err != nil || len(res.Requested) != 0 || len(res.AlreadyRequested) != 1 {
		t.Fatalf("the same batch again: %+v, %v; want it already requested", res, err)
	}
	f.catchUp(ob)
	f.catchUp(f.outbox(nil))
	if n := f.onceEach(); n != 1 {
		t.Fatalf("%d emails after a retry and a replay, want 1", n)
	}

	// A new request (a reminder) emails again.
	f.ok(f.svc.RequestPaymentDetails(ctx, billing.PaymentDetailsRequest{ClientID: f.clientID}, f.meta()))
	f.catchUp(ob)
	if n := f.onceEach(); n != 2 {
		t.Fatalf("%d emails after a reminder, want 2", n)
	}
}
