package rmdb

import (
	"context"
	"fmt"
)

// Registrations returns every generation of every projection as the
// registry holds it, read on the read pool: what `remit projections status`
// shows without taking the writer away from a running server.
func (db *DB) Registrations(ctx context.Context) ([]Registration, error) {
	rows, err := db.Query(ctx, registrationsQuery)
	if err != nil {
		return nil, fmt.Errorf("read models: registry: %w", err)
	}
	return scanRegistrations(rows)
}
