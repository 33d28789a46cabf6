package pii

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/google/uuid"

	"remit/domain"
	"remit/internal/atomicfile"
	"remit/internal/fsperm"
)

// KeyDir is the folder of the data folder that holds the client keys.
const KeyDir = "keys"

// ErrForgotten is matched by sealing personal data of a forgotten client:
// their key is gone and no new personal data is taken for them.
var ErrForgotten = domain.Conflict("This client's personal data was erased; it cannot take new personal details.")

// Keys is where the client keys live, outside the event log: KeyStore (files
// in the data folder, one process or a shared folder) or PGKeyStore (a table
// in the PostgreSQL database, shared by every process on it).
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

// KeyStore keeps one key per client in a folder, outside the event log.
// A key read or made once is kept in memory (reading every sealed event
// would otherwise open a file per event), but every use first looks for the
// client's tombstone on disk, so a Forget by another process (remit client
// forget while remit serve runs) still takes effect at once.
type KeyStore struct {
	dir string
	// created makes new keys: clients created at the same moment share the
	// folder's fsync.
	created *atomicfile.DirSyncer

	mu   sync.RWMutex
	keys map[uuid.UUID][]byte
}

// OpenKeyStore returns the key store in dataDir/keys, creating the folder.
// It destroys any day keys of old idempotency records left in it.
func OpenKeyStore(dataDir string) (*KeyStore, error) {
	return OpenKeyStoreIn(filepath.Join(dataDir, KeyDir))
}

// OpenKeyStoreIn returns the key store in the folder dir (0700), creating
// it: the data folder's keys/, or a folder of its own elsewhere (remit
// --keys), so that a copy of the data folder alone reveals no personal
// data.
func OpenKeyStoreIn(dir string) (*KeyStore, error) {
	if err := fsperm.Dir(dir); err != nil {
		return nil, fmt.Errorf("key store: %w", err)
	}
	k := &KeyStore{dir: dir, created: atomicfile.NewDirSyncer(dir), keys: map[uuid.UUID][]byte{}}
	if err := k.dropRequestKeys(); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *KeyStore) keyPath(id uuid.UUID) string { return filepath.Join(k.dir, id.String()+".key") }

// requestKeyPrefix starts the names of the day keys of the idempotency
// records Remit kept sealed in the log ("request-" streams) before they
// moved to a table of their own (package idempotency): requests-YYYY-MM-DD.
// Nothing reads those records any more, so their keys are destroyed at
// open, which leaves the records in old logs unreadable for good.
const requestKeyPrefix = "requests-"

func (k *KeyStore) tombPath(id uuid.UUID) string {
	return filepath.Join(k.dir, id.String()+".forgotten")
}

// Forgotten reports whether the client's key was destroyed.
func (k *KeyStore) Forgotten(id uuid.UUID) bool {
	_, err := os.Stat(k.tombPath(id))
	return err == nil
}

// Key returns the client's key. With create, a client with no key yet gets
// one; a forgotten client gets ErrForgotten. Without create, a client with no
// key gets (nil, nil).
func (k *KeyStore) Key(id uuid.UUID, create bool) ([]byte, error) {
	if k.Forgotten(id) {
		k.forget(id)
		return nil, ErrForgotten
	}
	k.mu.RLock()
	key, ok := k.keys[id]
	k.mu.RUnlock()
	if ok {
		return key, nil
	}
	key, err := k.fileKey(k.keyPath(id), create)
	if err != nil || key == nil {
		return key, err
	}
	k.mu.Lock()
	k.keys[id] = key
	k.mu.Unlock()
	return key, nil
}

// forget drops the client's key from memory.
func (k *KeyStore) forget(id uuid.UUID) {
	k.mu.Lock()
	delete(k.keys, id)
	k.mu.Unlock()
}

// dropRequestKeys destroys the day keys of old idempotency records.
func (k *KeyStore) dropRequestKeys() error {
	files, err := filepath.Glob(filepath.Join(k.dir, requestKeyPrefix+"*.key"))
	if err != nil || len(files) == 0 {
		return err
	}
	for _, f := range files {
		if err := shred(f); err != nil {
			return fmt.Errorf("key store: %w", err)
		}
	}
	return atomicfile.SyncDir(k.dir)
}

// fileKey reads the key in path, making it with create.
func (k *KeyStore) fileKey(path string, create bool) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) != 32 {
			return nil, fmt.Errorf("key store: key %s is damaged", filepath.Base(path))
		}
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("key store: %w", err)
	}
	if !create {
		return nil, nil
	}
	b = make([]byte, 32)
	_, _ = rand.Read(b)
	if err := k.created.WriteNew(path, b, 0o600); err != nil {
		if errors.Is(err, fs.ErrExist) { // another writer made it first
			return k.fileKey(path, false)
		}
		return nil, fmt.Errorf("key store: %w", err)
	}
	return b, nil
}

// Forget destroys the client's key: the file is overwritten, synced and
// removed, and a tombstone records that the client was forgotten.
// Forgetting a forgotten client, or one with no key, succeeds.
func (k *KeyStore) Forget(id uuid.UUID) error {
	if err := atomicfile.WriteNew(k.tombPath(id), []byte("forgotten\n"), 0o600); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("key store: %w", err)
	}
	k.forget(id)
	if err := shred(k.keyPath(id)); err != nil {
		return fmt.Errorf("key store: %w", err)
	}
	return atomicfile.SyncDir(k.dir)
}

// shred overwrites a key file with zeros, syncs and removes it; a missing
// file is fine.
func shred(path string) error {
	if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
		_, werr := f.Write(make([]byte, 32))
		serr := f.Sync()
		cerr := f.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			return fmt.Errorf("overwrite key: %w", err)
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
