package invoice_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/domain/decidertest"
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

// decider is the invoice decider, its events compared by JSON (decimals).
var decider = decidertest.Decider[invoice.State, invoice.Command]{Fold: invoice.Fold, Decide: invoice.Decide, ByJSON: true}

func aud(s string) domain.Money { return domain.MustMoney(s, "AUD") }

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
			{LineID: line1ID, Description: "Monthly bookkeeping", Quantity: decidertest.Dec("1"), UnitPrice: aud("100.00"), TaxRate: decidertest.Dec("10"), ServiceID: serviceID, ItemKey: itemKey},
			{LineID: line2ID, Description: "Set-up", Quantity: decidertest.Dec("2"), UnitPrice: aud("25.00"), Discount: domain.Discount{Kind: domain.DiscountPercent, Value: decidertest.Dec("10")}, TaxRate: decidertest.Dec("10")},
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
			{LineID: line1ID, Description: "Monthly bookkeeping", Quantity: decidertest.Dec("1"), UnitPrice: aud("100.00"), TaxRate: decidertest.Dec("10"), ServiceID: serviceID, ItemKey: itemKey,
				Amounts: domain.LineAmounts{Net: aud("100.00"), Tax: aud("10.00"), Gross: aud("110.00")}},
			{LineID: line2ID, Description: "Set-up", Quantity: decidertest.Dec("2"), UnitPrice: aud("25.00"), Discount: domain.Discount{Kind: domain.DiscountPercent, Value: decidertest.Dec("10")}, TaxRate: decidertest.Dec("10"),
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

	decidertest.Run(t, decider, []decidertest.Case[invoice.Command]{
		{Name: "OK", When: MustIssue(t), Then: []domain.Event{MustIssued(t)}},
		{Name: "OKInclusiveTax", When: mod(func(c *invoice.Issue) { c.TaxMode = domain.TaxInclusive }), Then: []domain.Event{inclusive}},
		{Name: "OKRetriedIssueIsIdempotent", Given: []domain.Event{MustIssued(t)}, When: MustIssue(t), Then: nil},
		{Name: "OKWithCollection", When: mod(func(c *invoice.Issue) { c.CollectionDate = issueOn.AddDays(3) }), Then: []domain.Event{MustIssued(t), scheduled()}},
		{Name: "OKCollectionOnIssueDate", When: mod(func(c *invoice.Issue) { c.CollectionDate = issueOn }),
			Then: []domain.Event{MustIssued(t), invoice.InvoiceCollectionScheduled{InvoiceID: invoiceID, Date: issueOn, PaymentMethodID: methodID, At: now}}},
		{Name: "OKNoMethodNoCollection", When: mod(func(c *invoice.Issue) { c.PaymentMethodID, c.CollectionDate = uuid.Nil, issueOn }), Then: []domain.Event{noMethodIssued(t)}},
		{Name: "OKRetriedIssueWithCollection", Given: []domain.Event{MustIssued(t), scheduled()}, When: mod(func(c *invoice.Issue) { c.CollectionDate = issueOn.AddDays(3) }), Then: nil},
		{Name: "ErrCollectionBeforeIssue", When: mod(func(c *invoice.Issue) { c.CollectionDate = issueOn.AddDays(-1) }), Err: decidertest.ThenErr(domain.EINVALID).Saying("collection_date")},
		{Name: "ErrAlreadyIssued", Given: []domain.Event{MustIssued(t)}, When: mod(func(c *invoice.Issue) { c.Number = "INV-000043" }), Err: decidertest.ThenErr(domain.ECONFLICT).Saying("already been issued as INV-000042")},
		{Name: "ErrDueBeforeIssue", When: mod(func(c *invoice.Issue) { c.DueDate = issueOn.AddDays(-1) }), Err: decidertest.ThenErr(domain.EINVALID).Saying("due_date")},
		{Name: "ErrMissingFields", When: invoice.Issue{Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("client_id")},
		{Name: "ErrNoLines", When: mod(func(c *invoice.Issue) { c.Lines = nil }), Err: decidertest.ThenErr(domain.EINVALID).Saying("at least one line")},
		{Name: "ErrCurrenciesMix", When: mod(func(c *invoice.Issue) { c.Lines[1].UnitPrice = domain.MustMoney("25", "USD") }), Err: decidertest.ThenErr(domain.EINVALID).Saying("currencies never mix")},
		{Name: "ErrZeroQuantity", When: mod(func(c *invoice.Issue) { c.Lines[0].Quantity = decimal.Zero }), Err: decidertest.ThenErr(domain.EINVALID).Saying("lines[0].quantity")},
		{Name: "ErrNegativeQuantity", When: mod(func(c *invoice.Issue) { c.Lines[0].Quantity = decidertest.Dec("-1") }), Err: decidertest.ThenErr(domain.EINVALID).Saying("lines[0].quantity")},
		{Name: "ErrBadTaxRate", When: mod(func(c *invoice.Issue) { c.Lines[1].TaxRate = decidertest.Dec("120") }), Err: decidertest.ThenErr(domain.EINVALID).Saying("lines[1].tax_rate")},
		{Name: "ErrDiscountAboveAmount", When: mod(func(c *invoice.Issue) {
			c.Lines[1].Discount = domain.Discount{Kind: domain.DiscountAmount, Value: decidertest.Dec("60")}
		}), Err: decidertest.ThenErr(domain.EINVALID).Saying("lines[1].discount")},
		{Name: "ErrDuplicateLineID", When: mod(func(c *invoice.Issue) { c.Lines[1].LineID = line1ID }), Err: decidertest.ThenErr(domain.EINVALID).Saying("lines[1].line_id")},
		{Name: "ErrItemBilledTwice", When: mod(func(c *invoice.Issue) {
			c.Lines[1].ServiceID, c.Lines[1].ItemKey = serviceID, itemKey
		}), Err: decidertest.ThenErr(domain.EINVALID).Saying("billed twice")},
		{Name: "ErrItemWithoutService", When: mod(func(c *invoice.Issue) { c.Lines[0].ServiceID = uuid.Nil }), Err: decidertest.ThenErr(domain.EINVALID).Saying("lines[0].service_id")},
		{Name: "ErrNoDescription", When: mod(func(c *invoice.Issue) { c.Lines[0].Description = " " }), Err: decidertest.ThenErr(domain.EINVALID).Saying("lines[0].description")},
		{Name: "ErrNoTaxMode", When: mod(func(c *invoice.Issue) { c.TaxMode = "" }), Err: decidertest.ThenErr(domain.EINVALID).Saying("tax_mode")},
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
	decidertest.Run(t, decider, []decidertest.Case[invoice.Command]{
		{Name: "OK", Given: []domain.Event{MustIssued(t)}, When: invoice.Send{Recipient: " accounts@acme.example ", Now: now}, Then: []domain.Event{sent}},
		{Name: "OKResend", Given: []domain.Event{MustIssued(t), sent}, When: invoice.Send{Recipient: "accounts@acme.example", Now: now}, Then: []domain.Event{resent}},
		{Name: "OKPaidInvoice", Given: []domain.Event{MustIssued(t), succeeded("159.50")}, When: invoice.Send{Recipient: "accounts@acme.example", Now: now}, Then: []domain.Event{sent}},
		{Name: "ErrNotIssued", When: invoice.Send{Recipient: "accounts@acme.example", Now: now}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrVoid", Given: []domain.Event{MustIssued(t), voided()}, When: invoice.Send{Recipient: "accounts@acme.example", Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("Invoice INV-000042 is void and cannot be sent.")},
		{Name: "ErrNoRecipient", Given: []domain.Event{MustIssued(t)}, When: invoice.Send{Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("recipient")},
		{Name: "ErrBadRecipient", Given: []domain.Event{MustIssued(t)}, When: invoice.Send{Recipient: "not an email", Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("not an email address")},
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
	decidertest.Run(t, decider, []decidertest.Case[invoice.Command]{
		{Name: "OK", Given: []domain.Event{MustIssued(t)}, When: cmd, Then: []domain.Event{scheduled()}},
		{Name: "OKSameScheduleIsIdempotent", Given: []domain.Event{MustIssued(t), scheduled()}, When: cmd, Then: nil},
		{Name: "OKMoveSchedule", Given: []domain.Event{MustIssued(t), scheduled()}, When: invoice.ScheduleCollection{Date: on.AddDays(1), PaymentMethodID: method2ID, Client: clientFacts, Now: now}, Then: []domain.Event{moved}},
		{Name: "ErrNotTheClientsMethod", Given: []domain.Event{MustIssued(t), scheduled()}, When: invoice.ScheduleCollection{Date: on, PaymentMethodID: strangerID, Client: clientFacts, Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("not one of this client's payment methods")},
		{Name: "OKPartlyPaid", Given: []domain.Event{MustIssued(t), recorded(paymentID, "50.00")}, When: cmd, Then: []domain.Event{scheduled()}},
		{Name: "ErrNotIssued", When: cmd, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrVoid", Given: []domain.Event{MustIssued(t), voided()}, When: cmd, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("is void")},
		{Name: "ErrPaid", Given: []domain.Event{MustIssued(t), succeeded("159.50")}, When: cmd, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("already paid")},
		{Name: "ErrWrittenOff", Given: []domain.Event{MustIssued(t), writtenOff("159.50")}, When: cmd, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("written off")},
		{Name: "ErrBeforeIssue", Given: []domain.Event{MustIssued(t)}, When: invoice.ScheduleCollection{Date: issueOn.AddDays(-1), PaymentMethodID: methodID, Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("date")},
		{Name: "ErrNoMethod", Given: []domain.Event{MustIssued(t)}, When: invoice.ScheduleCollection{Date: on, Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("payment_method_id")},
	})
}

// visa4242 is a card a client paid with on the pay-now page without keeping it.
var visa4242 = &invoice.MethodUsed{Kind: "card", Brand: "visa", Last4: "4242"}

func TestRecordCollectionAttempt(t *testing.T) {
	ok := invoice.RecordCollectionAttempt{AttemptID: attemptID, Outcome: invoice.AttemptSucceeded, PaymentMethodID: methodID, GatewayReference: "ch_1", Amount: aud("159.50"), Now: now}
	declined := invoice.RecordCollectionAttempt{AttemptID: attemptID, Outcome: invoice.AttemptRejected, PaymentMethodID: methodID, DeclineCode: "insufficient_funds", DeclineMessage: "Your card has insufficient funds.", Now: now}
	with := func(c invoice.RecordCollectionAttempt, f func(*invoice.RecordCollectionAttempt)) invoice.RecordCollectionAttempt {
		f(&c)
		return c
	}
	decidertest.Run(t, decider, []decidertest.Case[invoice.Command]{
		{Name: "OKSucceeded", Given: []domain.Event{MustIssued(t), scheduled()}, When: ok, Then: []domain.Event{succeeded("159.50")}},
		{Name: "OKSucceededPartly", Given: []domain.Event{MustIssued(t)}, When: with(ok, func(c *invoice.RecordCollectionAttempt) { c.Amount = aud("100") }), Then: []domain.Event{succeeded("100.00")}},
		{Name: "OKRejected", Given: []domain.Event{MustIssued(t), scheduled()}, When: declined, Then: []domain.Event{rejected()}},
		{Name: "OKSameAttemptTwice", Given: []domain.Event{MustIssued(t), succeeded("159.50")}, When: ok, Then: nil},
		{Name: "OKSameRejectionTwice", Given: []domain.Event{MustIssued(t), rejected()}, When: declined, Then: nil},
		{Name: "OKRejectionRedeliveredAfterVoid", Given: []domain.Event{MustIssued(t), rejected(), voided()}, When: declined, Then: nil},
		{Name: "ErrAttemptRecordedOtherwise", Given: []domain.Event{MustIssued(t), rejected()}, When: ok, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("already recorded as rejected")},
		{Name: "ErrNotIssued", When: ok, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrVoid", Given: []domain.Event{MustIssued(t), voided()}, When: ok, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("Invoice INV-000042 is void and cannot take a payment.")},
		{Name: "ErrPaid", Given: []domain.Event{MustIssued(t), recorded(paymentID, "159.50")}, When: with(ok, func(c *invoice.RecordCollectionAttempt) { c.AttemptID = attempt2ID }), Err: decidertest.ThenErr(domain.ECONFLICT).Saying("already paid")},
		{Name: "ErrOverpayment", Given: []domain.Event{MustIssued(t)}, When: with(ok, func(c *invoice.RecordCollectionAttempt) { c.Amount = aud("200") }), Err: decidertest.ThenErr(domain.EINVALID).Saying("more than the AUD 159.50 outstanding")},
		{Name: "ErrNoReference", Given: []domain.Event{MustIssued(t)}, When: with(ok, func(c *invoice.RecordCollectionAttempt) { c.GatewayReference = "" }), Err: decidertest.ThenErr(domain.EINVALID).Saying("gateway_reference")},
		{Name: "ErrOtherCurrency", Given: []domain.Event{MustIssued(t)}, When: with(ok, func(c *invoice.RecordCollectionAttempt) { c.Amount = domain.MustMoney("159.50", "NZD") }), Err: decidertest.ThenErr(domain.EINVALID).Saying("currencies never mix")},
		{Name: "ErrNoDeclineCode", Given: []domain.Event{MustIssued(t)}, When: with(declined, func(c *invoice.RecordCollectionAttempt) { c.DeclineCode = "" }), Err: decidertest.ThenErr(domain.EINVALID).Saying("decline_code")},
		{Name: "ErrNoOutcome", Given: []domain.Event{MustIssued(t)}, When: with(ok, func(c *invoice.RecordCollectionAttempt) { c.Outcome = "" }), Err: decidertest.ThenErr(domain.EINVALID).Saying("outcome")},
		{Name: "ErrNoAttemptID", Given: []domain.Event{MustIssued(t)}, When: with(ok, func(c *invoice.RecordCollectionAttempt) { c.AttemptID = uuid.Nil }), Err: decidertest.ThenErr(domain.EINVALID).Saying("attempt_id")},
		{Name: "OKPayNowWithAMethodNotKept", Given: []domain.Event{MustIssued(t)}, When: with(ok, func(c *invoice.RecordCollectionAttempt) {
			c.PaymentMethodID, c.Through, c.PaidWith = uuid.Nil, invoice.PaidThroughPayNow, visa4242
		}), Then: []domain.Event{invoice.InvoicePaymentSucceeded{InvoiceID: invoiceID, AttemptID: attemptID, GatewayReference: "ch_1", Amount: aud("159.50"),
			Through: invoice.PaidThroughPayNow, PaidWith: visa4242, At: now}}},
		{Name: "ErrPaidWithAMethodOnFile", Given: []domain.Event{MustIssued(t)}, When: with(ok, func(c *invoice.RecordCollectionAttempt) {
			c.Through, c.PaidWith = invoice.PaidThroughPayNow, visa4242
		}), Err: decidertest.ThenErr(domain.EINVALID).Saying("paid_with")},
		{Name: "ErrPaidWithNotThroughPayNow", Given: []domain.Event{MustIssued(t)}, When: with(ok, func(c *invoice.RecordCollectionAttempt) {
			c.PaymentMethodID, c.PaidWith = uuid.Nil, visa4242
		}), Err: decidertest.ThenErr(domain.EINVALID).Saying("paid_with")},
	})
}

func TestScheduleRetry(t *testing.T) {
	on := issueOn.AddDays(7)
	retry := invoice.InvoiceRetryScheduled{InvoiceID: invoiceID, Date: on, PaymentMethodID: methodID, At: now}
	retryOther := retry
	retryOther.PaymentMethodID = method2ID
	noMethod := MustIssued(t)
	noMethod.PaymentMethodID = uuid.Nil
	decidertest.Run(t, decider, []decidertest.Case[invoice.Command]{
		{Name: "OK", Given: []domain.Event{MustIssued(t), scheduled(), rejected()}, When: invoice.ScheduleRetry{Date: on, Now: now}, Then: []domain.Event{retry}},
		{Name: "OKOtherMethod", Given: []domain.Event{MustIssued(t), rejected()}, When: invoice.ScheduleRetry{Date: on, PaymentMethodID: method2ID, Client: clientFacts, Now: now}, Then: []domain.Event{retryOther}},
		{Name: "OKReplacesPendingRetry", Given: []domain.Event{MustIssued(t), scheduled(), rejected(), retryPending(dueOn, methodID)},
			When: invoice.ScheduleRetry{Date: on, PaymentMethodID: method2ID, Client: clientFacts, Now: now}, Then: []domain.Event{retryOther}},
		{Name: "ErrNotTheClientsMethod", Given: []domain.Event{MustIssued(t), rejected()}, When: invoice.ScheduleRetry{Date: on, PaymentMethodID: strangerID, Client: clientFacts, Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("not one of this client's payment methods")},
		{Name: "OKRetryNowWhilePending", Given: []domain.Event{MustIssued(t), rejected(), retryPending(dueOn, methodID)},
			When: invoice.ScheduleRetry{Date: issueOn, Now: now}, Then: []domain.Event{retryPending(issueOn, methodID)}},
		{Name: "OKSamePendingRetryIsIdempotent", Given: []domain.Event{MustIssued(t), rejected(), retryPending(on, methodID)}, When: invoice.ScheduleRetry{Date: on, Now: now}, Then: nil},
		{Name: "OKAfterCancelledRetry", Given: []domain.Event{MustIssued(t), rejected(), retryPending(dueOn, methodID), cancelled(true)}, When: invoice.ScheduleRetry{Date: on, Now: now}, Then: []domain.Event{retry}},
		{Name: "ErrNothingRejected", Given: []domain.Event{MustIssued(t), scheduled()}, When: invoice.ScheduleRetry{Date: on, Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("no rejected payment")},
		{Name: "ErrCollectionCancelled", Given: []domain.Event{MustIssued(t), scheduled(), cancelled(false)}, When: invoice.ScheduleRetry{Date: on, Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("no rejected payment")},
		{Name: "ErrNotIssued", When: invoice.ScheduleRetry{Date: on, Now: now}, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrVoid", Given: []domain.Event{MustIssued(t), rejected(), voided()}, When: invoice.ScheduleRetry{Date: on, Now: now}, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("is void")},
		{Name: "ErrNoDate", Given: []domain.Event{MustIssued(t), rejected()}, When: invoice.ScheduleRetry{Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("date")},
		{Name: "ErrNoMethodKnown", Given: []domain.Event{noMethod, rejected()}, When: invoice.ScheduleRetry{Date: on, Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("payment_method_id")},
	})
}

func TestCancelCollection(t *testing.T) {
	cmd := invoice.CancelCollection{Reason: " Client asked to wait ", Now: now}
	decidertest.Run(t, decider, []decidertest.Case[invoice.Command]{
		{Name: "OK", Given: []domain.Event{MustIssued(t), scheduled()}, When: cmd, Then: []domain.Event{cancelled(false)}},
		{Name: "OKPendingRetry", Given: []domain.Event{MustIssued(t), scheduled(), rejected(), retryPending(dueOn, methodID)}, When: cmd, Then: []domain.Event{cancelled(true)}},
		{Name: "OKNoReason", Given: []domain.Event{MustIssued(t), scheduled()}, When: invoice.CancelCollection{Now: now},
			Then: []domain.Event{invoice.InvoiceCollectionCancelled{InvoiceID: invoiceID, Date: issueOn.AddDays(3), PaymentMethodID: methodID, At: now}}},
		{Name: "ErrNothingScheduled", Given: []domain.Event{MustIssued(t)}, When: cmd, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("no payment collection scheduled")},
		{Name: "ErrAlreadyCancelled", Given: []domain.Event{MustIssued(t), scheduled(), cancelled(false)}, When: cmd, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("no payment collection scheduled")},
		{Name: "ErrRejectedNoRetry", Given: []domain.Event{MustIssued(t), scheduled(), rejected()}, When: cmd, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("no payment collection scheduled")},
		{Name: "ErrPaid", Given: []domain.Event{MustIssued(t), scheduled(), succeeded("159.50")}, When: cmd, Err: decidertest.ThenErr(domain.ECONFLICT)},
		{Name: "ErrNotIssued", When: cmd, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrVoid", Given: []domain.Event{MustIssued(t), scheduled(), voided()}, When: cmd, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("is void")},
	})
}

func TestRecordOfflinePayment(t *testing.T) {
	cmd := func(id uuid.UUID, amount domain.Money) invoice.RecordOfflinePayment {
		return invoice.RecordOfflinePayment{PaymentID: id, Method: invoice.PaidByBankTransfer, Reference: "EFT 991", Amount: amount, Date: issueOn.AddDays(2), Now: now}
	}
	decidertest.Run(t, decider, []decidertest.Case[invoice.Command]{
		{Name: "OK", Given: []domain.Event{MustIssued(t)}, When: cmd(paymentID, aud("159.50")), Then: []domain.Event{recorded(paymentID, "159.50")}},
		{Name: "OKPartial", Given: []domain.Event{MustIssued(t)}, When: cmd(paymentID, aud("50")), Then: []domain.Event{recorded(paymentID, "50.00")}},
		{Name: "OKRestAfterPartial", Given: []domain.Event{MustIssued(t), recorded(paymentID, "50.00")}, When: cmd(payment2ID, aud("109.50")), Then: []domain.Event{recorded(payment2ID, "109.50")}},
		{Name: "OKAfterRejection", Given: []domain.Event{MustIssued(t), rejected()}, When: cmd(paymentID, aud("159.50")), Then: []domain.Event{recorded(paymentID, "159.50")}},
		{Name: "OKSamePaymentTwice", Given: []domain.Event{MustIssued(t), recorded(paymentID, "159.50")}, When: cmd(paymentID, aud("159.50")), Then: nil},
		{Name: "ErrNotIssued", When: cmd(paymentID, aud("1")), Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrVoid", Given: []domain.Event{MustIssued(t), voided()}, When: cmd(paymentID, aud("1")), Err: decidertest.ThenErr(domain.ECONFLICT).Saying("Invoice INV-000042 is void and cannot take a payment.")},
		{Name: "ErrWrittenOff", Given: []domain.Event{MustIssued(t), writtenOff("159.50")}, When: cmd(paymentID, aud("1")), Err: decidertest.ThenErr(domain.ECONFLICT).Saying("written off")},
		{Name: "ErrPaid", Given: []domain.Event{MustIssued(t), recorded(paymentID, "159.50")}, When: cmd(payment2ID, aud("1")), Err: decidertest.ThenErr(domain.ECONFLICT).Saying("already paid")},
		{Name: "ErrOverpayment", Given: []domain.Event{MustIssued(t), recorded(paymentID, "100.00")}, When: cmd(payment2ID, aud("60")), Err: decidertest.ThenErr(domain.EINVALID).Saying("a payment of AUD 60.00 is more than the AUD 59.50 outstanding on invoice INV-000042")},
		{Name: "ErrZeroAmount", Given: []domain.Event{MustIssued(t)}, When: cmd(paymentID, aud("0")), Err: decidertest.ThenErr(domain.EINVALID).Saying("more than zero")},
		{Name: "ErrNegativeAmount", Given: []domain.Event{MustIssued(t)}, When: cmd(paymentID, aud("-5")), Err: decidertest.ThenErr(domain.EINVALID).Saying("more than zero")},
		{Name: "ErrSubCent", Given: []domain.Event{MustIssued(t)}, When: cmd(paymentID, domain.Money{Amount: decidertest.Dec("1.005"), Currency: domain.MustCurrency("AUD")}), Err: decidertest.ThenErr(domain.EINVALID).Saying("at most 2 decimals")},
		{Name: "ErrOtherCurrency", Given: []domain.Event{MustIssued(t)}, When: cmd(paymentID, domain.MustMoney("1", "USD")), Err: decidertest.ThenErr(domain.EINVALID).Saying("currencies never mix")},
		{Name: "ErrBadMethod", Given: []domain.Event{MustIssued(t)}, When: invoice.RecordOfflinePayment{PaymentID: paymentID, Method: "barter", Amount: aud("1"), Date: issueOn, Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("method")},
		{Name: "ErrNoDate", Given: []domain.Event{MustIssued(t)}, When: invoice.RecordOfflinePayment{PaymentID: paymentID, Method: invoice.PaidByCash, Amount: aud("1"), Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("date")},
		{Name: "ErrNoPaymentID", Given: []domain.Event{MustIssued(t)}, When: cmd(uuid.Nil, aud("1")), Err: decidertest.ThenErr(domain.EINVALID).Saying("payment_id")},
	})
}

func TestWriteOff(t *testing.T) {
	cmd := invoice.WriteOff{Reason: "Client went into liquidation", Now: now}
	decidertest.Run(t, decider, []decidertest.Case[invoice.Command]{
		{Name: "OK", Given: []domain.Event{MustIssued(t)}, When: cmd, Then: []domain.Event{writtenOff("159.50")}},
		{Name: "OKTheRest", Given: []domain.Event{MustIssued(t), recorded(paymentID, "100.00"), rejected()}, When: cmd, Then: []domain.Event{writtenOff("59.50")}},
		{Name: "ErrNotIssued", When: cmd, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrVoid", Given: []domain.Event{MustIssued(t), voided()}, When: cmd, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("is void and cannot be written off")},
		{Name: "ErrPaid", Given: []domain.Event{MustIssued(t), succeeded("159.50")}, When: cmd, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("already paid")},
		{Name: "ErrAlreadyWrittenOff", Given: []domain.Event{MustIssued(t), writtenOff("159.50")}, When: cmd, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("written off")},
		{Name: "ErrNoReason", Given: []domain.Event{MustIssued(t)}, When: invoice.WriteOff{Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("reason")},
	})
}

func TestVoid(t *testing.T) {
	cmd := invoice.Void{Reason: "Billed in error", Now: now}
	decidertest.Run(t, decider, []decidertest.Case[invoice.Command]{
		{Name: "OK", Given: []domain.Event{MustIssued(t)}, When: cmd, Then: []domain.Event{voided()}},
		{Name: "OKAfterRejection", Given: []domain.Event{MustIssued(t), scheduled(), rejected()}, When: cmd, Then: []domain.Event{voided()}},
		{Name: "OKAfterCreditNote", Given: []domain.Event{MustIssued(t), credited("10.00")}, When: cmd, Then: []domain.Event{voided()}},
		{Name: "ErrNotIssued", When: cmd, Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrPaymentCollected", Given: []domain.Event{MustIssued(t), succeeded("10.00")}, When: cmd, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("payment was collected")},
		{Name: "ErrOfflinePayment", Given: []domain.Event{MustIssued(t), recorded(paymentID, "10.00")}, When: cmd, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("payment was collected")},
		{Name: "ErrAlreadyVoid", Given: []domain.Event{MustIssued(t), voided()}, When: cmd, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("is void")},
		{Name: "ErrWrittenOff", Given: []domain.Event{MustIssued(t), writtenOff("159.50")}, When: cmd, Err: decidertest.ThenErr(domain.ECONFLICT).Saying("written off")},
		{Name: "ErrNoReason", Given: []domain.Event{MustIssued(t)}, When: invoice.Void{Reason: "  ", Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("reason")},
	})
}

func TestIssueCreditNote(t *testing.T) {
	cmd := func(amount domain.Money) invoice.IssueCreditNote {
		return invoice.IssueCreditNote{CreditNoteID: creditID, Amount: amount, Reason: "Goodwill", Now: now}
	}
	decidertest.Run(t, decider, []decidertest.Case[invoice.Command]{
		{Name: "OK", Given: []domain.Event{MustIssued(t)}, When: cmd(aud("10")), Then: []domain.Event{credited("10.00")}},
		{Name: "OKWholeBalance", Given: []domain.Event{MustIssued(t), recorded(paymentID, "100.00")}, When: cmd(aud("59.50")), Then: []domain.Event{credited("59.50")}},
		{Name: "OKSameCreditNoteTwice", Given: []domain.Event{MustIssued(t), credited("10.00")}, When: cmd(aud("10")), Then: nil},
		{Name: "ErrNotIssued", When: cmd(aud("10")), Err: decidertest.ThenErr(domain.ENOTFOUND)},
		{Name: "ErrVoid", Given: []domain.Event{MustIssued(t), voided()}, When: cmd(aud("10")), Err: decidertest.ThenErr(domain.ECONFLICT).Saying("is void and cannot take a credit note")},
		{Name: "ErrMoreThanOutstanding", Given: []domain.Event{MustIssued(t), recorded(paymentID, "100.00")}, When: cmd(aud("60")), Err: decidertest.ThenErr(domain.EINVALID).Saying("more than the AUD 59.50 outstanding")},
		{Name: "ErrPaid", Given: []domain.Event{MustIssued(t), succeeded("159.50")}, When: cmd(aud("1")), Err: decidertest.ThenErr(domain.ECONFLICT).Saying("already paid")},
		{Name: "ErrZero", Given: []domain.Event{MustIssued(t)}, When: cmd(aud("0")), Err: decidertest.ThenErr(domain.EINVALID).Saying("more than zero")},
		{Name: "ErrNoReason", Given: []domain.Event{MustIssued(t)}, When: invoice.IssueCreditNote{CreditNoteID: creditID, Amount: aud("1"), Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("reason")},
		{Name: "ErrNoID", Given: []domain.Event{MustIssued(t)}, When: invoice.IssueCreditNote{Amount: aud("1"), Reason: "x", Now: now}, Err: decidertest.ThenErr(domain.EINVALID).Saying("credit_note_id")},
		{Name: "ErrMoreThanOutstandingAndNoReason", Given: []domain.Event{MustIssued(t)}, When: invoice.IssueCreditNote{CreditNoteID: creditID, Amount: aud("200"), Now: now},
			Err: decidertest.ThenErr(domain.EINVALID, "amount", "reason").Only()},
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
			if !s.Balance().Amount.Equal(decidertest.Dec(tc.balance)) {
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
		{LineID: line1ID, Description: "a", Quantity: decidertest.Dec("0.335"), UnitPrice: aud("3"), TaxRate: decidertest.Dec("10")},
		{LineID: line2ID, Description: "b", Quantity: decidertest.Dec("0.015"), UnitPrice: aud("1"), TaxRate: decidertest.Dec("15")},
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
		refunded("50.00"),
		disputed("159.50"),
		disputeClosed(invoice.DisputeLost),
		surchargeAdded(tb),
		invoice.InvoiceDuplicatePaymentRefunded{InvoiceID: invoiceID, AttemptID: attemptID, GatewayReference: "ch_2", GatewayRefundReference: "re_2",
			Amount: aud("159.50"), Date: domain.MustDate(2026, 3, 2), At: now},
		reminded("after_due:7"),
		invoice.InvoiceDunningExhausted{InvoiceID: invoiceID, Date: remindOn, FinalAction: "switch_to_manual", WriteOffOn: remindOn.AddDays(30), NotifyClient: "pat@client.example", At: now},
		paused(),
		invoice.InvoiceRemindersResumed{InvoiceID: invoiceID, At: now},
	}
}

func surchargeAdded(tb testing.TB) invoice.InvoiceSurchargeAdded {
	tb.Helper()
	st := invoice.Fold([]domain.Event{MustIssued(tb)})
	sur := invoice.Surcharge{Kind: invoice.SurchargeCard, Percent: decidertest.Dec("1.5"), TaxRate: decidertest.Dec("10")}
	l, _ := st.SurchargeLine(attemptID, sur)
	return invoice.InvoiceSurchargeAdded{InvoiceID: invoiceID, AttemptID: attemptID, Kind: sur.Kind, Percent: sur.Percent, Base: aud("159.50"), Line: l,
		Totals: invoice.Totals{Net: aud("147.39"), Tax: aud("14.74"), Gross: aud("162.13")}, At: now}
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
			switch e.(type) {
			case invoice.InvoiceIssued:
				from = invoice.State{}
			case invoice.InvoiceRemindersResumed:
				from = invoice.Evolve(base, paused())
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
			raw, back := decidertest.MustRoundTrip(t, e, invoice.DecodeEvent)
			data := string(raw)
			// Fold must see the decoded event exactly as the original.
			if a, b := decidertest.MustJSON(t, invoice.Evolve(invoice.State{}, e)), decidertest.MustJSON(t, invoice.Evolve(invoice.State{}, back)); a != b {
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

// TestCreditNoteNumberAndTax: credit notes are numbered after their
// invoice, and the tax shares of two credit notes, each the cumulative
// share less the one before, add up to the share of their sum.
func TestCreditNoteNumberAndTax(t *testing.T) {
	if got := invoice.CreditNoteNumber("INV-000042", 2); got != "INV-000042-CN2" {
		t.Errorf("number %q", got)
	}
	cur := domain.MustCurrency("AUD")
	gross, tax := decimal.RequireFromString("1622.50"), decimal.RequireFromString("122.50")
	first := invoice.CreditedTax(cur, gross, tax, decimal.RequireFromString("100"))
	both := invoice.CreditedTax(cur, gross, tax, decimal.RequireFromString("169.50"))
	if !first.Equal(decimal.RequireFromString("7.55")) || !both.Sub(first).Equal(decimal.RequireFromString("5.25")) {
		t.Errorf("shares %s and %s, want 7.55 and 5.25", first, both.Sub(first))
	}
	if got := invoice.CreditedTax(cur, decimal.Zero, decimal.Zero, decimal.NewFromInt(1)); !got.IsZero() {
		t.Errorf("a zero invoice's share %s, want 0", got)
	}
}
