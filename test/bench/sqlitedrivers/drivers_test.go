// Package sqlitedrivers measures the three SQLite drivers Remit considered for
// its embedded event store, on the store's own access patterns: durable
// single-row commits, batched inserts with the store's indexes, and a full scan
// of the event table. It is a separate module so that the candidates never
// enter Remit's own dependency list. Run: cd bench/sqlitedrivers && go test -bench . -benchtime 2s
package sqlitedrivers

import (
	"crypto/rand"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// Each driver is linked by its own build tag (mattn and ncruces both register
// "sqlite3"): go test -tags mattn|modernc|ncruces -bench .
var drivers = []struct{ name, driver, pragmas string }{{driverLabel, driverName, ""}}

const schema = `CREATE TABLE IF NOT EXISTS events(
  position INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, stream TEXT NOT NULL, revision INTEGER NOT NULL,
  type TEXT NOT NULL, schema_version INTEGER NOT NULL, data BLOB NOT NULL, metadata BLOB NOT NULL,
  recorded_at INTEGER NOT NULL, hash BLOB NOT NULL, UNIQUE(stream, revision))`

func open(b *testing.B, name, drv, pragmas string) *sql.DB {
	b.Helper()
	db, err := sql.Open(drv, dsnFor(filepath.Join(b.TempDir(), "e.db")))
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		b.Fatal(err)
	}
	return db
}

func row(i int) []any {
	id := make([]byte, 16)
	rand.Read(id)
	return []any{id, fmt.Sprintf("client-%08d", i%1000), i / 1000, "ClientCreated", 1,
		[]byte(`{"client_id":"0d1f2a3b-aaaa-bbbb-cccc-ddddeeeeffff","name":"Acme Pty Ltd","currency":"AUD"}`),
		[]byte(`{"actor":"user:1","command_id":"x","correlation_id":"y"}`), int64(i), make([]byte, 32)}
}

func BenchmarkDurableSingleInsert(b *testing.B) {
	for _, d := range drivers {
		b.Run(d.name, func(b *testing.B) {
			db := open(b, d.name, d.driver, d.pragmas)
			defer db.Close()
			for i := 0; b.Loop(); i++ {
				if _, err := db.Exec(`INSERT INTO events(id,stream,revision,type,schema_version,data,metadata,recorded_at,hash) VALUES(?,?,?,?,?,?,?,?,?)`, row(i)...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
		})
	}
}

func BenchmarkBatch100(b *testing.B) {
	for _, d := range drivers {
		b.Run(d.name, func(b *testing.B) {
			db := open(b, d.name, d.driver, d.pragmas)
			defer db.Close()
			n := 0
			for b.Loop() {
				tx, _ := db.Begin()
				st, _ := tx.Prepare(`INSERT INTO events(id,stream,revision,type,schema_version,data,metadata,recorded_at,hash) VALUES(?,?,?,?,?,?,?,?,?)`)
				for j := 0; j < 100; j++ {
					if _, err := st.Exec(row(n)...); err != nil {
						b.Fatal(err)
					}
					n++
				}
				st.Close()
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

func BenchmarkScan(b *testing.B) {
	const total = 200000
	for _, d := range drivers {
		b.Run(d.name, func(b *testing.B) {
			db := open(b, d.name, d.driver, d.pragmas)
			defer db.Close()
			tx, _ := db.Begin()
			st, _ := tx.Prepare(`INSERT INTO events(id,stream,revision,type,schema_version,data,metadata,recorded_at,hash) VALUES(?,?,?,?,?,?,?,?,?)`)
			for i := 0; i < total; i++ {
				r := row(i)
				r[2] = i // unique revision
				st.Exec(r...)
			}
			st.Close()
			tx.Commit()
			n := 0
			for b.Loop() {
				rows, err := db.Query(`SELECT position,id,stream,revision,type,schema_version,data,metadata,recorded_at FROM events ORDER BY position`)
				if err != nil {
					b.Fatal(err)
				}
				var pos, rev, sv, at int64
				var id, data, meta sql.RawBytes
				var stream, typ string
				for rows.Next() {
					if err := rows.Scan(&pos, &id, &stream, &rev, &typ, &sv, &data, &meta, &at); err != nil {
						b.Fatal(err)
					}
					n++
				}
				rows.Close()
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkScanPacked reads the same rows when the envelope is packed into one
// blob column beside the position, the layout Remit's store uses so that a
// scan costs two column reads per row, not nine.
func BenchmarkScanPacked(b *testing.B) {
	const total = 200000
	for _, d := range drivers {
		b.Run(d.name, func(b *testing.B) {
			db := open(b, d.name, d.driver, d.pragmas)
			defer db.Close()
			if _, err := db.Exec(`CREATE TABLE packed(position INTEGER PRIMARY KEY, envelope BLOB NOT NULL)`); err != nil {
				b.Fatal(err)
			}
			tx, _ := db.Begin()
			st, _ := tx.Prepare(`INSERT INTO packed(envelope) VALUES(?)`)
			env := make([]byte, 230)
			rand.Read(env)
			for i := 0; i < total; i++ {
				st.Exec(env)
			}
			st.Close()
			tx.Commit()
			n := 0
			for b.Loop() {
				rows, err := db.Query(`SELECT position, envelope FROM packed ORDER BY position`)
				if err != nil {
					b.Fatal(err)
				}
				var pos int64
				var e sql.RawBytes
				for rows.Next() {
					if err := rows.Scan(&pos, &e); err != nil {
						b.Fatal(err)
					}
					n++
				}
				rows.Close()
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
