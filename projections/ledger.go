package projections

// STUB: replaced by the real projection (see doc.go, "Read models in a database").

import (
	"context"
	"time"

	"github.com/google/uuid"
	"remit/projections/rmdb"
)

const ledgerVersion = 1

// Ledger is the "ledger" projection.
type Ledger struct {
	db  *rmdb.DB
	gen int64
}

func newLedger(db *rmdb.DB, gen int64) *Ledger { return &Ledger{db: db, gen: gen} }

// Name implements Projection.
func (p *Ledger) Name() string { return "ledger" }

// Tables implements Projection.
func (p *Ledger) Tables() []rmdb.Table { return nil }

// Apply implements Projection.
func (p *Ledger) Apply(tx *rmdb.Tx, e Event) {}

// Flush implements Projection.
func (p *Ledger) Flush(tx *rmdb.Tx) {}

// Discard implements Projection.
func (p *Ledger) Discard() {}

// of returns an invoice's sync status across the connected ledgers.
func (p *Ledger) of(ctx context.Context, id uuid.UUID) (InvoiceLedger, error) { panic("stub") }

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
