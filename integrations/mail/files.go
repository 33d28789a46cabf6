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
// (internal/atomicfile.WriteNew; SendAll syncs the folder once for many)
// and a message whose file exists already is not written again, also when
// two sends of it race.
type Files struct {
	Dir string
}

// Path returns where the message with the given id is written.
func (f Files) Path(id string) string { return filepath.Join(f.Dir, id+".eml") }

// Send writes the message unless its file exists.
func (f Files) Send(ctx context.Context, m Message) error {
	return f.SendAll(ctx, []Message{m})[0]
}

// SendAll writes each message unless its file exists, and syncs the folder
// once for all of them (mail.GroupSender).
func (f Files) SendAll(ctx context.Context, msgs []Message) []error {
	errs := make([]error, len(msgs))
	if err := ctx.Err(); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	var paths []string
	var data [][]byte
	var at []int // the message of each file to write
	for i, m := range msgs {
		if m.ID == "" || strings.ContainsAny(m.ID, `/\`) || strings.HasPrefix(m.ID, ".") {
			errs[i] = &PermanentError{Err: fmt.Errorf("mail: bad message id %q", m.ID)}
			continue
		}
		path := f.Path(m.ID)
		if _, err := os.Stat(path); err == nil {
			continue
		} else if !errors.Is(err, os.ErrNotExist) {
			errs[i] = err
			continue
		}
		b, err := m.Bytes()
		if err != nil {
			errs[i] = err
			continue
		}
		paths, data, at = append(paths, path), append(data, b), append(at, i)
	}
	if len(paths) == 0 {
		return errs
	}
	if err := fsperm.Dir(f.Dir); err != nil {
		for _, i := range at {
			errs[i] = err
		}
		return errs
	}
	// Created, never replaced: of two sends of one message racing past the
	// check above, the second finds the first's file and writes nothing.
	for j, err := range atomicfile.WriteNewAll(paths, data, 0o600) {
		if err != nil && !errors.Is(err, fs.ErrExist) {
			errs[at[j]] = err
		}
	}
	return errs
}

// DeliversOnceByID is true: Send writes no message whose file exists
// (mail.OnceByID).
func (Files) DeliversOnceByID() bool { return true }

// Name returns "file", the transport recorded on sent emails.
func (Files) Name() string { return "file" }
