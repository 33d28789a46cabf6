package invoice_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/invoice"
)

var (
	invoiceID  = uuid.MustParse("11111111-1111-4111-8111-111111111111")
	clientID   = uuid.MustParse("22222222-2222-4222-8222-222222222222")
	serviceID  = uuid.MustParse("33333333-3333-4333-8333-333333333333")
	methodID   = uuid.MustParse("44444444-4444-4444-8444-444444444444")
	method2ID  = uuid.MustParse("44444444-4444-4444-8444-555555555555")
	line1ID    = uuid.MustParse("55555555-5555-4555-8555-000000000001")
	line2ID    = uuid.MustParse("55555555-5555-4555-8555-000000000002")
	attemptID  = uuid.MustParse("66666666-6666-4666-8666-000000000001")
	attempt2ID = uuid.MustParse("66666666-6666-4666-8666-000000000002")
	paymentID  = uuid.MustParse("77777777-7777-4777-8777-000000000001")
	payment2ID = uuid.MustParse("77777777-7777-4777-8777-000000000002")
	creditID   = uuid.MustParse("88888888-8888-4888-8888-000000000001")

	now     = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	issueOn = domain.MustDate(2026, 3, 1)
	dueOn   = domain.MustDate(2026, 3, 15)
	itemKey = serviceID.String() + "/3"
)

func aud(s string) domain.Money { return domain.MustMoney(s, "AUD") }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// MustIssue returns a valid Issue command: a monthly bookkeeping line from a
// schedule item (AUD 100.00 + 10 % tax) and an instant-bill set-up line
// (2 × AUD 25.00 − 10 % + 10 % tax); total AUD 159.50.
func MustIssue(tb testing.TB) invoice.Issue {
	tb.Helper()
	return invoice.Issue{
		InvoiceID: invoiceID,
		ClientID:  clientID,
		Number:    "INV-000042",
		Currency:  domain.MustCurrency("AUD"),
		IssueDate: issueOn,
		DueDate:   dueOn,
		TaxMode:   domain.TaxExclusive,
		Lines: []invoice.NewLine{
			{LineID: line1ID, Description: "Monthly bookkeeping", Quantity: dec("1"), UnitPrice: aud("100.00"), TaxRate: dec("10"), ServiceID: serviceID, ItemKey: itemKey},
			{LineID: line2ID, Description: "Set-up", Quantity: dec("2"), UnitPrice: aud("25.00"), Discount: domain.Discount{Kind: domain.DiscountPercent, Value: dec("10")}, TaxRate: dec("10")},
		},
		Recurring:       true,
		PaymentMethodID: methodID,
		Client:          domain.ClientFacts{Currency: domain.MustCurrency("AUD"), PaymentMethods: []uuid.UUID{methodID}},
		Now:             now,
	}
}

// MustIssued returns the InvoiceIssued event MustIssue yields.
func MustIssued(tb testing.TB) invoice.InvoiceIssued {
	tb.Helper()
	c := MustIssue(tb)
	return invoice.InvoiceIssued{
		InvoiceID: invoiceID,
		ClientID:  clientID,
		Number:    "INV-000042",
		Currency:  c.Currency,
		IssueDate: issueOn,
		DueDate:   dueOn,
		TaxMode:   domain.TaxExclusive,
		Lines: []invoice.Line{
			{LineID: line1ID, Description: "Monthly bookkeeping", Quantity: dec("1"), UnitPrice: aud("100.00"), TaxRate: dec("10"), ServiceID: serviceID, ItemKey: itemKey,
				Amounts: domain.LineAmounts{Net: aud("100.00"), Tax: aud("10.00"), Gross: aud("110.00")}},
			{LineID: line2ID, Description: "Set-up", Quantity: dec("2"), UnitPrice: aud("25.00"), Discount: domain.Discount{Kind: domain.DiscountPercent, Value: dec("10")}, TaxRate: dec("10"),
				Amounts: domain.LineAmounts{Net: aud("45.00"), Tax: aud("4.50"), Gross: aud("49.50")}},
		},
		Totals:          invoice.Totals{Net: aud("145.00"), Tax: aud("14.50"), Gross: aud("159.50")},
		Recurring:       true,
		PaymentMethodID: methodID,
		At:              now,
	}
}

// Events used as "given" facts.
func scheduled() invoice.InvoiceCollectionScheduled {
	return invoice.InvoiceCollectionScheduled{InvoiceID: invoiceID, Date: issueOn.AddDays(3), PaymentMethodID: methodID, At: now}
}

func succeeded(amount string) invoice.InvoicePaymentSucceeded {
	return invoice.InvoicePaymentSucceeded{InvoiceID: invoiceID, AttemptID: attemptID, PaymentMethodID: methodID, GatewayReference: "ch_1", Amount: aud(amount), At: now}
}

func rejected() invoice.InvoicePaymentRejected {
	return invoice.InvoicePaymentRejected{InvoiceID: invoiceID, AttemptID: attemptID, PaymentMethodID: methodID, DeclineCode: "insufficient_funds", DeclineMessage: "Your card has insufficient funds.", At: now}
}

func recorded(id uuid.UUID, amount string) invoice.InvoicePaymentRecorded {
	return invoice.InvoicePaymentRecorded{InvoiceID: invoiceID, PaymentID: id, Method: invoice.PaidByBankTransfer, Reference: "EFT 991", Amount: aud(amount), Date: issueOn.AddDays(2), At: now}
}

func voided() invoice.InvoiceVoided {
	return invoice.InvoiceVoided{InvoiceID: invoiceID, Reason: "Billed in error", At: now}
}

func writtenOff(amount string) invoice.InvoiceWrittenOff {
	return invoice.InvoiceWrittenOff{InvoiceID: invoiceID, Amount: aud(amount), Reason: "Client went into liquidation", At: now}
}

func retryPending(on domain.Date, method uuid.UUID) invoice.InvoiceRetryScheduled {
	return invoice.InvoiceRetryScheduled{InvoiceID: invoiceID, Date: on, PaymentMethodID: method, At: now}
}

// cancelled is the cancellation of scheduled() (retry false) or of
// retryPending(dueOn, methodID) (retry true).
func cancelled(retry bool) invoice.InvoiceCollectionCancelled {
	if retry {
		return invoice.InvoiceCollectionCancelled{InvoiceID: invoiceID, Date: dueOn, PaymentMethodID: methodID, Retry: true, Reason: "Client asked to wait", At: now}
	}
	return invoice.InvoiceCollectionCancelled{InvoiceID: invoiceID, Date: issueOn.AddDays(3), PaymentMethodID: methodID, Reason: "Client asked to wait", At: now}
}

func credited(amount string) invoice.InvoiceCreditNoteIssued {
	return invoice.InvoiceCreditNoteIssued{InvoiceID: invoiceID, CreditNoteID: creditID, Amount: aud(amount), Reason: "Goodwill", At: now}
}

// testCase is one given/when/then case: either then (possibly empty: nothing
// to do) or wantCode.
type testCase struct {
	name     string
	given    []domain.Event
	when     invoice.Command
	then     []domain.Event
	wantCode string
	wantMsg  string // a substring of the user-facing message, when it matters
}

func run(t *testing.T, cases []testCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := invoice.Decide(invoice.Fold(tc.given), tc.when)
			if tc.wantCode != "" {
				if code := domain.ErrorCode(err); code != tc.wantCode {
					t.Fatalf("error code = %q (%v), want %q", code, err, tc.wantCode)
				}
				if len(got) != 0 {
					t.Fatalf("a refusal returned events %v", got)
				}
				msg := domain.ErrorMessage(err)
				if msg == "" || (tc.wantMsg != "" && !strings.Contains(err.Error(), tc.wantMsg)) {
					t.Fatalf("error %q, want a message containing %q", err, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			AssertEvents(t, got, tc.then)
		})
	}
}

// AssertEvents compares events by type and JSON encoding, since decimals that
// are equal in value may differ in representation.
func AssertEvents(tb testing.TB, got, want []domain.Event) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("got %d events %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range got {
		if got[i].EventType() != want[i].EventType() {
			tb.Fatalf("event %d is %s, want %s", i, got[i].EventType(), want[i].EventType())
		}
		g, w := MustJSON(tb, got[i]), MustJSON(tb, want[i])
		if g != w {
			tb.Fatalf("event %d:\n got %s\nwant %s", i, g, w)
		}
	}
}

// MustJSON encodes v.
func MustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestIssue(t *testing.T) {
	mod := func(f func(*invoice.Issue)) invoice.Issue {
		c := MustIssue(t)
		c.Lines = append([]invoice.NewLine(nil), c.Lines...)
		f(&c)
		return c
	}
	inclusive := MustIssued(t)
	inclusive.TaxMode = domain.TaxInclusive
	inclusive.Lines = append([]invoice.Line(nil), inclusive.Lines...)
	inclusive.Lines[0].Amounts = domain.LineAmounts{Net: aud("90.91"), Tax: aud("9.09"), Gross: aud("100.00")}
	inclusive.Lines[1].Amounts = domain.LineAmounts{Net: aud("40.91"), Tax: aud("4.09"), Gross: aud("45.00")}
	inclusive.Totals = invoice.Totals{Net: aud("131.82"), Tax: aud("13.18"), Gross: aud("145.00")}

	run(t, []testCase{
		{name: "OK", when: MustIssue(t), then: []domain.Event{MustIssued(t)}},
		{name: "OKInclusiveTax", when: mod(func(c *invoice.Issue) { c.TaxMode = domain.TaxInclusive }), then: []domain.Event{inclusive}},
		{name: "OKRetriedIssueIsIdempotent", given: []domain.Event{MustIssued(t)}, when: MustIssue(t), then: nil},
		{name: "OKWithCollection", when: mod(func(c *invoice.Issue) { c.CollectionDate = issueOn.AddDays(3) }), then: []domain.Event{MustIssued(t), scheduled()}},
		{name: "OKCollectionOnIssueDate", when: mod(func(c *invoice.Issue) { c.CollectionDate = issueOn }),
			then: []domain.Event{MustIssued(t), invoice.InvoiceCollectionScheduled{InvoiceID: invoiceID, Date: issueOn, PaymentMethodID: methodID, At: now}}},
		{name: "OKNoMethodNoCollection", when: mod(func(c *invoice.Issue) { c.PaymentMethodID, c.CollectionDate = uuid.Nil, issueOn }), then: []domain.Event{noMethodIssued(t)}},
		{name: "OKRetriedIssueWithCollection", given: []domain.Event{MustIssued(t), scheduled()}, when: mod(func(c *invoice.Issue) { c.CollectionDate = issueOn.AddDays(3) }), then: nil},
		{name: "ErrCollectionBeforeIssue", when: mod(func(c *invoice.Issue) { c.CollectionDate = issueOn.AddDays(-1) }), wantCode: domain.EINVALID, wantMsg: "collection_date"},
		{name: "ErrAlreadyIssued", given: []domain.Event{MustIssued(t)}, when: mod(func(c *invoice.Issue) { c.Number = "INV-000043" }), wantCode: domain.ECONFLICT, wantMsg: "already been issued as INV-000042"},
		{name: "ErrDueBeforeIssue", when: mod(func(c *invoice.Issue) { c.DueDate = issueOn.AddDays(-1) }), wantCode: domain.EINVALID, wantMsg: "due_date"},
		{name: "ErrMissingFields", when: invoice.Issue{Now: now}, wantCode: domain.EINVALID, wantMsg: "client_id"},
		{name: "ErrNoLines", when: mod(func(c *invoice.Issue) { c.Lines = nil }), wantCode: domain.EINVALID, wantMsg: "at least one line"},
		{name: "ErrCurrenciesMix", when: mod(func(c *invoice.Issue) { c.Lines[1].UnitPrice = domain.MustMoney("25", "USD") }), wantCode: domain.EINVALID, wantMsg: "currencies never mix"},
		{name: "ErrZeroQuantity", when: mod(func(c *invoice.Issue) { c.Lines[0].Quantity = decimal.Zero }), wantCode: domain.EINVALID, wantMsg: "lines[0].quantity"},
		{name: "ErrNegativeQuantity", when: mod(func(c *invoice.Issue) { c.Lines[0].Quantity = dec("-1") }), wantCode: domain.EINVALID, wantMsg: "lines[0].quantity"},
		{name: "ErrBadTaxRate", when: mod(func(c *invoice.Issue) { c.Lines[1].TaxRate = dec("120") }), wantCode: domain.EINVALID, wantMsg: "lines[1].tax_rate"},
		{name: "ErrDiscountAboveAmount", when: mod(func(c *invoice.Issue) {
			c.Lines[1].Discount = domain.Discount{Kind: domain.DiscountAmount, Value: dec("60")}
		}), wantCode: domain.EINVALID, wantMsg: "lines[1].discount"},
		{name: "ErrDuplicateLineID", when: mod(func(c *invoice.Issue) { c.Lines[1].LineID = line1ID }), wantCode: domain.EINVALID, wantMsg: "lines[1].line_id"},
		{name: "ErrItemBilledTwice", when: mod(func(c *invoice.Issue) {
			c.Lines[1].ServiceID, c.Lines[1].ItemKey = serviceID, itemKey
		}), wantCode: domain.EINVALID, wantMsg: "billed twice"},
		{name: "ErrItemWithoutService", when: mod(func(c *invoice.Issue) { c.Lines[0].ServiceID = uuid.Nil }), wantCode: domain.EINVALID, wantMsg: "lines[0].service_id"},
		{name: "ErrNoDescription", when: mod(func(c *invoice.Issue) { c.Lines[0].Description = " " }), wantCode: domain.EINVALID, wantMsg: "lines[0].description"},
		{name: "ErrNoTaxMode", when: mod(func(c *invoice.Issue) { c.TaxMode = "" }), wantCode: domain.EINVALID, wantMsg: "tax_mode"},
	})
}

func noMethodIssued(tb testing.TB) invoice.InvoiceIssued {
	e := MustIssued(tb)
	e.PaymentMethodID = uuid.Nil
	return e
}

func TestIssueReportsEveryProblem(t *testing.T) {
	c := MustIssue(t)
	c.Number = ""
	c.DueDate = domain.Date{}
	_, err := invoice.Decide(invoice.State{}, c)
	var v *domain.ValidationError
	if !asValidation(err, &v) || len(v.Problems) != 2 {
		t.Fatalf("got %v, want two field problems", err)
	}
}

func asValidation(err error, v **domain.ValidationError) bool {
	ve, ok := err.(*domain.ValidationError)
	*v = ve
	return ok
}

func TestSend(t *testing.T) {
	sent := invoice.InvoiceSent{InvoiceID: invoiceID, ClientID: clientID, Recipient: "accounts@acme.example", At: now}
	resent := sent
	resent.Resent = true
	run(t, []testCase{
		{name: "OK", given: []domain.Event{MustIssued(t)}, when: invoice.Send{Recipient: " accounts@acme.example ", Now: now}, then: []domain.Event{sent}},
		{name: "OKResend", given: []domain.Event{MustIssued(t), sent}, when: invoice.Send{Recipient: "accounts@acme.example", Now: now}, then: []domain.Event{resent}},
		{name: "OKPaidInvoice", given: []domain.Event{MustIssued(t), succeeded("159.50")}, when: invoice.Send{Recipient: "accounts@acme.example", Now: now}, then: []domain.Event{sent}},
		{name: "ErrNotIssued", when: invoice.Send{Recipient: "accounts@acme.example", Now: now}, wantCode: domain.ENOTFOUND},
		{name: "ErrVoid", given: []domain.Event{MustIssued(t), voided()}, when: invoice.Send{Recipient: "accounts@acme.example", Now: now}, wantCode: domain.ECONFLICT, wantMsg: "Invoice INV-000042 is void and cannot be sent."},
		{name: "ErrNoRecipient", given: []domain.Event{MustIssued(t)}, when: invoice.Send{Now: now}, wantCode: domain.EINVALID, wantMsg: "recipient"},
		{name: "ErrBadRecipient", given: []domain.Event{MustIssued(t)}, when: invoice.Send{Recipient: "not an email", Now: now}, wantCode: domain.EINVALID, wantMsg: "not an email address"},
	})
}

// clientFacts is the invoice's client: its two methods on file. strangerID
// is another client's method.
var (
	clientFacts = domain.ClientFacts{Currency: domain.MustCurrency("AUD"), PaymentMethods: []uuid.UUID{methodID, method2ID}}
	strangerID  = uuid.MustParse("44444444-4444-4444-8444-999999999999")
)

func TestScheduleCollection(t *testing.T) {
	on := issueOn.AddDays(3)
	cmd := invoice.ScheduleCollection{Date: on, PaymentMethodID: methodID, Now: now}
	moved := invoice.InvoiceCollectionScheduled{InvoiceID: invoiceID, Date: on.AddDays(1), PaymentMethodID: method2ID, At: now}
	run(t, []testCase{
		{name: "OK", given: []domain.Event{MustIssued(t)}, when: cmd, then: []domain.Event{scheduled()}},
		{name: "OKSameScheduleIsIdempotent", given: []domain.Event{MustIssued(t), scheduled()}, when: cmd, then: nil},
		{name: "OKMoveSchedule", given: []domain.Event{MustIssued(t), scheduled()}, when: invoice.ScheduleCollection{Date: on.AddDays(1), PaymentMethodID: method2ID, Client: clientFacts, Now: now}, then: []domain.Event{moved}},
		{name: "ErrNotTheClientsMethod", given: []domain.Event{MustIssued(t), scheduled()}, when: invoice.ScheduleCollection{Date: on, PaymentMethodID: strangerID, Client: clientFacts, Now: now}, wantCode: domain.EINVALID, wantMsg: "not one of this client's payment methods"},
		{name: "OKPartlyPaid", given: []domain.Event{MustIssued(t), recorded(paymentID, "50.00")}, when: cmd, then: []domain.Event{scheduled()}},
		{name: "ErrNotIssued", when: cmd, wantCode: domain.ENOTFOUND},
		{name: "ErrVoid", given: []domain.Event{MustIssued(t), voided()}, when: cmd, wantCode: domain.ECONFLICT, wantMsg: "is void"},
		{name: "ErrPaid", given: []domain.Event{MustIssued(t), succeeded("159.50")}, when: cmd, wantCode: domain.ECONFLICT, wantMsg: "already paid"},
		{name: "ErrWrittenOff", given: []domain.Event{MustIssued(t), writtenOff("159.50")}, when: cmd, wantCode: domain.ECONFLICT, wantMsg: "written off"},
		{name: "ErrBeforeIssue", given: []domain.Event{MustIssued(t)}, when: invoice.ScheduleCollection{Date: issueOn.AddDays(-1), PaymentMethodID: methodID, Now: now}, wantCode: domain.EINVALID, wantMsg: "date"},
		{name: "ErrNoMethod", given: []domain.Event{MustIssued(t)}, when: invoice.ScheduleCollection{Date: on, Now: now}, wantCode: domain.EINVALID, wantMsg: "payment_method_id"},
	})
}

func TestRecordCollectionAttempt(t *testing.T) {
	ok := invoice.RecordCollectionAttempt{AttemptID: attemptID, Outcome: invoice.AttemptSucceeded, PaymentMethodID: methodID, GatewayReference: "ch_1", Amount: aud("159.50"), Now: now}
	declined := invoice.RecordCollectionAttempt{AttemptID: attemptID, Outcome: invoice.AttemptRejected, PaymentMethodID: methodID, DeclineCode: "insufficient_funds", DeclineMessage: "Your card has insufficient funds.", Now: now}
	with := func(c invoice.RecordCollectionAttempt, f func(*invoice.RecordCollectionAttempt)) invoice.RecordCollectionAttempt {
		f(&c)
		return c
	}
	run(t, []testCase{
		{name: "OKSucceeded", given: []domain.Event{MustIssued(t), scheduled()}, when: ok, then: []domain.Event{succeeded("159.50")}},
		{name: "OKSucceededPartly", given: []domain.Event{MustIssued(t)}, when: with(ok, func(c *invoice.RecordCollectionAttempt) { c.Amount = aud("100") }), then: []domain.Event{succeeded("100.00")}},
		{name: "OKRejected", given: []domain.Event{MustIssued(t), scheduled()}, when: declined, then: []domain.Event{rejected()}},
		{name: "OKSameAttemptTwice", given: []domain.Event{MustIssued(t), succeeded("159.50")}, when: ok, then: nil},
		{name: "OKSameRejectionTwice", given: []domain.Event{MustIssued(t), rejected()}, when: declined, then: nil},
		{name: "OKRejectionRedeliveredAfterVoid", given: []domain.Event{MustIssued(t), rejected(), voided()}, when: declined, then: nil},
		{name: "ErrAttemptRecordedOtherwise", given: []domain.Event{MustIssued(t), rejected()}, when: ok, wantCode: domain.ECONFLICT, wantMsg: "already recorded as rejected"},
		{name: "ErrNotIssued", when: ok, wantCode: domain.ENOTFOUND},
		{name: "ErrVoid", given: []domain.Event{MustIssued(t), voided()}, when: ok, wantCode: domain.ECONFLICT, wantMsg: "Invoice INV-000042 is void and cannot take a payment."},
		{name: "ErrPaid", given: []domain.Event{MustIssued(t), recorded(paymentID, "159.50")}, when: with(ok, func(c *invoice.RecordCollectionAttempt) { c.AttemptID = attempt2ID }), wantCode: domain.ECONFLICT, wantMsg: "already paid"},
		{name: "ErrOverpayment", given: []domain.Event{MustIssued(t)}, when: with(ok, func(c *invoice.RecordCollectionAttempt) { c.Amount = aud("200") }), wantCode: domain.EINVALID, wantMsg: "more than the AUD 159.50 outstanding"},
		{name: "ErrNoReference", given: []domain.Event{MustIssued(t)}, when: with(ok, func(c *invoice.RecordCollectionAttempt) { c.GatewayReference = "" }), wantCode: domain.EINVALID, wantMsg: "gateway_reference"},
		{name: "ErrOtherCurrency", given: []domain.Event{MustIssued(t)}, when: with(ok, func(c *invoice.RecordCollectionAttempt) { c.Amount = domain.MustMoney("159.50", "NZD") }), wantCode: domain.EINVALID, wantMsg: "currencies never mix"},
		{name: "ErrNoDeclineCode", given: []domain.Event{MustIssued(t)}, when: with(declined, func(c *invoice.RecordCollectionAttempt) { c.DeclineCode = "" }), wantCode: domain.EINVALID, wantMsg: "decline_code"},
		{name: "ErrNoOutcome", given: []domain.Event{MustIssued(t)}, when: with(ok, func(c *invoice.RecordCollectionAttempt) { c.Outcome = "" }), wantCode: domain.EINVALID, wantMsg: "outcome"},
		{name: "ErrNoAttemptID", given: []domain.Event{MustIssued(t)}, when: with(ok, func(c *invoice.RecordCollectionAttempt) { c.AttemptID = uuid.Nil }), wantCode: domain.EINVALID, wantMsg: "attempt_id"},
	})
}

func TestScheduleRetry(t *testing.T) {
	on := issueOn.AddDays(7)
	retry := invoice.InvoiceRetryScheduled{InvoiceID: invoiceID, Date: on, PaymentMethodID: methodID, At: now}
	retryOther := retry
	retryOther.PaymentMethodID = method2ID
	noMethod := MustIssued(t)
	noMethod.PaymentMethodID = uuid.Nil
	run(t, []testCase{
		{name: "OK", given: []domain.Event{MustIssued(t), scheduled(), rejected()}, when: invoice.ScheduleRetry{Date: on, Now: now}, then: []domain.Event{retry}},
		{name: "OKOtherMethod", given: []domain.Event{MustIssued(t), rejected()}, when: invoice.ScheduleRetry{Date: on, PaymentMethodID: method2ID, Client: clientFacts, Now: now}, then: []domain.Event{retryOther}},
		{name: "OKReplacesPendingRetry", given: []domain.Event{MustIssued(t), scheduled(), rejected(), retryPending(dueOn, methodID)},
			when: invoice.ScheduleRetry{Date: on, PaymentMethodID: method2ID, Client: clientFacts, Now: now}, then: []domain.Event{retryOther}},
		{name: "ErrNotTheClientsMethod", given: []domain.Event{MustIssued(t), rejected()}, when: invoice.ScheduleRetry{Date: on, PaymentMethodID: strangerID, Client: clientFacts, Now: now}, wantCode: domain.EINVALID, wantMsg: "not one of this client's payment methods"},
		{name: "OKRetryNowWhilePending", given: []domain.Event{MustIssued(t), rejected(), retryPending(dueOn, methodID)},
			when: invoice.ScheduleRetry{Date: issueOn, Now: now}, then: []domain.Event{retryPending(issueOn, methodID)}},
		{name: "OKSamePendingRetryIsIdempotent", given: []domain.Event{MustIssued(t), rejected(), retryPending(on, methodID)}, when: invoice.ScheduleRetry{Date: on, Now: now}, then: nil},
		{name: "OKAfterCancelledRetry", given: []domain.Event{MustIssued(t), rejected(), retryPending(dueOn, methodID), cancelled(true)}, when: invoice.ScheduleRetry{Date: on, Now: now}, then: []domain.Event{retry}},
		{name: "ErrNothingRejected", given: []domain.Event{MustIssued(t), scheduled()}, when: invoice.ScheduleRetry{Date: on, Now: now}, wantCode: domain.ECONFLICT, wantMsg: "no rejected payment"},
		{name: "ErrCollectionCancelled", given: []domain.Event{MustIssued(t), scheduled(), cancelled(false)}, when: invoice.ScheduleRetry{Date: on, Now: now}, wantCode: domain.ECONFLICT, wantMsg: "no rejected payment"},
		{name: "ErrNotIssued", when: invoice.ScheduleRetry{Date: on, Now: now}, wantCode: domain.ENOTFOUND},
		{name: "ErrVoid", given: []domain.Event{MustIssued(t), rejected(), voided()}, when: invoice.ScheduleRetry{Date: on, Now: now}, wantCode: domain.ECONFLICT, wantMsg: "is void"},
		{name: "ErrNoDate", given: []domain.Event{MustIssued(t), rejected()}, when: invoice.ScheduleRetry{Now: now}, wantCode: domain.EINVALID, wantMsg: "date"},
		{name: "ErrNoMethodKnown", given: []domain.Event{noMethod, rejected()}, when: invoice.ScheduleRetry{Date: on, Now: now}, wantCode: domain.EINVALID, wantMsg: "payment_method_id"},
	})
}

func TestCancelCollection(t *testing.T) {
	cmd := invoice.CancelCollection{Reason: " Client asked to wait ", Now: now}
	run(t, []testCase{
		{name: "OK", given: []domain.Event{MustIssued(t), scheduled()}, when: cmd, then: []domain.Event{cancelled(false)}},
		{name: "OKPendingRetry", given: []domain.Event{MustIssued(t), scheduled(), rejected(), retryPending(dueOn, methodID)}, when: cmd, then: []domain.Event{cancelled(true)}},
		{name: "OKNoReason", given: []domain.Event{MustIssued(t), scheduled()}, when: invoice.CancelCollection{Now: now},
			then: []domain.Event{invoice.InvoiceCollectionCancelled{InvoiceID: invoiceID, Date: issueOn.AddDays(3), PaymentMethodID: methodID, At: now}}},
		{name: "ErrNothingScheduled", given: []domain.Event{MustIssued(t)}, when: cmd, wantCode: domain.ECONFLICT, wantMsg: "no payment collection scheduled"},
		{name: "ErrAlreadyCancelled", given: []domain.Event{MustIssued(t), scheduled(), cancelled(false)}, when: cmd, wantCode: domain.ECONFLICT, wantMsg: "no payment collection scheduled"},
		{name: "ErrRejectedNoRetry", given: []domain.Event{MustIssued(t), scheduled(), rejected()}, when: cmd, wantCode: domain.ECONFLICT, wantMsg: "no payment collection scheduled"},
		{name: "ErrPaid", given: []domain.Event{MustIssued(t), scheduled(), succeeded("159.50")}, when: cmd, wantCode: domain.ECONFLICT},
		{name: "ErrNotIssued", when: cmd, wantCode: domain.ENOTFOUND},
		{name: "ErrVoid", given: []domain.Event{MustIssued(t), scheduled(), voided()}, when: cmd, wantCode: domain.ECONFLICT, wantMsg: "is void"},
	})
}

func TestRecordOfflinePayment(t *testing.T) {
	cmd := func(id uuid.UUID, amount domain.Money) invoice.RecordOfflinePayment {
		return invoice.RecordOfflinePayment{PaymentID: id, Method: invoice.PaidByBankTransfer, Reference: "EFT 991", Amount: amount, Date: issueOn.AddDays(2), Now: now}
	}
	run(t, []testCase{
		{name: "OK", given: []domain.Event{MustIssued(t)}, when: cmd(paymentID, aud("159.50")), then: []domain.Event{recorded(paymentID, "159.50")}},
		{name: "OKPartial", given: []domain.Event{MustIssued(t)}, when: cmd(paymentID, aud("50")), then: []domain.Event{recorded(paymentID, "50.00")}},
		{name: "OKRestAfterPartial", given: []domain.Event{MustIssued(t), recorded(paymentID, "50.00")}, when: cmd(payment2ID, aud("109.50")), then: []domain.Event{recorded(payment2ID, "109.50")}},
		{name: "OKAfterRejection", given: []domain.Event{MustIssued(t), rejected()}, when: cmd(paymentID, aud("159.50")), then: []domain.Event{recorded(paymentID, "159.50")}},
		{name: "OKSamePaymentTwice", given: []domain.Event{MustIssued(t), recorded(paymentID, "159.50")}, when: cmd(paymentID, aud("159.50")), then: nil},
		{name: "ErrNotIssued", when: cmd(paymentID, aud("1")), wantCode: domain.ENOTFOUND},
		{name: "ErrVoid", given: []domain.Event{MustIssued(t), voided()}, when: cmd(paymentID, aud("1")), wantCode: domain.ECONFLICT, wantMsg: "Invoice INV-000042 is void and cannot take a payment."},
		{name: "ErrWrittenOff", given: []domain.Event{MustIssued(t), writtenOff("159.50")}, when: cmd(paymentID, aud("1")), wantCode: domain.ECONFLICT, wantMsg: "written off"},
		{name: "ErrPaid", given: []domain.Event{MustIssued(t), recorded(paymentID, "159.50")}, when: cmd(payment2ID, aud("1")), wantCode: domain.ECONFLICT, wantMsg: "already paid"},
		{name: "ErrOverpayment", given: []domain.Event{MustIssued(t), recorded(paymentID, "100.00")}, when: cmd(payment2ID, aud("60")), wantCode: domain.EINVALID, wantMsg: "a payment of AUD 60.00 is more than the AUD 59.50 outstanding on invoice INV-000042"},
		{name: "ErrZeroAmount", given: []domain.Event{MustIssued(t)}, when: cmd(paymentID, aud("0")), wantCode: domain.EINVALID, wantMsg: "more than zero"},
		{name: "ErrNegativeAmount", given: []domain.Event{MustIssued(t)}, when: cmd(paymentID, aud("-5")), wantCode: domain.EINVALID, wantMsg: "more than zero"},
		{name: "ErrSubCent", given: []domain.Event{MustIssued(t)}, when: cmd(paymentID, domain.Money{Amount: dec("1.005"), Currency: domain.MustCurrency("AUD")}), wantCode: domain.EINVALID, wantMsg: "at most 2 decimals"},
		{name: "ErrOtherCurrency", given: []domain.Event{MustIssued(t)}, when: cmd(paymentID, domain.MustMoney("1", "USD")), wantCode: domain.EINVALID, wantMsg: "currencies never mix"},
		{name: "ErrBadMethod", given: []domain.Event{MustIssued(t)}, when: invoice.RecordOfflinePayment{PaymentID: paymentID, Method: "barter", Amount: aud("1"), Date: issueOn, Now: now}, wantCode: domain.EINVALID, wantMsg: "method"},
		{name: "ErrNoDate", given: []domain.Event{MustIssued(t)}, when: invoice.RecordOfflinePayment{PaymentID: paymentID, Method: invoice.PaidByCash, Amount: aud("1"), Now: now}, wantCode: domain.EINVALID, wantMsg: "date"},
		{name: "ErrNoPaymentID", given: []domain.Event{MustIssued(t)}, when: cmd(uuid.Nil, aud("1")), wantCode: domain.EINVALID, wantMsg: "payment_id"},
	})
}

func TestWriteOff(t *testing.T) {
	cmd := invoice.WriteOff{Reason: "Client went into liquidation", Now: now}
	run(t, []testCase{
		{name: "OK", given: []domain.Event{MustIssued(t)}, when: cmd, then: []domain.Event{writtenOff("159.50")}},
		{name: "OKTheRest", given: []domain.Event{MustIssued(t), recorded(paymentID, "100.00"), rejected()}, when: cmd, then: []domain.Event{writtenOff("59.50")}},
		{name: "ErrNotIssued", when: cmd, wantCode: domain.ENOTFOUND},
		{name: "ErrVoid", given: []domain.Event{MustIssued(t), voided()}, when: cmd, wantCode: domain.ECONFLICT, wantMsg: "is void and cannot be written off"},
		{name: "ErrPaid", given: []domain.Event{MustIssued(t), succeeded("159.50")}, when: cmd, wantCode: domain.ECONFLICT, wantMsg: "already paid"},
		{name: "ErrAlreadyWrittenOff", given: []domain.Event{MustIssued(t), writtenOff("159.50")}, when: cmd, wantCode: domain.ECONFLICT, wantMsg: "written off"},
		{name: "ErrNoReason", given: []domain.Event{MustIssued(t)}, when: invoice.WriteOff{Now: now}, wantCode: domain.EINVALID, wantMsg: "reason"},
	})
}

func TestVoid(t *testing.T) {
	cmd := invoice.Void{Reason: "Billed in error", Now: now}
	run(t, []testCase{
		{name: "OK", given: []domain.Event{MustIssued(t)}, when: cmd, then: []domain.Event{voided()}},
		{name: "OKAfterRejection", given: []domain.Event{MustIssued(t), scheduled(), rejected()}, when: cmd, then: []domain.Event{voided()}},
		{name: "OKAfterCreditNote", given: []domain.Event{MustIssued(t), credited("10.00")}, when: cmd, then: []domain.Event{voided()}},
		{name: "ErrNotIssued", when: cmd, wantCode: domain.ENOTFOUND},
		{name: "ErrPaymentCollected", given: []domain.Event{MustIssued(t), succeeded("10.00")}, when: cmd, wantCode: domain.ECONFLICT, wantMsg: "payment was collected"},
		{name: "ErrOfflinePayment", given: []domain.Event{MustIssued(t), recorded(paymentID, "10.00")}, when: cmd, wantCode: domain.ECONFLICT, wantMsg: "payment was collected"},
		{name: "ErrAlreadyVoid", given: []domain.Event{MustIssued(t), voided()}, when: cmd, wantCode: domain.ECONFLICT, wantMsg: "is void"},
		{name: "ErrWrittenOff", given: []domain.Event{MustIssued(t), writtenOff("159.50")}, when: cmd, wantCode: domain.ECONFLICT, wantMsg: "written off"},
		{name: "ErrNoReason", given: []domain.Event{MustIssued(t)}, when: invoice.Void{Reason: "  ", Now: now}, wantCode: domain.EINVALID, wantMsg: "reason"},
	})
}

func TestIssueCreditNote(t *testing.T) {
	cmd := func(amount domain.Money) invoice.IssueCreditNote {
		return invoice.IssueCreditNote{CreditNoteID: creditID, Amount: amount, Reason: "Goodwill", Now: now}
	}
	run(t, []testCase{
		{name: "OK", given: []domain.Event{MustIssued(t)}, when: cmd(aud("10")), then: []domain.Event{credited("10.00")}},
		{name: "OKWholeBalance", given: []domain.Event{MustIssued(t), recorded(paymentID, "100.00")}, when: cmd(aud("59.50")), then: []domain.Event{credited("59.50")}},
		{name: "OKSameCreditNoteTwice", given: []domain.Event{MustIssued(t), credited("10.00")}, when: cmd(aud("10")), then: nil},
		{name: "ErrNotIssued", when: cmd(aud("10")), wantCode: domain.ENOTFOUND},
		{name: "ErrVoid", given: []domain.Event{MustIssued(t), voided()}, when: cmd(aud("10")), wantCode: domain.ECONFLICT, wantMsg: "is void and cannot take a credit note"},
		{name: "ErrMoreThanOutstanding", given: []domain.Event{MustIssued(t), recorded(paymentID, "100.00")}, when: cmd(aud("60")), wantCode: domain.EINVALID, wantMsg: "more than the AUD 59.50 outstanding"},
		{name: "ErrPaid", given: []domain.Event{MustIssued(t), succeeded("159.50")}, when: cmd(aud("1")), wantCode: domain.ECONFLICT, wantMsg: "already paid"},
		{name: "ErrZero", given: []domain.Event{MustIssued(t)}, when: cmd(aud("0")), wantCode: domain.EINVALID, wantMsg: "more than zero"},
		{name: "ErrNoReason", given: []domain.Event{MustIssued(t)}, when: invoice.IssueCreditNote{CreditNoteID: creditID, Amount: aud("1"), Now: now}, wantCode: domain.EINVALID, wantMsg: "reason"},
		{name: "ErrNoID", given: []domain.Event{MustIssued(t)}, when: invoice.IssueCreditNote{Amount: aud("1"), Reason: "x", Now: now}, wantCode: domain.EINVALID, wantMsg: "credit_note_id"},
	})
}

func TestStatusAndBalance(t *testing.T) {
	cases := []struct {
		name    string
		given   []domain.Event
		status  invoice.Status
		balance string
	}{
		{"NotIssued", nil, invoice.StatusNone, "0"},
		{"AwaitingPayment", []domain.Event{MustIssued(t)}, invoice.StatusAwaitingPayment, "159.50"},
		{"PaymentScheduled", []domain.Event{MustIssued(t), scheduled()}, invoice.StatusPaymentScheduled, "159.50"},
		{"Paid", []domain.Event{MustIssued(t), scheduled(), succeeded("159.50")}, invoice.StatusPaid, "0"},
		{"PartlyPaid", []domain.Event{MustIssued(t), recorded(paymentID, "59.50")}, invoice.StatusPartlyPaid, "100.00"},
		{"PartlyPaidStillScheduled", []domain.Event{MustIssued(t), scheduled(), recorded(paymentID, "59.50")}, invoice.StatusPaymentScheduled, "100.00"},
		{"PaymentRejected", []domain.Event{MustIssued(t), scheduled(), rejected()}, invoice.StatusPaymentRejected, "159.50"},
		{"RetryScheduled", []domain.Event{MustIssued(t), rejected(), invoice.InvoiceRetryScheduled{InvoiceID: invoiceID, Date: dueOn, PaymentMethodID: methodID}}, invoice.StatusPaymentScheduled, "159.50"},
		{"CollectionCancelled", []domain.Event{MustIssued(t), scheduled(), cancelled(false)}, invoice.StatusAwaitingPayment, "159.50"},
		{"CollectionCancelledPartlyPaid", []domain.Event{MustIssued(t), scheduled(), recorded(paymentID, "59.50"), cancelled(false)}, invoice.StatusPartlyPaid, "100.00"},
		{"RetryCancelled", []domain.Event{MustIssued(t), rejected(), retryPending(dueOn, methodID), cancelled(true)}, invoice.StatusPaymentRejected, "159.50"},
		{"WrittenOff", []domain.Event{MustIssued(t), recorded(paymentID, "59.50"), writtenOff("100.00")}, invoice.StatusWrittenOff, "0"},
		{"Void", []domain.Event{MustIssued(t), voided()}, invoice.StatusVoid, "159.50"},
		{"CreditedPartly", []domain.Event{MustIssued(t), credited("9.50")}, invoice.StatusAwaitingPayment, "150.00"},
		{"CreditedInFull", []domain.Event{MustIssued(t), credited("159.50")}, invoice.StatusPaid, "0"},
		{"PaidAndCredited", []domain.Event{MustIssued(t), recorded(paymentID, "100.00"), credited("59.50")}, invoice.StatusPaid, "0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := invoice.Fold(tc.given)
			if s.Status != tc.status {
				t.Errorf("status = %q, want %q", s.Status, tc.status)
			}
			if !s.Balance().Amount.Equal(dec(tc.balance)) {
				t.Errorf("balance = %s, want %s", s.Balance(), tc.balance)
			}
		})
	}
}

func TestStatusOn(t *testing.T) {
	cases := []struct {
		name  string
		given []domain.Event
		today domain.Date
		want  invoice.Status
	}{
		{"OnDueDate", []domain.Event{MustIssued(t)}, dueOn, invoice.StatusAwaitingPayment},
		{"AfterDueDate", []domain.Event{MustIssued(t)}, dueOn.AddDays(1), invoice.StatusOverdue},
		{"RejectedAfterDueDate", []domain.Event{MustIssued(t), rejected()}, dueOn.AddDays(1), invoice.StatusOverdue},
		{"PartlyPaidAfterDueDate", []domain.Event{MustIssued(t), recorded(paymentID, "1.00")}, dueOn.AddDays(30), invoice.StatusOverdue},
		{"PaidAfterDueDate", []domain.Event{MustIssued(t), succeeded("159.50")}, dueOn.AddDays(1), invoice.StatusPaid},
		{"VoidAfterDueDate", []domain.Event{MustIssued(t), voided()}, dueOn.AddDays(1), invoice.StatusVoid},
		{"WrittenOffAfterDueDate", []domain.Event{MustIssued(t), writtenOff("159.50")}, dueOn.AddDays(1), invoice.StatusWrittenOff},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := invoice.Fold(tc.given)
			if got := s.StatusOn(tc.today); got != tc.want {
				t.Errorf("StatusOn(%s) = %q, want %q", tc.today, got, tc.want)
			}
			if s.Status == invoice.StatusOverdue {
				t.Error("overdue was stored")
			}
		})
	}
}

func TestTotalsAreSumsOfRoundedLines(t *testing.T) {
	c := MustIssue(t)
	c.Lines = []invoice.NewLine{
		{LineID: line1ID, Description: "a", Quantity: dec("0.335"), UnitPrice: aud("3"), TaxRate: dec("10")},
		{LineID: line2ID, Description: "b", Quantity: dec("0.015"), UnitPrice: aud("1"), TaxRate: dec("15")},
	}
	events, err := invoice.Decide(invoice.State{}, c)
	if err != nil {
		t.Fatal(err)
	}
	e := events[0].(invoice.InvoiceIssued)
	gross := decimal.Zero
	for _, l := range e.Lines {
		gross = gross.Add(l.Amounts.Gross.Amount)
	}
	if !e.Totals.Gross.Amount.Equal(gross) || !e.Totals.Net.Amount.Add(e.Totals.Tax.Amount).Equal(gross) {
		t.Fatalf("totals %+v do not add up to the lines' %s", e.Totals, gross)
	}
}

// allEvents has one filled-in example of every event type.
func allEvents(tb testing.TB) []domain.Event {
	tb.Helper()
	return []domain.Event{
		MustIssued(tb),
		invoice.InvoiceSent{InvoiceID: invoiceID, ClientID: clientID, Recipient: "accounts@acme.example", Resent: true, At: now},
		scheduled(),
		succeeded("10.00"),
		rejected(),
		invoice.InvoiceRetryScheduled{InvoiceID: invoiceID, Date: dueOn, PaymentMethodID: method2ID, At: now},
		recorded(paymentID, "20.00"),
		writtenOff("100.00"),
		voided(),
		credited("5.00"),
		cancelled(false),
		abandoned(),
	}
}

func TestEveryEventTypeIsCatalogued(t *testing.T) {
	var got []string
	for _, e := range allEvents(t) {
		got = append(got, e.EventType())
	}
	if !reflect.DeepEqual(got, invoice.EventTypes()) {
		t.Fatalf("examples %v\ncatalogue %v", got, invoice.EventTypes())
	}
}

// TestEvolveChangesStateForEveryEvent fails when an event type has no case in
// Evolve.
func TestEvolveChangesStateForEveryEvent(t *testing.T) {
	base := invoice.Fold([]domain.Event{MustIssued(t)})
	for _, e := range allEvents(t) {
		t.Run(e.EventType(), func(t *testing.T) {
			from := base
			if _, ok := e.(invoice.InvoiceIssued); ok {
				from = invoice.State{}
			}
			if reflect.DeepEqual(invoice.Evolve(from, e), from) {
				t.Fatalf("Evolve ignored %s", e.EventType())
			}
		})
	}
}

func TestEvolveDoesNotChangeItsInput(t *testing.T) {
	s := invoice.Fold([]domain.Event{MustIssued(t), recorded(paymentID, "1.00")})
	_ = invoice.Evolve(s, recorded(payment2ID, "1.00"))
	if s.Payments[payment2ID] {
		t.Fatal("Evolve wrote into its input's map")
	}
}

func TestEvolveIgnoresUnknownEvents(t *testing.T) {
	s := invoice.Fold([]domain.Event{MustIssued(t)})
	if !reflect.DeepEqual(invoice.Evolve(s, unknownEvent{}), s) {
		t.Fatal("an unknown event changed the state")
	}
}

type unknownEvent struct{}

func (unknownEvent) EventType() string { return "SomethingElse" }

func TestJSONRoundTrip(t *testing.T) {
	for _, e := range allEvents(t) {
		t.Run(e.EventType(), func(t *testing.T) {
			data := MustJSON(t, e)
			back, err := invoice.DecodeEvent(e.EventType(), []byte(data))
			if err != nil {
				t.Fatal(err)
			}
			if reflect.TypeOf(back) != reflect.TypeOf(e) {
				t.Fatalf("decoded a %T, want a %T", back, e)
			}
			if again := MustJSON(t, back); again != data {
				t.Fatalf("round trip changed the event:\n  %s\n→ %s", data, again)
			}
			// Fold must see the decoded event exactly as the original.
			if a, b := MustJSON(t, invoice.Evolve(invoice.State{}, e)), MustJSON(t, invoice.Evolve(invoice.State{}, back)); a != b {
				t.Fatalf("decoded event evolves differently:\n%s\n%s", a, b)
			}
			if strings.Contains(data, `"InvoiceID"`) {
				t.Fatalf("field names are not snake_case: %s", data)
			}
		})
	}
}

func TestDecodeUnknownEvent(t *testing.T) {
	if _, err := invoice.DecodeEvent("NoSuchEvent", []byte(`{}`)); err == nil {
		t.Fatal("decoded an unknown event type")
	}
}

func TestStreamName(t *testing.T) {
	if got, want := invoice.StreamName(invoiceID), "invoice-"+invoiceID.String(); got != want {
		t.Fatalf("StreamName = %q, want %q", got, want)
	}
}

func TestIsInstantBill(t *testing.T) {
	lines := MustIssued(t).Lines
	if lines[0].IsInstantBill() || !lines[1].IsInstantBill() {
		t.Fatal("only the line without a service is an instant-bill line")
	}
}
