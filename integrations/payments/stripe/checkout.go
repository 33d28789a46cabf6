package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	stripego "github.com/stripe/stripe-go/v82"

	"remit/integrations/payments"
)

// # Hosted checkout
//
// CreateSession opens a Stripe Checkout Session: in setup mode for the
// customer (created first, with an idempotency key derived from the
// session's, when the request names none), or in payment mode with one line
// item of the amount (the customer created by Checkout when the method is
// kept: customer_creation always, setup_future_usage off_session). Canadian
// PAD gets the mandate options Stripe requires (sporadic business debits in
// CAD or USD). Session retrieves the session with its SetupIntent's or
// PaymentIntent's payment method and mandate expanded, and maps them to a
// payments.Method: card brand, last 4 and expiry, or the masked account and
// the mandate's reference and status.

var _ payments.HostedCheckout = (*Gateway)(nil)

// CreateSession implements payments.HostedCheckout.
func (g *Gateway) CreateSession(ctx context.Context, req payments.SessionRequest) (payments.Session, error) {
	if req.IdempotencyKey == "" || len(req.MethodTypes) == 0 || req.SuccessURL == "" {
		return payments.Session{}, errors.New("stripe: a checkout session needs an idempotency key, method types and a success URL")
	}
	p := &stripego.CheckoutSessionCreateParams{
		Mode:       stripego.String(string(req.Mode)),
		SuccessURL: stripego.String(req.SuccessURL),
		Metadata:   req.Metadata,
	}
	if req.CancelURL != "" {
		p.CancelURL = stripego.String(req.CancelURL)
	}
	for _, t := range req.MethodTypes {
		p.PaymentMethodTypes = append(p.PaymentMethodTypes, stripego.String(string(t)))
	}
	customer := req.Customer
	switch req.Mode {
	case payments.ModeSetup:
		if req.Currency.IsZero() {
			return payments.Session{}, errors.New("stripe: a setup session needs the currency of later charges")
		}
		if customer == "" {
			// Setup mode never creates a customer: the method must be
			// attached to one to be charged later.
			c, err := g.CreateCustomer(ctx, "customer/"+req.IdempotencyKey, req.CustomerName, req.CustomerEmail)
			if err != nil {
				return payments.Session{}, err
			}
			customer = c
		}
		p.Currency = stripego.String(strings.ToLower(req.Currency.Code))
		p.SetupIntentData = &stripego.CheckoutSessionCreateSetupIntentDataParams{Metadata: req.Metadata}
	case payments.ModePayment:
		if err := paymentParams(p, req); err != nil {
			return payments.Session{}, err
		}
	default:
		return payments.Session{}, fmt.Errorf("stripe: checkout session mode %q: setup or payment", req.Mode)
	}
	if customer != "" {
		p.Customer = stripego.String(customer)
	} else if req.CustomerEmail != "" {
		p.CustomerEmail = stripego.String(req.CustomerEmail)
	}
	p.PaymentMethodOptions = methodOptions(req)
	p.SetIdempotencyKey(req.IdempotencyKey)
	s, err := g.sc.V1CheckoutSessions.Create(ctx, p)
	if err != nil {
		return payments.Session{}, fmt.Errorf("stripe: create checkout session: %w", err)
	}
	out := SessionOf(s)
	if out.Customer == "" {
		out.Customer = customer
	}
	return out, nil
}

// PaymentKeyPrefix starts the idempotency key a payment session's payment
// is known by (its PaymentIntent's remit_idempotency_key metadata).
const PaymentKeyPrefix = "checkout/"

// paymentParams fills in a payment session: one line of the amount, the
// PaymentIntent's description and metadata, and keeping the method.
func paymentParams(p *stripego.CheckoutSessionCreateParams, req payments.SessionRequest) error {
	minor := req.Amount.Amount.Shift(int32(req.Amount.Currency.MinorUnits))
	if !minor.IsInteger() || !minor.IsPositive() {
		return fmt.Errorf("stripe: cannot take a payment of %s", req.Amount)
	}
	name := req.Description
	if name == "" {
		name = "Payment"
	}
	p.LineItems = []*stripego.CheckoutSessionCreateLineItemParams{{
		Quantity: stripego.Int64(1),
		PriceData: &stripego.CheckoutSessionCreateLineItemPriceDataParams{
			Currency:    stripego.String(strings.ToLower(req.Amount.Currency.Code)),
			UnitAmount:  stripego.Int64(minor.IntPart()),
			ProductData: &stripego.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripego.String(name)},
		},
	}}
	md := map[string]string{}
	for k, v := range req.Metadata {
		md[k] = v
	}
	md["remit_idempotency_key"] = PaymentKeyPrefix + req.IdempotencyKey
	p.PaymentIntentData = &stripego.CheckoutSessionCreatePaymentIntentDataParams{Metadata: md}
	if req.Description != "" {
		p.PaymentIntentData.Description = stripego.String(req.Description)
	}
	if req.SaveMethod {
		p.PaymentIntentData.SetupFutureUsage = stripego.String("off_session")
		if req.Customer == "" {
			p.CustomerCreation = stripego.String("always")
		}
	}
	return nil
}

// methodOptions are the options the schemes need: Canadian PAD's mandate
// (sporadic business debits, in the charges' currency).
func methodOptions(req payments.SessionRequest) *stripego.CheckoutSessionCreatePaymentMethodOptionsParams {
	for _, t := range req.MethodTypes {
		if t != payments.TypeACSS {
			continue
		}
		cur := req.Currency.Code
		if req.Mode == payments.ModePayment {
			cur = req.Amount.Currency.Code
		}
		return &stripego.CheckoutSessionCreatePaymentMethodOptionsParams{
			ACSSDebit: &stripego.CheckoutSessionCreatePaymentMethodOptionsACSSDebitParams{
				Currency: stripego.String(strings.ToLower(cur)),
				MandateOptions: &stripego.CheckoutSessionCreatePaymentMethodOptionsACSSDebitMandateOptionsParams{
					PaymentSchedule: stripego.String("sporadic"),
					TransactionType: stripego.String("business"),
				},
			},
		}
	}
	return nil
}

// Session implements payments.HostedCheckout.
func (g *Gateway) Session(ctx context.Context, id string) (payments.Session, error) {
	p := &stripego.CheckoutSessionRetrieveParams{}
	p.AddExpand("setup_intent.payment_method")
	p.AddExpand("setup_intent.mandate")
	p.AddExpand("payment_intent.payment_method")
	p.AddExpand("payment_intent.latest_charge")
	s, err := g.sc.V1CheckoutSessions.Retrieve(ctx, id, p)
	if err != nil {
		var se *stripego.Error
		if errors.As(err, &se) && se.HTTPStatusCode == 404 {
			return payments.Session{}, fmt.Errorf("stripe: checkout session %q: %w", id, payments.ErrUnknownSession)
		}
		return payments.Session{}, fmt.Errorf("stripe: retrieve checkout session: %w", err)
	}
	return SessionOf(s), nil
}

// SessionOfPayment answers the Checkout Session a PaymentIntent was made
// in (the sessions listed by payment_intent).
func (g *Gateway) SessionOfPayment(ctx context.Context, reference string) (string, error) {
	for s, err := range g.sc.V1CheckoutSessions.List(ctx, &stripego.CheckoutSessionListParams{PaymentIntent: stripego.String(reference)}) {
		if err != nil {
			return "", fmt.Errorf("stripe: list the checkout sessions of payment %q: %w", reference, err)
		}
		return s.ID, nil
	}
	return "", fmt.Errorf("stripe: payment %q: %w", reference, payments.ErrUnknownSession)
}

// SessionOf maps a Checkout Session (with its intents expanded) to Remit's
// words.
func SessionOf(s *stripego.CheckoutSession) payments.Session {
	out := payments.Session{
		ID: s.ID, URL: s.URL, Mode: payments.SessionMode(s.Mode), Status: payments.SessionStatus(s.Status), Metadata: s.Metadata,
	}
	if s.Customer != nil {
		out.Customer = s.Customer.ID
	}
	if si := s.SetupIntent; si != nil && s.Status == stripego.CheckoutSessionStatusComplete {
		out.Method = methodOf(si.PaymentMethod, si.Mandate, "")
	}
	if pi := s.PaymentIntent; pi != nil {
		out.PaymentKey = pi.Metadata["remit_idempotency_key"]
		if s.Status == stripego.CheckoutSessionStatusComplete {
			res := Result(pi)
			out.Payment = &res
			out.PaidWith = methodOf(pi.PaymentMethod, nil, "")
			if pi.SetupFutureUsage != "" {
				out.Method = methodOf(pi.PaymentMethod, nil, chargeMandate(pi.LatestCharge))
			}
		}
	}
	if out.Method != nil && out.Method.Customer == "" {
		out.Method.Customer = out.Customer
	}
	return out
}

// methodOf maps a PaymentMethod (and its mandate) to a payments.Method;
// nil when the method was not expanded.
func methodOf(pm *stripego.PaymentMethod, mandate *stripego.Mandate, mandateID string) *payments.Method {
	if pm == nil || pm.Type == "" {
		return nil
	}
	m := &payments.Method{Token: pm.ID, Type: payments.MethodType(pm.Type)}
	if pm.Customer != nil {
		m.Customer = pm.Customer.ID
	}
	switch {
	case pm.Card != nil:
		m.Brand, m.Last4, m.ExpiryMonth, m.ExpiryYear = string(pm.Card.Brand), pm.Card.Last4, int(pm.Card.ExpMonth), int(pm.Card.ExpYear)
		return m
	case pm.AUBECSDebit != nil:
		b := pm.AUBECSDebit.BSBNumber
		if len(b) == 6 {
			b = b[:3] + "-" + b[3:]
		}
		m.MaskedAccount = b + " ****" + pm.AUBECSDebit.Last4
	case pm.BACSDebit != nil:
		sc := pm.BACSDebit.SortCode
		if len(sc) == 6 {
			sc = sc[:2] + "-" + sc[2:4] + "-" + sc[4:]
		}
		m.MaskedAccount = sc + " ****" + pm.BACSDebit.Last4
	case pm.SEPADebit != nil:
		m.MaskedAccount = pm.SEPADebit.Country + "** **** " + pm.SEPADebit.Last4
	case pm.ACSSDebit != nil:
		m.MaskedAccount = pm.ACSSDebit.TransitNumber + "-" + pm.ACSSDebit.InstitutionNumber + " ****" + pm.ACSSDebit.Last4
	case pm.USBankAccount != nil:
		m.MaskedAccount = strings.TrimSpace(pm.USBankAccount.BankName + " ****" + pm.USBankAccount.Last4)
	case pm.NzBankAccount != nil:
		m.MaskedAccount = pm.NzBankAccount.BankCode + "-" + pm.NzBankAccount.BranchCode + " ****" + pm.NzBankAccount.Last4
	}
	m.MandateReference, m.MandateStatus = mandateID, "active"
	if mandate != nil {
		m.MandateReference = mandate.ID
		if mandate.Status != "" {
			m.MandateStatus = string(mandate.Status)
		}
		if d := mandate.PaymentMethodDetails; d != nil {
			switch {
			case d.BACSDebit != nil && d.BACSDebit.Reference != "":
				m.MandateReference = d.BACSDebit.Reference
			case d.SEPADebit != nil && d.SEPADebit.Reference != "":
				m.MandateReference = d.SEPADebit.Reference
			}
		}
	}
	return m
}

// chargeMandate is the mandate id a bank debit charge was made under.
func chargeMandate(c *stripego.Charge) string {
	if c == nil || c.PaymentMethodDetails == nil {
		return ""
	}
	d := c.PaymentMethodDetails
	switch {
	case d.AUBECSDebit != nil:
		return d.AUBECSDebit.Mandate
	case d.BACSDebit != nil:
		return d.BACSDebit.Mandate
	case d.SEPADebit != nil:
		return d.SEPADebit.Mandate
	case d.ACSSDebit != nil:
		return d.ACSSDebit.Mandate
	case d.USBankAccount != nil && d.USBankAccount.Mandate != nil:
		return d.USBankAccount.Mandate.ID
	}
	return ""
}

// CheckoutNotification is a Checkout Session event Stripe (or the sandbox,
// which signs alike) sent to the webhook.
type CheckoutNotification struct {
	// EventID is the event's id (evt_…); an event may come twice.
	EventID string
	// Type is checkout.session.completed,
	// checkout.session.async_payment_succeeded or …_failed.
	Type      string
	SessionID string
	Mode      payments.SessionMode
	// Metadata is the session's metadata (Remit's ids).
	Metadata map[string]string
}

// serveCheckout passes a checkout.session.* event to OnCheckout: 400 to a
// payload that is no session, 500 when OnCheckout fails (so the sender
// tries again), 200 otherwise, also for the session events Remit does not
// act on (expired).
func (h Webhook) serveCheckout(w http.ResponseWriter, r *http.Request, ev stripego.Event) {
	switch ev.Type {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded", "checkout.session.async_payment_failed":
	default:
		w.WriteHeader(http.StatusOK)
		return
	}
	var s stripego.CheckoutSession
	if err := json.Unmarshal(ev.Data.Raw, &s); err != nil || s.ID == "" {
		http.Error(w, "bad checkout session", http.StatusBadRequest)
		return
	}
	n := CheckoutNotification{EventID: ev.ID, Type: string(ev.Type), SessionID: s.ID, Mode: payments.SessionMode(s.Mode), Metadata: s.Metadata}
	if h.OnCheckout != nil {
		if err := h.OnCheckout(r.Context(), n); err != nil {
			http.Error(w, "could not record the checkout", http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}
