// Package gateways picks the payment gateway Remit runs with, from its
// configuration: the sandbox (the default: deterministic test cards and
// accounts, charges kept in the data folder) or Stripe. For Stripe it also
// builds the webhook endpoint that turns Stripe's asynchronous results (a
// bank debit settling or returned days after the charge) into invoice
// events, recorded through billing exactly as the collection run records a
// synchronous answer.
//
// Start also opens what hosted capture needs (checkout.go): Checkout opens
// setup sessions on the gateway's own page for Remit's purposes and records
// the method each captured, from the return redirect or the signed
// checkout.session.completed webhook, whichever comes first, once. The
// sandbox's webhook events are signed as Stripe's and go through the same
// handler (stripe.Webhook) at /api/webhooks/sandbox.
//
// PayNow (paynow.go) opens payment-mode sessions for pay-now links and
// records each payment once, as a collection attempt on its invoice.
//
// # Exactly once
//
// The collection run charges with the attempt's id as idempotency key and
// puts the invoice and attempt ids in the charge's metadata; Stripe sends
// them back with the PaymentIntent in its webhook events. Recording a result
// is billingrun.RecordAttempt with that attempt id, whose command id is the
// one the collection run itself would use, so a result recorded by the run
// and again by the webhook, or delivered twice by Stripe, appends nothing the
// second time.
//
// Disputes (charge.dispute.created, .updated, .closed) go to
// processes/refunds, which records each once from the dispute's id.
package gateways

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/invoice"
	"remit/eventstore"
	"remit/integrations/payments"
	"remit/integrations/payments/sandbox"
	"remit/integrations/payments/stripe"
	"remit/processes/billingrun"
	"remit/processes/refunds"
)

// Gateway names (each gateway's Name()).
const (
	Sandbox = sandbox.Name
	Stripe  = stripe.Name
)

// WebhookPath is where the lead mounts the Stripe webhook (outside sign-in:
// Stripe authenticates with the signature).
const WebhookPath = "/api/webhooks/stripe"

// Config says which gateway to run and how to reach it. The zero Config
// (with DataDir) is the sandbox.
type Config struct {
	// Gateway is Sandbox (the default when empty) or Stripe.
	Gateway string
	// DataDir is the data folder, where the sandbox keeps its charges.
	DataDir string
	// Now is the sandbox's clock (time.Now when nil).
	Now func() time.Time

	// StripeKey is Stripe's secret API key (sk_live_… or sk_test_…).
	StripeKey string
	// StripeWebhookSecret is the webhook endpoint's signing secret
	// (whsec_…); without it no webhook handler is built and asynchronous
	// results are picked up by the collection run asking Stripe again.
	StripeWebhookSecret string
	// StripeURL, when set, is Stripe's API base URL (stripe-mock in tests).
	StripeURL string
	// HTTPClient, when set, makes the requests to Stripe.
	HTTPClient *http.Client

	// Store and Billing are where the webhook records results; both are
	// needed for a webhook handler.
	Store   eventstore.Store
	Billing *billing.Service
	// Logger receives what the webhook could not act on; nil discards.
	Logger *slog.Logger
}

// Validate reports a configuration that cannot work, in the words of the
// flags that set it.
func (c Config) Validate() error {
	switch c.Gateway {
	case "", Sandbox:
		if c.StripeKey != "" || c.StripeWebhookSecret != "" || c.StripeURL != "" {
			return errors.New("--stripe-key, --stripe-webhook-secret and --stripe-url need --gateway stripe")
		}
	case Stripe:
		if c.StripeKey == "" {
			return errors.New("--gateway stripe needs --stripe-key (or REMIT_STRIPE_KEY): Stripe's secret API key, sk_…")
		}
		if !strings.HasPrefix(c.StripeKey, "sk_") && !strings.HasPrefix(c.StripeKey, "rk_") {
			return errors.New("--stripe-key must be a secret or restricted key (sk_… or rk_…), never a publishable key")
		}
		if c.StripeWebhookSecret != "" && !strings.HasPrefix(c.StripeWebhookSecret, "whsec_") {
			return errors.New("--stripe-webhook-secret must be the endpoint's signing secret, whsec_…")
		}
		if c.StripeURL != "" && !strings.HasPrefix(c.StripeURL, "http://") && !strings.HasPrefix(c.StripeURL, "https://") {
			return fmt.Errorf("--stripe-url %q: give an http:// or https:// URL", c.StripeURL)
		}
	default:
		return fmt.Errorf("--gateway %q: choose sandbox or stripe", c.Gateway)
	}
	return nil
}

// Open returns the configured gateway and, for Stripe with a webhook secret
// (and Store and Billing set), the webhook's http.Handler to mount at
// WebhookPath; the handler is nil otherwise. Serve uses Start, which also
// gives the sandbox's webhook and hosted page and the capture of methods.
func Open(cfg Config) (payments.Gateway, http.Handler, error) {
	o, err := Start(cfg)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Gateway != Stripe {
		return o.Gateway, nil, nil
	}
	return o.Gateway, o.Webhook, nil
}

// Opened is the configured gateway with everything Remit mounts for it.
type Opened struct {
	Gateway payments.Gateway
	// Webhook is the handler of the gateway's signed webhook events, to
	// mount at WebhookPath (public); nil without Store and Billing, or for
	// Stripe without a webhook secret. Both gateways' events go through
	// stripe.Webhook: payment results to Recorder, completed checkout
	// sessions to Checkout.
	Webhook     http.Handler
	WebhookPath string
	// Checkout opens hosted capture sessions and records them (nil without
	// Store and Billing).
	Checkout *Checkout
	// PayNow opens pay-now sessions for invoices and records their payments
	// (paynow.go; nil without Store and Billing).
	PayNow *PayNow
	// Pages is the sandbox's hosted page, to mount at sandbox.CheckoutPath
	// outside sign-in (nil for Stripe, whose pages are its own).
	Pages http.Handler
	// Sandbox is the sandbox gateway (nil for Stripe): the server starts
	// its webhook deliveries (StartWebhooks) once it knows its address.
	Sandbox *sandbox.Gateway
}

// Start opens the configured gateway and what goes with it.
func Start(cfg Config) (Opened, error) {
	if err := cfg.Validate(); err != nil {
		return Opened{}, err
	}
	var o Opened
	var hc payments.HostedCheckout
	secret := cfg.StripeWebhookSecret
	if cfg.Gateway != Stripe {
		gw, err := sandbox.Open(cfg.DataDir, sandbox.Options{Now: cfg.Now})
		if err != nil {
			return Opened{}, err
		}
		if secret, err = gw.WebhookSecret(context.Background()); err != nil {
			gw.Close()
			return Opened{}, err
		}
		o.Gateway, o.Sandbox, o.Pages, o.WebhookPath, hc = gw, gw, gw.Handler(), sandbox.WebhookPath, gw
	} else {
		gw := stripe.New(stripe.Config{SecretKey: cfg.StripeKey, URL: cfg.StripeURL, HTTPClient: cfg.HTTPClient})
		o.Gateway, o.WebhookPath, hc = gw, WebhookPath, gw
	}
	if cfg.Store == nil || cfg.Billing == nil {
		return o, nil
	}
	o.Checkout = &Checkout{Gateway: hc, Name: o.Gateway.Name(), Store: cfg.Store, Billing: cfg.Billing, Logger: cfg.Logger}
	o.PayNow = &PayNow{Gateway: hc, Name: o.Gateway.Name(), Store: cfg.Store, Billing: cfg.Billing, Logger: cfg.Logger}
	if secret != "" {
		rec := Recorder{Store: cfg.Store, Billing: cfg.Billing, Logger: cfg.Logger, Gateway: o.Gateway, PayNow: o.PayNow}
		disputes := &refunds.Refunder{Billing: cfg.Billing, Store: cfg.Store, Logger: cfg.Logger}
		o.Webhook = stripe.Webhook{Secret: secret, OnResult: rec.Record, OnCheckout: o.onCheckout, OnPayout: syncPayouts(cfg, o.Gateway),
			OnDispute: func(ctx context.Context, n stripe.DisputeNotification) error {
				return disputes.RecordDispute(ctx, n.Dispute, "stripe/"+n.EventID)
			}}
	}
	return o, nil
}

// onCheckout passes a checkout.session.* event to what opened the session:
// pay-now payments to PayNow, captures to Checkout.
func (o Opened) onCheckout(ctx context.Context, n stripe.CheckoutNotification) error {
	if n.Mode == payments.ModePayment {
		return o.PayNow.OnCheckout(ctx, n)
	}
	return o.Checkout.OnCheckout(ctx, n)
}

// Recorder records the asynchronous results Stripe's webhook delivers as
// collection attempts on their invoices.
type Recorder struct {
	Store   eventstore.Store
	Billing *billing.Service
	// Gateway, when it refunds (payments.Refunder), gives back a payment
	// the invoice refuses because nothing was left to pay (duplicate.go).
	Gateway any
	// Logger receives results that cannot be recorded; nil discards.
	Logger *slog.Logger
	// PayNow, when set, records a pay-now payment the webhook hears of
	// before the client's return or the session's own event: from its
	// session, as the return does (the method it was paid with named, and
	// kept when the client asked).
	PayNow *PayNow
}

// WebhookActor is recorded as the actor of results the webhook records.
const WebhookActor = "webhook:stripe"

// Record records one result. A PaymentIntent Remit did not make (no invoice
// and attempt ids in its metadata, or an invoice this store does not have)
// and a result that contradicts one already recorded are logged and
// answered nil, since Stripe sending them again would change nothing; an
// error means the store could not be reached, and Stripe should retry.
func (r Recorder) Record(ctx context.Context, n stripe.Notification) error {
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	invoiceID, err1 := uuid.Parse(n.Metadata["invoice_id"])
	attemptID, err2 := uuid.Parse(n.Metadata["attempt_id"])
	if err1 != nil || err2 != nil {
		log.Info("stripe webhook: a payment Remit did not make", "event", n.EventID, "reference", n.Result.Reference)
		return nil
	}
	if done, err := r.recordPayNowSession(ctx, n); done {
		return err
	}
	st, err := r.invoice(ctx, invoiceID)
	if err != nil {
		return err
	}
	if !st.Issued() {
		log.Warn("stripe webhook: no such invoice here", "event", n.EventID, "invoice", invoiceID)
		return nil
	}
	method := st.Collection.PaymentMethodID
	if method == uuid.Nil {
		method = st.PaymentMethodID
	}
	// Dated the firm's today: the gateway answers on the day it settles;
	// with the surcharge the charge carried (its metadata says which).
	meta := billing.Meta{Actor: WebhookActor, CorrelationID: "stripe/" + n.EventID}
	if n.Metadata["remit_purpose"] == PurposePay {
		// The client paid on the pay-now page, with a method of their
		// choosing: not the invoice's (a method they kept is recorded by
		// PayNow.Record under its own id).
		_, err = billingrun.RecordPayNowAttempt(ctx, r.Billing, invoiceID, attemptID, uuid.Nil, nil, n.Result, billingrun.SurchargeFromMetadata(n.Metadata), meta)
	} else {
		_, err = billingrun.RecordSurchargedAttempt(ctx, r.Billing, invoiceID, attemptID, method, domain.Date{}, n.Result, billingrun.SurchargeFromMetadata(n.Metadata), meta)
	}
	if err != nil && n.Result.Status == payments.StatusSucceeded {
		// Paid meanwhile (a pay-now link, another tab): the money goes back.
		_, err = refundDuplicate(ctx, r.Gateway, r.Store, r.Billing, log, invoiceID, attemptID, n.Result, err, billing.Meta{
			Actor: WebhookActor, CorrelationID: "stripe/" + n.EventID})
	}
	switch domain.ErrorCode(err) {
	case "":
		return nil
	case domain.ECONFLICT, domain.EINVALID, domain.ENOTFOUND:
		log.Warn("stripe webhook: result not recorded", "event", n.EventID, "invoice", st.Number, "attempt", attemptID, "err", err)
		return nil
	}
	return fmt.Errorf("record stripe event %s on invoice %s: %w", n.EventID, st.Number, err)
}

// recordPayNowSession records a pay-now payment that succeeded from the
// session it was made in (PayNow.OnCheckout), and reports whether it did;
// a payment the gateway finds in no session is left to Record's own path.
func (r Recorder) recordPayNowSession(ctx context.Context, n stripe.Notification) (bool, error) {
	if r.PayNow == nil || n.Metadata["remit_purpose"] != PurposePay || n.Result.Status != payments.StatusSucceeded {
		return false, nil
	}
	sid, err := r.PayNow.Gateway.SessionOfPayment(ctx, n.Result.Reference)
	switch {
	case errors.Is(err, payments.ErrUnknownSession):
		return false, nil
	case err != nil:
		return true, err // the gateway could not answer: Stripe sends the event again
	}
	return true, r.PayNow.OnCheckout(ctx, stripe.CheckoutNotification{EventID: n.EventID, SessionID: sid, Mode: payments.ModePayment, Metadata: n.Metadata})
}

// invoice folds an invoice's stream (the zero State when there is none).
func (r Recorder) invoice(ctx context.Context, id uuid.UUID) (invoice.State, error) {
	var st invoice.State
	recs, err := r.Store.ReadStream(ctx, invoice.StreamName(id), 0, eventstore.Forward, 0)
	if err != nil {
		return st, fmt.Errorf("read invoice %s: %w", id, err)
	}
	cat := catalog.New()
	for _, rec := range recs {
		e, err := cat.Decode(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return st, fmt.Errorf("invoice %s: %w", id, err)
		}
		st = invoice.Evolve(st, e)
	}
	return st, nil
}
