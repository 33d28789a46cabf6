// Package sandbox is Remit's default payment gateway: a deterministic test
// gateway that needs no account and no network. What a charge does depends
// only on the payment method's token (see the Token constants) and, for bank
// debits, on how many days have passed on the injected clock, so tests and
// demos can rely on it.
//
// Every charge is recorded durably, before Charge returns, as one row of a
// SQLite table in <dir>/payments-sandbox.db (WAL, synchronous commits), keyed
// by its idempotency key: the same key never charges twice, also across
// restarts and across processes sharing the folder (the insert that records
// a charge is the one that decides it, and SQLite serialises writers). A
// charge's state is derived from its record and the clock, never rewritten:
// a pending bank debit becomes succeeded (or returned) once its days have
// passed. Refunds, and the disputes of the disputed test cards, are in
// refund.go. Nothing is held in memory: opening the gateway reads no charge,
// and a charge looks up one key, so start time and memory do not grow with
// the number of charges.
//
// Data folders from before kept the charges as JSON lines in
// payments-sandbox.jsonl (OldFileName); Open imports that file once (a torn
// last line, from a crash mid-write, is dropped: that charge never
// returned) and renames it to payments-sandbox.jsonl.imported.
//
// The sandbox also implements payments.HostedCheckout with its own hosted
// page (Handler, mounted at CheckoutPath), which takes Stripe's documented
// test cards and test bank accounts (TestCards, TestAccounts), and hands
// back to Remit as Stripe does: a redirect to the session's SuccessURL and
// a Stripe-signed webhook event (StartWebhooks, to WebhookPath).
//
// The sandbox also pays out, with fees, deterministically on the clock
// (payouts.go): each day's settled charges less refunds, per currency, two
// days later; cards pay 1.75% + 0.30, bank debits 1% capped at 3.50.
package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // database/sql driver "sqlite3"
	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/integrations/payments"
	"remit/internal/fsperm"
)

// FileName is the SQLite file in the data folder that holds the sandbox's
// charges.
const FileName = "payments-sandbox.db"

// OldFileName is the JSON-lines file earlier versions kept the charges in;
// Open imports it.
const OldFileName = "payments-sandbox.jsonl"

// Test payment method tokens. Other tokens starting "pm_debit_" behave as
// TokenDebitSettles, and other tokens starting "pm_card_" or "tok_" as
// TokenCardSucceeds (so the demo firm's methods just work); any other token
// is rejected with "invalid_payment_method". A token the hosted page makes
// is one of these followed by "__" and a part unique to its capture
// (pm_card_chargeDeclined__3f…): it behaves as the token before "__".
const (
	TokenCardSucceeds          = "pm_card_visa"
	TokenCardDeclined          = "pm_card_chargeDeclined"
	TokenCardInsufficientFunds = "pm_card_chargeDeclinedInsufficientFunds"
	TokenCardExpired           = "pm_card_chargeDeclinedExpiredCard"
	// TokenDebitSettles is a bank debit: pending for Options.SettleDays, then succeeded.
	TokenDebitSettles = "pm_debit_settles"
	// TokenDebitReturned is a bank debit: pending for Options.ReturnDays, then
	// rejected with "debit_returned".
	TokenDebitReturned = "pm_debit_returned"
)

// Options configure a Gateway.
type Options struct {
	// Now is the clock (time.Now when nil); tests move it.
	Now func() time.Time
	// SettleDays is how long a bank debit stays pending before it settles (default 3).
	SettleDays int
	// ReturnDays is how long a returned bank debit stays pending before it is returned (default 3).
	ReturnDays int
}

// Charge is one recorded charge.
type Charge struct {
	IdempotencyKey string            `json:"key"`
	Reference      string            `json:"reference"`
	Customer       string            `json:"customer,omitempty"`
	PaymentMethod  string            `json:"payment_method"`
	Amount         decimal.Decimal   `json:"amount"`
	Currency       string            `json:"currency"`
	Description    string            `json:"description,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
}

// Gateway is the sandbox gateway. It is safe for concurrent use, and by
// several processes on one folder. Close it when done.
type Gateway struct {
	db   *sql.DB
	opts Options
}

var _ payments.Gateway = (*Gateway)(nil)

// schema is the table of charges: seq orders them as they were made, key is
// the idempotency key, charge the Charge as JSON; indexed by when each was
// made, which the payouts read a window of (payouts.go).
const schema = `CREATE TABLE IF NOT EXISTS charges (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	key TEXT NOT NULL UNIQUE,
	charge TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS charges_created ON charges(json_extract(charge, '$.created_at'))`

// Open opens (creating) the sandbox's charges in dir, importing the charge
// file of an earlier version if there is one.
func Open(dir string, opts Options) (*Gateway, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SettleDays <= 0 {
		opts.SettleDays = 3
	}
	if opts.ReturnDays <= 0 {
		opts.ReturnDays = 3
	}
	path := filepath.Join(dir, FileName)
	if err := fsperm.SQLite(path); err != nil {
		return nil, fmt.Errorf("sandbox gateway: %w", err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=10000&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sandbox gateway: %w", err)
	}
	g := &Gateway{db: db, opts: opts}
	if _, err := db.Exec(schema + ";" + checkoutSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("sandbox gateway: %s: %w", path, err)
	}
	if err := g.importOld(filepath.Join(dir, OldFileName)); err != nil {
		db.Close()
		return nil, fmt.Errorf("sandbox gateway: import %s: %w", OldFileName, err)
	}
	return g, nil
}

// Close closes the gateway's database.
func (g *Gateway) Close() error { return g.db.Close() }

// Name is the gateway's name on payment methods it holds.
const Name = "sandbox"

// Name implements payments.Gateway.
func (g *Gateway) Name() string { return Name }

// Charge implements payments.Gateway.
func (g *Gateway) Charge(ctx context.Context, req payments.ChargeRequest) (payments.ChargeResult, error) {
	if err := ctx.Err(); err != nil {
		return payments.ChargeResult{}, err
	}
	if strings.TrimSpace(req.IdempotencyKey) == "" {
		return payments.ChargeResult{}, errors.New("sandbox gateway: a charge needs an idempotency key")
	}
	if !req.Amount.Amount.IsPositive() || req.Amount.Currency.IsZero() {
		return payments.ChargeResult{}, fmt.Errorf("sandbox gateway: cannot charge %s", req.Amount)
	}
	sum := sha256.Sum256([]byte(req.IdempotencyKey))
	c := Charge{
		IdempotencyKey: req.IdempotencyKey, Reference: "ch_sandbox_" + hex.EncodeToString(sum[:12]),
		Customer: req.Customer, PaymentMethod: req.PaymentMethod, Amount: req.Amount.Amount,
		Currency: req.Amount.Currency.Code, Description: req.Description, Metadata: req.Metadata,
		CreatedAt: g.opts.Now().UTC(),
	}
	line, err := json.Marshal(c)
	if err != nil {
		return payments.ChargeResult{}, err
	}
	// The first insert of a key decides the charge; a later one (a retry,
	// another process) finds it and answers what it recorded.
	if _, err := g.db.ExecContext(ctx, `INSERT INTO charges(key, charge) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`, c.IdempotencyKey, line); err != nil {
		return payments.ChargeResult{}, fmt.Errorf("sandbox gateway: record charge: %w", err)
	}
	var stored []byte
	if err := g.db.QueryRowContext(ctx, `SELECT charge FROM charges WHERE key = ?`, c.IdempotencyKey).Scan(&stored); err != nil {
		return payments.ChargeResult{}, fmt.Errorf("sandbox gateway: read charge: %w", err)
	}
	if err := json.Unmarshal(stored, &c); err != nil {
		return payments.ChargeResult{}, fmt.Errorf("sandbox gateway: charge %s: %w", c.IdempotencyKey, err)
	}
	return g.result(c), nil
}

// Charges returns every charge recorded, oldest first (for tests and the
// CLI: it reads them all).
func (g *Gateway) Charges() ([]Charge, error) {
	return g.queryCharges(context.Background(), `SELECT charge FROM charges ORDER BY seq`)
}

// queryCharges runs a query of the charges table's charge column and
// decodes each row.
func (g *Gateway) queryCharges(ctx context.Context, query string, args ...any) ([]Charge, error) {
	rows, err := g.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sandbox gateway: charges: %w", err)
	}
	defer rows.Close()
	var out []Charge
	for rows.Next() {
		var raw []byte
		var c Charge
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("sandbox gateway: %w", err)
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("sandbox gateway: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Result answers what a recorded charge is now (for tests and the CLI).
func (g *Gateway) Result(c Charge) payments.ChargeResult { return g.result(c) }

func (g *Gateway) result(c Charge) payments.ChargeResult {
	cur, err := domain.ParseCurrency(c.Currency)
	if err != nil {
		cur = domain.Currency{Code: c.Currency}
	}
	res := payments.ChargeResult{Reference: c.Reference}
	reject := func(code, msg string) payments.ChargeResult {
		res.Status, res.DeclineCode, res.Message = payments.StatusRejected, code, msg
		return res
	}
	elapsed := g.opts.Now().Sub(c.CreatedAt)
	days := func(n int) bool { return elapsed >= time.Duration(n)*24*time.Hour }
	tok, _, _ := strings.Cut(c.PaymentMethod, "__")
	switch {
	case tok == TokenCardDeclined:
		return reject("card_declined", "Your card was declined.")
	case tok == TokenCardInsufficientFunds:
		return reject("insufficient_funds", "Your card has insufficient funds.")
	case tok == TokenCardExpired:
		return reject("expired_card", "Your card has expired.")
	case tok == TokenDebitReturned:
		if !days(g.opts.ReturnDays) {
			res.Status = payments.StatusPending
			return res
		}
		return reject("debit_returned", "The bank returned the debit (refer to payer).")
	case strings.HasPrefix(tok, "pm_debit_"):
		if !days(g.opts.SettleDays) {
			res.Status = payments.StatusPending
			return res
		}
	case strings.HasPrefix(tok, "pm_card_"), strings.HasPrefix(tok, "tok_"):
	default:
		return reject("invalid_payment_method", fmt.Sprintf("The sandbox knows no payment method %q.", tok))
	}
	res.Status, res.Amount = payments.StatusSucceeded, domain.NewMoney(c.Amount, cur)
	return res
}

// importOld moves the charges of an earlier version's JSON-lines file into
// the table, in the file's order, in one transaction (a key already in the
// table keeps its row, so an import cut short by a crash is simply done
// again), then renames the file so no later start reads it.
func (g *Gateway) importOld(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	tx, err := g.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	ins, err := tx.Prepare(`INSERT INTO charges(key, charge) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`)
	if err != nil {
		return err
	}
	defer ins.Close()
	r := bufio.NewReader(f)
	for offset := int64(0); ; {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break // a last line without its newline is a torn write: dropped
		}
		if err != nil {
			return err
		}
		var c Charge
		if err := json.Unmarshal(bytes.TrimSpace(line), &c); err != nil {
			return fmt.Errorf("line at byte %d: %w", offset, err)
		}
		if _, err := ins.Exec(c.IdempotencyKey, bytes.TrimSpace(line)); err != nil {
			return err
		}
		offset += int64(len(line))
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if err := os.Rename(path, path+".imported"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err // (not there: another process imported it at the same time)
	}
	return nil
}
