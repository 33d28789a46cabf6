package rmdb

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Rows buffers new rows of one table and writes them in the batch's
// transaction with as few statements as the database takes: INSERTs of
// many rows each (VALUES (…), (…), …), or COPY on PostgreSQL when there
// are many; a full statement's worth as soon as Add has it, the rest at
// Flush. One statement per event would cost a round through database/sql
// and the driver for every row; a rebuild writes millions of them. Rows is
// for the one goroutine applying events, like Docs' Apply side.
type Rows struct {
	table  string
	cols   []string
	suffix string // after VALUES: an upsert's ON CONFLICT clause
	vals   []any  // len(cols) per row
	insert map[int]string
}

// insertRows is the most rows one INSERT writes: enough to make the
// per-statement cost vanish, few enough that the statements stay small.
const insertRows = 256

// The most ? placeholders one statement may hold (SQLite's
// SQLITE_MAX_VARIABLE_NUMBER, PostgreSQL's protocol limit).
const (
	sqliteMaxParams   = 32766
	postgresMaxParams = 65535
)

// copyRows is how many rows make a COPY worth its extra round trip on
// PostgreSQL, and copyChunk how many one COPY writes at most.
const (
	copyRows  = 64
	copyChunk = 4096
)

// NewRows returns a buffer of rows of table (its stored name, e.g.
// Stored("activity_lines", gen)) with the given columns.
func NewRows(table string, cols ...string) *Rows {
	return &Rows{table: table, cols: cols, insert: map[int]string{}}
}

// NewUpsertRows is NewRows for rows that replace the row of the same key
// (the table's primary key, column key, ON CONFLICT … DO UPDATE): a row
// whose key is already in the table updates its other columns. One Flush
// must not hold two rows of the same key.
func NewUpsertRows(table, key string, cols ...string) *Rows {
	r := NewRows(table, cols...)
	sets := make([]string, 0, len(cols))
	for _, c := range cols {
		if c != key {
			sets = append(sets, c+" = excluded."+c)
		}
	}
	r.suffix = " ON CONFLICT (" + key + ") DO UPDATE SET " + strings.Join(sets, ", ")
	return r
}

// Add buffers a row (one value per column, in the columns' order) to be
// written in tx; a full buffer is written there and then, so the buffer
// never holds more than one statement's (or one COPY's) rows.
func (r *Rows) Add(tx *Tx, values ...any) {
	if len(values) != len(r.cols) {
		panic(fmt.Sprintf("rmdb: %d values for the %d columns of %s", len(values), len(r.cols), r.table))
	}
	r.vals = append(r.vals, values...)
	if r.Len() >= r.full(tx.db.dialect) {
		r.Flush(tx)
	}
}

// full is how many rows Add buffers before writing them.
func (r *Rows) full(d Dialect) int {
	if d == Postgres {
		if r.suffix == "" {
			return copyChunk
		}
		return max(1, min(insertRows, postgresMaxParams/len(r.cols)))
	}
	return max(1, min(insertRows, sqliteMaxParams/len(r.cols)))
}

// Len is how many rows are buffered.
func (r *Rows) Len() int { return len(r.vals) / len(r.cols) }

// Discard forgets the buffered rows (the batch rolled back).
func (r *Rows) Discard() { r.vals = r.vals[:0] }

// Flush writes the buffered rows in tx and empties the buffer.
func (r *Rows) Flush(tx *Tx) {
	n := r.Len()
	if n == 0 || tx.Err() != nil {
		r.Discard()
		return
	}
	if tx.db.dialect == Postgres && r.suffix == "" && n >= copyRows {
		r.copy(tx)
		r.Discard()
		return
	}
	nc := len(r.cols)
	per := r.full(tx.db.dialect)
	if tx.db.dialect == Postgres && r.suffix == "" {
		per = max(1, min(insertRows, postgresMaxParams/nc))
	}
	done := 0
	for n-done >= per {
		tx.Exec(r.statement(per), r.vals[done*nc:(done+per)*nc]...)
		done += per
	}
	// The rest in statements of 2^k rows, so a table never needs more
	// than a handful of prepared statements.
	for rest := n - done; rest > 0; rest = n - done {
		k := 1 << (bits.Len(uint(rest)) - 1)
		tx.Exec(r.statement(k), r.vals[done*nc:(done+k)*nc]...)
		done += k
	}
	r.Discard()
}

// statement is the INSERT of n rows.
func (r *Rows) statement(n int) string {
	if q, ok := r.insert[n]; ok {
		return q
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(r.cols)), ", ") + ")"
	var b strings.Builder
	b.WriteString("INSERT INTO " + r.table + " (" + strings.Join(r.cols, ", ") + ") VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	b.WriteString(r.suffix)
	q := b.String()
	r.insert[n] = q
	return q
}

// copy writes the rows with COPY (pgx's CopyFrom) on the transaction's
// connection, which is inside the transaction.
func (r *Rows) copy(tx *Tx) {
	nc := len(r.cols)
	err := tx.db.wconn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("not a pgx connection: %T", dc)
		}
		_, err := c.Conn().CopyFrom(tx.ctx, pgx.Identifier{r.table}, r.cols, pgx.CopyFromSlice(r.Len(), func(i int) ([]any, error) {
			return r.vals[i*nc : (i+1)*nc], nil
		}))
		return err
	})
	if err != nil {
		tx.Fail(fmt.Errorf("read models: copy into %s: %w", r.table, err))
	}
}
