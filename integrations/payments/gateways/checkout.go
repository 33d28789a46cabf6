package gateways

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/domain/invoice"
	"remit/eventstore"
	"remit/integrations/payments"
	"remit/integrations/payments/stripe"
)

// # Capturing payment methods
//
// Nobody types a card or a gateway token into Remit. Checkout.Start opens a
// hosted checkout session in setup mode on the gateway for one of Remit's
// purposes (add a method, replace method X, accept proposal P, pay or retry
// invoice I), with the client, the purpose and its ids in the session's
// metadata. The client (or staff on the client's behalf) enters the card or
// bank account on the gateway's page, and the gateway hands back twice, as
// Stripe does: the browser returns to Remit (the page calls Record with the
// session id) and a signed checkout.session.completed webhook arrives
// (OnCheckout calls Record). Whichever comes first records the method;
// the second records nothing: the method's id derives from the session's
// (MethodIDFor) and every command's id from the session id, so billing
// answers the first run's result.

// Purposes of a capture (the session's "purpose" metadata).
const (
	PurposeAdd     = "add"     // put a method on file
	PurposeReplace = "replace" // replace metadata "replaces"
	PurposeAccept  = "accept"  // the method chosen on accepting metadata "proposal_id": it becomes the default
	PurposeRetry   = "retry"   // put on file, then charge metadata "invoice_id" with it (on "charge_on", else today)
)

// CaptureRequest asks for a session that captures a payment method.
type CaptureRequest struct {
	ClientID uuid.UUID
	Purpose  string
	// Replaces is the method replaced (PurposeReplace).
	Replaces uuid.UUID
	// ProposalID is the proposal accepted (PurposeAccept).
	ProposalID uuid.UUID
	// InvoiceID is the invoice to charge with the new method, ChargeOn the
	// day (zero: the day it is recorded). With PurposeRetry, and with
	// PurposeReplace when the link was about that invoice.
	InvoiceID uuid.UUID
	ChargeOn  domain.Date
	// Key names the session: the same key answers the same session (a
	// resubmitted form, two tabs).
	Key string
	// ReturnURL is where the browser comes back, with
	// payments.SessionIDPlaceholder where the session id goes; CancelURL
	// where it goes when the client gives up.
	ReturnURL, CancelURL string
	// Currency is the currency later charges are in when the client has
	// none of its own (the firm's base currency).
	Currency domain.Currency
}

// Checkout opens capture sessions and records what they captured.
type Checkout struct {
	Gateway payments.HostedCheckout
	// Name is the gateway's name, as the methods it captures record it.
	Name    string
	Store   eventstore.Store
	Billing *billing.Service
	// Logger receives what the webhook could not act on; nil discards.
	Logger *slog.Logger
}

// MethodTypesFor are the method types offered for charges in a currency:
// cards, and the bank debit of the currency's scheme.
func MethodTypesFor(cur domain.Currency) []payments.MethodType {
	t := []payments.MethodType{payments.TypeCard}
	switch cur.Code {
	case "AUD":
		t = append(t, payments.TypeAUBECS)
	case "USD":
		t = append(t, payments.TypeUSACH)
	case "GBP":
		t = append(t, payments.TypeBacs)
	case "EUR":
		t = append(t, payments.TypeSEPA)
	case "CAD":
		t = append(t, payments.TypeACSS)
	case "NZD":
		t = append(t, payments.TypeNZBECS)
	}
	return t
}

// Start opens the session and answers it (its URL is the page to send the
// browser to).
func (c *Checkout) Start(ctx context.Context, req CaptureRequest) (payments.Session, error) {
	switch req.Purpose {
	case PurposeAdd, PurposeAccept, PurposeRetry, PurposeReplace:
	default:
		return payments.Session{}, fmt.Errorf("checkout: no purpose %q", req.Purpose)
	}
	st, err := c.client(ctx, req.ClientID)
	if err != nil {
		return payments.Session{}, err
	}
	if st.ID == uuid.Nil {
		return payments.Session{}, domain.NotFound("there is no such client")
	}
	cur := st.Currency
	if cur.IsZero() {
		cur = req.Currency
	}
	md := map[string]string{"remit_client_id": req.ClientID.String(), "remit_purpose": req.Purpose}
	set := func(k string, id uuid.UUID) {
		if id != uuid.Nil {
			md[k] = id.String()
		}
	}
	set("remit_replaces", req.Replaces)
	set("remit_proposal_id", req.ProposalID)
	set("remit_invoice_id", req.InvoiceID)
	if !req.ChargeOn.IsZero() {
		md["remit_charge_on"] = req.ChargeOn.String()
	}
	sr := payments.SessionRequest{
		IdempotencyKey: "remit-capture/" + req.ClientID.String() + "/" + req.Key, Mode: payments.ModeSetup,
		Customer: c.customerOf(st), CustomerName: st.Name, CustomerEmail: primaryEmail(st),
		MethodTypes: MethodTypesFor(cur), Currency: cur, SuccessURL: req.ReturnURL, CancelURL: req.CancelURL, Metadata: md,
	}
	s, err := c.Gateway.CreateSession(ctx, sr)
	if err != nil {
		return s, fmt.Errorf("open the gateway's checkout: %w", err)
	}
	return s, nil
}

// customerOf is the gateway customer the client's methods with this gateway
// are attached to, so each client is one customer on the gateway.
func (c *Checkout) customerOf(st client.State) string {
	for _, m := range st.PaymentMethods {
		if m.Gateway == c.Name && m.GatewayCustomer != "" {
			return m.GatewayCustomer
		}
	}
	return ""
}

func primaryEmail(st client.State) string {
	for _, ct := range st.Contacts {
		if ct.ID == st.PrimaryContactID {
			return ct.Email
		}
	}
	return ""
}

// checkoutNamespace names the methods captured by checkout sessions.
var checkoutNamespace = uuid.MustParse("9a4f6c1e-3b1d-5c8e-8f0a-6b2d1e7c9a54")

// MethodIDFor is the id of the payment method a session captures.
func MethodIDFor(sessionID string) uuid.UUID {
	return uuid.NewSHA1(checkoutNamespace, []byte("checkout-session:"+sessionID))
}

// Captured is what Record recorded (or found recorded).
type Captured struct {
	// Status is the session's: only a complete session records anything.
	Status   payments.SessionStatus
	ClientID uuid.UUID
	Purpose  string
	// MethodID and Method are the method on file (complete sessions).
	MethodID uuid.UUID
	Method   client.PaymentMethodDetails
	// InvoiceID and ChargeOn are set when the invoice is charged with it;
	// ChargeErr says why it could not be (the method is on file anyway).
	InvoiceID uuid.UUID
	ChargeOn  domain.Date
	ChargeErr error
	// Position is the log position of the last event recorded, to wait for.
	Position uint64
}

// Record asks the gateway for the session and records what it captured:
// the method (added, or replacing the one named), made the default when
// chosen on acceptance, and the invoice charged with it when the session
// was for that. Recording a session again records nothing. An open or
// expired session records nothing and answers its status.
func (c *Checkout) Record(ctx context.Context, sessionID, actor string) (Captured, error) {
	return c.RecordFor(ctx, sessionID, uuid.Nil, actor)
}

// RecordFor is Record of a session the page of one client came back with:
// a session of another client (or not Remit's) is ENOTFOUND, and records
// nothing.
func (c *Checkout) RecordFor(ctx context.Context, sessionID string, clientID uuid.UUID, actor string) (Captured, error) {
	s, err := c.Gateway.Session(ctx, sessionID)
	if errors.Is(err, payments.ErrUnknownSession) {
		return Captured{}, domain.NotFound("there is no such checkout session")
	}
	if err != nil {
		return Captured{}, err
	}
	if clientID != uuid.Nil && s.Metadata["remit_client_id"] != clientID.String() {
		return Captured{}, domain.NotFound("there is no such checkout session")
	}
	return c.record(ctx, s, actor)
}

func (c *Checkout) record(ctx context.Context, s payments.Session, actor string) (Captured, error) {
	sessionID := s.ID
	out := Captured{Status: s.Status, Purpose: s.Metadata["remit_purpose"]}
	clientID, err := uuid.Parse(s.Metadata["remit_client_id"])
	if err != nil || s.Mode != payments.ModeSetup {
		return out, fmt.Errorf("checkout session %s: %w", sessionID, errNotACapture)
	}
	out.ClientID = clientID
	if s.Status != payments.SessionComplete || s.Method == nil {
		return out, nil
	}
	out.MethodID, out.Method = MethodIDFor(s.ID), c.details(*s.Method, s.Customer)
	meta := func(step string) billing.Meta {
		return billing.Meta{Actor: actor, CommandID: "checkout:" + s.ID + ":" + step, CorrelationID: "checkout:" + s.ID}
	}
	req := billing.PaymentMethodRequest{ClientID: clientID, PaymentMethodID: out.MethodID, Method: out.Method}
	var res billing.Result
	replaces, _ := uuid.Parse(s.Metadata["remit_replaces"])
	if replaces != uuid.Nil {
		req.PaymentMethodID, req.NewPaymentMethodID = replaces, out.MethodID
		res, err = c.Billing.ReplacePaymentMethod(ctx, req, meta("method"))
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			// The method it was to replace was removed meanwhile: the new
			// one goes on file beside the others.
			req.PaymentMethodID, req.NewPaymentMethodID = out.MethodID, uuid.Nil
			res, err = c.Billing.AddPaymentMethod(ctx, req, meta("method-added"))
		}
	} else {
		res, err = c.Billing.AddPaymentMethod(ctx, req, meta("method"))
	}
	if err != nil {
		return out, fmt.Errorf("record the method of checkout session %s: %w", s.ID, err)
	}
	out.Position = res.Position
	if out.Purpose == PurposeAccept {
		r, err := c.Billing.SetDefaultPaymentMethod(ctx, billing.PaymentMethodRef{ClientID: clientID, PaymentMethodID: out.MethodID}, meta("default"))
		if err != nil {
			return out, fmt.Errorf("make the method of checkout session %s the default: %w", s.ID, err)
		}
		out.Position = max(out.Position, r.Position)
	}
	if inv, err := uuid.Parse(s.Metadata["remit_invoice_id"]); err == nil {
		out.InvoiceID = inv
		out.ChargeOn, _ = domain.ParseDate(s.Metadata["remit_charge_on"])
		r, err := c.chargeInvoice(ctx, inv, out.MethodID, out.ChargeOn, meta("charge"))
		switch {
		case err == nil:
			out.Position = max(out.Position, r.Position)
		case domain.ErrorCode(err) == "":
			return out, err // the store: try again
		default:
			out.ChargeErr = err
		}
	}
	return out, nil
}

var errNotACapture = errors.New("not a capture Remit started")

// chargeInvoice retries the invoice's rejected payment with the method, or
// has it collected when nothing collects it.
func (c *Checkout) chargeInvoice(ctx context.Context, id, method uuid.UUID, on domain.Date, meta billing.Meta) (billing.Result, error) {
	st, err := foldInvoice(ctx, c.Store, id)
	if err != nil {
		return billing.Result{}, err
	}
	r := billing.InvoiceRequest{InvoiceID: id, Date: on, PaymentMethodID: method}
	if st.Status == invoice.StatusPaymentRejected || (st.Status == invoice.StatusPaymentScheduled && st.Collection.Retry) {
		return c.Billing.ScheduleRetry(ctx, r, meta)
	}
	return c.Billing.ScheduleCollection(ctx, r, meta)
}

// details is a gateway's method in Remit's words.
func (c *Checkout) details(m payments.Method, customer string) client.PaymentMethodDetails {
	d := client.PaymentMethodDetails{Gateway: c.Name, GatewayToken: m.Token, GatewayCustomer: m.Customer}
	if d.GatewayCustomer == "" {
		d.GatewayCustomer = customer
	}
	if m.Type == payments.TypeCard {
		d.Kind, d.Brand, d.Last4, d.ExpiryMonth, d.ExpiryYear = client.MethodCard, strings.ToLower(m.Brand), m.Last4, m.ExpiryMonth, m.ExpiryYear
		return d
	}
	d.Kind, d.MaskedAccount, d.MandateReference = client.MethodBankDebit, m.MaskedAccount, m.MandateReference
	d.Scheme = map[payments.MethodType]client.DebitScheme{
		payments.TypeAUBECS: client.SchemeAUBECS, payments.TypeNZBECS: client.SchemeNZBECS, payments.TypeUSACH: client.SchemeACH,
		payments.TypeBacs: client.SchemeBACS, payments.TypeSEPA: client.SchemeSEPA, payments.TypeACSS: client.SchemePAD,
	}[m.Type]
	return d
}

// WebhookCheckoutActor is the actor of what a checkout webhook records.
const WebhookCheckoutActor = "webhook:checkout"

// OnCheckout records the session a checkout.session.completed event names
// (stripe.Webhook.OnCheckout). Sessions Remit did not open for a capture
// (payment sessions, another system's) and captures the client's state
// refuses are logged and answered nil, since the event coming again would
// change nothing; an error means the store or the gateway could not be
// reached, and the sender should try again.
func (c *Checkout) OnCheckout(ctx context.Context, n stripe.CheckoutNotification) error {
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if n.Type != "checkout.session.completed" || n.Mode != payments.ModeSetup || n.Metadata["remit_client_id"] == "" {
		return nil
	}
	_, err := c.Record(ctx, n.SessionID, WebhookCheckoutActor)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errNotACapture):
		log.Info("checkout webhook: not a capture Remit started", "event", n.EventID, "session", n.SessionID)
		return nil
	}
	switch domain.ErrorCode(err) {
	case domain.ECONFLICT, domain.EINVALID, domain.ENOTFOUND:
		log.Warn("checkout webhook: method not recorded", "event", n.EventID, "session", n.SessionID, "err", err)
		return nil
	}
	return err
}

// client folds a client's stream (the zero State when there is none).
func (c *Checkout) client(ctx context.Context, id uuid.UUID) (client.State, error) {
	var st client.State
	recs, err := c.Store.ReadStream(ctx, client.StreamName(id), 0, eventstore.Forward, 0)
	if err != nil {
		return st, fmt.Errorf("read client %s: %w", id, err)
	}
	cat := catalog.New()
	for _, rec := range recs {
		e, err := cat.Decode(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return st, fmt.Errorf("client %s: %w", id, err)
		}
		st = client.Evolve(st, e)
	}
	return st, nil
}

func foldInvoice(ctx context.Context, store eventstore.Store, id uuid.UUID) (invoice.State, error) {
	return Recorder{Store: store}.invoice(ctx, id)
}
