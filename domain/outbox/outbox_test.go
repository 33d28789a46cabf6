package outbox_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/decidertest"
	"remit/domain/outbox"
)

var now = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func queued() outbox.EmailQueued {
	id := outbox.EmailID(outbox.KindInvoiceIssued, "trigger")
	return outbox.EmailQueued{
		EmailID: id, Kind: outbox.KindInvoiceIssued, MessageID: "<" + id.String() + "@remit>",
		To: "ana@example.com", From: "accounts@firm.example", Subject: "Invoice INV-000001", At: now,
	}
}

// decider is the outbox decider, its events compared whole.
var decider = decidertest.Decider[outbox.State, outbox.Command]{Fold: outbox.Fold, Decide: outbox.Decide}

func TestEmailIDIsDeterministic(t *testing.T) {
	a := outbox.EmailID(outbox.KindPaymentReceipt, "e1")
	if a != outbox.EmailID(outbox.KindPaymentReceipt, "e1") {
		t.Error("the same trigger and kind gave two ids")
	}
	if a == outbox.EmailID(outbox.KindPaymentRejected, "e1") || a == outbox.EmailID(outbox.KindPaymentReceipt, "e2") {
		t.Error("different triggers or kinds gave the same id")
	}
	if got := outbox.StreamName(a); got != "email-"+a.String() {
		t.Errorf("StreamName = %q", got)
	}
}

func TestDecide(t *testing.T) {
	q := queued()
	sent := outbox.EmailSent{EmailID: q.EmailID, Transport: "smtp", Attempts: 1, At: now}
	decidertest.Run(t, decider, []decidertest.Case[outbox.Command]{
		{Name: "Queue/OK", When: outbox.Queue{Email: q}, Then: []domain.Event{q}},
		{Name: "Queue/AlreadyQueued", Given: []domain.Event{q}, When: outbox.Queue{Email: q}},
		{Name: "Queue/ErrNoRecipient", When: outbox.Queue{Email: outbox.EmailQueued{EmailID: q.EmailID, Subject: "x"}}, Err: decidertest.ThenErr(domain.EINVALID)},
		{Name: "RecordSent/OK", Given: []domain.Event{q}, When: outbox.RecordSent{EmailID: q.EmailID, Transport: "smtp", Attempts: 1, Now: now}, Then: []domain.Event{sent}},
		{Name: "RecordSent/AlreadySent", Given: []domain.Event{q, sent}, When: outbox.RecordSent{EmailID: q.EmailID, Now: now}},
		{Name: "RecordSent/ErrNotQueued", When: outbox.RecordSent{EmailID: uuid.New(), Now: now}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "RecordFailed/OK", Given: []domain.Event{q}, When: outbox.RecordFailed{EmailID: q.EmailID, Reason: "550 no such user", Attempts: 1, Now: now},
			Then: []domain.Event{outbox.EmailFailed{EmailID: q.EmailID, Reason: "550 no such user", Attempts: 1, At: now}}},
		{Name: "RecordFailed/AfterSent", Given: []domain.Event{q, sent}, When: outbox.RecordFailed{EmailID: q.EmailID, Now: now}},
	})
}

func TestEvolve(t *testing.T) {
	q := queued()
	s := outbox.Fold([]domain.Event{q, outbox.EmailFailed{EmailID: q.EmailID, Reason: "refused", Attempts: 3, At: now}})
	if s.Status != outbox.StatusFailed || s.Reason != "refused" || s.Attempts != 3 || s.Email.To != q.To {
		t.Errorf("state = %+v", s)
	}
}
