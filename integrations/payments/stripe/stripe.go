// Package stripe is the Stripe adapter of the payment gateway port
// (integrations/payments), over the official stripe-go client: customers,
// payment methods attached to them, and off-session PaymentIntents confirmed
// at once with Remit's idempotency key. Webhook turns Stripe's asynchronous
// results (a bank debit settling or failing days later) into Results for
// Remit, after checking their signature, and passes Checkout Session
// events on (OnCheckout). CreateSession and Session (checkout.go) implement
// payments.HostedCheckout with Stripe Checkout.
//
// Charge maps a PaymentIntent to Remit's words: succeeded → succeeded;
// processing (a bank debit on its way) → pending; requires_payment_method or
// a card error → rejected with Stripe's decline code. Stripe replays the
// first response to a repeated idempotency key, so Charge asks again for a
// pending PaymentIntent's current state before answering.
package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/shopspring/decimal"
	stripego "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"remit/domain"
	"remit/integrations/payments"
)

// Config configures a Gateway.
type Config struct {
	// SecretKey is the Stripe API key (sk_…).
	SecretKey string
	// URL, when set, is the API's base URL (tests point it at stripe-mock).
	URL string
	// HTTPClient, when set, makes the requests.
	HTTPClient *http.Client
}

// Gateway charges through Stripe. It is safe for concurrent use.
type Gateway struct {
	sc *stripego.Client
}

var _ payments.Gateway = (*Gateway)(nil)

// New returns a Gateway.
func New(cfg Config) *Gateway {
	bc := &stripego.BackendConfig{HTTPClient: cfg.HTTPClient, LeveledLogger: &stripego.LeveledLogger{Level: stripego.LevelError}}
	if cfg.URL != "" {
		bc.URL = stripego.String(cfg.URL)
	}
	return &Gateway{sc: stripego.NewClient(cfg.SecretKey, stripego.WithBackends(stripego.NewBackendsWithConfig(bc)))}
}

// CreateCustomer creates the Stripe customer of a client and returns its id.
// idempotencyKey (e.g. derived from the client id) makes a retry create none twice.
func (g *Gateway) CreateCustomer(ctx context.Context, idempotencyKey, name, email string) (string, error) {
	p := &stripego.CustomerCreateParams{Name: stripego.String(name), Email: stripego.String(email)}
	p.SetIdempotencyKey(idempotencyKey)
	c, err := g.sc.V1Customers.Create(ctx, p)
	if err != nil {
		return "", fmt.Errorf("stripe: create customer: %w", err)
	}
	return c.ID, nil
}

// AttachPaymentMethod attaches a payment method (pm_…, collected by Stripe's
// client-side elements) to a customer so it can be charged off-session.
func (g *Gateway) AttachPaymentMethod(ctx context.Context, customerID, paymentMethodID string) error {
	_, err := g.sc.V1PaymentMethods.Attach(ctx, paymentMethodID, &stripego.PaymentMethodAttachParams{Customer: stripego.String(customerID)})
	if err != nil {
		return fmt.Errorf("stripe: attach payment method: %w", err)
	}
	return nil
}

// Name is the gateway's name on payment methods it holds.
const Name = "stripe"

// Name implements payments.Gateway.
func (g *Gateway) Name() string { return Name }

// Charge implements payments.Gateway with an off-session PaymentIntent,
// confirmed at once, created with req.IdempotencyKey. req.Customer, when
// set, is sent as the PaymentIntent's customer: a PaymentMethod attached to
// a customer can only be charged with that customer named.
func (g *Gateway) Charge(ctx context.Context, req payments.ChargeRequest) (payments.ChargeResult, error) {
	minor := req.Amount.Amount.Shift(int32(req.Amount.Currency.MinorUnits))
	if !minor.IsInteger() || !minor.IsPositive() {
		return payments.ChargeResult{}, fmt.Errorf("stripe: cannot charge %s", req.Amount)
	}
	p := &stripego.PaymentIntentCreateParams{
		Amount:        stripego.Int64(minor.IntPart()),
		Currency:      stripego.String(strings.ToLower(req.Amount.Currency.Code)),
		PaymentMethod: stripego.String(req.PaymentMethod),
		Confirm:       stripego.Bool(true),
		OffSession:    stripego.Bool(true),
		Description:   stripego.String(req.Description),
	}
	if req.Customer != "" {
		p.Customer = stripego.String(req.Customer)
	}
	for k, v := range req.Metadata {
		p.AddMetadata(k, v)
	}
	p.AddMetadata("remit_idempotency_key", req.IdempotencyKey)
	p.SetIdempotencyKey(req.IdempotencyKey)
	pi, err := g.sc.V1PaymentIntents.Create(ctx, p)
	if err != nil {
		var se *stripego.Error
		if errors.As(err, &se) && se.Type == stripego.ErrorTypeCard {
			res := payments.ChargeResult{Status: payments.StatusRejected, DeclineCode: string(se.DeclineCode), Message: se.Msg}
			if res.DeclineCode == "" {
				res.DeclineCode = string(se.Code)
			}
			if se.PaymentIntent != nil {
				res.Reference = se.PaymentIntent.ID
			}
			return res, nil
		}
		return payments.ChargeResult{}, fmt.Errorf("stripe: create payment intent: %w", err)
	}
	if pi.Status == stripego.PaymentIntentStatusProcessing {
		// A replayed first response may be stale: ask for the current state.
		if cur, err := g.sc.V1PaymentIntents.Retrieve(ctx, pi.ID, nil); err == nil {
			pi = cur
		}
	}
	return Result(pi), nil
}

// Result maps a PaymentIntent to a payments.ChargeResult.
func Result(pi *stripego.PaymentIntent) payments.ChargeResult {
	res := payments.ChargeResult{Reference: pi.ID}
	switch pi.Status {
	case stripego.PaymentIntentStatusSucceeded:
		res.Status = payments.StatusSucceeded
		if cur, err := domain.ParseCurrency(strings.ToUpper(string(pi.Currency))); err == nil {
			res.Amount = domain.NewMoney(decimal.New(pi.AmountReceived, -int32(cur.MinorUnits)), cur)
		}
	case stripego.PaymentIntentStatusProcessing, stripego.PaymentIntentStatusRequiresCapture:
		res.Status = payments.StatusPending
	default: // requires_payment_method (declined), requires_action (off-session: cannot authenticate), canceled
		res.Status, res.DeclineCode, res.Message = payments.StatusRejected, string(pi.Status), "The payment was not completed."
		if e := pi.LastPaymentError; e != nil {
			// An error without codes (or message) keeps the status's: a
			// rejection must always say why.
			if e.DeclineCode != "" {
				res.DeclineCode = string(e.DeclineCode)
			} else if e.Code != "" {
				res.DeclineCode = string(e.Code)
			}
			if e.Msg != "" {
				res.Message = e.Msg
			}
		}
	}
	return res
}

// Notification is an asynchronous result Stripe sent to the webhook.
type Notification struct {
	// EventID is Stripe's event id (evt_…); Stripe may send an event twice.
	EventID string
	// IdempotencyKey is the key the charge was made with (from its metadata).
	IdempotencyKey string
	// Metadata is the charge's metadata (Remit's invoice and attempt ids).
	Metadata map[string]string
	Result   payments.ChargeResult
}

// Webhook is the http.Handler of Stripe's webhook endpoint: it checks the
// Stripe-Signature header with the endpoint's secret (webhook.ConstructEvent),
// and passes the final results of PaymentIntents (succeeded, payment_failed)
// to OnResult. It answers 400 to a bad signature or payload, 500 when
// OnResult fails (so Stripe sends it again), 200 otherwise.
type Webhook struct {
	Secret   string
	OnResult func(ctx context.Context, n Notification) error
	// OnCheckout receives checkout.session.completed and
	// checkout.session.async_payment_succeeded/failed (see checkout.go).
	OnCheckout func(ctx context.Context, n CheckoutNotification) error
}

// maxWebhookBody caps the body read, as Stripe's own examples do.
const maxWebhookBody = 65536

func (h Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody))
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	ev, err := webhook.ConstructEvent(body, r.Header.Get("Stripe-Signature"), h.Secret)
	if err != nil {
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	if strings.HasPrefix(string(ev.Type), "checkout.session.") {
		h.serveCheckout(w, r, ev)
		return
	}
	switch ev.Type {
	case "payment_intent.succeeded", "payment_intent.payment_failed":
	default:
		w.WriteHeader(http.StatusOK) // not ours to act on
		return
	}
	var pi stripego.PaymentIntent
	if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil {
		http.Error(w, "bad payment intent", http.StatusBadRequest)
		return
	}
	n := Notification{EventID: ev.ID, IdempotencyKey: pi.Metadata["remit_idempotency_key"], Metadata: pi.Metadata, Result: Result(&pi)}
	if h.OnResult != nil {
		if err := h.OnResult(r.Context(), n); err != nil {
			http.Error(w, "could not record the result", http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}
