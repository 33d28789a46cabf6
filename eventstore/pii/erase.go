package pii

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/client"
	"remit/eventstore"
)

// Forgetter is a store that can destroy a client's key: a *Store.
type Forgetter interface {
	Forget(ctx context.Context, clientID uuid.UUID) error
}

// ErrNotSealed is the error of an erasure on a store that keeps personal
// data as it is (no key store): there is no key to destroy.
var ErrNotSealed = domain.Conflict("Personal data is not sealed on this store, so it cannot be erased by destroying a key.")

// Erase erases a client's personal data: it checks that the client exists,
// destroys their key (store must be a *Store, or any Forgetter), then
// appends client.ClientErased to the client's stream with meta, so every
// read model — in this process and in any other following the log —
// rebuilds without the client's personal fields. Erasing an erased client
// destroys nothing more and appends nothing.
func Erase(ctx context.Context, store eventstore.Store, clientID uuid.UUID, meta billing.Meta, now time.Time) (billing.Result, error) {
	f, ok := store.(Forgetter)
	if !ok {
		return billing.Result{}, ErrNotSealed
	}
	stream := client.StreamName(clientID)
	recs, err := store.ReadStream(ctx, stream, 0, eventstore.Forward, 1)
	if err != nil {
		return billing.Result{}, fmt.Errorf("read %s: %w", stream, err)
	}
	if len(recs) == 0 {
		return billing.Result{}, domain.NotFound("There is no client %s.", clientID)
	}
	if err := f.Forget(ctx, clientID); err != nil {
		return billing.Result{}, fmt.Errorf("destroy the key of client %s: %w", clientID, err)
	}
	if meta.CommandID == "" {
		meta.CommandID = uuid.NewString()
	}
	d := billing.Decider[client.State, client.Command]{Evolve: client.Evolve, Decide: client.Decide}
	out, err := billing.Handle(ctx, billing.Env{Store: store, Catalog: catalog.New()}, d, stream, client.Command(client.RecordErasure{ClientID: clientID, Now: now}), meta)
	if err != nil {
		return billing.Result{}, err
	}
	out.Result.ID = clientID
	return out.Result, nil
}
