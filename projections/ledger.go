package projections

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"remit/domain/invoice"
	"remit/domain/ledger"
	"remit/projections/rmdb"
)

const ledgerVersion = 1

// Ledger is the "ledger" projection: each invoice's sync status in each
// connected ledger, folded from the ledger events (connections, push
// outcomes, re-creations). It keeps the issue position of invoices only once
// a ledger was connected: an invoice it has no record of was issued before
// that, which is pending when a connection took the history and "before
// connection" otherwise.
//
// Table "ledger_connections" holds a ledgerConnection per provider (a
// handful of rows); "ledger_invoices" a ledgerInvoice per invoice id. An
// invoice's status is derived when it is asked for, from its record and
// the connections, so connecting or disconnecting a ledger writes one row
// whatever the number of invoices.
type Ledger struct {
	db          *rmdb.DB
	gen         int64
	connections *rmdb.Docs[ledgerConnection]
	invoices    *rmdb.Docs[ledgerInvoice]
	// connected caches whether any ledger was ever connected (connections
	// are never deleted, so once yes it stays yes): 0 unknown, 1 no, 2 yes.
	connected int8
}

// ledgerConnection is a provider's connection as the ledger_connections
// table keeps it.
type ledgerConnection struct {
	Provider     string `json:"provider"`
	Connected    bool   `json:"connected"`
	FromPosition uint64 `json:"from_position"`
}

// ledgerInvoice is an invoice's sync record as the ledger_invoices table
// keeps it.
type ledgerInvoice struct {
	IssuedAt  uint64                 `json:"issued_at,omitempty"` // its InvoiceIssued's position (0: unknown)
	Providers map[string]*LedgerSync `json:"providers,omitempty"`
	// Failing holds the pushes of the current generation that failed last
	// (push id → permanent), per provider.
	Failing map[string]map[uuid.UUID]bool `json:"failing,omitempty"`
}

func newLedger(db *rmdb.DB, gen int64) *Ledger {
	return &Ledger{
		db:          db,
		gen:         gen,
		connections: rmdb.NewDocs(rmdb.DocsSpec[ledgerConnection]{Name: "ledger_connections"}, gen),
		invoices:    rmdb.NewDocs(rmdb.DocsSpec[ledgerInvoice]{Name: "ledger_invoices"}, gen),
	}
}

// Name implements Projection.
func (p *Ledger) Name() string { return "ledger" }

// Tables implements Projection.
func (p *Ledger) Tables() []rmdb.Table {
	return []rmdb.Table{p.connections.Table(), p.invoices.Table()}
}

// anyConnection reports whether a ledger was ever connected, as of the
// events applied so far (flushed or not).
func (p *Ledger) anyConnection(tx *rmdb.Tx) bool {
	if p.connected == 0 {
		var one int
		if tx.QueryRow("SELECT 1 FROM "+rmdb.Stored("ledger_connections", p.gen)+" LIMIT 1", nil, &one) {
			p.connected = 2
		} else if tx.Err() == nil {
			p.connected = 1
		}
	}
	return p.connected == 2
}

func (p *Ledger) invoice(tx *rmdb.Tx, id uuid.UUID) *ledgerInvoice {
	r := p.invoices.Get(tx, id.String())
	if r == nil {
		r = &ledgerInvoice{}
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
func (p *Ledger) Apply(tx *rmdb.Tx, e Event) {
	switch ev := e.Data.(type) {
	case invoice.InvoiceIssued:
		if p.anyConnection(tx) {
			r := p.invoice(tx, ev.InvoiceID)
			r.IssuedAt = e.Position
			p.invoices.Put(ev.InvoiceID.String(), r)
		}
	case ledger.LedgerConnected:
		c := p.connections.Get(tx, ev.Provider)
		if c == nil {
			c = &ledgerConnection{Provider: ev.Provider, FromPosition: ev.FromPosition}
		}
		c.Connected = true
		p.connections.Put(ev.Provider, c)
		p.connected = 2
	case ledger.LedgerDisconnected:
		if c := p.connections.Get(tx, ev.Provider); c != nil {
			c.Connected = false
			p.connections.Put(ev.Provider, c)
		}
	case ledger.LedgerRecreateRequested:
		r := p.invoice(tx, ev.InvoiceID)
		v := r.provider(ev.Provider)
		if ev.Generation > v.Generation {
			*v = LedgerSync{Provider: ev.Provider, Status: LedgerPending, Generation: ev.Generation, At: ev.At}
			delete(r.Failing, ev.Provider)
		}
		p.invoices.Put(ev.InvoiceID.String(), r)
	case ledger.LedgerPushSucceeded:
		if ev.PayoutID != uuid.Nil {
			return // a payout's push: the payouts projection keeps it
		}
		r := p.invoice(tx, ev.InvoiceID)
		v := r.provider(ev.Provider)
		defer p.invoices.Put(ev.InvoiceID.String(), r)
		if ev.Generation < v.Generation {
			return
		}
		v.Generation = ev.Generation
		v.Pushed++
		if ev.Kind == ledger.KindInvoice {
			v.LedgerID, v.At = ev.LedgerID, ev.At
		}
		delete(r.Failing[ev.Provider], ev.PushID)
		settleLedgerSync(r, v)
	case ledger.LedgerPushFailed:
		if ev.PayoutID != uuid.Nil {
			return
		}
		r := p.invoice(tx, ev.InvoiceID)
		v := r.provider(ev.Provider)
		defer p.invoices.Put(ev.InvoiceID.String(), r)
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
		settleLedgerSync(r, v)
	}
}

// settleLedgerSync derives a provider's status after a push outcome.
func settleLedgerSync(r *ledgerInvoice, v *LedgerSync) {
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

// Flush implements Projection.
func (p *Ledger) Flush(tx *rmdb.Tx) {
	p.connections.Flush(tx)
	p.invoices.Flush(tx)
}

// Discard implements Projection.
func (p *Ledger) Discard() {
	p.connections.Discard()
	p.invoices.Discard()
	p.connected = 0
}

// ledgerStatusRank orders statuses from best to worst (InvoiceLedger.Status
// is the worst of the connected providers').
func ledgerStatusRank(status string) int {
	switch status {
	case LedgerSynced:
		return 1
	case LedgerPending:
		return 2
	case LedgerRetryQueued:
		return 3
	case LedgerFailed:
		return 4
	}
	return 0 // not connected, before connection
}

// of returns an invoice's sync status across the connected ledgers.
func (p *Ledger) of(ctx context.Context, id uuid.UUID) (InvoiceLedger, error) {
	out := InvoiceLedger{Status: LedgerNotConnected, Providers: []LedgerSync{}}
	conns, err := p.connections.Find(ctx, p.db, "")
	if err != nil {
		return out, err
	}
	if len(conns) == 0 {
		return out, nil
	}
	// Sorted here rather than by SQL: PostgreSQL's text order follows the
	// locale.
	slices.SortFunc(conns, func(a, b ledgerConnection) int { return cmp.Compare(a.Provider, b.Provider) })
	rec, found, err := p.invoices.Load(ctx, p.db, id.String())
	if err != nil {
		return out, err
	}
	var r *ledgerInvoice
	if found {
		r = &rec
	}
	for _, c := range conns {
		var v LedgerSync
		switch {
		case r != nil && r.Providers[c.Provider] != nil:
			v = *r.Providers[c.Provider]
		case c.FromPosition == 0 || (r != nil && r.IssuedAt > c.FromPosition):
			v = LedgerSync{Provider: c.Provider, Status: LedgerPending}
		default:
			v = LedgerSync{Provider: c.Provider, Status: LedgerBeforeConnection}
		}
		if !c.Connected && v.Status != LedgerSynced {
			v.Status = LedgerNotConnected
		}
		out.Providers = append(out.Providers, v)
		if c.Connected && (out.Status == LedgerNotConnected || ledgerStatusRank(v.Status) > ledgerStatusRank(out.Status)) {
			out.Status = v.Status
		}
	}
	return out, nil
}

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
