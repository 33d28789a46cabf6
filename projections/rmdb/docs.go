package rmdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"unsafe"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"remit/internal/parallel"
)

// Column is an indexed column of a Docs table, computed from the document
// each time it is written.
type Column[V any] struct {
	Name  string
	Type  string // "TEXT", "BIGINT" (add "NOT NULL" etc. as needed)
	Value func(key string, v *V) any
	// Deferrable marks a column readers can do without (NULL: they derive
	// it from the document) that is costly to compute: a document a fill
	// writes again (or, in a fill from empty, writes at all: see
	// DB.FillFromEmpty) has it written NULL, and CompleteFill computes it
	// once from the document as the fill left it, instead of once per
	// transaction of the fill that touched the document.
	Deferrable bool
}

// DocsSpec declares a Docs table.
type DocsSpec[V any] struct {
	Name    string
	Columns []Column[V]
	Indexes []string
	// ApplyIndexes are indexes the writer reads while applying (see
	// Table.ApplyIndexes).
	ApplyIndexes []string
	// CacheSize bounds how many documents Apply keeps decoded between
	// batches (default 4096).
	CacheSize int
	// FillCacheBytes, when set, bounds the cache by the documents' size
	// instead while a fill applies (SetFilling): a document a fill meets
	// again (an invoice paid a month after it was issued, a service billed
	// each month) is then mostly still decoded, instead of being read and
	// decoded again for each transaction that touches it. The size is the
	// document's JSON, as last read or written.
	FillCacheBytes int
	// Decode, when set, reads a document the writer meets in the table (Get,
	// CompleteFill) from its column doc instead of json.Unmarshal alone: a
	// document kept partly in rows of another table of the projection reads
	// them in tx. Load and Find decode doc alone: such a projection reads its
	// documents through queries of its own.
	Decode func(tx *Tx, key string, doc []byte) (*V, error)
	// Size, when set, is what a document counts against FillCacheBytes,
	// given its JSON's length (a document kept partly in other rows holds
	// more decoded than its JSON says).
	Size func(v *V, docLen int) int
}

// fillCacheDocs bounds the count of documents cached during a fill, which
// FillCacheBytes bounds first.
const fillCacheDocs = 1 << 20

// Docs is a table of JSON documents of type V by key (column "key"), with
// the spec's extra columns. Apply-side methods (Get, Put, Delete, Flush,
// Discard) are for the one goroutine applying events; Load and Find read
// the database and may be called by anyone.
type Docs[V any] struct {
	spec     DocsSpec[V]
	gen      int64
	table    string
	cache    *simplelru.LRU[string, *V]
	sizes    map[string]int // JSON bytes of the cached documents
	bytes    int            // their sum
	filling  bool
	written  map[string]bool // keys written during this fill
	deferred map[string]bool // of those, the ones whose Deferrable columns wait for CompleteFill
	dirty    map[string]*V   // nil: deleted
	upserts  *Rows
	del, get string
	// known are the keys written during the fill from empty numbered
	// knownFill (see fresh.go); nil when there is none or after Discard.
	known     *keyFilter
	knownFill uint64
}

// NewDocs returns a Docs writing generation gen of its table.
func NewDocs[V any](spec DocsSpec[V], gen int64) *Docs[V] {
	if spec.CacheSize <= 0 {
		spec.CacheSize = 4096
	}
	d := &Docs[V]{spec: spec, gen: gen, table: Stored(spec.Name, gen), sizes: map[string]int{}, dirty: map[string]*V{},
		written: map[string]bool{}, deferred: map[string]bool{}}
	d.cache, _ = simplelru.NewLRU(spec.CacheSize, func(key string, _ *V) {
		d.bytes -= d.sizes[key]
		delete(d.sizes, key)
	})
	cols := []string{"key", "doc"}
	for _, col := range spec.Columns {
		cols = append(cols, col.Name)
	}
	d.upserts = NewUpsertRows(d.table, "key", cols...)
	d.del = "DELETE FROM " + d.table + " WHERE key = ?"
	d.get = "SELECT doc FROM " + d.table + " WHERE key = ?"
	return d
}

// Table declares the table.
func (d *Docs[V]) Table() Table {
	cols := []string{"key TEXT PRIMARY KEY", "doc TEXT NOT NULL"}
	for _, c := range d.spec.Columns {
		cols = append(cols, c.Name+" "+c.Type)
	}
	return Table{Name: d.spec.Name, Columns: cols, Indexes: d.spec.Indexes, ApplyIndexes: d.spec.ApplyIndexes}
}

// View is the name queries read it by.
func (d *Docs[V]) View() string { return View(d.spec.Name) }

// Get returns the document for key, nil when there is none. The pointer is
// the writer's own: change it and Put it. A read error is recorded on tx.
func (d *Docs[V]) Get(tx *Tx, key string) *V {
	if v, ok := d.dirty[key]; ok {
		return v
	}
	if v, ok := d.cache.Get(key); ok {
		return v
	}
	if k := d.writtenFilter(tx); k != nil && !k.mayHave(key) {
		return nil // filled from empty, and never written
	}
	var doc string
	if !tx.QueryRow(d.get, []any{key}, &doc) {
		return nil
	}
	v, err := d.decode(tx, key, doc)
	if err != nil {
		tx.Fail(err)
		return nil
	}
	d.cache.Add(key, v)
	d.sized(key, v, len(doc))
	return v
}

// decode decodes the document of key the writer read in tx.
func (d *Docs[V]) decode(tx *Tx, key, doc string) (*V, error) {
	var v *V
	var err error
	if d.spec.Decode != nil {
		v, err = d.spec.Decode(tx, key, []byte(doc))
	} else {
		v = new(V)
		err = json.Unmarshal([]byte(doc), v)
	}
	if err != nil {
		return nil, fmt.Errorf("read models: %s %s: %w", d.spec.Name, key, err)
	}
	return v, nil
}

// sized records the size (JSON, or Size's) of key's cached document v and, during a
// fill, evicts the least recently used documents beyond FillCacheBytes.
func (d *Docs[V]) sized(key string, v *V, n int) {
	if !d.cache.Contains(key) {
		return
	}
	if d.spec.Size != nil {
		n = d.spec.Size(v, n)
	}
	d.bytes += n - d.sizes[key]
	d.sizes[key] = n
	for d.filling && d.bytes > d.spec.FillCacheBytes && d.cache.Len() > 1 {
		d.cache.RemoveOldest()
	}
}

// SetFilling marks the start (on) or end of a fill: the cache is bounded
// by FillCacheBytes (when set) instead of CacheSize meanwhile, and
// Deferrable columns of documents written again wait for CompleteFill.
func (d *Docs[V]) SetFilling(on bool) {
	if on == d.filling {
		return
	}
	d.filling = on
	clear(d.written)
	clear(d.deferred)
	if d.spec.FillCacheBytes <= 0 {
		return
	}
	if on {
		d.cache.Resize(fillCacheDocs)
		return
	}
	d.cache.Resize(d.spec.CacheSize)
}

// completeBatch is how many documents CompleteFill updates per transaction.
const completeBatch = 1024

// CompleteFill writes the Deferrable columns the fill left NULL, from the
// documents as committed (the cached ones, or read back), in transactions
// of their own: until then (or when a crash comes first) readers derive
// what they hold from the documents.
func (d *Docs[V]) CompleteFill(ctx context.Context, db *DB) error {
	keys := slices.Sorted(maps.Keys(d.deferred))
	clear(d.deferred)
	var cols []Column[V]
	var sets []string
	for _, c := range d.spec.Columns {
		if c.Deferrable {
			cols = append(cols, c)
			sets = append(sets, c.Name+" = ?")
		}
	}
	if len(keys) == 0 || len(cols) == 0 {
		return nil
	}
	update := "UPDATE " + d.table + " SET " + strings.Join(sets, ", ") + " WHERE key = ?"
	for chunk := range slices.Chunk(keys, completeBatch) {
		err := db.WriteTx(ctx, func(tx *Tx) error {
			args := make([]any, len(cols)+1)
			for _, key := range chunk {
				v, ok := d.cache.Peek(key)
				if !ok {
					var doc string
					if !tx.QueryRow(d.get, []any{key}, &doc) {
						continue // deleted since
					}
					var err error
					if v, err = d.decode(tx, key, doc); err != nil {
						return err
					}
				}
				for i, c := range cols {
					args[i] = c.Value(key, v)
				}
				args[len(cols)] = key
				tx.Exec(update, args...)
			}
			return tx.Err()
		})
		if err != nil {
			return fmt.Errorf("read models: complete %s: %w", d.spec.Name, err)
		}
	}
	return nil
}

// Put marks v as key's document, to be written by Flush.
func (d *Docs[V]) Put(key string, v *V) {
	d.dirty[key] = v
	d.cache.Add(key, v)
}

// Delete marks key's document deleted.
func (d *Docs[V]) Delete(key string) {
	d.dirty[key] = nil
	d.cache.Remove(key)
}

// parallelEncode is how many documents make Flush encode on every CPU (a
// fill's transaction writes thousands; a live batch a few), and
// encodeChunk how many it encodes before writing them, so what it holds
// encoded at once stays bounded.
const (
	parallelEncode = 64
	encodeChunk    = 1024
)

// Flush writes the documents Put or Deleted since the last Flush, in key
// order (neighbours in the table's key index are written together), many
// per statement. Encoding them (JSON and the columns' values, pure
// functions of the document) is spread over every CPU when there are many;
// the one writer then writes them in order.
func (d *Docs[V]) Flush(tx *Tx) {
	keys := slices.Sorted(maps.Keys(d.dirty))
	for chunk := range slices.Chunk(keys, encodeChunk) {
		if tx.Err() != nil {
			break
		}
		d.flushChunk(tx, chunk)
	}
	d.upserts.Flush(tx)
	clear(d.dirty)
}

// flushChunk encodes the documents of keys (on every CPU when there are
// many) and buffers their rows or deletes them, in order.
func (d *Docs[V]) flushChunk(tx *Tx, keys []string) {
	nc := len(d.spec.Columns)
	docs := make([][]byte, len(keys))
	errs := make([]error, len(keys))
	vals := make([]any, len(keys)*nc)
	again := make([]bool, len(keys))
	// A fill from empty defers them on a document's first write too: it
	// is most often written again, and CompleteFill computes them for
	// every document it deferred, once.
	known := d.writtenFilter(tx)
	for i, key := range keys {
		again[i] = d.filling && (d.written[key] || known != nil)
		if d.filling && d.dirty[key] != nil {
			d.written[key] = true
		}
	}
	encode := func(i int) {
		v := d.dirty[keys[i]]
		if v == nil {
			return
		}
		if docs[i], errs[i] = json.Marshal(v); errs[i] != nil {
			return
		}
		for j, c := range d.spec.Columns {
			if again[i] && c.Deferrable {
				continue // NULL: CompleteFill computes it
			}
			vals[i*nc+j] = c.Value(keys[i], v)
		}
	}
	workers := 1
	if len(keys) >= parallelEncode {
		workers = runtime.GOMAXPROCS(0)
	}
	if err := parallel.For(tx.Context(), workers, len(keys), encode); err != nil {
		tx.Fail(err)
		return
	}
	args := make([]any, 2+nc)
	for i, key := range keys {
		if d.dirty[key] == nil {
			tx.Exec(d.del, key)
			continue
		}
		if known != nil {
			known.add(key)
		}
		if errs[i] != nil {
			tx.Fail(fmt.Errorf("read models: encode %s %s: %w", d.spec.Name, key, errs[i]))
			return
		}
		// The encoding is never changed after: the row can have it as a
		// string without a copy of every document.
		args[0], args[1] = key, unsafe.String(unsafe.SliceData(docs[i]), len(docs[i]))
		copy(args[2:], vals[i*nc:(i+1)*nc])
		if again[i] && d.hasDeferrable() {
			d.deferred[key] = true
		}
		d.upserts.Add(tx, args...)
		d.sized(key, d.dirty[key], len(docs[i]))
	}
}

// hasDeferrable reports whether a column of the table is Deferrable.
func (d *Docs[V]) hasDeferrable() bool {
	for _, c := range d.spec.Columns {
		if c.Deferrable {
			return true
		}
	}
	return false
}

// Discard forgets the cache and what was not flushed: after a rollback the
// cached documents may hold changes that were never committed.
func (d *Docs[V]) Discard() {
	clear(d.dirty)
	d.cache.Purge()
	clear(d.sizes)
	d.bytes = 0
	clear(d.written)
	clear(d.deferred)
	d.known = nil // what was written may not be committed: ask the database
}

// Load reads key's document from the database.
func (d *Docs[V]) Load(ctx context.Context, db *DB, key string) (V, bool, error) {
	var v V
	var doc string
	err := db.QueryRow(ctx, "SELECT doc FROM "+d.View()+" WHERE key = ?", key).Scan(&doc)
	if err == sql.ErrNoRows {
		return v, false, nil
	}
	if err == nil {
		err = json.Unmarshal([]byte(doc), &v)
	}
	if err != nil {
		return v, false, fmt.Errorf("read models: %s %s: %w", d.spec.Name, key, err)
	}
	return v, true, nil
}

// Find reads the documents a query selects. rest follows "SELECT doc FROM
// <view>": a WHERE, ORDER BY and LIMIT clause with ? placeholders.
func (d *Docs[V]) Find(ctx context.Context, db *DB, rest string, args ...any) ([]V, error) {
	rows, err := db.Query(ctx, "SELECT doc FROM "+d.View()+" "+rest, args...)
	if err != nil {
		return nil, fmt.Errorf("read models: %s: %w", d.spec.Name, err)
	}
	var raw []string
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			rows.Close()
			return nil, err
		}
		raw = append(raw, doc)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return d.decodeAll(ctx, raw)
}

// parallelDecode is how many documents make Find decode on every CPU (a
// billing run reads most services on the first of the month).
const parallelDecode = 64

// decodeAll decodes the documents of raw, in order.
func (d *Docs[V]) decodeAll(ctx context.Context, raw []string) ([]V, error) {
	if len(raw) == 0 {
		return nil, nil // as before: no rows, a nil slice
	}
	out := make([]V, len(raw))
	errs := make([]error, len(raw))
	workers := 1
	if len(raw) >= parallelDecode {
		workers = runtime.GOMAXPROCS(0)
	}
	if err := parallel.For(ctx, workers, len(raw), func(i int) {
		errs[i] = json.Unmarshal([]byte(raw[i]), &out[i])
	}); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("read models: %s: %w", d.spec.Name, err)
		}
	}
	return out, nil
}

// FindTx is Find inside a write transaction, on the table Apply writes
// (for appliers that need several documents by a column). Documents Put
// and not yet flushed are not seen: Flush first when that matters.
func (d *Docs[V]) FindTx(tx *Tx, rest string, args ...any) []V {
	rows, err := tx.Query("SELECT doc FROM "+d.table+" "+rest, args...)
	if err != nil {
		tx.Fail(fmt.Errorf("read models: %s: %w", d.spec.Name, err))
		return nil
	}
	defer rows.Close()
	var out []V
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			tx.Fail(err)
			return nil
		}
		var v V
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			tx.Fail(fmt.Errorf("read models: %s: %w", d.spec.Name, err))
			return nil
		}
		out = append(out, v)
	}
	tx.Fail(rows.Err())
	return out
}
