package cli

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"remit/billing"
	"remit/domain"
	"remit/processes/billingrun"
	"remit/processes/dunning"
	"remit/projections"
)

func newDunningCmd(env Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "dunning",
		Short: "Payment chasing: run the daily dunning job",
	}
	c.AddCommand(newDunningRunCmd(env))
	return c
}

func newDunningRunCmd(env Env) *cobra.Command {
	var so storeOpts
	var asOf string
	c := &cobra.Command{
		Use:   "run",
		Short: "Take the steps of the firm's dunning policy due: reminders, the final action, write-offs",
		Long: `Run the daily dunning job for a date (default: today in the firm's time zone), as remit serve
does after each day's billing run and collection: every invoice not collected automatically gets
the reminder of the firm's dunning policy due by then (days before its due date, on it, after it),
emailed by the outbox to the client's primary billing contact; an invoice whose automatic retries
ran out is recorded so, with the policy's final action (the client's services switched to manual,
or left) and its final notice; and an invoice whose write-off date has come is written off.
Invoices whose reminders are paused are skipped. Running it again for the same date does nothing
new. It reads the read models (DATA/readmodels.db, or --read-models), applying what they miss of
the log first.
Exits 0 when every step went through, 1 when some failed (listed), 2 on bad usage.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			var date domain.Date
			if asOf != "" {
				d, err := domain.ParseDate(asOf)
				if err != nil {
					return usageErr("--as-of %q: give a date as YYYY-MM-DD", asOf)
				}
				date = d
			}
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
				return usageErr("set up the firm before running the dunning job")
			}
			if date.IsZero() {
				date = domain.DateOf(time.Now(), idx.Location())
			}
			svc := billing.New(billing.Config{Store: s, Now: time.Now, NewID: uuid.New})
			rep, err := dunning.Run(ctx, dunning.Config{Billing: svc, Models: idx.Models(), Actor: "cli:dunning"}, date)
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			fmt.Fprintf(out, "dunning job for %s: %d invoices open: %d reminders sent, %d retries ran out, %d services switched to manual, %d written off, %d paused, %d already done\n",
				date, rep.Open, rep.Reminded, rep.Exhausted, rep.Switched, rep.WrittenOff, rep.Paused, rep.Already)
			for _, e := range rep.Errors {
				fmt.Fprintln(out, "  failed:", e.Error())
			}
			if err := idx.Update(ctx); err != nil {
				return err
			}
			if len(rep.Errors) > 0 {
				return problemErr("%d steps failed (listed above); run again to retry them", len(rep.Errors))
			}
			return nil
		},
	}
	storeFlags(c, env, &so)
	readModelsFlag(c, env, &so)
	c.Flags().StringVar(&asOf, "as-of", "", "run as of this date (YYYY-MM-DD; default today in the firm's time zone)")
	return c
}
