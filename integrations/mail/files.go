package mail

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"remit/internal/atomicfile"
	"remit/internal/fsperm"
)

// Files delivers each message as the file <Dir>/<ID>.eml: Remit's default
// when no SMTP server is set up. Writing is atomic and durable
// (internal/atomicfile.WriteNew) and a message whose file exists already is
// not written again, also when two sends of it race.
type Files struct {
	Dir string
}

// Path returns where the message with the given id is written.
func (f Files) Path(id string) string { return filepath.Join(f.Dir, id+".eml") }

// Send writes the message unless its file exists.
func (f Files) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.ID == "" || strings.ContainsAny(m.ID, `/\`) || strings.HasPrefix(m.ID, ".") {
		return &PermanentError{Err: fmt.Errorf("mail: bad message id %q", m.ID)}
	}
	path := f.Path(m.ID)
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	data, err := m.Bytes()
	if err != nil {
		return err
	}
	if err := fsperm.Dir(f.Dir); err != nil {
		return err
	}
	// Created, never replaced: of two sends of one message racing past the
	// check above, the second finds the first's file and writes nothing.
	if err := atomicfile.WriteNew(path, data, 0o600); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// DeliversOnceByID is true: Send writes no message whose file exists
// (mail.OnceByID).
func (Files) DeliversOnceByID() bool { return true }

// Name returns "file", the transport recorded on sent emails.
func (Files) Name() string { return "file" }
