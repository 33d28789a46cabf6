package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"remit/eventstore"
	"remit/eventstore/postgres"
	"remit/eventstore/sqlite"
	"remit/eventstore/storeurl"
	"remit/projections/rmdb"

	"github.com/spf13/cobra"
)

// DefaultDataDir is the data folder used when neither --data nor REMIT_DATA
// says otherwise.
const DefaultDataDir = "remit-data"

// storeOpts are the flags that say which event store a command works on.
type storeOpts struct {
	dir string // data folder: the embedded store, and its read models
	url string // another backend (postgres://…, kurrentdb://…); "" = embedded
	// readModels is a postgres:// URL to keep the read models in; "" keeps
	// them beside the store (see readModelsFlag).
	readModels string
	// keys is the folder of the personal-data keys ("" = DATA/keys).
	keys string
	// clock stamps recorded-at (nil: the real time); only the demo's
	// loading sets it, to its simulated clock.
	clock func() time.Time
}

func storeFlags(c *cobra.Command, env Env, o *storeOpts) {
	def := env.Getenv("REMIT_DATA")
	if def == "" {
		def = DefaultDataDir
	}
	c.Flags().StringVar(&o.dir, "data", def, "data folder: the embedded store, and the read models' readmodels.db (env REMIT_DATA)")
	c.Flags().StringVar(&o.url, "store", env.Getenv("REMIT_STORE"), "event store: empty for the embedded store in --data, or postgres://… or kurrentdb://… / esdb://… (env REMIT_STORE)")
	c.Flags().StringVar(&o.keys, "keys", env.Getenv("REMIT_KEYS"), "folder of the clients' personal-data keys, outside the data folder so that a copy of it alone reveals no personal data (env REMIT_KEYS; default DATA/keys; on PostgreSQL the keys are in the database)")
}

// readModelsFlag adds --read-models to a command that opens the read
// models; storeFlags must be added too.
func readModelsFlag(c *cobra.Command, env Env, o *storeOpts) {
	c.Flags().StringVar(&o.readModels, "read-models", env.Getenv("REMIT_READ_MODELS"), "where the read models live: empty for the store's PostgreSQL database (tables rm_*) or DATA/readmodels.db, or a postgres://… URL (env REMIT_READ_MODELS)")
}

// checkReadModels refuses a --read-models that is not a PostgreSQL URL.
func (o storeOpts) checkReadModels() error {
	if o.readModels == "" {
		return nil
	}
	if k, err := storeurl.KindOf(o.readModels); err != nil || k != storeurl.Postgres {
		return usageErr("--read-models %s is not a postgres:// URL", storeurl.Redact(o.readModels))
	}
	return nil
}

// embeddedReadModels is the SQLite file of the read models when the store
// is the embedded one and the read models are not sent elsewhere.
func (o storeOpts) embeddedReadModels() (string, bool) {
	if o.readModels != "" {
		return "", false
	}
	if k, err := storeurl.KindOf(o.url); err != nil || k != storeurl.Embedded {
		return "", false
	}
	dir := o.dir
	if rest, ok := strings.CutPrefix(o.url, "sqlite:"); ok && rest != "" {
		dir = rest
	}
	return filepath.Join(dir, storeurl.ReadModelsFile), true
}

// openReadModels opens the read-model database the flags say: the one
// remit serve keeps up to date with the same flags.
func (o storeOpts) openReadModels(ctx context.Context) (*rmdb.DB, error) {
	if err := o.checkReadModels(); err != nil {
		return nil, err
	}
	db, err := storeurl.OpenReadModels(ctx, o.url, o.readModels, storeurl.Options{DataDir: o.dir})
	if err != nil {
		return nil, fmt.Errorf("open the read models: %w", err)
	}
	return db, nil
}

// openWithReadModels opens the store read-only and the read models beside
// it; close closes both.
func (o storeOpts) openWithReadModels(ctx context.Context) (s eventstore.Store, db *rmdb.DB, close func(), err error) {
	if s, err = o.open(ctx, true); err != nil {
		return nil, nil, nil, err
	}
	if db, err = o.openReadModels(ctx); err != nil {
		s.Close()
		return nil, nil, nil, err
	}
	return s, db, func() { db.Close(); s.Close() }, nil
}

// describe names the store for people.
func (o storeOpts) describe() string {
	if o.url == "" {
		abs, _ := filepath.Abs(o.dir)
		return "embedded SQLite, " + filepath.Join(abs, sqlite.FileName)
	}
	kind, _ := storeurl.KindOf(o.url)
	return string(kind) + ", " + storeurl.Redact(o.url)
}

// open opens the store; readOnly opens the embedded store beside a running
// writer (and refuses a folder with no store in it).
func (o storeOpts) open(ctx context.Context, readOnly bool) (eventstore.Store, error) {
	if _, err := storeurl.KindOf(o.url); err != nil {
		return nil, usageErr("%v", err)
	}
	if o.url == "" && readOnly {
		if _, err := os.Stat(filepath.Join(o.dir, sqlite.FileName)); err != nil {
			return nil, usageErr("no Remit store in %s (looked for %s)", o.dir, sqlite.FileName)
		}
	}
	s, err := storeurl.Open(ctx, o.url, storeurl.Options{DataDir: o.dir, KeysDir: o.keys, ReadOnly: readOnly, Clock: o.clock})
	if errors.Is(err, eventstore.ErrLocked) {
		return nil, usageErr("%v", err)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", o.describe(), err)
	}
	return s, nil
}

func verifierOf(s eventstore.Store) (storeurl.Verifier, error) {
	v, ok := storeurl.Unwrap(s).(storeurl.Verifier)
	if !ok {
		return nil, usageErr("this store keeps no hash chain of its own (KurrentDB): verify it with the cluster's own tools")
	}
	return v, nil
}

func newInfoCmd(env Env) *cobra.Command {
	var so storeOpts
	c := &cobra.Command{
		Use:   "info",
		Short: "Open the store (creating it when missing) and report what it holds",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			s, err := so.open(ctx, false)
			if err != nil {
				return err
			}
			defer s.Close()
			out := c.OutOrStdout()
			fmt.Fprintf(out, "store:    %s\n", so.describe())
			v, ok := storeurl.Unwrap(s).(storeurl.Verifier)
			if !ok {
				head, err := s.Head(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "events:   head position %d\n", head)
				return nil
			}
			rep, err := v.Verify(ctx)
			fmt.Fprintf(out, "events:   %d (head position %d)\n", rep.Events, rep.Head)
			if err != nil {
				fmt.Fprintf(out, "chain:    BROKEN: %v\n", err)
				return problemErr("hash chain broken")
			}
			fmt.Fprintf(out, "chain:    verified%s\n", headHashSuffix(rep))
			return nil
		},
	}
	storeFlags(c, env, &so)
	return c
}

func headHashSuffix(rep sqlite.VerifyReport) string {
	if rep.HeadHash == "" {
		return ""
	}
	return fmt.Sprintf(", head hash %s", rep.HeadHash)
}

func newAuditCmd(env Env) *cobra.Command {
	audit := &cobra.Command{
		Use:   "audit",
		Short: "Auditors' commands: verify the hash chain, show a stream's history",
	}
	var so storeOpts
	var expect, anchorsFile, pubKey string
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Walk the hash chain of every event and name the first altered, removed or reordered one",
		Long: `Walk the hash chain of every event and name the first altered, removed or reordered one.
Exits 0 when the chain is intact, 1 when it is broken, 2 on bad usage.

Opens the embedded store read-only, so it can run while remit serves from the same folder;
works the same on a PostgreSQL store (--store postgres://…).
A chain cannot show that events were cut off its end; record the printed head
(position:hash) somewhere else and pass it back with --expect-head to check that too, or
keep signed anchors (remit audit anchor) and pass --anchors FILE: every anchor's signature
must verify (with --public-key FILE.pub, else the key its line names) and its position must
exist with exactly its hash, so a history rewritten and re-chained, or cut short, fails.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var wantPos uint64
			var wantHash string
			if expect != "" {
				p, h, ok := strings.Cut(expect, ":")
				if _, err := fmt.Sscan(p, &wantPos); !ok || err != nil || len(h) != 2*eventstore.HashSize {
					return usageErr("--expect-head must be POSITION:HASH as printed by a previous verify, got %q", expect)
				}
				wantHash = strings.ToLower(h)
			}
			ctx := c.Context()
			s, err := so.open(ctx, true)
			if err != nil {
				return err
			}
			defer s.Close()
			v, err := verifierOf(s)
			if err != nil {
				return err
			}
			rep, err := v.Verify(ctx)
			out := c.OutOrStdout()
			if err != nil {
				var ce *sqlite.ChainError
				if errors.As(err, &ce) {
					fmt.Fprintf(out, "BROKEN after %d intact events\n", rep.Events)
					fmt.Fprintf(out, "first bad event: position %d, id %s, stream %s\n", ce.Position, ce.EventID, ce.Stream)
					fmt.Fprintf(out, "problem: %s\n", ce.Problem)
					return problemErr("hash chain broken at position %d", ce.Position)
				}
				return err
			}
			fmt.Fprintf(out, "OK: %d events verified\nhead: %d:%s\n", rep.Events, rep.Head, rep.HeadHash)
			if expect != "" {
				if rep.Head < wantPos {
					return problemErr("the log ends at position %d but an earlier verify saw %d: events were removed from its end", rep.Head, wantPos)
				}
				h, err := v.HashAt(ctx, wantPos)
				if err != nil {
					return err
				}
				if fmt.Sprintf("%x", h) != wantHash {
					return problemErr("the event at position %d no longer has hash %s: history was rewritten", wantPos, wantHash)
				}
				fmt.Fprintf(out, "expected head %d found unchanged\n", wantPos)
			}
			if anchorsFile != "" {
				return verifyAnchors(ctx, out, v, rep, anchorsFile, pubKey)
			}
			return nil
		},
	}
	storeFlags(verify, env, &so)
	verify.Flags().StringVar(&expect, "expect-head", "", "POSITION:HASH from an earlier verify; fail if that event is gone or changed")
	verify.Flags().StringVar(&anchorsFile, "anchors", "", "anchors file of remit audit anchor; fail if any anchored event is gone or changed")
	verify.Flags().StringVar(&pubKey, "public-key", "", "the anchors' Ed25519 public key (PEM, the .pub of --new-key); default the key each line names")
	audit.AddCommand(verify, newAuditAnchorCmd(env), newAuditStreamCmd(env), newAuditProposalCmd(env), newAuditRequestCmd(env))
	return audit
}

func newMigrateCmd(env Env) *cobra.Command {
	var from, to string
	c := &cobra.Command{
		Use:   "migrate --from DIR --to postgres://…",
		Short: "Copy an embedded store into PostgreSQL, event for event, positions and hashes preserved",
		Long: `Copy the embedded store in DIR into an empty PostgreSQL store, event for event, with the
same positions and hashes, and verify both chains at the end. Refuses a non-empty target.
Stop remit serve on DIR first (the source is opened read-only, but events appended during
the copy would be left behind).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			if from == "" || to == "" {
				return usageErr("both --from DIR and --to postgres://… are required")
			}
			if k, err := storeurl.KindOf(to); err != nil || k != storeurl.Postgres {
				return usageErr("--to must be a postgres:// URL")
			}
			src, err := (storeOpts{dir: from}).open(ctx, true)
			if err != nil {
				return err
			}
			defer src.Close()
			dst, err := postgres.Open(ctx, to, postgres.Options{ApplicationName: "remit migrate"})
			if err != nil {
				return fmt.Errorf("open %s: %w", storeurl.Redact(to), err)
			}
			defer dst.Close()
			rep, err := postgres.ImportFrom(ctx, storeurl.Unwrap(src).(*sqlite.Store), dst)
			if errors.Is(err, postgres.ErrTargetNotEmpty) {
				return usageErr("%v", err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "copied and verified %d events\nhead: %d:%s\n", rep.Events, rep.Head, rep.HeadHash)
			return nil
		},
	}
	c.Flags().StringVar(&from, "from", "", "data folder of the embedded store to copy")
	c.Flags().StringVar(&to, "to", "", "postgres:// URL of the empty target")
	return c
}
