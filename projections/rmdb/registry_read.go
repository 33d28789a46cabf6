package rmdb

import (
	"context"
	"fmt"
)

// Registrations returns every generation of every projection as the
// registry holds it, read on the read pool: what `remit projections status`
// shows without taking the writer away from a running server.
func (db *DB) Registrations(ctx context.Context) ([]Registration, error) {
	rows, err := db.Query(ctx, `SELECT name, generation, version, checkpoint, serving FROM rm_projections ORDER BY name, generation`)
	if err != nil {
		return nil, fmt.Errorf("read models: registry: %w", err)
	}
	defer rows.Close()
	var out []Registration
	for rows.Next() {
		var r Registration
		var cp, serving int64
		if err := rows.Scan(&r.Name, &r.Generation, &r.Version, &cp, &serving); err != nil {
			return nil, fmt.Errorf("read models: registry: %w", err)
		}
		r.Checkpoint, r.Serving = uint64(cp), serving != 0
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read models: registry: %w", err)
	}
	return out, nil
}
