package catalog_test

import (
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/client"
	"remit/domain/decidertest"
	"remit/domain/firm"
	"remit/domain/invoice"
	"remit/domain/ledger"
	"remit/domain/library"
	"remit/domain/numbering"
	"remit/domain/outbox"
	"remit/domain/payout"
	"remit/domain/priceincrease"
	"remit/domain/proposal"
	"remit/domain/proposaltemplate"
	"remit/domain/service"
	"remit/domain/user"
)

// sample is one event of each type, with the history it is applied after.
// Every sample carries the same At as its history, so that evolving it
// changes the state only through what the event says, not through a newer
// timestamp.
type sample struct {
	given []domain.Event
	event domain.Event
}

// evolution is what evolving one sample did: the state folded from its
// history (folded twice over, so that one copy is never handed to Evolve),
// and the state after the sample event.
type evolution struct {
	before any // the history's state, never passed to Evolve
	given  any // the history's state that Evolve was given, afterwards
	after  any // the state after the sample event
}

// evolver evolves one sample with an aggregate's Evolve; states are returned
// as any so that one test can compare the states of every aggregate.
type evolver func(given []domain.Event, e domain.Event) evolution

// evolveWith adapts an aggregate's Evolve.
func evolveWith[S any](evolve func(S, domain.Event) S) evolver {
	return func(given []domain.Event, e domain.Event) evolution {
		var before, passed S
		for _, g := range given {
			before = evolve(before, g)
			passed = evolve(passed, g)
		}
		after := evolve(passed, e)
		return evolution{before: before, given: passed, after: after}
	}
}

// evolvers holds each aggregate's Evolve, by aggregate name.
func evolvers() map[string]evolver {
	return map[string]evolver{
		"firm":             evolveWith(firm.Evolve),
		"client":           evolveWith(client.Evolve),
		"proposal":         evolveWith(proposal.Evolve),
		"service":          evolveWith(service.Evolve),
		"invoice":          evolveWith(invoice.Evolve),
		"numbering":        evolveWith(numbering.Evolve),
		"user":             evolveWith(user.Evolve),
		"outbox":           evolveWith(outbox.Evolve),
		"ledger":           evolveWith(ledger.Evolve),
		"payout":           evolveWith(payout.Evolve),
		"library":          evolveWith(library.Evolve),
		"proposaltemplate": evolveWith(proposaltemplate.Evolve),
		"priceincrease":    evolveWith(priceincrease.Evolve),
	}
}

var (
	at  = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	aud = domain.MustCurrency("AUD")
)

func id(n byte) uuid.UUID { return uuid.UUID{15: n} }

// samples returns one sample per event type, by type name.
func samples() map[string]sample {
	out := map[string]sample{}
	add := func(given []domain.Event, e domain.Event) { out[e.EventType()] = sample{given: given, event: e} }

	// firm
	setUp := firm.FirmSetUp{
		Name: "Ledger & Co", BaseCurrency: aud, TimeZone: "Australia/Sydney", InvoicePrefix: "INV-",
		PaymentTermsDays: 14, TaxMode: domain.TaxExclusive, RetryAfterDays: []int{3, 5, 7}, GroupItems: true, At: at,
	}
	gst := firm.FirmTaxRateAdded{TaxRateID: id(1), Name: "GST", Rate: decidertest.Dec("10"), At: at}
	firmSetUp := []domain.Event{setUp}
	withRate := []domain.Event{setUp, gst}
	add(nil, setUp)
	add(firmSetUp, firm.FirmDetailsChanged{Name: "Ledger and Co", At: at})
	add(firmSetUp, firm.FirmLogoChanged{Logo: "https://example.com/logo.png", At: at})
	add(firmSetUp, firm.FirmRegionalSettingsChanged{BaseCurrency: domain.MustCurrency("NZD"), TimeZone: "Pacific/Auckland", At: at})
	add(firmSetUp, firm.FirmInvoiceSettingsChanged{InvoicePrefix: "LC-", PaymentTermsDays: 30, At: at})
	add(firmSetUp, firm.FirmInvoiceGroupingChanged{GroupItems: false, At: at})
	add(firmSetUp, firm.FirmMissedBillingsChanged{MissedBillings: firm.MissedSkip, At: at})
	add(firmSetUp, firm.FirmTaxModeChanged{TaxMode: domain.TaxInclusive, At: at})
	add(firmSetUp, gst)
	add(withRate, firm.FirmTaxRateChanged{TaxRateID: id(1), Name: "GST", Rate: decidertest.Dec("15"), At: at})
	add(withRate, firm.FirmTaxRateRemoved{TaxRateID: id(1), At: at})
	add(withRate, firm.FirmDefaultTaxRateSet{TaxRateID: id(1), At: at})
	add(firmSetUp, firm.FirmCollectionScheduleChanged{CollectionDaysOnceOff: 3, CollectionDaysRecurring: 5, At: at})
	add(firmSetUp, firm.FirmRetryPolicyChanged{RetryAfterDays: []int{2}, At: at})
	add(firmSetUp, firm.FirmProposalSettingsChanged{ProposalSettings: firm.ProposalSettings{ReminderDays: []int{3, 7, 14}, ExpiryDays: 30, NotifyStaff: true, StaffEmail: "staff@firm.example"}, At: at})
	add(firmSetUp, firm.FirmDunningPolicyChanged{DunningPolicy: firm.DunningPolicy{RetryAfterDays: []int{2, 4}, EmailClientOnRejection: true, EmailClientFinalNotice: true,
		NotifyStaffOnFailure: true, StaffEmails: []string{"ar@firm.example"}, FinalAction: firm.FinalSwitchToManual, WriteOffAfterDays: 30,
		RemindBeforeDue: []int{3}, RemindOnDue: true, RemindAfterDue: []int{7, 14}, DailyDigest: true}, At: at})
	add(firmSetUp, firm.FirmDunningDigestSent{Date: domain.MustDate(2026, 3, 2), Failed: 1, Overdue: 2,
		Totals: []firm.DigestTotal{{Failed: domain.NewMoney(decidertest.Dec("110"), domain.MustCurrency("AUD")), Overdue: domain.NewMoney(decidertest.Dec("220"), domain.MustCurrency("AUD"))}}, At: at})
	add(withRate, firm.FirmSurchargesChanged{Surcharges: firm.Surcharges{Card: decidertest.Dec("1.5"), BankDebit: decidertest.Dec("0"), TaxRateID: id(1)}, At: at})
	add(withRate, firm.FirmBankAccountChanged{Account: firm.BankAccount{Name: "Ledger & Co", BranchCode: "062-000", Number: "1234 5678", BIC: "CTBAAU2S"}, At: at})

	// client
	clientID := id(2)
	created := client.ClientCreated{
		ClientID: clientID, Name: "Harbour Cafe", Kind: client.KindBusiness,
		Contacts:         []client.Contact{{ID: id(3), Name: "Ana", Email: "ana@example.com"}},
		PrimaryContactID: id(3), Currency: aud, At: at,
	}
	secondContact := client.ClientContactAdded{ClientID: clientID, Contact: client.Contact{ID: id(4), Name: "Ben"}, At: at}
	card := client.PaymentMethodDetails{Kind: client.MethodCard, Gateway: "sandbox", GatewayToken: "tok_1", Brand: "visa", Last4: "4242", ExpiryMonth: 12, ExpiryYear: 2030}
	method := client.PaymentMethodAdded{ClientID: clientID, PaymentMethodID: id(5), Method: card, At: at}
	clientCreated := []domain.Event{created}
	withContact := []domain.Event{created, secondContact}
	withMethod := []domain.Event{created, method}
	add(nil, created)
	add(clientCreated, client.ClientDetailsChanged{ClientID: clientID, Name: "Harbour Cafe Pty", Kind: client.KindBusiness, Currency: aud, At: at})
	add(clientCreated, secondContact)
	add(clientCreated, client.ClientContactChanged{ClientID: clientID, Contact: client.Contact{ID: id(3), Name: "Ana B"}, At: at})
	add(withContact, client.ClientContactRemoved{ClientID: clientID, ContactID: id(4), At: at})
	add(withContact, client.ClientPrimaryContactChanged{ClientID: clientID, ContactID: id(4), PreviousContactID: id(3), At: at})
	add(clientCreated, client.ClientArchived{ClientID: clientID, Reason: "closed", At: at})
	add([]domain.Event{created, client.ClientArchived{ClientID: clientID, At: at}}, client.ClientRestored{ClientID: clientID, At: at})
	add(clientCreated, method)
	add(withMethod, client.PaymentMethodSetAsDefault{ClientID: clientID, PaymentMethodID: id(5), At: at})
	card2 := card
	card2.GatewayToken, card2.Last4 = "tok_2", "1881"
	card2.Gateway, card2.GatewayCustomer = "stripe", "cus_1" // a Stripe method names its customer
	add(withMethod, client.PaymentMethodReplaced{ClientID: clientID, ReplacedPaymentMethodID: id(5), PaymentMethodID: id(6), Method: card2, At: at})
	add(withMethod, client.PaymentMethodRemoved{ClientID: clientID, PaymentMethodID: id(5), At: at})
	add(withMethod, client.PaymentMethodExpired{ClientID: clientID, PaymentMethodID: id(5), At: at})
	add(withMethod, client.PaymentMethodFailed{ClientID: clientID, PaymentMethodID: id(5), Reason: "card reported stolen", At: at})
	add(clientCreated, client.ClientErased{ClientID: clientID, At: at})
	add(clientCreated, client.ClientLinksRevoked{ClientID: clientID, Generation: 1, At: at})
	add(clientCreated, client.ClientPaymentDetailsRequested{ClientID: clientID, RequestID: id(9), ContactID: id(3), Name: "Ana", Email: "ana@example.com", Note: "for the new year", At: at})
	add(clientCreated, client.ClientTagsChanged{ClientID: clientID, Tags: []string{"payroll", "retainer"}, At: at})

	// proposal
	proposalID := id(7)
	monthly := domain.BillingRule{Frequency: domain.FrequencyMonths, Interval: 1, Start: domain.StartOnAcceptance, End: domain.EndNever}
	line := proposal.Line{ID: id(8), Name: "Bookkeeping", UnitPrice: decidertest.Dec("250"), Quantity: decidertest.Dec("1"), TaxRate: decidertest.Dec("10"), BillingRule: monthly, Automatic: true}
	drafted := proposal.ProposalDrafted{ProposalID: proposalID, ClientID: clientID, Title: "Monthly books", Currency: aud, Lines: []proposal.Line{line}, At: at}
	sent := proposal.ProposalSent{ProposalID: proposalID, ClientID: clientID, RecipientEmail: "ana@example.com",
		Recipients: []proposal.Recipient{{ContactID: id(3), Name: "Ana", Email: "ana@example.com"}}, At: at}
	proposalSent := []domain.Event{drafted, sent}
	add(nil, drafted)
	add([]domain.Event{drafted}, proposal.ProposalDraftEdited{ProposalID: proposalID, Title: "Monthly bookkeeping", Lines: []proposal.Line{line}, At: at})
	add([]domain.Event{drafted}, sent)
	add(proposalSent, proposal.ProposalAccepted{
		ProposalID: proposalID, ClientID: clientID, AcceptedByName: "Ana", AcceptedByEmail: "ana@example.com", SignatureName: "Ana",
		AcceptedOn: domain.MustDate(2026, 3, 2), PaymentMethodID: id(5), Currency: aud, Lines: []proposal.Line{line}, At: at,
	})
	add(proposalSent, proposal.ProposalDeclined{ProposalID: proposalID, Reason: "too dear", At: at})
	add(proposalSent, proposal.ProposalWithdrawn{ProposalID: proposalID, Reason: "superseded", At: at})
	add(proposalSent, proposal.ProposalExpired{ProposalID: proposalID, ExpiresOn: domain.MustDate(2026, 3, 1), At: at})
	add(proposalSent, proposal.ProposalViewed{ProposalID: proposalID, ClientID: clientID, SignatoryID: id(10), IP: "203.0.113.9", UserAgent: "Firefox", At: at})
	add(proposalSent, proposal.ProposalSigned{ProposalID: proposalID, ClientID: clientID, SignatoryID: id(10), SignedName: "Ana Diaz", Email: "ana@example.com",
		IP: "203.0.113.9", UserAgent: "Firefox", DocumentHash: proposal.DocumentHash("the letter"), PackageID: id(11), AddOnIDs: []uuid.UUID{id(12)}, At: at})
	add(proposalSent, proposal.ProposalReminderSent{ProposalID: proposalID, ClientID: clientID, Reminder: 1,
		Recipients: []proposal.Recipient{{ContactID: id(3), Name: "Ana", Email: "ana@example.com"}}, At: at})
	add(proposalSent, proposal.ProposalSignedDocumentFiled{ProposalID: proposalID, PDFSHA256: strings.Repeat("ab", 32), Bytes: 5120, At: at})

	// service
	serviceID := proposal.ServiceID(proposalID, line.ID)
	key := service.ItemKey(serviceID, 1)
	activated := service.ServiceActivated{
		ServiceID: serviceID, ClientID: clientID, Source: service.Source{ProposalID: proposalID, ProposalLineID: line.ID},
		Name: "Bookkeeping", UnitPrice: decidertest.Dec("250"), Quantity: decidertest.Dec("1"), TaxRate: decidertest.Dec("10"), Currency: aud,
		BillingRule: monthly, FirstDate: domain.MustDate(2026, 3, 2), Mode: service.Automatic, PaymentMethodID: id(5), At: at,
	}
	serviceActive := []domain.Event{activated}
	newPrice := decidertest.Dec("300")
	add(nil, activated)
	add(serviceActive, service.ServiceEdited{ServiceID: serviceID, EffectiveFrom: domain.MustDate(2026, 4, 1), Changes: service.Changes{UnitPrice: &newPrice}, At: at})
	add(serviceActive, service.ServiceSwitchedToManual{ServiceID: serviceID, At: at})
	add([]domain.Event{activated, service.ServiceSwitchedToManual{ServiceID: serviceID, At: at}}, service.ServiceSwitchedToAutomatic{ServiceID: serviceID, At: at})
	add(serviceActive, service.ServiceEnded{ServiceID: serviceID, EndDate: domain.MustDate(2026, 6, 30), At: at})
	add(serviceActive, service.ScheduleItemEdited{ServiceID: serviceID, ItemKey: key, ItemChanges: service.ItemChanges{Changes: service.Changes{UnitPrice: &newPrice}}, At: at})
	add(serviceActive, service.ScheduleItemSwitchedToManual{ServiceID: serviceID, ItemKey: key, At: at})
	add(serviceActive, service.ScheduleItemSwitchedToAutomatic{ServiceID: serviceID, ItemKey: key, At: at})
	add(serviceActive, service.ScheduleItemSkipped{ServiceID: serviceID, ItemKey: key, At: at})
	add(serviceActive, service.ScheduleItemIssueScheduled{ServiceID: serviceID, ItemKey: key, IssueOn: domain.MustDate(2026, 3, 9), At: at})
	add(serviceActive, service.ScheduleItemBilled{
		ServiceID: serviceID, ItemKey: key, InvoiceID: id(9), Date: domain.MustDate(2026, 3, 2), Description: "Bookkeeping",
		Quantity: decidertest.Dec("1"), UnitPrice: decidertest.Dec("250"), TaxRate: decidertest.Dec("10"), Mode: service.Automatic, PaymentMethodID: id(5), At: at,
	})
	add([]domain.Event{activated, service.ScheduleItemBilled{
		ServiceID: serviceID, ItemKey: key, InvoiceID: id(9), Date: domain.MustDate(2026, 3, 2), Description: "Bookkeeping",
		Quantity: decidertest.Dec("1"), UnitPrice: decidertest.Dec("250"), TaxRate: decidertest.Dec("10"), Mode: service.Automatic, PaymentMethodID: id(5), At: at,
	}}, service.ScheduleItemReleased{ServiceID: serviceID, ItemKey: key, InvoiceID: id(9), Reason: "invoice voided", SwitchedToManual: true, At: at})

	// invoice
	invoiceID := id(9)
	money := func(s string) domain.Money { return domain.MustMoney(s, "AUD") }
	issued := invoice.InvoiceIssued{
		InvoiceID: invoiceID, ClientID: clientID, Number: "INV-000001", Currency: aud,
		IssueDate: domain.MustDate(2026, 3, 2), DueDate: domain.MustDate(2026, 3, 16), TaxMode: domain.TaxExclusive,
		Lines: []invoice.Line{{
			LineID: id(10), Description: "Bookkeeping", Quantity: decidertest.Dec("1"), UnitPrice: money("250"), TaxRate: decidertest.Dec("10"),
			ServiceID: serviceID, ItemKey: key, Amounts: domain.LineAmounts{Net: money("250"), Tax: money("25"), Gross: money("275")},
		}},
		Totals:    invoice.Totals{Net: money("250"), Tax: money("25"), Gross: money("275")},
		Recurring: true, PaymentMethodID: id(5), At: at,
	}
	invoiceIssued := []domain.Event{issued}
	rejected := invoice.InvoicePaymentRejected{InvoiceID: invoiceID, AttemptID: id(11), PaymentMethodID: id(5), DeclineCode: "insufficient_funds", DeclineMessage: "Insufficient funds", At: at}
	add(nil, issued)
	add(invoiceIssued, invoice.InvoiceSent{InvoiceID: invoiceID, ClientID: clientID, Recipient: "ana@example.com", At: at})
	add(invoiceIssued, invoice.InvoiceCollectionScheduled{InvoiceID: invoiceID, Date: domain.MustDate(2026, 3, 2), PaymentMethodID: id(5), At: at})
	add(invoiceIssued, invoice.InvoicePaymentSucceeded{InvoiceID: invoiceID, AttemptID: id(12), PaymentMethodID: id(5), GatewayReference: "ch_1", Amount: money("275"), At: at})
	add(invoiceIssued, rejected)
	add([]domain.Event{issued, rejected}, invoice.InvoiceRetryScheduled{InvoiceID: invoiceID, Date: domain.MustDate(2026, 3, 5), PaymentMethodID: id(5), At: at})
	add(invoiceIssued, invoice.InvoicePaymentRecorded{InvoiceID: invoiceID, PaymentID: id(13), Method: invoice.PaidByBankTransfer, Reference: "EFT 991", Amount: money("100"), Date: domain.MustDate(2026, 3, 3), At: at})
	add(invoiceIssued, invoice.InvoiceWrittenOff{InvoiceID: invoiceID, Amount: money("275"), Reason: "client wound up", At: at})
	add(invoiceIssued, invoice.InvoiceVoided{InvoiceID: invoiceID, Reason: "issued in error", At: at})
	add([]domain.Event{issued, invoice.InvoiceCollectionScheduled{InvoiceID: invoiceID, Date: domain.MustDate(2026, 3, 2), PaymentMethodID: id(5), At: at}},
		invoice.InvoiceCollectionCancelled{InvoiceID: invoiceID, Date: domain.MustDate(2026, 3, 2), PaymentMethodID: id(5), Reason: "client asked to wait", At: at})
	add(invoiceIssued, invoice.InvoiceCreditNoteIssued{InvoiceID: invoiceID, CreditNoteID: id(14), Amount: money("25"), Reason: "goodwill", At: at})
	paid := invoice.InvoicePaymentSucceeded{InvoiceID: invoiceID, AttemptID: id(12), PaymentMethodID: id(5), GatewayReference: "ch_1", Amount: money("275"), At: at}
	add([]domain.Event{issued, paid}, invoice.InvoicePaymentRefunded{InvoiceID: invoiceID, RefundID: id(33), GatewayReference: "ch_1", GatewayRefundReference: "re_1",
		Amount: money("100"), Reason: "service cancelled", CreditNoteID: id(34), Date: domain.MustDate(2026, 3, 4), At: at})
	disputed := invoice.InvoicePaymentDisputed{InvoiceID: invoiceID, DisputeID: id(35), GatewayReference: "ch_1", GatewayDisputeReference: "dp_1",
		Amount: money("275"), Reason: "fraudulent", Date: domain.MustDate(2026, 3, 5), At: at}
	add([]domain.Event{issued, paid}, disputed)
	add([]domain.Event{issued, paid, disputed}, invoice.InvoiceDisputeClosed{InvoiceID: invoiceID, DisputeID: id(35), GatewayReference: "ch_1", GatewayDisputeReference: "dp_1",
		Outcome: invoice.DisputeLost, Amount: money("275"), Fee: money("15"), Date: domain.MustDate(2026, 3, 20), At: at})
	surcharge := invoice.Line{LineID: id(36), Description: "Card surcharge (1.50%)", Quantity: decidertest.Dec("1"), UnitPrice: money("4.13"), TaxRate: decidertest.Dec("10"),
		Amounts: domain.LineAmounts{Net: money("4.13"), Tax: money("0.41"), Gross: money("4.54")}}
	add(invoiceIssued, invoice.InvoiceSurchargeAdded{InvoiceID: invoiceID, AttemptID: id(12), Kind: invoice.SurchargeCard, Percent: decidertest.Dec("1.5"),
		Base: money("275"), Line: surcharge, Totals: invoice.Totals{Net: money("254.13"), Tax: money("25.41"), Gross: money("279.54")}, Date: domain.MustDate(2026, 3, 2), At: at})
	add(invoiceIssued, invoice.InvoiceDuplicatePaymentRefunded{InvoiceID: invoiceID, AttemptID: id(37), GatewayReference: "pi_2", GatewayRefundReference: "re_2",
		Amount: money("275"), Date: domain.MustDate(2026, 3, 2), At: at})
	add(invoiceIssued, invoice.InvoiceReminderSent{InvoiceID: invoiceID, Step: "after_due:7", Channel: invoice.ChannelEmail, To: "pat@client.example", Date: domain.MustDate(2026, 3, 22),
		Skipped: []invoice.SkippedReminder{{Step: "on_due", Due: domain.MustDate(2026, 3, 15), Why: invoice.SkippedJobNotRun}}, At: at})
	add(invoiceIssued, invoice.InvoiceDunningExhausted{InvoiceID: invoiceID, Date: domain.MustDate(2026, 3, 9), FinalAction: "switch_to_manual", WriteOffOn: domain.MustDate(2026, 4, 8), NotifyClient: "pat@client.example", At: at})
	pausedReminders := invoice.InvoiceRemindersPaused{InvoiceID: invoiceID, Reason: "client promised to pay on Friday", At: at}
	add(invoiceIssued, pausedReminders)
	add([]domain.Event{issued, pausedReminders}, invoice.InvoiceRemindersResumed{InvoiceID: invoiceID, At: at})
	add(nil, invoice.InvoiceAbandoned{InvoiceID: id(32), Number: "INV-000004", Reason: "the request that reserved the number stopped before issuing the invoice", At: at})

	// numbering
	add(nil, numbering.InvoiceNumberReserved{Number: "INV-000001", Sequence: 1, InvoiceID: invoiceID, At: at})
	add(nil, numbering.InvoiceNumbersReserved{Prefix: "INV-", First: 2, InvoiceIDs: []uuid.UUID{id(30), id(31)}, At: at})
	reserved4 := numbering.InvoiceNumberReserved{Number: "INV-000004", Sequence: 4, InvoiceID: id(32), At: at}
	add([]domain.Event{reserved4}, numbering.InvoiceNumberVoided{Number: "INV-000004", Sequence: 4, InvoiceID: id(32), Reason: "the request that reserved the number stopped before issuing the invoice", At: at.Add(time.Hour)})

	// user
	userAdded := user.UserAdded{UserID: user.IDForEmail("ana@firm.example"), Email: "ana@firm.example", Name: "Ana", Role: user.RoleStaff, PasswordHash: "$2a$10$hash", At: at}
	tokenMade := user.APITokenCreated{UserID: userAdded.UserID, TokenID: id(15), Name: "reconcile", Scope: user.ScopeRead, SecretHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", At: at}
	add(nil, userAdded)
	add([]domain.Event{userAdded}, user.UserPasswordChanged{UserID: userAdded.UserID, PasswordHash: "$2a$10$other", At: at})
	add([]domain.Event{userAdded}, user.UserRoleChanged{UserID: userAdded.UserID, Role: user.RoleAuditor, PreviousRole: user.RoleStaff, At: at})
	add([]domain.Event{userAdded}, user.UserDisabled{UserID: userAdded.UserID, Reason: "left the firm", At: at})
	add([]domain.Event{userAdded}, tokenMade)
	add([]domain.Event{userAdded, tokenMade}, user.APITokenRevoked{UserID: userAdded.UserID, TokenID: id(15), At: at})

	// outbox
	emailID := outbox.EmailID(outbox.KindInvoiceIssued, id(20).String())
	queued := outbox.EmailQueued{
		EmailID: emailID, Kind: outbox.KindInvoiceIssued, MessageID: "<" + emailID.String() + "@remit>",
		To: "ana@example.com", ToName: "Ana", From: "accounts@ledger.example", Subject: "Invoice INV-000001 from Ledger & Co",
		ClientID: clientID, InvoiceID: invoiceID, PaymentMethodID: id(5), Date: domain.MustDate(2026, 3, 31),
		TriggerEventID: id(20), TriggerPosition: 42, At: at,
	}
	add(nil, queued)
	add([]domain.Event{queued}, outbox.EmailSent{EmailID: emailID, Transport: "smtp", Attempts: 1, At: at})
	add([]domain.Event{queued}, outbox.EmailFailed{EmailID: emailID, Reason: "550 mailbox unavailable", Attempts: 1, At: at})
	proposalEmail := outbox.EmailID(outbox.KindProposal, id(21).String()+"/0")
	add(nil, outbox.EmailQueued{
		EmailID: proposalEmail, Kind: outbox.KindProposal, MessageID: "<" + proposalEmail.String() + "@remit>",
		To: "ana@example.com", ToName: "Ana", From: "accounts@ledger.example", Subject: "Proposal: Monthly books, from Ledger & Co",
		ClientID: clientID, ProposalID: proposalID, TriggerEventID: id(21), TriggerPosition: 43, At: at,
	})
	add(nil, outbox.OutboxStarted{FromPosition: 7180, At: at})

	// ledger
	mapping := ledger.Mapping{RevenueAccount: "200", ServiceAccounts: map[uuid.UUID]string{serviceID: "210"}, TaxRateAccounts: map[string]string{"0": "220"},
		TaxTypes: map[string]string{"10": "OUTPUT"}, ClearingAccount: "610", WriteOffAccount: "684"}
	connected := ledger.LedgerConnected{Provider: "xero", TenantID: "tenant-1", Mapping: mapping, FromPosition: 7180, At: at}
	add(nil, connected)
	remapped := mapping
	remapped.RevenueAccount = "201"
	add([]domain.Event{connected}, ledger.LedgerMappingChanged{Provider: "xero", Mapping: remapped, At: at})
	add([]domain.Event{connected}, ledger.LedgerContactMapped{Provider: "xero", ClientID: clientID, ContactID: "contact-1", At: at})
	add([]domain.Event{connected}, ledger.LedgerDisconnected{Provider: "xero", Reason: "moved to QuickBooks", At: at})
	pushID := ledger.PushID("xero", id(21), 0)
	pushFailed := ledger.LedgerPushFailed{PushID: pushID, Provider: "xero", Kind: ledger.KindInvoice, InvoiceID: invoiceID, SourceEventID: id(21),
		DocumentID: invoiceID, Amount: money("275"), Reason: "503 Service Unavailable", Temporary: true, Attempt: 1, RetryAt: at.Add(time.Minute), At: at}
	add(nil, pushFailed)
	add([]domain.Event{pushFailed}, ledger.LedgerPushSucceeded{PushID: pushID, Provider: "xero", Kind: ledger.KindInvoice, InvoiceID: invoiceID, SourceEventID: id(21),
		DocumentID: invoiceID, LedgerID: "inv-ledger-1", ContactID: "contact-1", Amount: money("275"), Existing: true, Attempt: 2, At: at})
	add(nil, ledger.LedgerRecreateRequested{InvoiceID: invoiceID, Provider: "xero", Reason: "deleted in Xero by mistake", Generation: 1, At: at})
	add(nil, ledger.LedgerReconciled{Invoices: 12, Pushes: 30, Differences: 1, Summary: "xero: INV-000001: not pushed", At: at})

	// payout
	dec := decimal.RequireFromString
	paidOut := payout.PayoutRecorded{PayoutID: payout.ID("sandbox", "po_sandbox_20260302_aud"), Gateway: "sandbox", Reference: "po_sandbox_20260302_aud",
		Currency: aud, Amount: dec("269.88"), Fees: dec("5.12"), ArrivalDate: domain.MustDate(2026, 3, 4), Status: payout.StatusPaid,
		Lines: []payout.Line{{Kind: payout.KindCharge, Reference: "ch_sandbox_1", InvoiceID: invoiceID, Gross: dec("275"), Fee: dec("5.12"), Net: dec("269.88")}}, At: at}
	add(nil, paidOut)
	bigPayout := paidOut
	bigPayout.Parts = 1
	add([]domain.Event{bigPayout}, payout.PayoutLinesRecorded{PayoutID: paidOut.PayoutID, Part: 1,
		Lines: []payout.Line{{Kind: payout.KindRefund, Reference: "re_sandbox_1", InvoiceID: invoiceID, Gross: dec("-20"), Fee: dec("0"), Net: dec("-20")}}})
	add([]domain.Event{paidOut}, payout.PayoutFailed{PayoutID: paidOut.PayoutID, Gateway: "sandbox", Reference: paidOut.Reference, Reason: "account closed", At: at})

	// library
	libSvc := library.Service{ServiceID: id(40), Name: "Monthly bookkeeping", Description: "Bank reconciliation and monthly reports",
		UnitPrice: dec("450"), Quantity: dec("1"), Unit: "month",
		BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnAcceptance, End: domain.EndNever},
		Automatic:   true, TaxRate: dec("10"), RevenueAccount: "4000", Terms: "We reconcile your accounts **monthly**."}
	libAdded := library.LibraryServiceAdded{Service: libSvc, At: at}
	add(nil, libAdded)
	libSvc2 := libSvc
	libSvc2.UnitPrice = dec("495")
	add([]domain.Event{libAdded}, library.LibraryServiceChanged{Service: libSvc2, Changed: []string{"unit_price"}, At: at})
	libArchived := library.LibraryServiceArchived{ServiceID: libSvc.ServiceID, At: at}
	add([]domain.Event{libAdded}, libArchived)
	add([]domain.Event{libAdded, libArchived}, library.LibraryServiceRestored{ServiceID: libSvc.ServiceID, At: at})

	// priceincrease
	piApplied := priceincrease.PriceIncreaseApplied{BatchID: id(60), Filter: priceincrease.Filter{Tag: "retainer"},
		Increase: priceincrease.Increase{Kind: priceincrease.Percent, Value: dec("5")}, Rounding: priceincrease.RoundUnit,
		EffectiveFrom: domain.MustDate(2026, 4, 1), NoticeDays: 14, NoticeOn: domain.MustDate(2026, 3, 18), ApprovedBy: "owner@firm.example",
		Services: []priceincrease.ServiceChange{{ServiceID: id(61), ServiceName: "Monthly bookkeeping", ClientID: id(62), ClientName: "Acme Pty Ltd",
			Currency: aud, Quantity: dec("1"), BillingRule: domain.BillingRule{Frequency: domain.FrequencyMonths, Start: domain.StartOnAcceptance, End: domain.EndNever},
			OldUnitPrice: dec("450"), NewUnitPrice: dec("473")}}, At: at}
	add(nil, piApplied)
	add([]domain.Event{piApplied}, priceincrease.PriceIncreaseNoticeSent{BatchID: id(60), ClientID: id(62), ContactName: "Ann Lee",
		ContactEmail: "ann@acme.example", On: domain.MustDate(2026, 3, 18), At: at})
	add([]domain.Event{piApplied}, priceincrease.PriceIncreaseCancelled{BatchID: id(60), Reason: "held over to July", CancelledBy: "owner@firm.example",
		LeftAsChanged: []priceincrease.ServiceLeft{{ServiceID: id(61), ServiceName: "Monthly bookkeeping", ClientName: "Acme Pty Ltd", Price: dec("480")}}, At: at})

	// proposaltemplate
	tplID := id(50)
	tpl := proposaltemplate.Content{Name: "Annual accounts & tax return", Title: "Annual accounts", Letter: "Dear {{client_name}},",
		Lines: []proposal.Line{{ID: id(51), Name: "Annual accounts", UnitPrice: dec("1800"), Quantity: dec("1"), TaxRate: dec("10"),
			BillingRule: domain.BillingRule{Frequency: domain.FrequencyOnce, Start: domain.StartOnProposalStart, End: domain.EndNever}}},
		ExpiryDays: 30}
	tplCreated := proposaltemplate.ProposalTemplateCreated{TemplateID: tplID, Content: tpl, At: at}
	add(nil, tplCreated)
	tpl.ExpiryDays = 21
	add([]domain.Event{tplCreated}, proposaltemplate.ProposalTemplateEdited{TemplateID: tplID, Content: tpl, At: at})
	add([]domain.Event{tplCreated}, proposaltemplate.ProposalTemplateArchived{TemplateID: tplID, At: at})

	return out
}
