package projections

// STUB: replaced by the real projection (see doc.go, "Read models in a database").

import (
	"context"

	"github.com/google/uuid"

	"remit/domain/client"
	"remit/domain/proposal"
	"remit/projections/rmdb"
)

const clientsVersion = 1

// Clients is the "clients" projection.
type Clients struct {
	db  *rmdb.DB
	gen int64
}

func newClients(db *rmdb.DB, gen int64) *Clients { return &Clients{db: db, gen: gen} }

// Name implements Projection.
func (p *Clients) Name() string { return "clients" }

// Tables implements Projection.
func (p *Clients) Tables() []rmdb.Table { return nil }

// Apply implements Projection.
func (p *Clients) Apply(tx *rmdb.Tx, e Event) {}

// Flush implements Projection.
func (p *Clients) Flush(tx *rmdb.Tx) {}

// Discard implements Projection.
func (p *Clients) Discard() {}

// clientRecord is a client as the clients table keeps it.
type clientRecord struct {
	State    client.State `json:"state"`
	Revision uint64       `json:"revision"`
}

// proposalRecord is a proposal as the proposals table keeps it.
type proposalRecord struct {
	State    proposal.State `json:"state"`
	Revision uint64         `json:"revision"`
}

// get returns a created client and its proposals in drafting order.
func (p *Clients) get(ctx context.Context, id uuid.UUID) (clientRecord, []proposalRecord, bool, error) {
	panic("stub")
}

// exists reports whether the client was created.
func (p *Clients) exists(ctx context.Context, id uuid.UUID) (bool, error) { panic("stub") }

// defaultMethod returns the client's default payment method id.
func (p *Clients) defaultMethod(ctx context.Context, id uuid.UUID) (uuid.UUID, error) { panic("stub") }

// names fills in the names of the given clients.
func (p *Clients) names(ctx context.Context, ids map[uuid.UUID]string) error { panic("stub") }

// list returns the page of created clients q selects (search, filter,
// has_overdue judged on q.Today from the invoices table), sorted by name
// (case-insensitive) then id, and how many match in all.
func (p *Clients) list(ctx context.Context, q ClientQuery) ([]client.State, int, error) {
	panic("stub")
}
