// Package secretfile is the one writer of an accounting connection's secrets
// file, <data>/ledger/<provider>.json: the app's credentials and the OAuth
// tokens, which never go into the event log.
//
// Three parties write the same file: ledger sync when a connection is made
// (processes/ledgersync), the web UI's connect flow (web/ui), and the Xero and
// QuickBooks Online adapters each time they rotate a token
// (integrations/accounting/xero, qbo), possibly in different processes (the
// CLI beside `remit serve`). Each changes only its own keys, so every write
// is a read-modify-write, and Update runs it under an exclusive lock on
// <file>.lock shared by all processes: no writer loses another's update (a
// lost rotated refresh token loses the connection). The file is replaced
// whole through internal/atomicfile, so readers need no lock.
package secretfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"

	"remit/internal/atomicfile"
)

// Doc is the file's JSON object, key by key; a writer changes the keys it
// knows and keeps the others.
type Doc map[string]json.RawMessage

// Read returns the keys of the file at path. A missing file is an error
// wrapping fs.ErrNotExist.
func Read(path string) (Doc, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc := Doc{}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return doc, nil
}

// Update reads the file at path (a missing one is empty), lets change edit
// its keys, and writes the result back, mode 0600, making the folder (0700)
// when needed; all of it under the file's lock, so concurrent updates from
// any process apply one after the other. When change returns an error the
// file is left as it was.
func Update(path string, change func(Doc) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	unlock, err := lock(path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	doc, err := Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		doc, err = Doc{}, nil
	}
	if err != nil {
		return err
	}
	if err := change(doc); err != nil {
		return err
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(out, '\n'), 0o600)
}

// Set copies v's JSON keys into d after deleting the keys named in clear:
// those v omits when empty, so that an old value does not outlive a new
// empty one.
func (d Doc) Set(v any, clear ...string) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var fields Doc
	if err := json.Unmarshal(raw, &fields); err != nil {
		return err
	}
	for _, k := range clear {
		delete(d, k)
	}
	maps.Copy(d, fields)
	return nil
}

// Decode reads d's keys into v (a struct with JSON tags).
func (d Doc) Decode(v any) error {
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}
