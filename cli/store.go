package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"remit/eventstore"
	"remit/eventstore/sqlite"

	"github.com/spf13/cobra"
)

// DefaultDataDir is the data folder used when neither --data nor REMIT_DATA
// says otherwise.
const DefaultDataDir = "remit-data"

func dataFlag(c *cobra.Command, env Env, dir *string) {
	def := env.Getenv("REMIT_DATA")
	if def == "" {
		def = DefaultDataDir
	}
	c.Flags().StringVar(dir, "data", def, "data folder of the embedded store (env REMIT_DATA)")
}

func openStore(dir string, readOnly bool) (*sqlite.Store, error) {
	if readOnly {
		if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
			return nil, usageErr("no Remit store in %s (looked for %s)", dir, sqlite.FileName)
		}
	}
	s, err := sqlite.Open(dir, sqlite.Options{ReadOnly: readOnly})
	if errors.Is(err, eventstore.ErrLocked) {
		return nil, usageErr("%v", err)
	}
	return s, err
}

func newInfoCmd(env Env) *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "info",
		Short: "Open the store (creating it when missing) and report what it holds",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := openStore(dir, false)
			if err != nil {
				return err
			}
			defer s.Close()
			rep, err := s.Verify(c.Context())
			out := c.OutOrStdout()
			abs, _ := filepath.Abs(dir)
			fmt.Fprintf(out, "store:    embedded SQLite, %s\n", filepath.Join(abs, sqlite.FileName))
			fmt.Fprintf(out, "events:   %d (head position %d)\n", rep.Events, rep.Head)
			if err != nil {
				fmt.Fprintf(out, "chain:    BROKEN: %v\n", err)
				return problemErr("hash chain broken")
			}
			fmt.Fprintf(out, "chain:    verified%s\n", headHashSuffix(rep))
			return nil
		},
	}
	dataFlag(c, env, &dir)
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
		Short: "Auditors' commands: verify the log's hash chain",
	}
	var dir, expect string
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Walk the hash chain of every event and name the first altered, removed or reordered one",
		Long: `Walk the hash chain of every event and name the first altered, removed or reordered one.
Exits 0 when the chain is intact, 1 when it is broken, 2 on bad usage.

Opens the store read-only, so it can run while remit serves from the same folder.
A chain cannot show that events were cut off its end; record the printed head
(position:hash) somewhere else and pass it back with --expect-head to check that too.`,
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
			s, err := openStore(dir, true)
			if err != nil {
				return err
			}
			defer s.Close()
			rep, err := s.Verify(c.Context())
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
				h, err := s.HashAt(c.Context(), wantPos)
				if err != nil {
					return err
				}
				if fmt.Sprintf("%x", h) != wantHash {
					return problemErr("the event at position %d no longer has hash %s: history was rewritten", wantPos, wantHash)
				}
				fmt.Fprintf(out, "expected head %d found unchanged\n", wantPos)
			}
			return nil
		},
	}
	dataFlag(verify, env, &dir)
	verify.Flags().StringVar(&expect, "expect-head", "", "POSITION:HASH from an earlier verify; fail if that event is gone or changed")
	audit.AddCommand(verify)
	return audit
}
