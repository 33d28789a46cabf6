// Package sandbox is Remit's default payment gateway: a deterministic test
// gateway that needs no account and no network. What a charge does depends
// only on the payment method's token (see the Token constants) and, for bank
// debits, on how many days have passed on the injected clock, so tests and
// demos can rely on it.
//
// Every charge is recorded durably, before Charge returns, as one JSON line
// in <dir>/payments-sandbox.jsonl, keyed by its idempotency key: the same key
// never charges twice, also across restarts and across processes sharing the
// folder (the file is locked with flock while a charge is decided). A charge's
// state is derived from its record and the clock, never rewritten: a pending
// bank debit becomes succeeded (or returned) once its days have passed.
package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shopspring/decimal"

	"remit/domain"
	"remit/integrations/payments"
)

// FileName is the file in the data folder that holds the sandbox's charges.
const FileName = "payments-sandbox.jsonl"

// Test payment method tokens. Other tokens starting "pm_debit_" behave as
// TokenDebitSettles, and other tokens starting "pm_card_" or "tok_" as
// TokenCardSucceeds (so the demo firm's methods just work); any other token
// is rejected with "invalid_payment_method".
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

// Gateway is the sandbox gateway. It is safe for concurrent use.
type Gateway struct {
	path string
	opts Options

	mu      sync.Mutex
	charges map[string]Charge // by idempotency key
	order   []string          // keys in the order charged
	offset  int64             // bytes of the file already loaded
}

var _ payments.Gateway = (*Gateway)(nil)

// Open opens (creating) the sandbox's charge file in dir.
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
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sandbox gateway: %w", err)
	}
	g := &Gateway{path: filepath.Join(dir, FileName), opts: opts, charges: map[string]Charge{}}
	err := g.locked(func(*os.File) error { return nil })
	if err != nil {
		return nil, err
	}
	return g, nil
}

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
	var c Charge
	err := g.locked(func(f *os.File) error {
		if old, ok := g.charges[req.IdempotencyKey]; ok {
			c = old // the same key never charges twice
			return nil
		}
		sum := sha256.Sum256([]byte(req.IdempotencyKey))
		c = Charge{
			IdempotencyKey: req.IdempotencyKey, Reference: "ch_sandbox_" + hex.EncodeToString(sum[:12]),
			Customer: req.Customer, PaymentMethod: req.PaymentMethod, Amount: req.Amount.Amount,
			Currency: req.Amount.Currency.Code, Description: req.Description, Metadata: req.Metadata,
			CreatedAt: g.opts.Now().UTC(),
		}
		line, err := json.Marshal(c)
		if err != nil {
			return err
		}
		line = append(line, '\n')
		if _, err := f.Write(line); err != nil {
			return fmt.Errorf("record charge: %w", err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("record charge: %w", err)
		}
		g.offset += int64(len(line))
		g.add(c)
		return nil
	})
	if err != nil {
		return payments.ChargeResult{}, err
	}
	return g.result(c), nil
}

// Charges returns every charge recorded, oldest first, with what each is now.
func (g *Gateway) Charges() ([]Charge, error) {
	var out []Charge
	err := g.locked(func(*os.File) error {
		for _, k := range g.order {
			out = append(out, g.charges[k])
		}
		return nil
	})
	return out, err
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
	tok := c.PaymentMethod
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

func (g *Gateway) add(c Charge) {
	if _, ok := g.charges[c.IdempotencyKey]; ok {
		return
	}
	g.charges[c.IdempotencyKey] = c
	g.order = append(g.order, c.IdempotencyKey)
}

// locked runs fn with the file open for appending, locked against other
// processes, after loading the lines they appended since the last call. A
// torn last line (a crash mid-write) is cut off: its charge never returned,
// so it is as if it was never asked.
func (g *Gateway) locked(fn func(f *os.File) error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	f, err := os.OpenFile(g.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("sandbox gateway: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("sandbox gateway: lock %s: %w", g.path, err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing unlocks too
	if err := g.load(f); err != nil {
		return fmt.Errorf("sandbox gateway: read %s: %w", g.path, err)
	}
	if _, err := f.Seek(g.offset, io.SeekStart); err != nil {
		return err
	}
	return fn(f)
}

func (g *Gateway) load(f *os.File) error {
	if _, err := f.Seek(g.offset, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			if len(line) > 0 {
				return f.Truncate(g.offset) // a torn write
			}
			return nil
		}
		if err != nil {
			return err
		}
		var c Charge
		if err := json.Unmarshal(bytes.TrimSpace(line), &c); err != nil {
			return fmt.Errorf("line at byte %d: %w", g.offset, err)
		}
		g.add(c)
		g.offset += int64(len(line))
	}
}
