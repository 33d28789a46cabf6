package projections

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"

	"remit/domain"
	"remit/domain/service"
	"remit/projections/rmdb"
)

// servicesLongStream returns the events of a monthly service with n events
// in all: its activation, then a billing a month, with a price edit every
// 24th event and a skipped item every 30th, as years of history make.
func servicesLongStream(n int) []domain.Event {
	svc := id("service/long")
	start := servicesDate(2010, 1, 1)
	events := []domain.Event{servicesActivated(svc, servicesAcme, "Long", "100", servicesMonthly(start), start, service.Automatic)}
	seq := 0
	for len(events) < n {
		switch i := len(events); {
		case i%24 == 0:
			price := servicesDec(strconv.Itoa(100 + i))
			events = append(events, service.ServiceEdited{ServiceID: svc, EffectiveFrom: start.AddMonthsClamped(seq+1, 1), Changes: service.Changes{UnitPrice: &price}})
		case i%30 == 0:
			seq++
			events = append(events, service.ScheduleItemSkipped{ServiceID: svc, ItemKey: service.ItemKey(svc, seq)})
		default:
			seq++
			events = append(events, servicesBilled(svc, seq, id("invoice/long"), start.AddMonthsClamped(seq-1, 1), "100"))
		}
	}
	return events
}

// BenchmarkServicesLoad measures what the query side pays to read one
// service of 200 events: state (read the document and its item rows and
// decode the folded state), view (the same and the next billing, derived
// over the horizon), decode (decode a document and item rows already read),
// and refold (what version 1 of
// the table paid on top of decoding the events: folding them). doc-bytes
// is the size of the service's JSON document.
func BenchmarkServicesLoad(b *testing.B) {
	const n = 200
	db, err := rmdb.OpenSQLite(filepath.Join(b.TempDir(), "rm.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	events := servicesLongStream(n)
	svc := id("service/long")
	var l servicesLog
	p := servicesWriter(b, db)
	servicesApply(b, db, p, l.events(service.StreamName(svc), events...)...)
	q := newServices(db, 0)
	var doc string
	if err := db.QueryRow(ctx, "SELECT doc FROM "+rmdb.View("services")+" WHERE key = ?", svc.String()).Scan(&doc); err != nil {
		b.Fatal(err)
	}
	today := servicesDate(2026, 6, 15)
	b.Run("state", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok, err := q.state(ctx, svc); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
		b.ReportMetric(float64(len(doc)), "doc-bytes")
	})
	b.Run("view", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := q.view(ctx, svc, today); err != nil {
				b.Fatal(err)
			}
		}
	})
	var items []service.ItemRow
	rows, err := db.Query(ctx, "SELECT item, doc FROM "+rmdb.View("service_items")+" WHERE service = ?", svc.String())
	if err != nil {
		b.Fatal(err)
	}
	itemBytes := 0
	for rows.Next() {
		var r service.ItemRow
		if err := rows.Scan(&r.Seq, &r.Data); err != nil {
			b.Fatal(err)
		}
		items, itemBytes = append(items, r), itemBytes+len(r.Data)
	}
	rows.Close()
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeServiceDoc([]byte(doc), items); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(doc)), "doc-bytes")
		b.ReportMetric(float64(itemBytes), "item-row-bytes")
	})
	// What the writer pays per flush of the document: encode (its JSON),
	// and the columns derived from it (the view, its last day, next_due,
	// the schedule part and its horizon).
	// An event about an item writes the document (the state's head) and
	// that item's row.
	d, err := decodeServiceDoc([]byte(doc), items)
	if err != nil {
		b.Fatal(err)
	}
	d.AsOf = today
	last := items[len(items)-1].Seq
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&d); err != nil {
				b.Fatal(err)
			}
			if _, _, err := d.State.MarshalItem(last); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("columns", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, c := range servicesColumns() {
				c.Value("", &d)
			}
		}
	})
	b.Run("schedule-columns", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, c := range serviceScheduleColumns() {
				c.Value("", &d)
			}
		}
	})
	b.Run("refold", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			service.Fold(events)
		}
	})
}
