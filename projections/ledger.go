package projections

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"remit/domain/invoice"
	"remit/domain/ledger"
)

// Ledger sync statuses of an invoice (InvoiceLedger.Status, LedgerSync.Status).
const (
	LedgerNotConnected     = "not_connected"     // no ledger is connected (or this one was disconnected)
	LedgerBeforeConnection = "before_connection" // issued before the ledger was connected: not pushed
	LedgerPending          = "pending"           // to be pushed
	LedgerSynced           = "synced"            // the ledger holds it (LedgerID)
	LedgerRetryQueued      = "retry_queued"      // a push failed temporarily; retried at RetryAt
	LedgerFailed           = "failed"            // a push failed for good (Reason); waits for staff
)

// InvoiceLedger is an invoice's sync status across the connected ledgers.
type InvoiceLedger struct {
	// Status is the worst of Providers' statuses (failed, retry queued,
	// pending, synced), or not connected when no ledger is.
	Status    string
	Providers []LedgerSync
}

// LedgerSync is an invoice's sync status in one ledger.
type LedgerSync struct {
	Provider string
	Status   string
	// LedgerID is the ledger's id of the invoice, once pushed.
	LedgerID string
	// Reason is why the last push failed; RetryAt when it is retried.
	Reason   string
	RetryAt  time.Time
	Attempts int
	// Pushed counts the acknowledged pushes of the invoice (itself, its
	// payments, credits, void) at Generation; Generation counts re-creations.
	Pushed     int
	Generation int
	At         time.Time
}

// Ledger is the "ledger" projection: each invoice's sync status in each
// connected ledger, folded from the ledger events (connections, push
// outcomes, re-creations). It keeps the issue position of invoices only once
// a ledger was connected: an invoice it has no record of was issued before
// that, which is pending when a connection took the history and "before
// connection" otherwise.
type Ledger struct {
	guard
	s ledgerState
}

type ledgerState struct {
	Connections map[string]*ledgerConnection `json:"connections"`
	Invoices    map[uuid.UUID]*ledgerInvoice `json:"invoices"`
}

type ledgerConnection struct {
	Connected    bool   `json:"connected"`
	FromPosition uint64 `json:"from_position"`
}

type ledgerInvoice struct {
	IssuedAt  uint64                 `json:"issued_at,omitempty"` // its InvoiceIssued's position (0: unknown)
	Providers map[string]*LedgerSync `json:"providers,omitempty"`
	// Failing holds the pushes of the current generation that failed last
	// (push id → permanent), per provider.
	Failing map[string]map[uuid.UUID]bool `json:"failing,omitempty"`
}

func newLedger() *Ledger { return &Ledger{s: emptyLedgerState()} }

func emptyLedgerState() ledgerState {
	return ledgerState{Connections: map[string]*ledgerConnection{}, Invoices: map[uuid.UUID]*ledgerInvoice{}}
}

// Name implements Projection.
func (p *Ledger) Name() string { return "ledger" }

func (p *Ledger) invoice(id uuid.UUID) *ledgerInvoice {
	r := p.s.Invoices[id]
	if r == nil {
		r = &ledgerInvoice{}
		p.s.Invoices[id] = r
	}
	return r
}

func (r *ledgerInvoice) provider(name string) *LedgerSync {
	if r.Providers == nil {
		r.Providers = map[string]*LedgerSync{}
	}
	v := r.Providers[name]
	if v == nil {
		v = &LedgerSync{Provider: name, Status: LedgerPending}
		r.Providers[name] = v
	}
	return v
}

// Apply implements Projection.
func (p *Ledger) Apply(e Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checkpoint = max(p.checkpoint, e.Position)
	switch ev := e.Data.(type) {
	case invoice.InvoiceIssued:
		if len(p.s.Connections) > 0 {
			p.invoice(ev.InvoiceID).IssuedAt = e.Position
		}
	case ledger.LedgerConnected:
		c := p.s.Connections[ev.Provider]
		if c == nil {
			c = &ledgerConnection{FromPosition: ev.FromPosition}
			p.s.Connections[ev.Provider] = c
		}
		c.Connected = true
	case ledger.LedgerDisconnected:
		if c := p.s.Connections[ev.Provider]; c != nil {
			c.Connected = false
		}
	case ledger.LedgerRecreateRequested:
		r := p.invoice(ev.InvoiceID)
		v := r.provider(ev.Provider)
		if ev.Generation > v.Generation {
			*v = LedgerSync{Provider: ev.Provider, Status: LedgerPending, Generation: ev.Generation, At: ev.At}
			delete(r.Failing, ev.Provider)
		}
	case ledger.LedgerPushSucceeded:
		r := p.invoice(ev.InvoiceID)
		v := r.provider(ev.Provider)
		if ev.Generation < v.Generation {
			return
		}
		v.Generation = ev.Generation
		v.Pushed++
		if ev.Kind == ledger.KindInvoice {
			v.LedgerID, v.At = ev.LedgerID, ev.At
		}
		delete(r.Failing[ev.Provider], ev.PushID)
		p.settle(r, v)
	case ledger.LedgerPushFailed:
		r := p.invoice(ev.InvoiceID)
		v := r.provider(ev.Provider)
		if ev.Generation < v.Generation {
			return
		}
		v.Generation = ev.Generation
		if r.Failing == nil {
			r.Failing = map[string]map[uuid.UUID]bool{}
		}
		if r.Failing[ev.Provider] == nil {
			r.Failing[ev.Provider] = map[uuid.UUID]bool{}
		}
		r.Failing[ev.Provider][ev.PushID] = !ev.Temporary
		v.Reason, v.Attempts, v.RetryAt, v.At = ev.Reason, ev.Attempt, ev.RetryAt, ev.At
		p.settle(r, v)
	}
}

// settle derives a provider's status after a push outcome.
func (p *Ledger) settle(r *ledgerInvoice, v *LedgerSync) {
	failing := r.Failing[v.Provider]
	permanent, temporary := false, false
	for _, perm := range failing {
		permanent = permanent || perm
		temporary = temporary || !perm
	}
	switch {
	case permanent:
		v.Status = LedgerFailed
		v.RetryAt = time.Time{}
	case temporary:
		v.Status = LedgerRetryQueued
	case v.LedgerID != "":
		v.Status, v.Reason, v.RetryAt, v.Attempts = LedgerSynced, "", time.Time{}, 0
	default:
		v.Status = LedgerPending
	}
	if len(failing) == 0 {
		delete(r.Failing, v.Provider)
	}
}

// of returns an invoice's sync status; the caller holds no lock.
func (p *Ledger) of(id uuid.UUID) InvoiceLedger {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := InvoiceLedger{Status: LedgerNotConnected, Providers: []LedgerSync{}}
	providers := make([]string, 0, len(p.s.Connections))
	for name := range p.s.Connections {
		providers = append(providers, name)
	}
	slices.Sort(providers)
	r := p.s.Invoices[id]
	rank := map[string]int{LedgerNotConnected: 0, LedgerBeforeConnection: 0, LedgerSynced: 1, LedgerPending: 2, LedgerRetryQueued: 3, LedgerFailed: 4}
	for _, name := range providers {
		c := p.s.Connections[name]
		var v LedgerSync
		switch {
		case r != nil && r.Providers[name] != nil:
			v = *r.Providers[name]
		case c.FromPosition == 0 || (r != nil && r.IssuedAt > c.FromPosition):
			v = LedgerSync{Provider: name, Status: LedgerPending}
		default:
			v = LedgerSync{Provider: name, Status: LedgerBeforeConnection}
		}
		if !c.Connected && v.Status != LedgerSynced {
			v.Status = LedgerNotConnected
		}
		out.Providers = append(out.Providers, v)
		if c.Connected && (out.Status == LedgerNotConnected || rank[v.Status] > rank[out.Status]) {
			out.Status = v.Status
		}
	}
	return out
}

// Reset implements Projection.
func (p *Ledger) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s = emptyLedgerState()
	p.checkpoint = 0
}

// MarshalSnapshot implements Projection.
func (p *Ledger) MarshalSnapshot() ([]byte, uint64, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	data, err := json.Marshal(p.s)
	return data, p.checkpoint, err
}

// UnmarshalSnapshot implements Projection.
func (p *Ledger) UnmarshalSnapshot(data []byte, checkpoint uint64) error {
	s := emptyLedgerState()
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("ledger snapshot: %w", err)
	}
	if s.Connections == nil || s.Invoices == nil {
		return fmt.Errorf("ledger snapshot: missing maps")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s = s
	p.checkpoint = checkpoint
	return nil
}
