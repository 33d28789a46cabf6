package rmdb

import (
	"database/sql"
	"fmt"
	"strings"
)

// Table declares one table of a projection.
type Table struct {
	// Name is the table's name without prefix: "clients" is stored as
	// rm_clients_g<generation> and read through the view rm_clients.
	Name string
	// Columns are the column definitions, the primary key's included
	// ("key TEXT PRIMARY KEY", "client_id TEXT NOT NULL", …), or the
	// table's constraint ("PRIMARY KEY (a, b)").
	Columns []string
	// Indexes are the column lists to index, e.g. "client_id, seq". A
	// fill builds them once it is done (CreateIndexes).
	Indexes []string
	// ApplyIndexes are column lists to index that the projection's own
	// writer reads while it applies events (a row recomputed at Flush from
	// the others, say): unlike Indexes, a generation has them from its
	// creation, since without them each such read of a fill would scan the
	// table as it grows.
	ApplyIndexes []string
	// Clustered stores a table whose rows are little more than their
	// primary key by that key alone (SQLite's WITHOUT ROWID), instead of a
	// row tree plus a key index holding the same columns again. PostgreSQL
	// ignores it.
	Clustered bool
}

// View is the name queries read the table by.
func View(name string) string { return "rm_" + name }

// Stored is the name of a generation's table.
func Stored(name string, generation int64) string {
	return fmt.Sprintf("rm_%s_g%d", name, generation)
}

// CreateTables creates a generation's tables and indexes (dropping any left
// from an abandoned rebuild).
func (t *Tx) CreateTables(generation int64, tables []Table) {
	t.CreateTablesForFill(generation, tables)
	t.CreateIndexes(generation, tables)
}

// CreateTablesForFill creates a generation's tables without their
// secondary indexes other than ApplyIndexes (dropping any left from an
// abandoned rebuild), for a
// generation that is filled from the log before anyone reads it: building
// an index once over the filled table costs a fraction of keeping it up to
// date row by row. CreateIndexes adds them once the fill is done.
func (t *Tx) CreateTablesForFill(generation int64, tables []Table) {
	for _, tb := range tables {
		name := Stored(tb.Name, generation)
		t.Exec("DROP TABLE IF EXISTS " + name)
		create := "CREATE TABLE " + name + " (" + strings.Join(tb.Columns, ", ") + ")"
		if tb.Clustered && t.db.dialect == SQLite {
			create += " WITHOUT ROWID"
		}
		t.Exec(create)
		for i, ix := range tb.ApplyIndexes {
			t.Exec(fmt.Sprintf("CREATE INDEX %s_a%d ON %s (%s)", name, i, name, ix))
		}
	}
}

// CreateIndexes creates a generation's secondary indexes that do not exist
// yet (all of them after CreateTablesForFill, none after CreateTables), so
// it is safe to call again, e.g. after a fill a crash interrupted.
func (t *Tx) CreateIndexes(generation int64, tables []Table) {
	for _, tb := range tables {
		name := Stored(tb.Name, generation)
		for i, ix := range tb.Indexes {
			t.Exec(fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s_i%d ON %s (%s)", name, i, name, ix))
		}
		for i, ix := range tb.ApplyIndexes {
			t.Exec(fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s_a%d ON %s (%s)", name, i, name, ix))
		}
	}
}

// DropTables drops a generation's tables.
func (t *Tx) DropTables(generation int64, tables []Table) {
	for _, tb := range tables {
		t.Exec("DROP TABLE IF EXISTS " + Stored(tb.Name, generation))
	}
}

// ServeViews points each table's view at a generation.
func (t *Tx) ServeViews(generation int64, tables []Table) {
	for _, tb := range tables {
		t.Exec("DROP VIEW IF EXISTS " + View(tb.Name))
		t.Exec("CREATE VIEW " + View(tb.Name) + " AS SELECT * FROM " + Stored(tb.Name, generation))
	}
}

// Registration is a projection generation as the registry holds it.
type Registration struct {
	Name       string
	Generation int64
	Version    int64
	Checkpoint uint64
	Serving    bool
}

// Registrations returns every generation of every projection.
func (t *Tx) Registrations() []Registration {
	rows, err := t.Query(registrationsQuery)
	if err != nil {
		t.Fail(fmt.Errorf("read models: registry: %w", err))
		return nil
	}
	regs, err := scanRegistrations(rows)
	t.Fail(err)
	return regs
}

// registrationsQuery reads the registry, in name and generation order.
const registrationsQuery = `SELECT name, generation, version, checkpoint, serving FROM rm_projections ORDER BY name, generation`

// scanRegistrations reads the rows of registrationsQuery and closes them.
func scanRegistrations(rows *sql.Rows) ([]Registration, error) {
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

// Register records a new generation at checkpoint 0, not serving.
func (t *Tx) Register(name string, generation, version int64) {
	t.Exec(`DELETE FROM rm_projections WHERE name = ? AND generation = ?`, name, generation)
	t.Exec(`INSERT INTO rm_projections (name, generation, version, checkpoint, serving) VALUES (?, ?, ?, 0, 0)`, name, generation, version)
}

// Serve makes a generation the one serving its projection.
func (t *Tx) Serve(name string, generation int64) {
	t.Exec(`UPDATE rm_projections SET serving = CASE WHEN generation = ? THEN 1 ELSE 0 END WHERE name = ?`, generation, name)
}

// Unregister forgets a generation.
func (t *Tx) Unregister(name string, generation int64) {
	t.Exec(`DELETE FROM rm_projections WHERE name = ? AND generation = ?`, name, generation)
}

// ErrCheckpointMoved is the error of an Advance that found the checkpoint
// not where the writer last left it: another process applied (it holds the
// lease now), so this transaction must not commit.
var ErrCheckpointMoved = fmt.Errorf("read models: checkpoint moved under this writer")

// Advance moves a generation's checkpoint from `from` to `to`, failing the
// transaction with ErrCheckpointMoved when it is not at `from`.
func (t *Tx) Advance(name string, generation int64, from, to uint64) {
	if to <= from {
		return
	}
	n := t.ExecCount(`UPDATE rm_projections SET checkpoint = ? WHERE name = ? AND generation = ? AND checkpoint = ?`,
		int64(to), name, generation, int64(from))
	if n == 0 && t.Err() == nil {
		t.Fail(fmt.Errorf("%w: %s generation %d is not at %d", ErrCheckpointMoved, name, generation, from))
	}
}
