package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"time"

	"remit/domain"
	"remit/domain/service"
	"remit/internal/parallel"
	"remit/projections/rmdb"
)

// A service's state is kept in its row form (service.State.MarshalHead,
// MarshalItem): the head in the services table's document, each item log
// in a row of "service_items". A long service's state was mostly the logs
// of its billed items, encoded again whole on every event (a monthly
// billing, a payment method change) and decoded whole on every read by the
// writer; as rows, an event writes the head and the one item it changed.

// serviceItemsTable declares "service_items": one row per item log of a
// service (service: the service's key, item: the item's sequence number,
// doc: its log), clustered by service and item.
func serviceItemsTable() rmdb.Table {
	return rmdb.Table{Name: "service_items", Columns: []string{"service TEXT NOT NULL", "item BIGINT NOT NULL", "doc TEXT NOT NULL",
		"PRIMARY KEY (service, item)"}, Clustered: true}
}

// serviceItems is the writer's side of "service_items": the item rows the
// batch changed, written at Flush after the heads.
type serviceItems struct {
	table   string
	get     string
	del     string
	upserts *rmdb.Rows
	dirty   map[string]*dirtyItems // by service key
	cleared map[string]bool        // services whose rows go first
}

// dirtyItems are the items of one service changed in the batch, and its
// document as last evolved (which holds them).
type dirtyItems struct {
	doc  *serviceDoc
	seqs map[int]bool
}

func newServiceItems(gen int64) serviceItems {
	table := rmdb.Stored("service_items", gen)
	return serviceItems{
		table:   table,
		get:     "SELECT item, doc FROM " + table + " WHERE service = ?",
		del:     "DELETE FROM " + table + " WHERE service = ?",
		upserts: rmdb.NewUpsertRows(table, "service, item", "service", "item", "doc"),
		dirty:   map[string]*dirtyItems{},
		cleared: map[string]bool{},
	}
}

// changed records that the event applied to d changed item seq of the
// service of key.
func (s *serviceItems) changed(key string, seq int, d *serviceDoc) {
	di := s.dirty[key]
	if di == nil {
		di = &dirtyItems{seqs: map[int]bool{}}
		s.dirty[key] = di
	}
	di.doc = d
	di.seqs[seq] = true
}

// clear records that every item row of the service of key goes.
func (s *serviceItems) clear(key string) {
	s.cleared[key] = true
	delete(s.dirty, key)
}

// itemRow is one item row to write.
type itemRow struct {
	key string
	seq int
	doc []byte
	err error
}

// flush writes the changed item rows, in key order (encoded on every CPU
// when there are many).
func (s *serviceItems) flush(tx *rmdb.Tx) {
	defer s.discard()
	for _, key := range slices.Sorted(maps.Keys(s.cleared)) {
		tx.Exec(s.del, key)
	}
	var rows []itemRow
	for _, key := range slices.Sorted(maps.Keys(s.dirty)) {
		for _, seq := range slices.Sorted(maps.Keys(s.dirty[key].seqs)) {
			rows = append(rows, itemRow{key: key, seq: seq})
		}
	}
	workers := 1
	if len(rows) >= parallelItems {
		workers = runtime.GOMAXPROCS(0)
	}
	err := parallel.For(tx.Context(), workers, len(rows), func(i int) {
		r := &rows[i]
		var ok bool
		r.doc, ok, r.err = s.dirty[r.key].doc.State.MarshalItem(r.seq)
		if r.err == nil && !ok {
			r.err = fmt.Errorf("item %d is not kept", r.seq)
		}
	})
	if err != nil {
		tx.Fail(err)
		return
	}
	for _, r := range rows {
		if r.err != nil {
			tx.Fail(fmt.Errorf("read models: service_items %s: %w", r.key, r.err))
			return
		}
		s.upserts.Add(tx, r.key, int64(r.seq), string(r.doc))
	}
	s.upserts.Flush(tx)
}

// itemBytes is about what an item row's JSON takes: what a cached
// service's items count against the fill's cache (rmdb.DocsSpec.Size).
const itemBytes = 160

// parallelItems is how many item rows make flush encode on every CPU.
const parallelItems = 64

// discard forgets what was not flushed.
func (s *serviceItems) discard() {
	clear(s.dirty)
	clear(s.cleared)
	s.upserts.Discard()
}

// decode reads a service the writer meets in the table: its head (doc)
// and its item rows, in tx (rmdb.DocsSpec.Decode).
func (s *serviceItems) decode(tx *rmdb.Tx, key string, doc []byte) (*serviceDoc, error) {
	rows, err := tx.Query(s.get, key)
	if err != nil {
		return nil, err
	}
	var items []service.ItemRow
	for rows.Next() {
		var seq int64
		var data []byte
		if err := rows.Scan(&seq, &data); err != nil {
			rows.Close()
			return nil, err
		}
		items = append(items, service.ItemRow{Seq: int(seq), Data: data})
	}
	err = errors.Join(rows.Err(), rows.Close())
	if err != nil {
		return nil, err
	}
	d, err := decodeServiceDoc(doc, items)
	return &d, err
}

// serviceDocWire is a serviceDoc as the services table's document holds
// it: the state's head (service.State.MarshalHead) without its item rows.
// Written with the head encoded (json.RawMessage); read with it decoded in
// the document's own pass (service.Head): a billing run decodes every due
// service, and keeping the head's bytes to decode them again read them twice
// more (validated, then decoded).
type serviceDocWire[H any] struct {
	Revision   uint64      `json:"revision"`
	Seq        uint64      `json:"seq,omitempty"`
	State      H           `json:"state"`
	AsOf       domain.Date `json:"as_of,omitzero"`
	Since      time.Time   `json:"since,omitzero"`
	First      time.Time   `json:"first,omitzero"`
	MRRHistory []mrrPoint  `json:"mrr_history,omitempty"`
}

// MarshalJSON encodes the document the services table holds: the state's
// head, its items being rows of their own.
func (d serviceDoc) MarshalJSON() ([]byte, error) {
	head, err := d.State.MarshalHead()
	if err != nil {
		return nil, err
	}
	return json.Marshal(serviceDocWire[json.RawMessage]{Revision: d.Revision, Seq: d.Seq, State: head, AsOf: d.AsOf, Since: d.Since, First: d.First, MRRHistory: d.MRRHistory})
}

// errServiceDocAlone is UnmarshalJSON's: a service's document alone lacks
// its items.
var errServiceDocAlone = errors.New("a service's document is read with its item rows (decodeServiceDoc)")

// UnmarshalJSON refuses: a service's document alone is not the service.
func (d *serviceDoc) UnmarshalJSON([]byte) error { return errServiceDocAlone }

// decodeServiceDoc decodes a service from its document and its item rows.
func decodeServiceDoc(doc []byte, items []service.ItemRow) (serviceDoc, error) {
	return decodeDocWith(doc, func(head service.Head) (service.State, error) { return service.FromHeadRows(head, items) })
}

// decodeServiceDocArray decodes a service from its document and its item
// rows as one array (service.FromHeadArray).
func decodeServiceDocArray(doc, items []byte) (serviceDoc, error) {
	return decodeDocWith(doc, func(head service.Head) (service.State, error) { return service.FromHeadArray(head, items) })
}

// decodeDocWith decodes a service's document in one pass, then makes its
// state of the head with state.
func decodeDocWith(doc []byte, state func(head service.Head) (service.State, error)) (serviceDoc, error) {
	var w serviceDocWire[service.Head]
	if err := json.Unmarshal(doc, &w); err != nil {
		return serviceDoc{}, err
	}
	st, err := state(w.State)
	if err != nil {
		return serviceDoc{}, err
	}
	return serviceDoc{Revision: w.Revision, Seq: w.Seq, State: st, AsOf: w.AsOf, Since: w.Since, First: w.First, MRRHistory: w.MRRHistory}, nil
}

// find reads the services a query selects with their item rows, in one
// query (one consistent state while the writer commits): each service's
// row with its items aggregated into one JSON array of {"seq", "log"}
// (service.UnmarshalRowsArray), decoded in one pass. rest follows "FROM
// services": a WHERE and ORDER BY clause with ? placeholders on the
// services' columns. The services come in the order rest gives them.
func (p *Services) find(ctx context.Context, rest string, args ...any) ([]serviceDoc, error) {
	agg := "group_concat(" + itemEntry + ", ',')"
	if p.db.Dialect() == rmdb.Postgres {
		agg = "string_agg(" + itemEntry + ", ',')"
	}
	rows, err := p.db.Query(ctx, "SELECT s.key, s.doc, (SELECT '[' || "+agg+" || ']' FROM "+rmdb.View("service_items")+
		" i WHERE i.service = s.key) FROM "+p.docs.View()+" s "+rest, args...)
	if err != nil {
		return nil, fmt.Errorf("read models: services: %w", err)
	}
	type found struct {
		key        string
		doc, items []byte
	}
	var all []found
	for rows.Next() {
		var f found
		if err := rows.Scan(&f.key, &f.doc, &f.items); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read models: services: %w", err)
		}
		all = append(all, f)
	}
	err = errors.Join(rows.Err(), rows.Close())
	if err != nil {
		return nil, fmt.Errorf("read models: services: %w", err)
	}
	if len(all) == 0 {
		return nil, nil
	}
	out := make([]serviceDoc, len(all))
	errs := make([]error, len(all))
	workers := 1
	if len(all) >= parallelItems {
		workers = runtime.GOMAXPROCS(0)
	}
	if err := parallel.For(ctx, workers, len(all), func(i int) {
		out[i], errs[i] = decodeServiceDocArray(all[i].doc, all[i].items)
	}); err != nil {
		return nil, err
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("read models: services %s: %w", all[i].key, err)
		}
	}
	return out, nil
}

// itemEntry is an item row as an element of find's array.
const itemEntry = `'{"seq":' || i.item || ',"log":' || i.doc || '}'`
