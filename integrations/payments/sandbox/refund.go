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

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/integrations/payments"
)

// Refunds and disputes in the sandbox.
//
// Refunds are rows of their own table, refunds, in the same file as the
// charges, keyed by idempotency key: the first refund of a key decides it
// (in one immediate transaction that also checks what is left to refund of
// the charge), and a later one with the key answers it. The sandbox refuses
// (payments.ErrRefundRefused) a refund of a charge it does not know or that
// did not succeed, of more than is left, or of a charge under dispute.
//
// Disputes are derived from the charges and the clock, never stored: a
// charge made with TokenCardDisputed (Stripe's test card 4000 0000 0000
// 0259) or TokenCardDisputeWon succeeds, is disputed in full as
// "fraudulent" DisputeOpenDays after it was made, and the dispute closes
// DisputeCloseDays after it was made: lost (with DisputeFee) or won. The
// sandbox sends no webhooks, so it lists them (Disputes) for the scheduler
// to poll.

// Test tokens of disputed cards; both succeed when charged.
const (
	// TokenCardDisputed is charged, then disputed and the dispute lost
	// (Stripe's test card 4000 0000 0000 0259, pm_card_createDispute).
	TokenCardDisputed = "pm_card_createDispute"
	// TokenCardDisputeWon is charged, then disputed and the dispute won.
	TokenCardDisputeWon = "pm_card_createDisputeWon"
)

// Dispute timing and fee.
const (
	DisputeOpenDays  = 3
	DisputeCloseDays = 10
)

// DisputeFee is the fee of a lost dispute, in the charge's currency.
var DisputeFee = decimal.RequireFromString("15.00")

var (
	_ payments.Refunder      = (*Gateway)(nil)
	_ payments.DisputeLister = (*Gateway)(nil)
)

// Refund is one recorded refund.
type Refund struct {
	IdempotencyKey  string            `json:"key"`
	Reference       string            `json:"reference"`
	ChargeReference string            `json:"charge_reference"`
	Amount          decimal.Decimal   `json:"amount"`
	Currency        string            `json:"currency"`
	Reason          string            `json:"reason,omitempty"`
	Metadata        map[string]string `json:"metadata,omitempty"`
	CreatedAt       time.Time         `json:"created_at"`
}

const refundsSchema = `CREATE TABLE IF NOT EXISTS refunds (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	key TEXT NOT NULL UNIQUE,
	charge_reference TEXT NOT NULL,
	refund TEXT NOT NULL
)`

// Refund implements payments.Refunder.
func (g *Gateway) Refund(ctx context.Context, req payments.RefundRequest) (payments.RefundResult, error) {
	if strings.TrimSpace(req.IdempotencyKey) == "" {
		return payments.RefundResult{}, errors.New("sandbox gateway: a refund needs an idempotency key")
	}
	if _, err := g.db.ExecContext(ctx, refundsSchema); err != nil {
		return payments.RefundResult{}, fmt.Errorf("sandbox gateway: %w", err)
	}
	tx, err := g.db.BeginTx(ctx, nil) // immediate (the DSN's _txlock): one refund decides at a time
	if err != nil {
		return payments.RefundResult{}, fmt.Errorf("sandbox gateway: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	if r, ok, err := refundByKey(ctx, tx, req.IdempotencyKey); err != nil || ok {
		return g.refundResult(r), err
	}
	c, ok, err := chargeByReference(ctx, tx, req.ChargeReference)
	if err != nil {
		return payments.RefundResult{}, err
	}
	if err := g.refundable(ctx, tx, c, ok, req); err != nil {
		return payments.RefundResult{}, err
	}
	sum := sha256.Sum256([]byte(req.IdempotencyKey))
	r := Refund{IdempotencyKey: req.IdempotencyKey, Reference: "re_sandbox_" + hex.EncodeToString(sum[:12]), ChargeReference: c.Reference,
		Amount: req.Amount.Amount, Currency: c.Currency, Reason: req.Reason, Metadata: req.Metadata, CreatedAt: g.opts.Now().UTC()}
	raw, err := json.Marshal(r)
	if err != nil {
		return payments.RefundResult{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO refunds(key, charge_reference, refund) VALUES (?, ?, ?)`, r.IdempotencyKey, r.ChargeReference, raw); err != nil {
		return payments.RefundResult{}, fmt.Errorf("sandbox gateway: record refund: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return payments.RefundResult{}, fmt.Errorf("sandbox gateway: record refund: %w", err)
	}
	return g.refundResult(r), nil
}

// refundable refuses a refund the sandbox would not make.
func (g *Gateway) refundable(ctx context.Context, tx *sql.Tx, c Charge, found bool, req payments.RefundRequest) error {
	if !found {
		return fmt.Errorf("%w: no charge %q", payments.ErrRefundRefused, req.ChargeReference)
	}
	if res := g.result(c); res.Status != payments.StatusSucceeded {
		return fmt.Errorf("%w: charge %s is %s", payments.ErrRefundRefused, c.Reference, res.Status)
	}
	if !req.Amount.Amount.IsPositive() || !strings.EqualFold(req.Amount.Currency.Code, c.Currency) {
		return fmt.Errorf("%w: cannot refund %s of a %s charge", payments.ErrRefundRefused, req.Amount, c.Currency)
	}
	if d, ok := g.dispute(c); ok && d.Status != payments.DisputeWon {
		return fmt.Errorf("%w: charge %s is disputed", payments.ErrRefundRefused, c.Reference)
	}
	refunded, err := refundedOf(ctx, tx, c.Reference)
	if err != nil {
		return err
	}
	if left := c.Amount.Sub(refunded); req.Amount.Amount.GreaterThan(left) {
		return fmt.Errorf("%w: %s is more than the %s %s left to refund of charge %s", payments.ErrRefundRefused, req.Amount, left, c.Currency, c.Reference)
	}
	return nil
}

func refundByKey(ctx context.Context, tx *sql.Tx, key string) (Refund, bool, error) {
	var raw []byte
	var r Refund
	err := tx.QueryRowContext(ctx, `SELECT refund FROM refunds WHERE key = ?`, key).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err == nil {
		err = json.Unmarshal(raw, &r)
	}
	if err != nil {
		return r, false, fmt.Errorf("sandbox gateway: refund %s: %w", key, err)
	}
	return r, true, nil
}

func chargeByReference(ctx context.Context, tx *sql.Tx, ref string) (Charge, bool, error) {
	var raw []byte
	var c Charge
	err := tx.QueryRowContext(ctx, `SELECT charge FROM charges WHERE json_extract(charge, '$.reference') = ?`, ref).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil {
		return c, false, fmt.Errorf("sandbox gateway: charge %s: %w", ref, err)
	}
	return c, true, nil
}

func refundedOf(ctx context.Context, tx *sql.Tx, chargeRef string) (decimal.Decimal, error) {
	rows, err := tx.QueryContext(ctx, `SELECT refund FROM refunds WHERE charge_reference = ?`, chargeRef)
	if err != nil {
		return decimal.Zero, fmt.Errorf("sandbox gateway: %w", err)
	}
	defer rows.Close()
	total := decimal.Zero
	for rows.Next() {
		var raw []byte
		var r Refund
		if err := rows.Scan(&raw); err != nil {
			return total, fmt.Errorf("sandbox gateway: %w", err)
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return total, fmt.Errorf("sandbox gateway: %w", err)
		}
		total = total.Add(r.Amount)
	}
	return total, rows.Err()
}

func (g *Gateway) refundResult(r Refund) payments.RefundResult {
	if r.Reference == "" {
		return payments.RefundResult{}
	}
	return payments.RefundResult{Reference: r.Reference, Amount: domain.NewMoney(r.Amount, currency(r.Currency))}
}

func currency(code string) domain.Currency {
	cur, err := domain.ParseCurrency(code)
	if err != nil {
		return domain.Currency{Code: code}
	}
	return cur
}

// Disputes implements payments.DisputeLister: the disputes of the disputed
// test cards' charges as they stand on the clock, oldest charge first.
func (g *Gateway) Disputes(ctx context.Context) ([]payments.Dispute, error) {
	// Both test tokens start with TokenCardDisputed, and a method captured
	// on the hosted page has its own token: the test token, "__" and a
	// part unique to the capture; dispute picks the disputed ones.
	charges, err := g.queryCharges(ctx, `SELECT charge FROM charges WHERE json_extract(charge, '$.payment_method') LIKE ? ORDER BY seq`,
		TokenCardDisputed+"%")
	if err != nil {
		return nil, err
	}
	var out []payments.Dispute
	for _, c := range charges {
		if d, ok := g.dispute(c); ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// dispute is the dispute of a charge now, if it has one.
func (g *Gateway) dispute(c Charge) (payments.Dispute, bool) {
	tok, _, _ := strings.Cut(c.PaymentMethod, "__")
	if tok != TokenCardDisputed && tok != TokenCardDisputeWon {
		return payments.Dispute{}, false
	}
	opened := c.CreatedAt.Add(DisputeOpenDays * 24 * time.Hour)
	now := g.opts.Now()
	if now.Before(opened) {
		return payments.Dispute{}, false
	}
	cur := currency(c.Currency)
	sum := sha256.Sum256([]byte(c.Reference))
	inv, _ := uuid.Parse(c.Metadata["invoice_id"])
	d := payments.Dispute{Reference: "dp_sandbox_" + hex.EncodeToString(sum[:12]), ChargeReference: c.Reference, InvoiceID: inv,
		Amount: domain.NewMoney(c.Amount, cur), Reason: "fraudulent", Status: payments.DisputeOpen, Fee: domain.Zero(cur), Created: opened}
	if !now.Before(c.CreatedAt.Add(DisputeCloseDays * 24 * time.Hour)) {
		d.Status = payments.DisputeLost
		d.Fee = domain.NewMoney(DisputeFee, cur)
		if tok == TokenCardDisputeWon {
			d.Status, d.Fee = payments.DisputeWon, domain.Zero(cur)
		}
	}
	return d, true
}
