package cli

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"remit/projections"
	"remit/projections/rmdb"
)

func newProjectionsCmd(env Env) *cobra.Command {
	c := &cobra.Command{Use: "projections", Short: "See how far each read model has applied the log, and rebuild one"}
	c.AddCommand(newProjectionsStatusCmd(env), newProjectionsRebuildCmd(env))
	return c
}

// projectionSpecs are the read models' projections as this build of Remit
// defines them: their names and code versions.
func projectionSpecs() []projections.Spec {
	// Specs only describes the projections: no database is touched.
	return (&projections.Models{}).Specs()
}

func newProjectionsStatusCmd(env Env) *cobra.Command {
	var so storeOpts
	c := &cobra.Command{
		Use:   "status",
		Short: "Print each projection's generation, version and checkpoint, and the head of the log",
		Long: `Print, for each projection, every generation of its tables the read-model database holds
(DATA/readmodels.db, or the rm_* tables in PostgreSQL): its version (the code that wrote it),
its checkpoint (the last position of the log it applied) and how far that is behind the head
of the log. The generation serving queries is marked "serving"; one being filled by a rebuild
is "rebuilding"; a version other than this build's is rebuilt by remit serve when it starts.
Read-only: runs beside remit serve.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			s, db, closeAll, err := so.openWithReadModels(ctx)
			if err != nil {
				return err
			}
			defer closeAll()
			head, err := s.Head(ctx)
			if err != nil {
				return err
			}
			regs, err := db.Registrations(ctx)
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			fmt.Fprintf(out, "log head: position %d\n", head)
			printRegistrations(out, regs, head)
			return nil
		},
	}
	storeFlags(c, env, &so)
	readModelsFlag(c, env, &so)
	return c
}

// printRegistrations prints the registry as a table, in the order the
// runner applies the projections, then any name this build does not know.
func printRegistrations(out io.Writer, regs []rmdb.Registration, head uint64) {
	version := map[string]int64{}
	order := map[string]int{}
	for i, sp := range projectionSpecs() {
		version[sp.Name], order[sp.Name] = sp.Version, i
	}
	rank := func(name string) int {
		if i, ok := order[name]; ok {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(regs, func(a, b rmdb.Registration) int {
		if d := rank(a.Name) - rank(b.Name); d != 0 {
			return d
		}
		return strings.Compare(a.Name, b.Name)
	})
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "projection\tgeneration\tversion\tcheckpoint\tbehind\tstate")
	seen := map[string]bool{}
	for _, r := range regs {
		seen[r.Name] = true
		state := "rebuilding"
		if r.Serving {
			state = "serving"
		}
		if v, ok := version[r.Name]; !ok {
			state += " (not a projection of this build)"
		} else if v != r.Version {
			state += fmt.Sprintf(" (this build has version %d: rebuilt at the next start)", v)
		}
		var behind uint64
		if head > r.Checkpoint {
			behind = head - r.Checkpoint
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%s\n", r.Name, r.Generation, r.Version, r.Checkpoint, behind, state)
	}
	for _, sp := range projectionSpecs() {
		if !seen[sp.Name] {
			fmt.Fprintf(w, "%s\t-\t-\t-\t-\tno tables yet (filled at the next start)\n", sp.Name)
		}
	}
	w.Flush()
}

func newProjectionsRebuildCmd(env Env) *cobra.Command {
	var so storeOpts
	c := &cobra.Command{
		Use:   "rebuild NAME",
		Short: "Rebuild one projection's tables from the log while the current ones keep serving",
		Long: `Fill a new generation of the named projection's tables from the whole log while the
current generation keeps serving queries, then swap them in one transaction and drop the old
one (blue/green). NAME is one of the projections remit projections status lists. Queries
never see a half-built table. It applies events, so it needs the read models' lease, which a
running remit serve holds: stop serve first (the command says so and exits 1 otherwise).`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			ctx := c.Context()
			name := args[0]
			var names []string
			for _, sp := range projectionSpecs() {
				names = append(names, sp.Name)
			}
			if !slices.Contains(names, name) {
				return usageErr("%q is not a projection; the projections are %s", name, strings.Join(names, ", "))
			}
			s, db, closeAll, err := so.openWithReadModels(ctx)
			if err != nil {
				return err
			}
			defer closeAll()
			bar := newProgress(env.Stderr, "rebuild "+name)
			logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			r, err := projections.NewRunner(ctx, s, projections.NewModels(db), projections.RunnerOptions{Logger: logger,
				Progress: func(n string, pos, head uint64) {
					if n == name {
						bar.Update(int(pos), int(head))
					}
				}})
			if err != nil {
				return err
			}
			defer r.Close()
			err = r.Rebuild(ctx, name)
			bar.Finish()
			if err != nil {
				// Another process applying (a running serve) is a state of
				// the world, not bad usage: exit 1.
				return &exitError{code: ExitProblem, err: fmt.Errorf("rebuild %s: %w", name, err)}
			}
			regs, err := db.Registrations(ctx)
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			for _, reg := range regs {
				if reg.Name == name && reg.Serving {
					fmt.Fprintf(out, "rebuilt %s: generation %d (version %d) serving, at position %d\n", name, reg.Generation, reg.Version, reg.Checkpoint)
					return nil
				}
			}
			fmt.Fprintf(out, "rebuilt %s\n", name)
			return nil
		},
	}
	storeFlags(c, env, &so)
	readModelsFlag(c, env, &so)
	return c
}
