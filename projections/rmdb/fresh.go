package rmdb

import (
	"hash/maphash"
	"sync"
)

// A fill of a new generation starts from empty tables, and until it ends
// nothing but its own writers writes them: a document the writer has not
// written during the fill is in no row. Get then answers "none" without
// asking the database, which on a pipelined transaction would first wait
// for every insert queued before (Tx.sync): a fill creates tens of
// thousands of documents (each invoice, and its rows in other tables), and
// each such read made the applying goroutines wait for the writer in turn.
//
// What the writer remembers of the keys it wrote is a Bloom filter of
// fixed size (freshFilterBits), not the keys: its memory does not grow with
// the log, and a key it wrongly believes written only costs the read the
// fill would have made anyway.

// freshTables are the tables (stored names) being filled from empty, each
// with the number of its fill (so a writer that finds a new number forgets
// the keys of an earlier fill). Guarded by mu.
type freshTables struct {
	mu     sync.RWMutex
	fills  uint64
	tables map[string]uint64
}

// FillFromEmpty marks tables (stored names, see Stored) as filled from
// empty by the caller's writers until end is called: the caller knows that
// no row was ever committed to them (a generation at checkpoint 0) and that
// only the writers of this fill write them until end.
func (db *DB) FillFromEmpty(tables []string) (end func()) {
	f := &db.fresh
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fills++
	if f.tables == nil {
		f.tables = map[string]uint64{}
	}
	for _, t := range tables {
		f.tables[t] = f.fills
	}
	fill := f.fills
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, t := range tables {
			if f.tables[t] == fill {
				delete(f.tables, t)
			}
		}
	}
}

// freshFill is the number of the fill from empty table is in (0: none).
func (db *DB) freshFill(table string) uint64 {
	f := &db.fresh
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.tables[table]
}

// freshFilterBits is the size of a writer's filter of the keys it wrote
// during a fill from empty: 256 KiB (a rebuild of the 100k store holds a
// dozen, where 1 MiB each raised the heap's peak by 30 MB), which at four
// probes wrongly believes written about one new key in 250,000 after the
// 24,000 invoices of 100,000 events, one in 50 after 250,000 keys (an
// invoice table at a million events) and one in two after a million: a
// longer fill reads more of its new keys, as it did before.
const freshFilterBits = 1 << 21

// keyFilter is a Bloom filter of keys.
type keyFilter struct {
	seed maphash.Seed
	bits []uint64
}

func newKeyFilter() *keyFilter {
	return &keyFilter{seed: maphash.MakeSeed(), bits: make([]uint64, freshFilterBits/64)}
}

// probes calls f with the four bit positions of key.
func (k *keyFilter) probes(key string, f func(bit uint64) bool) bool {
	h := maphash.String(k.seed, key)
	h1, h2 := h&0xffffffff, h>>32|1
	for i := range uint64(4) {
		if !f((h1 + i*h2) % freshFilterBits) {
			return false
		}
	}
	return true
}

func (k *keyFilter) add(key string) {
	k.probes(key, func(b uint64) bool { k.bits[b/64] |= 1 << (b % 64); return true })
}

// mayHave reports whether key may have been added (false: it was not).
func (k *keyFilter) mayHave(key string) bool {
	return k.probes(key, func(b uint64) bool { return k.bits[b/64]&(1<<(b%64)) != 0 })
}

// writtenFilter returns the filter of the keys a Docs wrote during the
// fill from empty its table is in, nil when it is in none or the writer
// lost track (Discard): then reads ask the database.
func (d *Docs[V]) writtenFilter(tx *Tx) *keyFilter {
	fill := tx.DB().freshFill(d.table)
	switch {
	case fill == 0:
		d.known, d.knownFill = nil, 0
	case fill != d.knownFill:
		d.known, d.knownFill = newKeyFilter(), fill
	}
	return d.known
}
