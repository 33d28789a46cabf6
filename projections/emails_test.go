package projections

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/domain/outbox"
	"remit/projections/rmdb"
)

func TestEmailsAbout(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		l := newClientsLog(t, db, newEmails(db, 1))
		inv, other, prop := id("invoice/1"), id("invoice/2"), id("proposal/1")
		t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
		queue := func(name string, kind outbox.Kind, at time.Time, invoiceID, proposalID uuid.UUID) uuid.UUID {
			eid := id("email/" + name)
			l.add(outbox.StreamName(eid), outbox.EmailQueued{EmailID: eid, Kind: kind, To: name + "@acme.test", ToName: name,
				Subject: "About " + name, ClientID: clientsAcme, InvoiceID: invoiceID, ProposalID: proposalID, At: at})
			return eid
		}
		issuedMail := queue("issued", outbox.KindInvoiceIssued, t0, inv, uuid.Nil)
		proposalMail := queue("proposal", outbox.KindProposal, t0, uuid.Nil, prop)
		rejected := queue("rejected", outbox.KindPaymentRejected, t0.Add(2*time.Hour), inv, uuid.Nil)
		// Queued later but dated earlier (a process catching up): listed by
		// when it was queued, ties in the order queued.
		receipt := queue("receipt", outbox.KindPaymentReceipt, t0.Add(time.Hour), inv, uuid.Nil)
		tie := queue("tie", outbox.KindInvoiceSent, t0, inv, uuid.Nil)
		queue("other", outbox.KindInvoiceIssued, t0, other, uuid.Nil)

		// A repeated EmailQueued changes nothing.
		l.add(outbox.StreamName(issuedMail), outbox.EmailQueued{EmailID: issuedMail, Kind: outbox.KindInvoiceIssued, To: "else@acme.test",
			InvoiceID: inv, At: t0.Add(5 * time.Hour)})
		l.add(outbox.StreamName(issuedMail), outbox.EmailSent{EmailID: issuedMail, Transport: "smtp", Attempts: 1, At: t0.Add(time.Minute)})
		l.add(outbox.StreamName(rejected), outbox.EmailFailed{EmailID: rejected, Reason: "550 mailbox unavailable", Attempts: 3, At: t0.Add(3 * time.Hour)})
		// Outcomes of an email never queued are ignored.
		ghost := id("email/ghost")
		l.add(outbox.StreamName(ghost), outbox.EmailSent{EmailID: ghost, Attempts: 1, At: t0})

		p := newEmails(db, 0)
		got, err := p.about(ctx, inv)
		if err != nil {
			t.Fatal(err)
		}
		var ids []uuid.UUID
		for _, v := range got {
			ids = append(ids, v.ID)
		}
		if want := []uuid.UUID{issuedMail, tie, receipt, rejected}; !slices.Equal(ids, want) {
			t.Fatalf("emails about the invoice = %v, want %v", ids, want)
		}
		want := EmailView{ID: issuedMail, Kind: outbox.KindInvoiceIssued, To: "issued@acme.test", ToName: "issued", Subject: "About issued",
			QueuedAt: t0, Status: outbox.StatusSent, DoneAt: t0.Add(time.Minute), Attempts: 1}
		if !emailViewEqual(got[0], want) {
			t.Errorf("sent email = %+v, want %+v", got[0], want)
		}
		want = EmailView{ID: rejected, Kind: outbox.KindPaymentRejected, To: "rejected@acme.test", ToName: "rejected", Subject: "About rejected",
			QueuedAt: t0.Add(2 * time.Hour), Status: outbox.StatusFailed, DoneAt: t0.Add(3 * time.Hour), Reason: "550 mailbox unavailable", Attempts: 3}
		if !emailViewEqual(got[3], want) {
			t.Errorf("failed email = %+v, want %+v", got[3], want)
		}
		if got[1].Status != outbox.StatusQueued || !got[1].DoneAt.IsZero() || got[1].Attempts != 0 {
			t.Errorf("queued email = %+v", got[1])
		}

		props, err := p.about(ctx, prop)
		if err != nil || len(props) != 1 || props[0].ID != proposalMail || props[0].Kind != outbox.KindProposal {
			t.Errorf("emails about the proposal = %+v, %v", props, err)
		}
		none, err := p.about(ctx, id("invoice/none"))
		if err != nil || none == nil || len(none) != 0 {
			t.Errorf("emails about nothing = %#v, %v; want an empty list", none, err)
		}
		if none, err := p.about(ctx, uuid.Nil); err != nil || none == nil || len(none) != 0 {
			t.Errorf("emails about uuid.Nil = %#v, %v; want an empty list", none, err)
		}
	})
}

// An email about both an invoice and a proposal is listed under each.
func TestEmailsAboutBoth(t *testing.T) {
	eachDB(t, func(t *testing.T, db *rmdb.DB) {
		ctx := context.Background()
		l := newClientsLog(t, db, newEmails(db, 1))
		inv, prop, eid := id("invoice/1"), id("proposal/1"), id("email/both")
		l.add(outbox.StreamName(eid), outbox.EmailQueued{EmailID: eid, Kind: outbox.KindInvoiceIssued, To: "a@acme.test",
			InvoiceID: inv, ProposalID: prop, At: time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)})
		p := newEmails(db, 0)
		for _, about := range []uuid.UUID{inv, prop} {
			if got, err := p.about(ctx, about); err != nil || len(got) != 1 || got[0].ID != eid {
				t.Errorf("about %s = %+v, %v", about, got, err)
			}
		}
	})
}

// emailViewEqual compares views with times compared as instants (they come
// back from JSON).
func emailViewEqual(a, b EmailView) bool {
	return a.ID == b.ID && a.Kind == b.Kind && a.To == b.To && a.ToName == b.ToName && a.Subject == b.Subject &&
		a.QueuedAt.Equal(b.QueuedAt) && a.Status == b.Status && a.DoneAt.Equal(b.DoneAt) && a.Reason == b.Reason && a.Attempts == b.Attempts
}
