package billing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/domain/proposal"
	"remit/domain/service"
	"remit/eventstore"
)

// types returns the event types of one stream.
func (f *fixture) types(stream string) []string {
	f.tb.Helper()
	recs, err := f.store.ReadStream(context.Background(), stream, 0, eventstore.Forward, 0)
	if err != nil {
		f.tb.Fatal(err)
	}
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Type
	}
	return out
}

func (f *fixture) last(stream string) string {
	f.tb.Helper()
	t := f.types(stream)
	if len(t) == 0 {
		return ""
	}
	return t[len(t)-1]
}

func TestClientUseCases(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	c := f.mustCreateClient("Acme")
	stream := client.StreamName(c)

	t.Run("CreateErrUnknownCurrency", func(t *testing.T) {
		f := f.in(t)
		head := f.head()
		_, err := f.svc.CreateClient(ctx, billing.ClientRequest{Name: "X", Kind: client.KindBusiness, Currency: "XXQ",
			Contacts: []client.Contact{{Name: "A", Email: "a@x.test"}}}, meta("bad-currency"))
		f.refused(err, domain.EINVALID, head)
	})
	t.Run("Edit", func(t *testing.T) {
		f := f.in(t)
		f.ok(f.svc.EditClient(ctx, billing.ClientRequest{ClientID: c, Name: "Acme Pty Ltd", Kind: client.KindBusiness}, meta("edit")))
		if got := f.last(stream); got != "ClientDetailsChanged" {
			t.Fatalf("last event %s", got)
		}
	})
	t.Run("EditErrNotFound", func(t *testing.T) {
		f := f.in(t)
		head := f.head()
		_, err := f.svc.EditClient(ctx, billing.ClientRequest{ClientID: uuid.New(), Name: "Nobody", Kind: client.KindBusiness, Currency: "AUD"}, meta("edit-nobody"))
		f.refused(err, domain.ENOTFOUND, head)
	})
	var bob uuid.UUID
	t.Run("Contacts", func(t *testing.T) {
		f := f.in(t)
		bob = f.ok(f.svc.AddContact(ctx, billing.ContactRequest{ClientID: c, Contact: client.Contact{Name: "Bob", Email: "bob@acme.test"}}, meta("add-bob"))).ID
		f.ok(f.svc.EditContact(ctx, billing.ContactRequest{ClientID: c, Contact: client.Contact{ID: bob, Name: "Robert", Email: "bob@acme.test"}}, meta("edit-bob")))
		f.ok(f.svc.SetPrimaryContact(ctx, billing.ContactRef{ClientID: c, ContactID: bob}, meta("primary-bob")))
		if got := f.last(stream); got != "ClientPrimaryContactChanged" {
			t.Fatalf("last event %s", got)
		}
	})
	t.Run("RemoveContactErrNotFound", func(t *testing.T) {
		f := f.in(t)
		head := f.head()
		_, err := f.svc.RemoveContact(ctx, billing.ContactRef{ClientID: c, ContactID: uuid.New()}, meta("remove-ghost"))
		f.refused(err, domain.ENOTFOUND, head)
	})
	var card uuid.UUID
	var svc uuid.UUID
	t.Run("PaymentMethods", func(t *testing.T) {
		f := f.in(t)
		card = f.ok(f.svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: c, Method: visa()}, meta("add-card"))).ID
		svc = f.ok(f.svc.ActivateService(ctx, billing.ServiceRequest{ClientID: c, Name: "Bookkeeping", UnitPrice: dec("100"), Quantity: dec("1"),
			BillingRule: monthly(domain.MustDate(2025, 4, 1)), Automatic: true, PaymentMethodID: card}, meta("activate"))).ID
		// The only method pays an automatic service: it cannot go.
		head := f.head()
		_, err := f.svc.RemovePaymentMethod(ctx, billing.PaymentMethodRef{ClientID: c, PaymentMethodID: card}, meta("remove-card"))
		f.refused(err, domain.ECONFLICT, head)
		replacement := f.ok(f.svc.ReplacePaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: c, PaymentMethodID: card, Method: visaToken("tok_visa_2")}, meta("replace-card"))).ID
		if replacement == uuid.Nil || f.last(stream) != "PaymentMethodReplaced" {
			t.Fatalf("replace: id %s, last %s", replacement, f.last(stream))
		}
		second := f.ok(f.svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: c, Method: visaToken("tok_visa_3")}, meta("add-second"))).ID
		f.ok(f.svc.SetDefaultPaymentMethod(ctx, billing.PaymentMethodRef{ClientID: c, PaymentMethodID: second}, meta("default-second")))
		f.ok(f.svc.MarkPaymentMethodFailed(ctx, billing.PaymentMethodRef{ClientID: c, PaymentMethodID: replacement, Reason: "closed"}, meta("failed")))
		f.ok(f.svc.MarkPaymentMethodExpired(ctx, billing.PaymentMethodRef{ClientID: c, PaymentMethodID: second}, meta("expired")))
	})
	t.Run("ArchiveErrActiveServices", func(t *testing.T) {
		f := f.in(t)
		head := f.head()
		_, err := f.svc.ArchiveClient(ctx, billing.ClientRef{ClientID: c, Reason: "left"}, meta("archive-early"))
		f.refused(err, domain.ECONFLICT, head)
	})
	t.Run("ArchiveRestore", func(t *testing.T) {
		f := f.in(t)
		f.ok(f.svc.EndService(ctx, billing.ServiceRef{ServiceID: svc, Reason: "left"}, meta("end")))
		f.ok(f.svc.ArchiveClient(ctx, billing.ClientRef{ClientID: c, Reason: "left"}, meta("archive")))
		head := f.head()
		_, err := f.svc.AddContact(ctx, billing.ContactRequest{ClientID: c, Contact: client.Contact{Name: "Eve", Email: "eve@acme.test"}}, meta("add-eve"))
		f.refused(err, domain.ECONFLICT, head)
		f.ok(f.svc.RestoreClient(ctx, billing.ClientRef{ClientID: c}, meta("restore")))
		if got := f.last(stream); got != "ClientRestored" {
			t.Fatalf("last event %s", got)
		}
	})
	f.checkMetadata()
}

func TestProposalUseCases(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	c := f.mustCreateClient("Acme")
	lines := []proposal.Line{
		{Name: "Bookkeeping", UnitPrice: dec("300"), Quantity: dec("1"), TaxRate: dec("10"), Automatic: true,
			BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnAcceptance, End: domain.EndNever}},
		{Name: "Tax return", UnitPrice: dec("900"), Quantity: dec("1"), TaxRate: dec("10"),
			BillingRule: domain.BillingRule{Frequency: domain.FrequencyOnCompletion}},
	}
	p := f.ok(f.svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: c, Title: "Services 2025", Lines: lines}, meta("draft"))).ID
	stream := proposal.StreamName(p)

	t.Run("AcceptErrNotSent", func(t *testing.T) {
		f := f.in(t)
		head := f.head()
		_, err := f.svc.AcceptProposal(ctx, billing.AcceptProposalRequest{ProposalID: p, AcceptedByName: "Alice", AcceptedByEmail: "alice@acme.test", SignatureName: "Alice"}, meta("accept-early"))
		f.refused(err, domain.ECONFLICT, head)
	})
	t.Run("DraftErrUnknownClient", func(t *testing.T) {
		f := f.in(t)
		head := f.head()
		_, err := f.svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: uuid.New(), Title: "X"}, meta("draft-ghost"))
		f.refused(err, domain.ENOTFOUND, head)
	})
	t.Run("EditSendAccept", func(t *testing.T) {
		f := f.in(t)
		f.ok(f.svc.EditProposal(ctx, billing.ProposalRequest{ProposalID: p, Title: "Services 2025/26", Lines: lines}, meta("edit")))
		f.ok(f.svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: p, RecipientEmail: "alice@acme.test"}, meta("send")))
		accept := billing.AcceptProposalRequest{ProposalID: p, AcceptedByName: "Alice", AcceptedByEmail: "alice@acme.test", SignatureName: "Alice"}
		res := f.ok(f.svc.AcceptProposal(ctx, accept, meta("accept")))
		var err error
		if f.last(stream) != "ProposalAccepted" || res.Position != f.head() {
			t.Fatalf("last %s, position %d head %d", f.last(stream), res.Position, f.head())
		}
		st, _ := proposalState(t, f, p)
		for _, spec := range proposal.ServicesToActivate(st) {
			if got := f.types(service.StreamName(spec.ServiceID)); len(got) != 1 || got[0] != "ServiceActivated" {
				t.Fatalf("service %s: %v", spec.ServiceID, got)
			}
		}
		head := f.head()
		again := f.ok(f.svc.AcceptProposal(ctx, accept, meta("accept")))
		if !again.AlreadyApplied || f.head() != head {
			t.Fatalf("re-accept appended or not marked applied: %+v", again)
		}
		_, err = f.svc.AcceptProposal(ctx, accept, meta("accept-other-key"))
		f.refused(err, domain.ECONFLICT, head)
	})
	t.Run("DeclineWithdrawExpire", func(t *testing.T) {
		f := f.in(t)
		mk := func(key string) uuid.UUID {
			id := f.ok(f.svc.DraftProposal(ctx, billing.ProposalRequest{ClientID: c, Title: key, Lines: lines}, meta("draft-"+key))).ID
			f.ok(f.svc.SendProposal(ctx, billing.SendProposalRequest{ProposalID: id, RecipientEmail: "alice@acme.test"}, meta("send-"+key)))
			return id
		}
		d, w, e := mk("d"), mk("w"), mk("e")
		f.ok(f.svc.DeclineProposal(ctx, billing.ProposalRef{ProposalID: d, Reason: "too dear"}, meta("decline")))
		f.ok(f.svc.WithdrawProposal(ctx, billing.ProposalRef{ProposalID: w}, meta("withdraw")))
		f.ok(f.svc.ExpireProposal(ctx, billing.ProposalRef{ProposalID: e}, meta("expire")))
		for id, want := range map[uuid.UUID]string{d: "ProposalDeclined", w: "ProposalWithdrawn", e: "ProposalExpired"} {
			if got := f.last(proposal.StreamName(id)); got != want {
				t.Errorf("%s: last %s, want %s", id, got, want)
			}
		}
	})
	f.checkMetadata()
}

func proposalState(t *testing.T, f *fixture, id uuid.UUID) (proposal.State, error) {
	t.Helper()
	recs, err := f.store.ReadStream(context.Background(), proposal.StreamName(id), 0, eventstore.Forward, 0)
	if err != nil {
		t.Fatal(err)
	}
	var st proposal.State
	for _, r := range recs {
		e, err := proposal.DecodeEvent(r.Type, r.Data)
		if err != nil {
			t.Fatal(err)
		}
		st = proposal.Evolve(st, e)
	}
	return st, nil
}

func TestServiceAndScheduleUseCases(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	c := f.mustCreateClient("Acme")
	s := f.mustActivate(c, "Bookkeeping", true)
	stream := service.StreamName(s)
	item := func(n int) string { return service.ItemKey(s, n) }

	steps := []struct {
		name string
		run  func() (billing.Result, error)
		want string
	}{
		{"Edit", func() (billing.Result, error) {
			p := dec("120")
			return f.svc.EditService(ctx, billing.EditServiceRequest{ServiceID: s, EffectiveFrom: domain.MustDate(2025, 5, 1), Changes: service.Changes{UnitPrice: &p}}, meta("edit"))
		}, "ServiceEdited"},
		{"SwitchToManual", func() (billing.Result, error) {
			return f.svc.SwitchServiceToManual(ctx, billing.ServiceRef{ServiceID: s}, meta("manual"))
		}, "ServiceSwitchedToManual"},
		{"SwitchToAutomatic", func() (billing.Result, error) {
			return f.svc.SwitchServiceToAutomatic(ctx, billing.ServiceRef{ServiceID: s}, meta("auto"))
		}, "ServiceSwitchedToAutomatic"},
		{"EditItem", func() (billing.Result, error) {
			q := dec("2")
			return f.svc.EditScheduleItem(ctx, billing.ItemRequest{ItemKey: item(3), ItemChanges: service.ItemChanges{Changes: service.Changes{Quantity: &q}}}, meta("edit-item"))
		}, "ScheduleItemEdited"},
		{"SkipItem", func() (billing.Result, error) {
			return f.svc.SkipItem(ctx, billing.ItemRequest{ItemKey: item(4)}, meta("skip"))
		}, "ScheduleItemSkipped"},
		{"ItemToManual", func() (billing.Result, error) {
			return f.svc.SwitchItemToManual(ctx, billing.ItemRequest{ItemKey: item(5)}, meta("item-manual"))
		}, "ScheduleItemSwitchedToManual"},
		{"ScheduleIssue", func() (billing.Result, error) {
			return f.svc.ScheduleItemIssue(ctx, billing.ItemRequest{ItemKey: item(5), IssueOn: domain.MustDate(2025, 8, 15)}, meta("schedule-issue"))
		}, "ScheduleItemIssueScheduled"},
		{"ItemToAutomatic", func() (billing.Result, error) {
			return f.svc.SwitchItemToAutomatic(ctx, billing.ItemRequest{ItemKey: item(6)}, meta("item-auto-noop"))
		}, "ScheduleItemIssueScheduled"}, // already automatic: records nothing
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f := f.in(t)
			f.ok(st.run())
			if got := f.last(stream); got != st.want {
				t.Fatalf("last event %s, want %s", got, st.want)
			}
		})
	}
	t.Run("BillItemNow", func(t *testing.T) {
		f := f.in(t)
		q, p := dec("3"), dec("80")
		res := f.ok(f.svc.BillItemNow(ctx, billing.BillItemRequest{ItemKey: item(5), Quantity: &q, UnitPrice: &p}, meta("bill-now")))
		inv := invoiceState(t, f, res.ID)
		if len(inv.Lines) != 1 || !inv.Lines[0].Quantity.Equal(q) || !inv.Lines[0].UnitPrice.Amount.Equal(p) || inv.Number != "INV-000001" {
			t.Fatalf("invoice %+v", inv)
		}
		if got := f.last(stream); got != "ScheduleItemBilled" {
			t.Fatalf("last %s", got)
		}
		head := f.head()
		again := f.ok(f.svc.BillItemNow(ctx, billing.BillItemRequest{ItemKey: item(5), Quantity: &q, UnitPrice: &p}, meta("bill-now")))
		if again.ID != res.ID || f.head() != head {
			t.Fatalf("re-run billed again: %+v", again)
		}
	})
	t.Run("SkipErrBilled", func(t *testing.T) {
		f := f.in(t)
		head := f.head()
		_, err := f.svc.SkipItem(ctx, billing.ItemRequest{ItemKey: item(5)}, meta("skip-billed"))
		f.refused(err, domain.ECONFLICT, head)
	})
	t.Run("ItemErrBadKey", func(t *testing.T) {
		f := f.in(t)
		head := f.head()
		_, err := f.svc.SkipItem(ctx, billing.ItemRequest{ItemKey: "nonsense"}, meta("skip-bad"))
		f.refused(err, domain.EINVALID, head)
	})
	t.Run("End", func(t *testing.T) {
		f := f.in(t)
		f.ok(f.svc.EndService(ctx, billing.ServiceRef{ServiceID: s, On: domain.MustDate(2025, 12, 31)}, meta("end")))
		head := f.head()
		_, err := f.svc.SwitchServiceToManual(ctx, billing.ServiceRef{ServiceID: s}, meta("manual-after-end"))
		f.refused(err, domain.ECONFLICT, head)
	})
	f.checkMetadata()
}

func invoiceState(t *testing.T, f *fixture, id uuid.UUID) invoice.State {
	t.Helper()
	recs, err := f.store.ReadStream(context.Background(), invoice.StreamName(id), 0, eventstore.Forward, 0)
	if err != nil {
		t.Fatal(err)
	}
	var st invoice.State
	for _, r := range recs {
		e, err := invoice.DecodeEvent(r.Type, r.Data)
		if err != nil {
			t.Fatal(err)
		}
		st = invoice.Evolve(st, e)
	}
	return st
}

func TestInvoiceUseCases(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	c := f.mustCreateClient("Acme")
	card := f.ok(f.svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: c, Method: visa()}, meta("card"))).ID
	issue := func(key string) uuid.UUID {
		return f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c,
			Lines: []billing.InstantLine{{Description: "Advice", Quantity: dec("2"), UnitPrice: dec("100"), TaxRate: dec("10")}}}, meta(key))).ID
	}
	inv := issue("issue-1")
	st := invoiceState(t, f, inv)
	if !st.Totals.Gross.Amount.Equal(dec("220")) || st.PaymentMethodID != card || st.DueDate != domain.MustDate(2025, 3, 24) {
		t.Fatalf("issued %+v", st)
	}
	stream := invoice.StreamName(inv)
	f.ok(f.svc.SendInvoice(ctx, billing.InvoiceRequest{InvoiceID: inv}, meta("send")))
	f.ok(f.svc.SendInvoice(ctx, billing.InvoiceRequest{InvoiceID: inv}, meta("resend")))
	f.ok(f.svc.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: inv}, meta("collect")))
	f.ok(f.svc.RecordCollectionAttempt(ctx, billing.InvoiceRequest{InvoiceID: inv, Outcome: invoice.AttemptRejected, PaymentMethodID: card, DeclineCode: "insufficient_funds"}, meta("attempt-1")))
	f.ok(f.svc.ScheduleRetry(ctx, billing.InvoiceRequest{InvoiceID: inv, Date: domain.MustDate(2025, 3, 13)}, meta("retry")))
	f.ok(f.svc.RecordOfflinePayment(ctx, billing.InvoiceRequest{InvoiceID: inv, Method: invoice.PaidByBankTransfer, Amount: dec("100")}, meta("offline")))
	f.ok(f.svc.IssueCreditNote(ctx, billing.InvoiceRequest{InvoiceID: inv, Amount: dec("20"), Reason: "goodwill"}, meta("credit")))
	f.ok(f.svc.WriteOffInvoice(ctx, billing.InvoiceRequest{InvoiceID: inv, Reason: "uncollectable"}, meta("write-off")))
	// The collection is scheduled with the issue (the card is the client's
	// default); scheduling it again on the same date adds nothing.
	want := []string{"InvoiceIssued", "InvoiceCollectionScheduled", "InvoiceSent", "InvoiceSent", "InvoicePaymentRejected",
		"InvoiceRetryScheduled", "InvoicePaymentRecorded", "InvoiceCreditNoteIssued", "InvoiceWrittenOff"}
	if got := f.types(stream); len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	} else {
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("events %v, want %v", got, want)
			}
		}
	}
	if st := invoiceState(t, f, inv); !st.Balance().IsZero() {
		t.Fatalf("balance %s after write-off", st.Balance())
	}

	t.Run("VoidErrPaymentCollected", func(t *testing.T) {
		f := f.in(t)
		head := f.head()
		_, err := f.svc.VoidInvoice(ctx, billing.InvoiceRequest{InvoiceID: inv, Reason: "mistake"}, meta("void-paid"))
		f.refused(err, domain.ECONFLICT, head)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		f := f.in(t)
		head := f.head()
		_, err := f.svc.RecordOfflinePayment(ctx, billing.InvoiceRequest{InvoiceID: uuid.New(), Amount: dec("1")}, meta("pay-ghost"))
		f.refused(err, domain.ENOTFOUND, head)
	})
	t.Run("VoidReleasesItems", func(t *testing.T) {
		f := f.in(t)
		s := f.mustActivate(c, "Payroll", true)
		key := service.ItemKey(s, 1)
		billed := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c, ItemKeys: []string{key}}, meta("bill-item"))).ID
		f.ok(f.svc.VoidInvoice(ctx, billing.InvoiceRequest{InvoiceID: billed, Reason: "wrong price"}, meta("void")))
		if got := f.last(invoice.StreamName(billed)); got != "InvoiceVoided" {
			t.Fatalf("last %s", got)
		}
		if got := f.last(service.StreamName(s)); got == "ScheduleItemBilled" {
			t.Fatalf("item still billed after void")
		}
		// The released item bills again, on a new invoice (another id).
		f.advance(24 * time.Hour)
		again := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{InvoiceID: uuid.New(), ClientID: c, ItemKeys: []string{key}}, meta("bill-item-again")))
		if again.ID == billed {
			t.Fatal("re-billed on the voided invoice")
		}
	})
	f.checkMetadata()
}

func visaToken(token string) client.PaymentMethodDetails {
	m := visa()
	m.GatewayToken = token
	return m
}

// TestCollectFromTheDefaultAddedAfterIssue: an invoice issued to "the
// client's default" when the client had none on file is collected, once
// staff schedule it, from the default the client has now (it used to be
// refused: "choose the payment method to collect from"). With no method on
// file at all it is still refused, naming the field.
func TestCollectFromTheDefaultAddedAfterIssue(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.mustSetUpFirm()
	c := f.mustCreateClient("Acme")
	inv := f.ok(f.svc.IssueInvoice(ctx, billing.IssueInvoiceRequest{ClientID: c,
		Lines: []billing.InstantLine{{Description: "Advice", Quantity: dec("1"), UnitPrice: dec("100")}}}, meta("issue"))).ID
	if st := invoiceState(t, f, inv); st.PaymentMethodID != uuid.Nil || st.Collection.Date != (domain.Date{}) {
		t.Fatalf("issued without a method on file: %+v", st)
	}
	_, err := f.svc.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: inv}, meta("collect-none"))
	if domain.ErrorCode(err) != domain.EINVALID || !strings.Contains(err.Error(), "payment method") {
		t.Fatalf("collecting with no method on file: %v", err)
	}
	card := f.ok(f.svc.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: c, Method: visa()}, meta("card"))).ID
	f.ok(f.svc.ScheduleCollection(ctx, billing.InvoiceRequest{InvoiceID: inv}, meta("collect")))
	if st := invoiceState(t, f, inv); st.Collection.PaymentMethodID != card || st.PaymentMethodID != card {
		t.Errorf("collection scheduled from %v (invoice's method %v), want the client's default %v", st.Collection.PaymentMethodID, st.PaymentMethodID, card)
	}
}
