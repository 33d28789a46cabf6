// Package ledgersync is the ledger sync process manager: it follows the
// event log (through the one log follower, projections/follow) and pushes
// every issued invoice, payment, credit note, write-off and void to each
// connected accounting ledger (Xero, QuickBooks Online, through the port
// remit/integrations/accounting) exactly once, records
// each outcome as an event (remit/domain/ledger), and reconciles what Remit
// holds with what the ledgers acknowledged.
//
// # What it pushes, in which order
//
// For each connected provider and each invoice issued after the connection
// (LedgerConnected.FromPosition; 0 takes the history too):
//
//   - InvoiceIssued: the invoice (ledger.Invoice), its lines' accounts and tax
//     codes from the connection's mapping, its contact the client (a mapped
//     ledger contact, else the one a previous push used, else matched by
//     name or created by the adapter);
//   - InvoicePaymentSucceeded, InvoicePaymentRecorded: a payment into the
//     mapping's clearing account, dated as Remit dates it (a collection on
//     its run's as-of date, an offline payment on the day received);
//   - InvoiceCreditNoteIssued: a credit note allocated to the invoice, split
//     over the invoice's tax rates in proportion to its lines; a refund's
//     credit note (InvoicePaymentRefunded names it) is left unallocated: the
//     invoice was paid, and the credit is what the client was paid back;
//   - InvoicePaymentRefunded: right after its credit note (refunds.go), the
//     refund (ledger.KindRefund): the refunded amount out of the clearing
//     account against that credit note (accounting.RefundLedger), so the
//     credit is used and the clearing account is down by the refund;
//   - InvoicePaymentDisputed, InvoiceDisputeClosed (disputes.go), only when
//     the mapping names a disputes account: the withdrawal out of the
//     clearing account into it, a won dispute's amount back, a lost
//     dispute's fee to the fees account;
//   - InvoiceWrittenOff: a credit note to the write-off (bad-debt) account;
//   - InvoiceVoided: a void;
//   - InvoiceSurchargeAdded: a card surcharge added with a payment, as its
//     own invoice ("INV-000042-S1", the surcharge line) paid at once by the
//     surcharge's share of the payment; the payment that follows pushes the
//     rest against the invoice itself (surcharge.go).
//
// And for each payout of the payment gateway recorded after the connection
// (PayoutRecorded; payouts.go): its net as a transfer from the mapping's
// clearing account to its bank account (the other way when negative), then
// its fees as an expense from the clearing account to its fees account
// (ledger.Mapping.BankAccountFor, FeesAccountFor: the provider's defaults
// when the firm named none), each skipped when zero; once per payout and
// kind (ledger.PayoutPushID), with the same retries, outcomes and
// reconciliation as an invoice's pushes; the transfer and the fees do not
// wait for each other. A permanent failure waits for staff to enter that
// document in the ledger by hand. A payout the bank returned
// (PayoutFailed) before it was pushed anywhere is not pushed.
//
// An invoice's pushes go in log order, one at a time: nothing after the
// invoice is pushed before the invoice's own push succeeded (a payment needs
// the ledger's invoice id), and nothing after a push that is waiting.
//
// # Exactly once
//
// A push's id is derived from the provider, the source event's id and the
// invoice's generation (domain/ledger.PushID) and names its stream. Each
// outcome is appended at the stream's exact expected revision ("no stream"
// for the first) with an event id derived from the push id and the attempt
// number, so a replay, a restart or a second process at the same time
// records it once: the loser of a race reads the winner's outcome. Between
// the ledger's answer and the append, a crash loses the outcome, not the
// document: the restarted process pushes again with the same document id
// and the adapter, which de-duplicates on it, answers what it created the
// first time (LedgerPushSucceeded.existing).
//
// # Failures
//
// A temporary error (ledger.IsTemporary: rate limits, 5xx, no answer) is
// recorded as LedgerPushFailed{temporary, retry_at} and retried by Tick when
// due: after the ledger's Retry-After when it sent one, else after
// Config.BaseDelay doubled per attempt up to Config.MaxDelay. After
// Config.MaxAttempts attempts it is recorded as permanent. A permanent error
// (the ledger refused the document; the mapping lacks an account or a tax
// code) is recorded and left for staff: fix the mapping, then "Re-create in
// ledger" (RequestRecreate), which raises the invoice's generation, so the
// invoice and everything after it are pushed again as new documents.
//
// # History
//
// The scope of a connection is in its event (from_position), not in a
// process flag, so every process and Reconcile agree on it: `remit ledger
// connect` records the log's head (a year of demo history is not pushed)
// unless --history asks for everything.
//
// # Memory and start
//
// The book (book.go) is read from the whole log when the process starts
// and kept in memory, unless no ledger was ever connected to the store (no
// connection stream): then the process reads none of the log and holds
// none of it, and the first LedgerConnected, live or found by a Tick, wakes
// it to read the log whole, as a start with a connection does.
//
// # Running it
//
//	s, err := ledgersync.Open(ledgersync.Config{Store: store, DataDir: dir, Factory: f})
//	err = s.Start(ctx) // follows the log; Tick every Config.TickInterval; reconciles daily
//	defer s.Close()
//
// Tests and one-shot commands use CatchUp and Tick synchronously. Start
// after Close starts it again (remit serve runs it only on the node holding
// ledger sync's lease, internal/lease: a second process is safe, each
// outcome recorded once, but would call the ledger again for each push).
// The tick loop beats at each turn (Stats.LastBeat), so a stuck loop shows.
package ledgersync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"remit/domain/ledger"
	"remit/domain/payout"
	"remit/eventstore"
	"remit/integrations/accounting"
	"remit/projections/follow"
)

// Settings is what an adapter is built from: the connection as the log
// says, and how to save refreshed tokens.
type Settings struct {
	Provider string
	TenantID string
	Mapping  ledger.Mapping
	// SaveSecrets persists secrets the adapter changed (a refreshed token).
	SaveSecrets func(Secrets) error
}

// Factory builds the adapter of a connected provider.
type Factory func(provider string, settings Settings, secrets Secrets) (accounting.Ledger, error)

// Config is what the process manager needs.
type Config struct {
	Store eventstore.Store
	// DataDir holds the secrets files (<DataDir>/ledger/<provider>.json).
	DataDir string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Logger receives operational logs; nil discards.
	Logger *slog.Logger
	// Ledgers are adapters by provider, used as they are (tests); a
	// provider not here is built by Factory.
	Ledgers map[string]accounting.Ledger
	// Factory builds a connected provider's adapter from its settings and
	// secrets; it is called again when the connection's settings change.
	Factory Factory
	// TickInterval is how often Start runs Tick (default 1 minute).
	TickInterval time.Duration
	// BaseDelay is the first retry's delay after a temporary failure
	// without Retry-After (default 30 seconds); it doubles per attempt up to
	// MaxDelay (default 1 hour).
	BaseDelay, MaxDelay time.Duration
	// MaxAttempts is how many temporary failures make a permanent one
	// (default 12).
	MaxAttempts int
	// CallTimeout bounds one call to a ledger (default 1 minute).
	CallTimeout time.Duration
	// ReconcileInterval is how often Start reconciles and records
	// LedgerReconciled (default 24 hours; negative turns it off). A run is
	// recorded at most once per UTC day.
	ReconcileInterval time.Duration
}

// Sync is the ledger sync process manager. Its methods are safe for
// concurrent use; handling is serialised.
type Sync struct {
	cfg     Config
	log     *slog.Logger
	secrets *SecretStore

	mu     sync.Mutex
	loaded bool
	// dormant: no ledger was ever connected (no connection stream), so
	// the book holds nothing and the log is not read; the first
	// LedgerConnected wakes the process, which then reads the log whole.
	dormant  bool
	b        *book
	open     map[genKey]time.Time   // invoices with work left per provider, and when it is due
	ledgers  map[string]builtLedger // adapters built by the factory
	progress eventstore.Progress    // how far the log is handled, for WaitFor

	cancel context.CancelFunc
	wg     sync.WaitGroup
	// running, failures and waiting are for Stats.
	running  atomic.Bool
	failures atomic.Uint64
	waiting  atomic.Int64
	beat     atomic.Int64 // unix nanoseconds of the tick loop's last turn
}

// Stats is what an operator watches of ledger sync (health and metrics).
type Stats struct {
	// Running is true between Start and Close.
	Running bool
	// Waiting is how many invoices and payouts have pushes to make or
	// retry (as of the last time the process was not busy).
	Waiting int
	// Failures counts pushes that failed since Start, temporary (retried)
	// and permanent alike.
	Failures uint64
	// LastBeat is when the tick loop last turned (zero before Start); it
	// turns every TickInterval, before and after each Tick.
	LastBeat time.Time
	// TickInterval is the loop's interval, for judging LastBeat.
	TickInterval time.Duration
}

// Stats reads the figures without waiting for a push in progress: when
// the process is busy, Waiting is the count it last saw.
func (s *Sync) Stats() Stats {
	if s.mu.TryLock() {
		s.waiting.Store(int64(len(s.open)))
		s.mu.Unlock()
	}
	st := Stats{Running: s.running.Load(), Waiting: int(s.waiting.Load()), Failures: s.failures.Load(), TickInterval: s.cfg.TickInterval}
	if b := s.beat.Load(); b != 0 {
		st.LastBeat = time.Unix(0, b)
	}
	return st
}

type builtLedger struct {
	l       accounting.Ledger
	tenant  string
	mapping ledger.Mapping
}

// Open returns the process manager; Start runs it, or call CatchUp and Tick.
func Open(cfg Config) (*Sync, error) {
	if cfg.Store == nil {
		return nil, errors.New("ledgersync: a store is needed")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.TickInterval <= 0 {
		cfg.TickInterval = time.Minute
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = 30 * time.Second
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = time.Hour
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 12
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = time.Minute
	}
	if cfg.ReconcileInterval == 0 {
		cfg.ReconcileInterval = 24 * time.Hour
	}
	return &Sync{cfg: cfg, log: cfg.Logger, secrets: NewSecretStore(cfg.DataDir), b: newBook(),
		open: map[genKey]time.Time{}, ledgers: map[string]builtLedger{}}, nil
}

// Start catches up in the background, then follows the log live, runs Tick
// every TickInterval and reconciles every ReconcileInterval, until Close.
func (s *Sync) Start(ctx context.Context) error {
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.running.Store(true)
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := s.CatchUp(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("ledgersync: catching up", "err", err)
		}
		s.follow(ctx)
	}()
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(s.cfg.TickInterval)
		defer t.Stop()
		for {
			s.beat.Store(time.Now().UnixNano()) // the wall clock: liveness is real time
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			s.beat.Store(time.Now().UnixNano()) // the wall clock: liveness is real time
			if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("ledgersync tick", "err", err)
			}
			if s.cfg.ReconcileInterval > 0 {
				if _, err := s.reconcileDaily(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("ledgersync: scheduled reconciliation", "err", err)
				}
			}
		}
	}()
	return nil
}

// Close stops what Start started and waits for it.
func (s *Sync) Close() error {
	s.running.Store(false)
	if s.cancel != nil {
		s.cancel()
		s.wg.Wait()
	}
	return nil
}

// follow handles events as they are appended, through the one log follower
// (projections/follow), starting it again from the book's position after a
// failure.
func (s *Sync) follow(ctx context.Context) {
	for ctx.Err() == nil {
		s.mu.Lock()
		from := s.b.next - 1
		s.mu.Unlock()
		f := follow.New(s.cfg.Store, func(ctx context.Context, ev follow.Event) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.handle(ctx, ev)
		}, follow.Options{From: from, Filter: watched(), Catalog: s.b.cat})
		if err := f.Run(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("ledgersync: following the log", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// WaitFor returns once the log up to position pos is handled (pushed or
// waiting), or ctx's error. The live follower moves only on the events it
// watches; CatchUp and Tick move it to the head.
func (s *Sync) WaitFor(ctx context.Context, pos uint64) error {
	return s.progress.Wait(ctx, pos)
}

// CatchUp loads the book the first time and handles the log up to its head,
// pushing what is due.
func (s *Sync) CatchUp(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.catchUp(ctx)
}

func (s *Sync) catchUp(ctx context.Context) error {
	// The head is read before the log, so WaitFor(head) cannot return before
	// an event appended meanwhile was handled.
	head, err := s.cfg.Store.Head(ctx)
	if err != nil {
		return err
	}
	if !s.loaded || s.dormant {
		never, err := s.neverConnected(ctx)
		if err != nil {
			return err
		}
		if never {
			// Nothing to push, nor to know: the log up to head is passed
			// over, and no history is held.
			s.loaded, s.dormant, s.b.next = true, true, max(s.b.next, head+1)
			s.advance(head)
			return nil
		}
		if s.dormant {
			s.loaded, s.dormant, s.b = false, false, newBook() // woken: read the log whole
		}
	}
	if !s.loaded {
		// The whole log first, without pushing: what was pushed before is
		// known before anything is pushed again.
		if err := s.b.readAll(ctx, s.cfg.Store, nil); err != nil {
			return err
		}
		s.loaded = true
		for _, inv := range s.b.invoices {
			s.reopen(inv)
		}
		s.reopenPayouts()
		s.work(ctx)
	} else if err := s.b.readAll(ctx, s.cfg.Store, func(ev follow.Event, inv *invoiceRec) error {
		return s.react(ctx, ev, inv)
	}); err != nil {
		return err
	}
	s.advance(head)
	return nil
}

// neverConnected reports whether no provider has a connection stream: no
// ledger was ever connected to this store, so there is nothing to push or
// reconcile. It reads a stream's first event per provider, whatever the
// length of the log.
func (s *Sync) neverConnected(ctx context.Context) (bool, error) {
	for _, p := range ledger.Providers() {
		recs, err := s.cfg.Store.ReadStream(ctx, ledger.StreamName(ledger.ConnectionID(p)), 0, eventstore.Forward, 1)
		if err != nil {
			return false, fmt.Errorf("ledgersync: read the %s connection: %w", p, err)
		}
		if len(recs) > 0 {
			return false, nil
		}
	}
	return true, nil
}

// Tick catches up with the log and pushes what is due: retries whose time
// came, and work left by a ledger that was not reachable.
func (s *Sync) Tick(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.catchUp(ctx); err != nil {
		return err
	}
	s.work(ctx)
	return nil
}

// handle observes one event from the live follower and reacts to it.
func (s *Sync) handle(ctx context.Context, ev follow.Event) error {
	if !s.loaded {
		if err := s.catchUp(ctx); err != nil {
			return err
		}
	}
	if s.dormant && ev.Type == "LedgerConnected" {
		// The first connection: read the log whole, as a start with a
		// connection does (this event included).
		if err := s.catchUp(ctx); err != nil {
			return err
		}
	}
	if ev.Position < s.b.next || s.dormant {
		s.advance(ev.Position)
		return nil // CatchUp already handled it, or nothing is connected
	}
	inv := s.b.observe(ev)
	if err := s.react(ctx, ev, inv); err != nil {
		return err
	}
	s.advance(ev.Position)
	return nil
}

// react opens the work an event causes and does what is due now.
func (s *Sync) react(ctx context.Context, ev follow.Event, inv *invoiceRec) error {
	switch ev.Type {
	case "LedgerConnected", "LedgerMappingChanged", "LedgerContactMapped":
		for _, inv := range s.b.invoices {
			s.reopen(inv)
		}
		s.reopenPayouts()
		s.work(ctx)
		return nil
	case "PayoutRecorded":
		if p := s.b.payouts[ev.Data.(payout.PayoutRecorded).PayoutID]; p != nil {
			s.reopenPayout(p)
			s.work(ctx)
		}
		return nil
	case "LedgerDisconnected":
		return nil
	}
	if inv == nil {
		return nil
	}
	if ev.Type == "LedgerPushSucceeded" || ev.Type == "LedgerPushFailed" {
		// Another process recorded an outcome: nothing to do but what is due.
		s.reopen(inv)
		return nil
	}
	s.reopen(inv)
	for p := range s.b.conns {
		k := genKey{p, inv.id}
		if due, ok := s.open[k]; ok && !s.cfg.Now().Before(due) {
			s.process(ctx, k)
		}
	}
	return nil
}

// reopen marks an invoice as having work (checked when next worked on) in
// every connection whose scope it is in.
func (s *Sync) reopen(inv *invoiceRec) {
	for p, c := range s.b.conns {
		if c.Connection.Connected && inScope(c.Connection, inv) {
			k := genKey{p, inv.id}
			if _, ok := s.open[k]; !ok {
				s.open[k] = time.Time{}
			}
		}
	}
}

// work processes every open invoice whose work is due.
func (s *Sync) work(ctx context.Context) {
	now := s.cfg.Now()
	for k, due := range s.open {
		if ctx.Err() != nil {
			return
		}
		if !now.Before(due) {
			s.process(ctx, k)
		}
	}
}

func (s *Sync) advance(pos uint64) {
	s.progress.Advance(pos)
}

// adapter returns the provider's ledger, building it when its settings
// changed.
func (s *Sync) adapter(provider string, c ledger.Connection) (accounting.Ledger, error) {
	if l, ok := s.cfg.Ledgers[provider]; ok {
		return l, nil
	}
	if b, ok := s.ledgers[provider]; ok && b.tenant == c.TenantID && mappingSame(b.mapping, c.Mapping) {
		return b.l, nil
	}
	if s.cfg.Factory == nil {
		return nil, fmt.Errorf("no adapter for %s in this build", provider)
	}
	sec, err := s.secrets.Load(provider)
	if err != nil {
		return nil, err
	}
	l, err := s.cfg.Factory(provider, Settings{Provider: provider, TenantID: c.TenantID, Mapping: c.Mapping,
		SaveSecrets: func(n Secrets) error { return s.secrets.Save(provider, n) }}, sec)
	if err != nil {
		return nil, err
	}
	s.ledgers[provider] = builtLedger{l: l, tenant: c.TenantID, mapping: c.Mapping}
	return l, nil
}

func mappingSame(a, b ledger.Mapping) bool {
	return reflect.DeepEqual(a, b)
}

// backoff is the delay before retry number attempt+1.
func (s *Sync) backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	d := s.cfg.BaseDelay
	for i := 1; i < attempt && d < s.cfg.MaxDelay; i++ {
		d *= 2
	}
	return min(d, s.cfg.MaxDelay)
}

// eventID is the id of a push's outcome at an attempt.
func eventID(pushID uuid.UUID, attempt int) uuid.UUID {
	return uuid.NewSHA1(pushID, []byte("attempt/"+strconv.Itoa(attempt)))
}
