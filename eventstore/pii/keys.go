package pii

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	_ "github.com/mattn/go-sqlite3" // the driver the embedded event store uses

	"remit/domain"
	"remit/internal/atomicfile"
	"remit/internal/fsperm"
)

// KeyDir is the folder of the data folder that holds the client keys.
const KeyDir = "keys"

// KeysFile is the SQLite file of the key folder that holds the keys.
const KeysFile = "keys.db"

// ErrForgotten is matched by sealing personal data of a forgotten client:
// their key is gone and no new personal data is taken for them.
var ErrForgotten = domain.Conflict("This client's personal data was erased; it cannot take new personal details.")

// Keys is where the client keys live, outside the event log: KeyStore (a
// SQLite file in the key folder, one process or a shared folder) or
// PGKeyStore (a table in the PostgreSQL database, shared by every process on
// it).
type Keys interface {
	// Key returns the client's 256-bit key. With create, a client with no
	// key yet gets one; a forgotten client gets ErrForgotten. Without
	// create, a client with no key gets (nil, nil).
	Key(id uuid.UUID, create bool) ([]byte, error)
	// Forget destroys the client's key for good and remembers that it did,
	// so no new key is ever made for the client. Forgetting a forgotten
	// client, or one with no key, succeeds.
	Forget(id uuid.UUID) error
}

const keySchema = `
CREATE TABLE IF NOT EXISTS client_keys (
	name         TEXT    PRIMARY KEY,
	key          BLOB    CHECK (key IS NULL OR length(key) = 32),
	created_at   INTEGER NOT NULL, -- Unix nanoseconds
	forgotten_at INTEGER,          -- Unix nanoseconds; set: a tombstone
	CHECK (key IS NULL OR forgotten_at IS NULL)
) WITHOUT ROWID;
`

// KeyStore keeps one key per client in a table of a SQLite file in the key
// folder (KeysFile), outside the event log. Keys made at the same moment
// (concurrent new clients) share one synced commit: a writer goroutine
// takes every key waiting and inserts them in one transaction, synced
// before any of them is used to seal. Every use reads the client's row, so
// a Forget by another process (remit client forget while remit serve runs)
// takes effect at once. It is safe for concurrent use; Close it.
//
// NewClientID hands out ids of clients whose keys are made ahead (spares):
// the writer makes them in batches, synced before any is handed out, so a
// new client named by one seals its first event without waiting for a
// commit of this file. Spares still unused at Close are deleted.
type KeyStore struct {
	dir string
	db  *sql.DB

	stKey *sql.Stmt

	reqs    chan *keyReq
	refill  chan struct{} // asks the writer for spares (capacity 1)
	done    chan struct{}
	stopped chan struct{}

	spareMu sync.Mutex
	spares  []string // names with a synced key and no client yet; guarded by spareMu
}

// spareTarget is how many spares the writer makes ready; a refill is asked
// for when fewer than spareLow are left, so at any rate of new clients one
// synced commit makes keys for about spareTarget-spareLow of them.
const (
	spareTarget = 256
	spareLow    = 128
)

// keyReq asks the writer for the key of a client with no key yet.
type keyReq struct {
	name  string
	reply chan keyResp
}

type keyResp struct {
	key       []byte
	forgotten bool
	err       error
}

// maxKeyBatch caps how many new keys share one commit.
const maxKeyBatch = 1024

// OpenKeyStore returns the key store in dataDir/keys, creating the folder.
// It destroys any day keys of old idempotency records left in it.
func OpenKeyStore(dataDir string) (*KeyStore, error) {
	return OpenKeyStoreIn(filepath.Join(dataDir, KeyDir))
}

// OpenKeyStoreIn returns the key store in the folder dir (0700, its
// KeysFile 0600), creating both: the data folder's keys/, or a folder of
// its own elsewhere (remit --keys), so that a copy of the data folder
// alone reveals no personal data. Keys and tombstones left as files by
// earlier versions (<client id>.key, <client id>.forgotten) are moved into
// the table on open, then the files are overwritten and removed.
func OpenKeyStoreIn(dir string) (*KeyStore, error) {
	if err := fsperm.Dir(dir); err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	path := filepath.Join(dir, KeysFile)
	if err := fsperm.SQLite(path); err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	// WAL, every commit synced (a key must be on disk before the event it
	// sealed is); secure_delete overwrites a forgotten key's bytes in the
	// file's pages.
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=10000&_secure_delete=on&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("key store %s: %w", path, err)
	}
	k := &KeyStore{dir: dir, db: db}
	fail := func(err error) (*KeyStore, error) {
		db.Close()
		return nil, fmt.Errorf("key store %s: %w", path, err)
	}
	if _, err := db.Exec(keySchema); err != nil {
		return fail(err)
	}
	if k.stKey, err = db.Prepare(`SELECT key, forgotten_at IS NOT NULL FROM client_keys WHERE name = ?`); err != nil {
		return fail(err)
	}
	if err := k.dropRequestKeys(); err != nil {
		return fail(err)
	}
	if err := k.migrateFiles(); err != nil {
		return fail(err)
	}
	k.reqs, k.refill, k.done, k.stopped = make(chan *keyReq), make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	go k.write()
	return k, nil
}

// Close stops the writer and closes the database.
func (k *KeyStore) Close() error {
	select {
	case <-k.done:
		return nil
	default:
	}
	close(k.done)
	<-k.stopped
	return errors.Join(k.dropSpares(), k.db.Close())
}

// NewClientID returns the id of a new client whose key is already made and
// synced, so the client's first event is sealed without a commit of the key
// file; ok is false when no spare is ready (the caller names the client as
// it would otherwise, and its key is made on first use). Each id is handed
// out once. The first call starts the making of spares: a process that
// never calls it (remit client forget beside remit serve) makes none.
func (k *KeyStore) NewClientID() (id uuid.UUID, ok bool) {
	k.spareMu.Lock()
	n := len(k.spares)
	if n > 0 {
		id, ok = uuid.MustParse(k.spares[n-1]), true
		k.spares = k.spares[:n-1]
		n--
	}
	k.spareMu.Unlock()
	if n < spareLow {
		select {
		case k.refill <- struct{}{}:
		default: // a refill is already asked for
		}
	}
	return id, ok
}

// makeSpares makes keys for new client ids until spareTarget are ready, in
// one synced transaction, and only then hands them out. On failure none is
// added: new clients get their keys on first use, as without spares.
func (k *KeyStore) makeSpares() {
	k.spareMu.Lock()
	need := spareTarget - len(k.spares)
	k.spareMu.Unlock()
	if need <= 0 {
		return
	}
	batch := make([]*keyReq, need)
	for i := range batch {
		batch[i] = &keyReq{name: uuid.NewString()}
	}
	resps, err := k.insert(batch)
	if err != nil {
		return
	}
	names := make([]string, 0, need)
	for i, r := range batch {
		if resps[i].key != nil && !resps[i].forgotten {
			names = append(names, r.name)
		}
	}
	k.spareMu.Lock()
	k.spares = append(k.spares, names...)
	k.spareMu.Unlock()
}

// dropSpares deletes the keys of the spares never handed out: no event was
// sealed with them.
func (k *KeyStore) dropSpares() error {
	k.spareMu.Lock()
	names := k.spares
	k.spares = nil
	k.spareMu.Unlock()
	if len(names) == 0 {
		return nil
	}
	tx, err := k.db.Begin()
	if err != nil {
		return fmt.Errorf("key store: drop spare keys: %w", err)
	}
	defer tx.Rollback()
	for _, name := range names {
		if _, err := tx.Exec(`DELETE FROM client_keys WHERE name = ? AND forgotten_at IS NULL`, name); err != nil {
			return fmt.Errorf("key store: drop spare keys: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("key store: drop spare keys: %w", err)
	}
	return nil
}

// requestKeyPrefix starts the names of the day keys of the idempotency
// records Remit kept sealed in the log ("request-" streams) before they
// moved to a table of their own (package idempotency): requests-YYYY-MM-DD.
// Nothing reads those records any more, so their keys are destroyed at
// open, which leaves the records in old logs unreadable for good.
const requestKeyPrefix = "requests-"

// row reads the key called name; forgotten reports a tombstone.
func (k *KeyStore) row(name string) (key []byte, forgotten bool, err error) {
	err = k.stKey.QueryRow(name).Scan(&key, &forgotten)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("key store: %w", err)
	}
	if key != nil && len(key) != 32 {
		return nil, false, fmt.Errorf("key store: key %s is damaged", name)
	}
	return key, forgotten, nil
}

// Forgotten reports whether the client's key was destroyed.
func (k *KeyStore) Forgotten(id uuid.UUID) (bool, error) {
	_, forgotten, err := k.row(id.String())
	return forgotten, err
}

// Key returns the client's key. With create, a client with no key yet gets
// one; a forgotten client gets ErrForgotten. Without create, a client with no
// key gets (nil, nil).
func (k *KeyStore) Key(id uuid.UUID, create bool) ([]byte, error) {
	name := id.String()
	key, forgotten, err := k.row(name)
	if err == nil && key == nil && !forgotten && create {
		key, forgotten, err = k.create(name)
	}
	switch {
	case err != nil:
		return nil, err
	case forgotten:
		return nil, ErrForgotten
	}
	return key, nil
}

// create hands the new key's name to the writer and waits for its synced
// commit.
func (k *KeyStore) create(name string) ([]byte, bool, error) {
	r := &keyReq{name: name, reply: make(chan keyResp, 1)}
	select {
	case k.reqs <- r:
	case <-k.done:
		return nil, false, errors.New("key store: closed")
	}
	resp := <-r.reply
	return resp.key, resp.forgotten, resp.err
}

// write is the writer goroutine: it takes every key request waiting and
// makes their keys in one transaction.
func (k *KeyStore) write() {
	defer close(k.stopped)
	for {
		var batch []*keyReq
		select {
		case <-k.done:
			return
		case <-k.refill:
			k.makeSpares()
			continue
		case r := <-k.reqs:
			batch = append(batch, r)
		}
	more:
		for len(batch) < maxKeyBatch {
			select {
			case r := <-k.reqs:
				batch = append(batch, r)
			default:
				break more
			}
		}
		resps, err := k.insert(batch)
		for i, r := range batch {
			if err != nil {
				r.reply <- keyResp{err: fmt.Errorf("key store: %w", err)}
				continue
			}
			r.reply <- resps[i]
		}
	}
}

// insert makes a key for each request that has no row yet (another process
// may have made one, or forgotten the client, first: its row wins) and
// reads every row back, in one synced transaction.
func (k *KeyStore) insert(batch []*keyReq) ([]keyResp, error) {
	ctx := context.Background()
	tx, err := k.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO client_keys (name, key, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`)
	if err != nil {
		return nil, err
	}
	sel := tx.StmtContext(ctx, k.stKey)
	now := time.Now().UnixNano()
	resps := make([]keyResp, len(batch))
	for i, r := range batch {
		fresh := make([]byte, 32)
		_, _ = rand.Read(fresh)
		if _, err := ins.ExecContext(ctx, r.name, fresh, now); err != nil {
			return nil, err
		}
		if err := sel.QueryRowContext(ctx, r.name).Scan(&resps[i].key, &resps[i].forgotten); err != nil {
			return nil, err
		}
	}
	return resps, tx.Commit()
}

// Forget destroys the client's key: its row keeps only the tombstone, and
// the log of recent writes (the -wal file, which still holds the page the
// key was written in) is copied into the file and emptied.
// Forgetting a forgotten client, or one with no key, succeeds.
func (k *KeyStore) Forget(id uuid.UUID) error {
	if err := k.tombstone(id.String(), time.Now()); err != nil {
		return fmt.Errorf("key store: forget %s: %w", id, err)
	}
	// Best effort: a reader in another process holding an old snapshot
	// keeps the log from being emptied now; the next checkpoint empties it.
	_, _ = k.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return nil
}

func (k *KeyStore) tombstone(name string, at time.Time) error {
	_, err := k.db.Exec(`INSERT INTO client_keys (name, key, created_at, forgotten_at) VALUES (?, NULL, ?, ?)
ON CONFLICT (name) DO UPDATE SET key = NULL, forgotten_at = coalesce(forgotten_at, excluded.forgotten_at)`, name, at.UnixNano(), at.UnixNano())
	return err
}

// dropRequestKeys destroys the day keys of old idempotency records.
func (k *KeyStore) dropRequestKeys() error {
	files, err := filepath.Glob(filepath.Join(k.dir, requestKeyPrefix+"*.key"))
	if err != nil || len(files) == 0 {
		return err
	}
	for _, f := range files {
		if err := shred(f); err != nil {
			return err
		}
	}
	return atomicfile.SyncDir(k.dir)
}

// keyFile is a key or tombstone that an earlier version kept as a file.
type keyFile struct {
	path      string
	name      string // the client id
	key       []byte // nil for a tombstone
	forgotten bool
}

// readKeyFiles lists the key files (<client id>.key) and tombstones
// (<client id>.forgotten) in dir; a missing dir has none.
func readKeyFiles(dir string) ([]keyFile, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []keyFile
	for _, e := range ents {
		base := e.Name()
		if !e.Type().IsRegular() {
			continue
		}
		name, isKey := strings.CutSuffix(base, ".key")
		if !isKey {
			var isTomb bool
			if name, isTomb = strings.CutSuffix(base, ".forgotten"); !isTomb {
				continue
			}
		}
		if _, err := uuid.Parse(name); err != nil {
			continue
		}
		f := keyFile{path: filepath.Join(dir, base), name: name, forgotten: !isKey}
		if isKey {
			b, err := os.ReadFile(f.path)
			if errors.Is(err, fs.ErrNotExist) { // moved by another process meanwhile
				continue
			}
			if err != nil {
				return nil, err
			}
			if len(b) != 32 { // damaged: left where it is, for the operator
				continue
			}
			f.key = b
		}
		out = append(out, f)
	}
	return out, nil
}

// migrateFiles moves the keys and tombstones of an earlier version's files
// into the table (a key already in the table, and any tombstone, wins),
// commits, and only then overwrites and removes the files: a crash in
// between leaves files that the next open moves again, to the same rows.
func (k *KeyStore) migrateFiles() error {
	files, err := readKeyFiles(k.dir)
	if err != nil || len(files) == 0 {
		return err
	}
	tx, err := k.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UnixNano()
	for _, f := range files {
		if f.forgotten {
			_, err = tx.Exec(`INSERT INTO client_keys (name, key, created_at, forgotten_at) VALUES (?, NULL, ?, ?)
ON CONFLICT (name) DO UPDATE SET key = NULL, forgotten_at = coalesce(forgotten_at, excluded.forgotten_at)`, f.name, now, now)
		} else {
			_, err = tx.Exec(`INSERT INTO client_keys (name, key, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`, f.name, f.key, now)
		}
		if err != nil {
			return fmt.Errorf("move %s into the table: %w", filepath.Base(f.path), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, f := range files {
		if err := shred(f.path); err != nil {
			return err
		}
	}
	return atomicfile.SyncDir(k.dir)
}

// shred overwrites a key file with zeros, syncs and removes it; a missing
// file is fine.
func shred(path string) error {
	if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
		fi, serr := f.Stat()
		size := int64(32)
		if serr == nil && fi.Size() > size {
			size = fi.Size()
		}
		_, werr := f.Write(make([]byte, size))
		serr = f.Sync()
		cerr := f.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			return fmt.Errorf("overwrite %s: %w", filepath.Base(path), err)
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// readKeyFolder lists the keys and tombstones of a key folder: the rows of
// its KeysFile (read only), then any key files of an earlier version. A
// missing folder has none. The rows come first so that an importer keeping
// the first key of a name keeps the table's, as opening the folder locally
// does (migrateFiles: the table wins over a leftover file).
func readKeyFolder(dir string) ([]keyFile, error) {
	files, err := readKeyFiles(dir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, KeysFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return files, nil
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name, key, forgotten_at IS NOT NULL FROM client_keys`)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer rows.Close()
	var table []keyFile
	for rows.Next() {
		var f keyFile
		if err := rows.Scan(&f.name, &f.key, &f.forgotten); err != nil {
			return nil, err
		}
		if f.key == nil && !f.forgotten {
			continue
		}
		table = append(table, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return append(table, files...), nil
}
