package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"remit/billing"
	"remit/domain"
	"remit/processes/billingrun"
	"remit/projections"
)

// dailyJob is one of the daily jobs `remit serve` runs after the billing
// run (the proposals job, the dunning job), run by hand for a date: name
// says which in messages; run does the job on up-to-date read models,
// prints its report and returns the steps that failed; upToDate applies
// what the read models miss of the log (as serve's WaitFor does), so a
// job reading them after its own steps (the dunning digest) sees those.
type dailyJob struct {
	name string
	what string // what failed, plural ("proposals", "steps")
	run  func(ctx context.Context, svc *billing.Service, m *projections.Models, upToDate func(context.Context) error, date domain.Date, out io.Writer) ([]error, error)
}

// command makes the job's cobra command with its store, read-model and
// --as-of flags. It exits 0 when every step went through, 1 when some
// failed (listed), 2 on bad usage.
func (j dailyJob) command(env Env, c *cobra.Command) *cobra.Command {
	var so storeOpts
	var asOf string
	c.Args = cobra.NoArgs
	c.RunE = func(c *cobra.Command, _ []string) error {
		var date domain.Date
		if asOf != "" {
			d, err := domain.ParseDate(asOf)
			if err != nil {
				return usageErr("--as-of %q: give a date as YYYY-MM-DD", asOf)
			}
			date = d
		}
		return j.runOn(c.Context(), env, so, date, c.OutOrStdout())
	}
	storeFlags(c, env, &so)
	readModelsFlag(c, env, &so)
	c.Flags().StringVar(&asOf, "as-of", "", "run as of this date (YYYY-MM-DD; default today in the firm's time zone)")
	return c
}

func (j dailyJob) runOn(ctx context.Context, env Env, so storeOpts, date domain.Date, out io.Writer) error {
	s, err := so.open(ctx, false)
	if err != nil {
		return err
	}
	defer s.Close()
	db, err := so.openReadModels(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	idx, err := billingrun.OpenIndexOn(ctx, s, db, projections.RunnerOptions{
		Logger: slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	defer idx.Close()
	if err := idx.Update(ctx); err != nil {
		return err
	}
	if !idx.Firm().SetUp {
		return usageErr("set up the firm before running the %s job", j.name)
	}
	if date.IsZero() {
		date = domain.DateOf(time.Now(), idx.Location())
	}
	svc := billing.New(billing.Config{Store: s, Now: time.Now, NewID: uuid.New})
	failed, err := j.run(ctx, svc, idx.Models(), idx.Update, date, out)
	if err != nil {
		return err
	}
	for _, e := range failed {
		fmt.Fprintln(out, "  failed:", e.Error())
	}
	// Leave the read models up to date with what the job appended.
	if err := idx.Update(ctx); err != nil {
		return err
	}
	if len(failed) > 0 {
		return problemErr("%d %s failed (listed above); run again to retry them", len(failed), j.what)
	}
	return nil
}
