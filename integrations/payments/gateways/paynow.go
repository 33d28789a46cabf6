package gateways

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/eventstore"
	"remit/integrations/payments"
	"remit/integrations/payments/stripe"
	"remit/processes/billingrun"
)

// # Pay-now links
//
// A client pays an open invoice once, by card or bank debit, on the
// gateway's hosted page, from a signed link (/c/i/{token}). PayNow.Start
// opens a payment-mode session for the invoice's outstanding balance; its
// idempotency key is made of the invoice id, the balance and how many
// collection attempts the invoice has had, so two tabs (or a resubmitted
// form) get the same session and the client is charged once, while a new
// balance (a part payment) or a declined attempt opens a new one. The
// session's metadata, which Stripe copies onto the PaymentIntent, carries
// invoice_id and attempt_id: the attempt's id is derived from that key,
// one to one with the session. The payment is recorded as a collection
// attempt on the invoice (billingrun.RecordAttempt, the command id the
// collection run and the webhook Recorder use) by whichever comes first:
// the browser's return (Record), the checkout.session.* webhook
// (OnCheckout) or, for a bank debit that settles days later, the
// payment_intent.* webhook (Recorder). Recording it again appends nothing.
// When the client asked to keep the method, it is put on file too, under
// the id MethodIDFor(session id).

// PurposePay is the "remit_purpose" metadata of a pay-now session.
const PurposePay = "pay"

// PayNow opens pay-now sessions for invoices and records their payments.
type PayNow struct {
	Gateway payments.HostedCheckout
	// Name is the gateway's name, as methods it keeps record it.
	Name    string
	Store   eventstore.Store
	Billing *billing.Service
	// Logger receives what the webhook could not act on; nil discards.
	Logger *slog.Logger
}

// PayRequest asks for a session paying an invoice's outstanding balance.
type PayRequest struct {
	InvoiceID uuid.UUID
	// SaveMethod keeps the method on file for the client's future invoices.
	SaveMethod bool
	// Kind restricts the session to cards (PayByCard) or the currency's
	// bank debit (PayByBank), adding that kind's surcharge when the firm
	// sets one (surcharge.go); "" offers every method at the balance.
	Kind string
	// ReturnURL (with payments.SessionIDPlaceholder) and CancelURL are
	// where the browser comes back.
	ReturnURL, CancelURL string
}

// payNamespace names pay-now attempts.
var payNamespace = uuid.MustParse("3c0b9e52-7d41-5f0a-9b6e-2a8f4d1c6e07")

// PaymentKey is the idempotency key of the session paying the invoice as
// it stands: its id, its balance and how many attempts it has had.
func PaymentKey(st invoice.State) string {
	return "remit-pay/" + st.ID.String() + "/" + st.Balance().Amount.StringFixed(int32(st.Currency.MinorUnits)) + "/" + strconv.Itoa(len(st.Attempts))
}

// AttemptIDFor is the collection attempt a pay-now session's payment is
// recorded as.
func AttemptIDFor(key string) uuid.UUID { return uuid.NewSHA1(payNamespace, []byte(key)) }

// Start opens (or finds again) the session paying the invoice's balance.
// An invoice with nothing to pay is refused (ECONFLICT).
func (p *PayNow) Start(ctx context.Context, req PayRequest) (payments.Session, error) {
	st, err := foldInvoice(ctx, p.Store, req.InvoiceID)
	if err != nil {
		return payments.Session{}, err
	}
	if err := st.CheckPayable(); err != nil {
		return payments.Session{}, err
	}
	c, err := (&Checkout{Store: p.Store, Name: p.Name}).client(ctx, st.ClientID)
	if err != nil {
		return payments.Session{}, err
	}
	key := PaymentKey(st)
	if req.Kind == PayByCard || req.Kind == PayByBank {
		key += "/" + req.Kind
	}
	sur, err := p.paySurcharge(ctx, req.Kind)
	if err != nil {
		return payments.Session{}, err
	}
	attemptID := AttemptIDFor(key)
	amount := st.Balance()
	if sur != nil {
		amount = st.SurchargedAmount(attemptID, *sur)
	}
	md := map[string]string{
		"remit_client_id": st.ClientID.String(), "remit_purpose": PurposePay,
		"invoice_id": st.ID.String(), "attempt_id": attemptID.String(),
	}
	billingrun.SurchargeMetadata(sur, md)
	if req.SaveMethod {
		md["remit_save_method"] = "true"
	}
	s, err := p.Gateway.CreateSession(ctx, payments.SessionRequest{
		IdempotencyKey: key, Mode: payments.ModePayment,
		Customer: (&Checkout{Name: p.Name}).customerOf(c), CustomerName: c.Name, CustomerEmail: primaryEmail(c),
		MethodTypes: kindTypes(req.Kind, st.Currency), Currency: st.Currency, Amount: amount,
		Description: "Invoice " + st.Number, SaveMethod: req.SaveMethod,
		SuccessURL: req.ReturnURL, CancelURL: req.CancelURL, Metadata: md,
	})
	if err != nil {
		return s, fmt.Errorf("open the gateway's checkout: %w", err)
	}
	// The same key answers the session as it was first created (Stripe
	// replays the first response): ask for it as it is now, so a session
	// already paid in (another tab, a debit being processed) is seen as
	// complete rather than offered again.
	now, err := p.Gateway.Session(ctx, s.ID)
	if err != nil {
		return s, fmt.Errorf("read the gateway's checkout %s: %w", s.ID, err)
	}
	if now.Status == payments.SessionOpen && now.URL == "" {
		now.URL = s.URL
	}
	return now, nil
}

// Paid is what Record found and recorded.
type Paid struct {
	Status    payments.SessionStatus
	InvoiceID uuid.UUID
	ClientID  uuid.UUID
	// Payment is the payment's state once the session is complete (a bank
	// debit is pending until it settles).
	Payment *payments.ChargeResult
	// MethodID is the method kept on file (uuid.Nil when none was).
	MethodID uuid.UUID
	// Position is the log position of the last event recorded.
	Position uint64
	// Duplicate is true when the invoice had nothing left to pay and the
	// payment was refunded in full (duplicate.go).
	Duplicate bool
}

var errNotAPayment = errors.New("not a pay-now session Remit started")

// Record asks the gateway for a pay-now session and records its payment
// as a collection attempt on the invoice (a pending bank debit records
// nothing yet), and the method when the client asked to keep it.
// Recording a session again records nothing.
func (p *PayNow) Record(ctx context.Context, sessionID, actor string) (Paid, error) {
	s, err := p.Gateway.Session(ctx, sessionID)
	if err != nil {
		return Paid{}, err
	}
	out := Paid{Status: s.Status, Payment: s.Payment}
	invoiceID, err1 := uuid.Parse(s.Metadata["invoice_id"])
	attemptID, err2 := uuid.Parse(s.Metadata["attempt_id"])
	clientID, err3 := uuid.Parse(s.Metadata["remit_client_id"])
	if err1 != nil || err2 != nil || err3 != nil || s.Mode != payments.ModePayment || s.Metadata["remit_purpose"] != PurposePay {
		return out, fmt.Errorf("checkout session %s: %w", sessionID, errNotAPayment)
	}
	out.InvoiceID, out.ClientID = invoiceID, clientID
	if s.Status != payments.SessionComplete || s.Payment == nil {
		return out, nil
	}
	meta := func(step string) billing.Meta {
		return billing.Meta{Actor: actor, CommandID: "paynow:" + s.ID + ":" + step, CorrelationID: "paynow:" + s.ID}
	}
	if s.Method != nil && s.Metadata["remit_save_method"] == "true" {
		out.MethodID = MethodIDFor(s.ID)
		res, err := p.Billing.AddPaymentMethod(ctx, billing.PaymentMethodRequest{ClientID: clientID, PaymentMethodID: out.MethodID,
			Method: (&Checkout{Name: p.Name}).details(*s.Method, s.Customer)}, meta("method"))
		if err != nil && domain.ErrorCode(err) == "" {
			return out, fmt.Errorf("keep the method of checkout session %s: %w", s.ID, err)
		}
		if err != nil {
			// The client's rules refuse it (archived meanwhile): the payment
			// is recorded all the same.
			p.log().Warn("pay-now: method not kept", "session", s.ID, "err", err)
			out.MethodID = uuid.Nil
		} else {
			out.Position = res.Position
		}
	}
	// The command id is the collection run's for this attempt (an empty
	// one: RecordAttempt fills it in), so the webhook Recorder recording
	// the same payment appends nothing either.
	var paidWith *invoice.MethodUsed
	if s.PaidWith != nil {
		paidWith = methodUsed((&Checkout{Name: p.Name}).details(*s.PaidWith, s.Customer))
	}
	res, err := billingrun.RecordPayNowAttempt(ctx, p.Billing, invoiceID, attemptID, out.MethodID, paidWith, *s.Payment,
		billingrun.SurchargeFromMetadata(s.Metadata), billing.Meta{Actor: actor, CorrelationID: "paynow:" + s.ID})
	if err != nil {
		// Paid meanwhile (another tab, another way): the money goes back.
		pos, err := refundDuplicate(ctx, p.Gateway, p.Store, p.Billing, p.log(), invoiceID, attemptID, *s.Payment, err, meta("duplicate"))
		if err == nil {
			out.Duplicate, out.Position = true, max(out.Position, pos)
			return out, nil
		}
		return out, fmt.Errorf("record the payment of checkout session %s: %w", s.ID, err)
	}
	out.Position = max(out.Position, res.Position)
	return out, nil
}

func (p *PayNow) log() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

// WebhookPayActor is the actor of what a pay-now webhook records.
const WebhookPayActor = "webhook:pay-now"

// OnCheckout records the payment of the pay-now session a
// checkout.session.completed or async_payment_* event names. Other
// sessions, and payments the invoice's state refuses (paid meanwhile by
// other means), are logged and answered nil; an error means the store or
// the gateway could not be reached, and the sender should try again.
func (p *PayNow) OnCheckout(ctx context.Context, n stripe.CheckoutNotification) error {
	if n.Mode != payments.ModePayment || n.Metadata["remit_purpose"] != PurposePay {
		return nil
	}
	_, err := p.Record(ctx, n.SessionID, WebhookPayActor)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errNotAPayment), errors.Is(err, payments.ErrUnknownSession):
		p.log().Info("pay-now webhook: not a payment Remit started", "event", n.EventID, "session", n.SessionID)
		return nil
	}
	switch domain.ErrorCode(err) {
	case domain.ECONFLICT, domain.EINVALID, domain.ENOTFOUND:
		p.log().Warn("pay-now webhook: payment not recorded", "event", n.EventID, "session", n.SessionID, "err", err)
		return nil
	}
	return err
}

// methodUsed is how a payment names a method the client paid with and did
// not keep (invoice.InvoicePaymentSucceeded.PaidWith): brand and last four
// digits, or scheme and masked account; never the gateway's token.
func methodUsed(m client.PaymentMethodDetails) *invoice.MethodUsed {
	return &invoice.MethodUsed{Kind: string(m.Kind), Brand: m.Brand, Last4: m.Last4, Scheme: string(m.Scheme), MaskedAccount: m.MaskedAccount}
}
