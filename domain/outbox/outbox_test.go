package outbox_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain"
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
	for _, tc := range []struct {
		name  string
		given []domain.Event
		when  outbox.Command
		then  []domain.Event
		code  string
	}{
		{"Queue/OK", nil, outbox.Queue{Email: q}, []domain.Event{q}, ""},
		{"Queue/AlreadyQueued", []domain.Event{q}, outbox.Queue{Email: q}, nil, ""},
		{"Queue/ErrNoRecipient", nil, outbox.Queue{Email: outbox.EmailQueued{EmailID: q.EmailID, Subject: "x"}}, nil, domain.EINVALID},
		{"RecordSent/OK", []domain.Event{q}, outbox.RecordSent{EmailID: q.EmailID, Transport: "smtp", Attempts: 1, Now: now}, []domain.Event{sent}, ""},
		{"RecordSent/AlreadySent", []domain.Event{q, sent}, outbox.RecordSent{EmailID: q.EmailID, Now: now}, nil, ""},
		{"RecordSent/ErrNotQueued", nil, outbox.RecordSent{EmailID: uuid.New(), Now: now}, nil, domain.ENOTFOUND},
		{"RecordFailed/OK", []domain.Event{q}, outbox.RecordFailed{EmailID: q.EmailID, Reason: "550 no such user", Attempts: 1, Now: now},
			[]domain.Event{outbox.EmailFailed{EmailID: q.EmailID, Reason: "550 no such user", Attempts: 1, At: now}}, ""},
		{"RecordFailed/AfterSent", []domain.Event{q, sent}, outbox.RecordFailed{EmailID: q.EmailID, Now: now}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := outbox.Decide(outbox.Fold(tc.given), tc.when)
			if tc.code != "" {
				if domain.ErrorCode(err) != tc.code {
					t.Fatalf("err = %v, want code %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.then) {
				t.Fatalf("events = %#v, want %#v", got, tc.then)
			}
			for i := range got {
				if got[i] != tc.then[i] {
					t.Errorf("event %d = %#v, want %#v", i, got[i], tc.then[i])
				}
			}
		})
	}
}

func TestEvolve(t *testing.T) {
	q := queued()
	s := outbox.Fold([]domain.Event{q, outbox.EmailFailed{EmailID: q.EmailID, Reason: "refused", Attempts: 3, At: now}})
	if s.Status != outbox.StatusFailed || s.Reason != "refused" || s.Attempts != 3 || s.Email.To != q.To {
		t.Errorf("state = %+v", s)
	}
}
