package sandbox

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/integrations/payments"
)

// # Hosted checkout
//
// The sandbox implements payments.HostedCheckout the way Stripe Checkout
// works: CreateSession records an open session and answers the URL of the
// sandbox's own hosted page (Handler, served by Remit itself under
// CheckoutPath); the client enters a test card or test bank account there;
// the page completes the session, redirects the browser to the session's
// SuccessURL and queues a Stripe-shaped webhook event
// (checkout.session.completed, and for payments payment_intent.succeeded or
// payment_failed), signed with the sandbox's own webhook secret, which
// StartWebhooks posts to Remit until it answers 2xx.
//
// Sessions are rows of checkout_sessions in payments-sandbox.db; a payment
// session's payment is a row of the charges table under its PaymentKey, so
// Charge with that key (status checks) answers it like any other charge.

// CheckoutPath is where Remit mounts Handler: outside sign-in, like
// Stripe's own pages, which are not Remit's.
const CheckoutPath = "/sandbox-gateway/"

// SessionTTL is how long a session stays open (Stripe's default: 24 hours).
const SessionTTL = 24 * time.Hour

var _ payments.HostedCheckout = (*Gateway)(nil)

// checkoutSchema holds the sessions, the webhook events waiting to be
// delivered, and the webhook signing secret.
const checkoutSchema = `CREATE TABLE IF NOT EXISTS checkout_sessions (
	id TEXT PRIMARY KEY,
	key TEXT NOT NULL UNIQUE,
	status TEXT NOT NULL,
	settled INTEGER NOT NULL DEFAULT 1,
	session TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS checkout_sessions_unsettled ON checkout_sessions(settled) WHERE settled = 0;
CREATE TABLE IF NOT EXISTS checkout_events (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	id TEXT NOT NULL UNIQUE,
	payload TEXT NOT NULL,
	delivered INTEGER NOT NULL DEFAULT 0,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS checkout_events_due ON checkout_events(delivered, next_at);
CREATE TABLE IF NOT EXISTS checkout_settings (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
)`

// session is a stored checkout session.
type session struct {
	ID            string                 `json:"id"`
	Key           string                 `json:"key"`
	Mode          payments.SessionMode   `json:"mode"`
	Status        payments.SessionStatus `json:"status"`
	Customer      string                 `json:"customer"`
	CustomerName  string                 `json:"customer_name,omitempty"`
	CustomerEmail string                 `json:"customer_email,omitempty"`
	MethodTypes   []payments.MethodType  `json:"method_types"`
	Currency      string                 `json:"currency"`
	Amount        decimal.Decimal        `json:"amount"`
	Description   string                 `json:"description,omitempty"`
	SaveMethod    bool                   `json:"save_method,omitempty"`
	SuccessURL    string                 `json:"success_url"`
	CancelURL     string                 `json:"cancel_url,omitempty"`
	Metadata      map[string]string      `json:"metadata,omitempty"`
	CreatedAt     time.Time              `json:"created_at"`
	CompletedAt   time.Time              `json:"completed_at,omitzero"`
	Method        *payments.Method       `json:"method,omitempty"`
}

func (s session) currency() domain.Currency {
	cur, err := domain.ParseCurrency(s.Currency)
	if err != nil {
		return domain.Currency{Code: s.Currency}
	}
	return cur
}

// paymentKey is the charge key of a payment session's payment.
func paymentKey(id string) string { return "checkout/" + id }

// hash is a hex digest of parts, for the sandbox's deterministic ids.
func hash(n int, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])[:n]
}

// CreateSession implements payments.HostedCheckout: an open session, the
// same one again for the same IdempotencyKey.
func (g *Gateway) CreateSession(ctx context.Context, req payments.SessionRequest) (payments.Session, error) {
	if err := validateRequest(req); err != nil {
		return payments.Session{}, fmt.Errorf("sandbox gateway: %w", err)
	}
	s := session{
		ID: "cs_sandbox_" + hash(24, req.IdempotencyKey), Key: req.IdempotencyKey, Mode: req.Mode, Status: payments.SessionOpen,
		Customer: req.Customer, CustomerName: req.CustomerName, CustomerEmail: req.CustomerEmail,
		MethodTypes: req.MethodTypes, Currency: req.Currency.Code, Description: req.Description, SaveMethod: req.SaveMethod,
		SuccessURL: req.SuccessURL, CancelURL: req.CancelURL, Metadata: req.Metadata, CreatedAt: g.opts.Now().UTC(),
	}
	if req.Mode == payments.ModePayment {
		s.Amount, s.Currency = req.Amount.Amount, req.Amount.Currency.Code
	}
	if s.Customer == "" {
		s.Customer = "cus_sandbox_" + hash(14, "customer", req.IdempotencyKey)
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return payments.Session{}, err
	}
	if _, err := g.db.ExecContext(ctx, `INSERT INTO checkout_sessions(id, key, status, session) VALUES (?, ?, 'open', ?) ON CONFLICT DO NOTHING`,
		s.ID, s.Key, raw); err != nil {
		return payments.Session{}, fmt.Errorf("sandbox gateway: record session: %w", err)
	}
	return g.Session(ctx, s.ID)
}

func validateRequest(req payments.SessionRequest) error {
	switch {
	case strings.TrimSpace(req.IdempotencyKey) == "":
		return errors.New("a checkout session needs an idempotency key")
	case req.Mode != payments.ModeSetup && req.Mode != payments.ModePayment:
		return fmt.Errorf("checkout session mode %q: setup or payment", req.Mode)
	case len(req.MethodTypes) == 0:
		return errors.New("a checkout session needs at least one method type")
	case req.SuccessURL == "":
		return errors.New("a checkout session needs a success URL")
	case req.Mode == payments.ModePayment && (!req.Amount.Amount.IsPositive() || req.Amount.Currency.IsZero()):
		return fmt.Errorf("cannot take a payment of %s", req.Amount)
	case req.Mode == payments.ModeSetup && req.Currency.IsZero():
		return errors.New("a setup session needs the currency of later charges")
	}
	for _, t := range req.MethodTypes {
		if _, ok := methodForms[t]; !ok {
			return fmt.Errorf("the sandbox offers no method type %q", t)
		}
	}
	return nil
}

// Session implements payments.HostedCheckout.
func (g *Gateway) Session(ctx context.Context, id string) (payments.Session, error) {
	s, err := g.session(ctx, g.db, id)
	if err != nil {
		return payments.Session{}, err
	}
	out := payments.Session{
		ID: s.ID, URL: CheckoutPath + "checkout/" + s.ID, Mode: s.Mode, Status: s.Status, Customer: s.Customer,
		Metadata: s.Metadata,
	}
	if out.Status == payments.SessionOpen && g.opts.Now().Sub(s.CreatedAt) >= SessionTTL {
		out.Status = payments.SessionExpired
	}
	if out.Status != payments.SessionOpen {
		out.URL = ""
	}
	if s.Status == payments.SessionComplete && (s.Mode == payments.ModeSetup || s.SaveMethod) {
		m := *s.Method
		out.Method = &m
	}
	if s.Status == payments.SessionComplete && s.Mode == payments.ModePayment && s.Method != nil {
		m := *s.Method
		out.PaidWith = &m
	}
	if s.Mode == payments.ModePayment {
		out.PaymentKey = paymentKey(s.ID)
		if s.Status == payments.SessionComplete {
			c, err := g.charge(ctx, g.db, out.PaymentKey)
			if err != nil {
				return payments.Session{}, err
			}
			res := g.result(c)
			out.Payment = &res
		}
	}
	return out, nil
}

// SessionOfPayment answers the session a payment was made in: the one whose
// payment key the charge with that reference was made under.
func (g *Gateway) SessionOfPayment(ctx context.Context, reference string) (string, error) {
	var key string
	err := g.db.QueryRowContext(ctx, `SELECT key FROM charges WHERE json_extract(charge, '$.reference') = ?`, reference).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("sandbox gateway: payment %q: %w", reference, payments.ErrUnknownSession)
	}
	if err != nil {
		return "", fmt.Errorf("sandbox gateway: find the session of payment %q: %w", reference, err)
	}
	id, ok := strings.CutPrefix(key, paymentKey(""))
	if !ok {
		return "", fmt.Errorf("sandbox gateway: payment %q was not made in a session: %w", reference, payments.ErrUnknownSession)
	}
	return id, nil
}

// queryer is a *sql.DB or a *sql.Tx.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (g *Gateway) session(ctx context.Context, q queryer, id string) (session, error) {
	var raw []byte
	var s session
	err := q.QueryRowContext(ctx, `SELECT session FROM checkout_sessions WHERE id = ?`, id).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("sandbox gateway: session %q: %w", id, payments.ErrUnknownSession)
	}
	if err != nil {
		return s, fmt.Errorf("sandbox gateway: read session: %w", err)
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("sandbox gateway: session %s: %w", id, err)
	}
	return s, nil
}

func (g *Gateway) charge(ctx context.Context, q queryer, key string) (Charge, error) {
	var raw []byte
	var c Charge
	if err := q.QueryRowContext(ctx, `SELECT charge FROM charges WHERE key = ?`, key).Scan(&raw); err != nil {
		return c, fmt.Errorf("sandbox gateway: read charge %s: %w", key, err)
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("sandbox gateway: charge %s: %w", key, err)
	}
	return c, nil
}

// errSessionClosed: the session was completed (another tab) or expired
// before this capture.
var errSessionClosed = errors.New("this checkout is no longer open")

// complete records a capture: the session complete with its method, the
// payment (payment mode) in the charges table, and the webhook events, in
// one transaction. Only the first capture of a session counts; a later one
// (a second tab) answers errSessionClosed and changes nothing.
func (g *Gateway) complete(ctx context.Context, id string, m payments.Method) (session, error) {
	tx, err := g.db.BeginTx(ctx, nil)
	if err != nil {
		return session{}, fmt.Errorf("sandbox gateway: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	s, err := g.session(ctx, tx, id)
	if err != nil {
		return s, err
	}
	now := g.opts.Now().UTC()
	if s.Status != payments.SessionOpen || now.Sub(s.CreatedAt) >= SessionTTL {
		return s, errSessionClosed
	}
	m.Customer = s.Customer
	s.Status, s.CompletedAt, s.Method = payments.SessionComplete, now, &m
	raw, err := json.Marshal(s)
	if err != nil {
		return s, err
	}
	settled := 1
	var pay *payments.ChargeResult
	if s.Mode == payments.ModePayment {
		c, err := g.recordPayment(ctx, tx, s, m.Token, now)
		if err != nil {
			return s, err
		}
		res := g.result(c)
		pay = &res
		if res.Status == payments.StatusPending {
			settled = 0
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE checkout_sessions SET status = 'complete', settled = ?, session = ? WHERE id = ?`, settled, raw, id); err != nil {
		return s, fmt.Errorf("sandbox gateway: complete session: %w", err)
	}
	if err := g.queue(ctx, tx, "checkout.session.completed", s.ID, sessionObject(s, pay)); err != nil {
		return s, err
	}
	if pay != nil && pay.Status != payments.StatusPending {
		if err := g.queuePaymentOutcome(ctx, tx, s, *pay, false); err != nil {
			return s, err
		}
	}
	if err := tx.Commit(); err != nil {
		return s, fmt.Errorf("sandbox gateway: complete session: %w", err)
	}
	return s, nil
}

// recordPayment records a payment session's payment as a charge under its
// payment key, made with the captured method.
func (g *Gateway) recordPayment(ctx context.Context, tx queryer, s session, token string, now time.Time) (Charge, error) {
	key := paymentKey(s.ID)
	c := Charge{
		IdempotencyKey: key, Reference: "ch_sandbox_" + hash(24, key), Customer: s.Customer, PaymentMethod: token,
		Amount: s.Amount, Currency: s.Currency, Description: s.Description, Metadata: s.Metadata, CreatedAt: now,
	}
	line, err := json.Marshal(c)
	if err != nil {
		return c, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO charges(key, charge) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`, key, line); err != nil {
		return c, fmt.Errorf("sandbox gateway: record charge: %w", err)
	}
	return g.charge(ctx, tx, key)
}

// settle queues the final outcome of payment sessions whose bank debit was
// pending and has now settled or been returned (on the injected clock).
func (g *Gateway) settle(ctx context.Context) error {
	rows, err := g.db.QueryContext(ctx, `SELECT id FROM checkout_sessions WHERE settled = 0`)
	if err != nil {
		return fmt.Errorf("sandbox gateway: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if err := g.settleOne(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

func (g *Gateway) settleOne(ctx context.Context, id string) error {
	tx, err := g.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	s, err := g.session(ctx, tx, id)
	if err != nil {
		return err
	}
	c, err := g.charge(ctx, tx, paymentKey(id))
	if err != nil {
		return err
	}
	res := g.result(c)
	if res.Status == payments.StatusPending {
		return nil
	}
	r, err := tx.ExecContext(ctx, `UPDATE checkout_sessions SET settled = 1 WHERE id = ? AND settled = 0`, id)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return nil // another process settled it
	}
	if err := g.queuePaymentOutcome(ctx, tx, s, res, true); err != nil {
		return err
	}
	return tx.Commit()
}

// queuePaymentOutcome queues payment_intent.succeeded or payment_failed,
// and for a debit that was pending, checkout.session.async_payment_*.
func (g *Gateway) queuePaymentOutcome(ctx context.Context, tx queryer, s session, res payments.ChargeResult, async bool) error {
	pi := paymentIntentObject(s, res)
	typ := "payment_intent.succeeded"
	asyncType := "checkout.session.async_payment_succeeded"
	if res.Status == payments.StatusRejected {
		typ, asyncType = "payment_intent.payment_failed", "checkout.session.async_payment_failed"
	}
	if async {
		if err := g.queue(ctx, tx, asyncType, s.ID, sessionObject(s, &res)); err != nil {
			return err
		}
	}
	return g.queue(ctx, tx, typ, s.ID, pi)
}

// sessionObject is a session as Stripe's Checkout Session object shows it
// in a webhook event.
func sessionObject(s session, pay *payments.ChargeResult) map[string]any {
	o := map[string]any{
		"id": s.ID, "object": "checkout.session", "mode": string(s.Mode), "status": string(s.Status),
		"customer": s.Customer, "metadata": orEmpty(s.Metadata), "livemode": false, "created": s.CreatedAt.Unix(),
		"currency": strings.ToLower(s.Currency), "payment_status": "no_payment_required",
		"success_url": s.SuccessURL, "cancel_url": s.CancelURL,
	}
	if s.Mode == payments.ModeSetup {
		o["setup_intent"] = "seti_sandbox_" + hash(24, "setup", s.ID)
	}
	if s.Mode == payments.ModePayment {
		o["payment_intent"] = "ch_sandbox_" + hash(24, paymentKey(s.ID))
		o["amount_total"] = s.Amount.Shift(int32(s.currency().MinorUnits)).IntPart()
		o["payment_status"] = "unpaid"
		if pay != nil && pay.Status == payments.StatusSucceeded {
			o["payment_status"] = "paid"
		}
	}
	return o
}

// paymentIntentObject is a payment session's payment as Stripe's
// PaymentIntent object shows it; its id is the charge's Reference, and its
// metadata the session's with the payment key as remit_idempotency_key.
func paymentIntentObject(s session, res payments.ChargeResult) map[string]any {
	md := map[string]string{}
	for k, v := range s.Metadata {
		md[k] = v
	}
	md["remit_idempotency_key"], md["checkout_session"] = paymentKey(s.ID), s.ID
	minor := s.Amount.Shift(int32(s.currency().MinorUnits)).IntPart()
	o := map[string]any{
		"id": res.Reference, "object": "payment_intent", "amount": minor, "currency": strings.ToLower(s.Currency),
		"customer": s.Customer, "metadata": md, "livemode": false, "created": s.CreatedAt.Unix(), "amount_received": 0,
	}
	if s.Method != nil {
		o["payment_method"] = s.Method.Token
	}
	switch res.Status {
	case payments.StatusSucceeded:
		o["status"], o["amount_received"] = "succeeded", minor
	case payments.StatusRejected:
		o["status"] = "requires_payment_method"
		o["last_payment_error"] = map[string]any{"type": "card_error", "code": res.DeclineCode, "decline_code": res.DeclineCode, "message": res.Message}
	default:
		o["status"] = "processing"
	}
	return o
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
