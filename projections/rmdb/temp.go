package rmdb

import (
	"fmt"
	"os"
	"path/filepath"
)

// OpenTemp opens a read-model database in a new SQLite file under
// os.TempDir; Close deletes it. It holds the models of a replay or an
// as-of view, which nobody needs once the command or page is done.
func OpenTemp() (*DB, error) {
	dir, err := os.MkdirTemp("", "remit-rm-")
	if err != nil {
		return nil, fmt.Errorf("read models: %w", err)
	}
	db, err := OpenSQLite(filepath.Join(dir, "rm.db"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	db.tempDir = dir
	return db, nil
}
