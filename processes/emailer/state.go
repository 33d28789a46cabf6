package emailer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"remit/domain"
	mailbox "remit/domain/outbox"
	"remit/projections/rmdb"
)

// The outbox's own tables in its state database (Config.State): what it
// knows, written with its checkpoint in one transaction, so that a start
// reads one row instead of the log and memory does not grow with the log.
const (
	// outbox_state: one row, the checkpoint (the next position to handle),
	// whether the start marker was seen, and the day of the last full
	// daily check.
	stateTable = "outbox_state"
	// outbox_emails: every email's status (queued, sent, failed).
	emailsTable = "outbox_emails"
	// outbox_pending: the emails queued and not yet sent or failed, each
	// its EmailQueued as JSON.
	pendingTable = "outbox_pending"
	// outbox_watch: what the daily check looks at: the clients ("client")
	// and the invoices that may have a collection scheduled
	// ("collection"), each flagged fresh when seen since the last check.
	watchTable = "outbox_watch"
)

var stateSchema = []string{
	`CREATE TABLE IF NOT EXISTS ` + stateTable + ` (name TEXT PRIMARY KEY, next BIGINT NOT NULL, started BIGINT NOT NULL, swept_on TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS ` + emailsTable + ` (email_id TEXT PRIMARY KEY, status TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS ` + pendingTable + ` (email_id TEXT PRIMARY KEY, queued TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS ` + watchTable + ` (kind TEXT NOT NULL, id TEXT NOT NULL, fresh BIGINT NOT NULL, PRIMARY KEY (kind, id))`,
	`CREATE INDEX IF NOT EXISTS ` + watchTable + `_fresh ON ` + watchTable + ` (kind, fresh)`,
}

// stateRow is the name of the one row of outbox_state.
const stateRow = "outbox"

// flushEvery is how many handled events the outbox keeps unwritten while
// it catches up: a transaction per few hundred events, never one held
// while an email is handed to the transport.
const flushEvery = 256

// Kinds of outbox_watch rows.
const (
	watchClient     = "client"
	watchCollection = "collection"
)

type watchKey struct {
	kind string
	id   uuid.UUID
}

// changes are the outbox's changes not yet written to its tables: a few
// hundred events' worth at most (see flushEvery).
type changes struct {
	emails     map[uuid.UUID]mailbox.Status
	pending    map[uuid.UUID]*mailbox.EmailQueued // nil: no longer pending
	watch      map[watchKey]bool                  // true: add (fresh), false: remove
	clearFresh bool                               // the daily check went through what was fresh
	events     int                                // handled since the last write
	dirty      bool
}

func newChanges() changes {
	return changes{emails: map[uuid.UUID]mailbox.Status{}, pending: map[uuid.UUID]*mailbox.EmailQueued{}, watch: map[watchKey]bool{}}
}

// openState creates the outbox's tables when missing and reads its
// checkpoint row; found is false on a database the outbox never wrote.
func (o *Outbox) openState(ctx context.Context) (found bool, err error) {
	if o.db == nil {
		db, err := rmdb.OpenTemp()
		if err != nil {
			return false, fmt.Errorf("outbox: state: %w", err)
		}
		o.db, o.closeDB = db, true
	}
	err = o.db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		for _, q := range stateSchema {
			tx.Exec(q)
		}
		return tx.Err()
	})
	if err != nil {
		return false, fmt.Errorf("outbox: state: %w", err)
	}
	var next, started int64
	var swept string
	err = o.db.QueryRow(ctx, `SELECT next, started, swept_on FROM `+stateTable+` WHERE name = ?`, stateRow).Scan(&next, &started, &swept)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("outbox: state: %w", err)
	}
	o.next, o.started = uint64(next), started == 1
	if swept != "" {
		if o.sweptOn, err = domain.ParseDate(swept); err != nil {
			return false, fmt.Errorf("outbox: state: swept_on %q: %w", swept, err)
		}
	}
	return true, nil
}

// status is an email's status: as changed since the last write, else as
// stored.
func (o *Outbox) status(ctx context.Context, id uuid.UUID) (mailbox.Status, error) {
	if s, ok := o.pend.emails[id]; ok {
		return s, nil
	}
	var s string
	err := o.db.QueryRow(ctx, `SELECT status FROM `+emailsTable+` WHERE email_id = ?`, id.String()).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return mailbox.StatusNone, nil
	}
	if err != nil {
		return "", fmt.Errorf("outbox: email %s: %w", id, err)
	}
	return mailbox.Status(s), nil
}

// known reports whether an email is in the store already (queued, sent or
// failed): then it is not queued again.
func (o *Outbox) known(ctx context.Context, id uuid.UUID) (bool, error) {
	s, err := o.status(ctx, id)
	return s != mailbox.StatusNone, err
}

func (o *Outbox) setStatus(id uuid.UUID, s mailbox.Status, queued *mailbox.EmailQueued) {
	o.pend.emails[id] = s
	o.pend.pending[id] = queued
	o.pend.dirty = true
}

// settle records an email's outcome read from the log, unless the state
// has it already (the outbox recorded it itself and set it then).
func (o *Outbox) settle(ctx context.Context, id uuid.UUID, s mailbox.Status) error {
	if o.loading {
		// A first start's load reads every email stream once: no look-up
		// per email.
		o.setStatus(id, s, nil)
		return nil
	}
	now, err := o.status(ctx, id)
	if err != nil || now == s {
		return err
	}
	o.setStatus(id, s, nil)
	return nil
}

func (o *Outbox) setWatch(kind string, id uuid.UUID, on bool) {
	o.pend.watch[watchKey{kind, id}] = on
	o.pend.dirty = true
}

// flush writes the changes and the checkpoint in one transaction.
func (o *Outbox) flush(ctx context.Context) error {
	c := o.pend
	swept := ""
	if !o.sweptOn.IsZero() {
		swept = o.sweptOn.String()
	}
	err := o.db.WriteTx(ctx, func(tx *rmdb.Tx) error {
		if c.clearFresh {
			tx.Exec(`UPDATE ` + watchTable + ` SET fresh = 0 WHERE fresh = 1`)
		}
		for id, s := range c.emails {
			tx.Exec(`INSERT INTO `+emailsTable+` (email_id, status) VALUES (?, ?) ON CONFLICT (email_id) DO UPDATE SET status = excluded.status`, id.String(), string(s))
		}
		for id, q := range c.pending {
			if q == nil {
				tx.Exec(`DELETE FROM `+pendingTable+` WHERE email_id = ?`, id.String())
				continue
			}
			raw, err := json.Marshal(q)
			if err != nil {
				return err
			}
			tx.Exec(`INSERT INTO `+pendingTable+` (email_id, queued) VALUES (?, ?) ON CONFLICT (email_id) DO UPDATE SET queued = excluded.queued`, id.String(), string(raw))
		}
		for k, on := range c.watch {
			if on {
				tx.Exec(`INSERT INTO `+watchTable+` (kind, id, fresh) VALUES (?, ?, 1) ON CONFLICT (kind, id) DO UPDATE SET fresh = 1`, k.kind, k.id.String())
			} else {
				tx.Exec(`DELETE FROM `+watchTable+` WHERE kind = ? AND id = ?`, k.kind, k.id.String())
			}
		}
		if o.loading {
			return tx.Err()
		}
		started := 0
		if o.started {
			started = 1
		}
		tx.Exec(`INSERT INTO `+stateTable+` (name, next, started, swept_on) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET next = excluded.next, started = excluded.started, swept_on = excluded.swept_on`,
			stateRow, int64(o.next), started, swept)
		return tx.Err()
	})
	if err != nil {
		return fmt.Errorf("outbox: write state: %w", err)
	}
	o.pend = newChanges()
	return nil
}

// handled counts one handled event and writes the changes every
// flushEvery events.
func (o *Outbox) handled(ctx context.Context) error {
	o.pend.events++
	if o.pend.events < flushEvery {
		return nil
	}
	return o.flush(ctx)
}

// pendingEmails returns the emails queued and not sent or failed.
func (o *Outbox) pendingEmails(ctx context.Context) ([]mailbox.EmailQueued, error) {
	if err := o.flush(ctx); err != nil {
		return nil, err
	}
	rows, err := o.db.Query(ctx, `SELECT queued FROM `+pendingTable+` ORDER BY email_id`)
	if err != nil {
		return nil, fmt.Errorf("outbox: pending emails: %w", err)
	}
	defer rows.Close()
	var out []mailbox.EmailQueued
	for rows.Next() {
		var raw string
		var q mailbox.EmailQueued
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("outbox: pending emails: %w", err)
		}
		if err := json.Unmarshal([]byte(raw), &q); err != nil {
			return nil, fmt.Errorf("outbox: pending emails: %w", err)
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// watched returns the ids of a kind the daily check looks at: all of
// them, or only those fresh since the last check.
func (o *Outbox) watching(ctx context.Context, kind string, freshOnly bool) ([]uuid.UUID, error) {
	if err := o.flush(ctx); err != nil {
		return nil, err
	}
	q := `SELECT id FROM ` + watchTable + ` WHERE kind = ?`
	if freshOnly {
		q += ` AND fresh = 1`
	}
	rows, err := o.db.Query(ctx, q+` ORDER BY id`, kind)
	if err != nil {
		return nil, fmt.Errorf("outbox: daily check: %w", err)
	}
	defer rows.Close()
	var out []uuid.UUID
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("outbox: daily check: %w", err)
		}
		id, err := uuid.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("outbox: daily check: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
