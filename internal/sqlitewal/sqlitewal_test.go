package sqlitewal_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"remit/internal/sqlitewal"
)

// TestCheckpointCopiesTheWAL: after a few commits a pass copies every frame
// of the WAL (no reader in the way), and the next pass, with nothing new,
// copies none; after the WAL starts again, what a pass copied counts from
// the start.
func TestCheckpointCopiesTheWAL(t *testing.T) {
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(t.TempDir(), "w.db")+"?_journal_mode=WAL&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`PRAGMA wal_autocheckpoint = 0; CREATE TABLE t(v TEXT)`); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if _, err := db.Exec(`INSERT INTO t VALUES (hex(randomblob(2000)))`); err != nil {
			t.Fatal(err)
		}
	}
	p := sqlitewal.Checkpoint(db)
	if p.Err != nil || p.Log == 0 || p.Done != p.Log {
		t.Fatalf("first pass %+v: want every frame of a non-empty WAL copied", p)
	}
	again := sqlitewal.Checkpoint(db)
	if again.Err != nil || again.CopiedSince(p.Done) != 0 {
		t.Fatalf("second pass %+v after %+v: want nothing new copied", again, p)
	}
	// The next commit starts the WAL again from its beginning.
	if _, err := db.Exec(`INSERT INTO t VALUES ('x')`); err != nil {
		t.Fatal(err)
	}
	third := sqlitewal.Checkpoint(db)
	if third.Err != nil || third.Done >= p.Done || third.CopiedSince(p.Done) != third.Done {
		t.Fatalf("pass after the WAL restarted %+v (before %+v): want a short WAL, all of it counted", third, p)
	}
}
