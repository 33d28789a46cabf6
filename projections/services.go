package projections

// STUB: replaced by the real projection (see doc.go, "Read models in a database").

import (
	"context"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/service"
	"remit/projections/rmdb"
)

const servicesVersion = 1

// Services is the "services" projection.
type Services struct {
	db  *rmdb.DB
	gen int64
}

func newServices(db *rmdb.DB, gen int64) *Services { return &Services{db: db, gen: gen} }

// Name implements Projection.
func (p *Services) Name() string { return "services" }

// Tables implements Projection.
func (p *Services) Tables() []rmdb.Table { return nil }

// Apply implements Projection.
func (p *Services) Apply(tx *rmdb.Tx, e Event) {}

// Flush implements Projection.
func (p *Services) Flush(tx *rmdb.Tx) {}

// Discard implements Projection.
func (p *Services) Discard() {}

// view renders one service; an unknown one is ENOTFOUND.
func (p *Services) view(ctx context.Context, id uuid.UUID, today domain.Date) (ServiceView, error) {
	panic("stub")
}

// ofClient renders a client's services.
func (p *Services) ofClient(ctx context.Context, clientID uuid.UUID, today domain.Date) ([]ServiceView, error) {
	panic("stub")
}

// states returns a client's services folded, in activation order.
func (p *Services) states(ctx context.Context, clientID uuid.UUID) ([]service.State, error) {
	panic("stub")
}

// state returns one service folded.
func (p *Services) state(ctx context.Context, id uuid.UUID) (service.State, bool, error) {
	panic("stub")
}
