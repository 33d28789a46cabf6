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
	"remit/processes/reminders"
	"remit/projections"
)

func newProposalsCmd(env Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "proposals",
		Short: "Proposals: run the daily reminders and expiry job",
	}
	c.AddCommand(newProposalsRemindCmd(env))
	return c
}

func newProposalsRemindCmd(env Env) *cobra.Command {
	var so storeOpts
	var asOf string
	c := &cobra.Command{
		Use:   "remind",
		Short: "Send the proposal reminders due and expire proposals whose expiry date has come",
		Long: `Run the daily proposals job for a date (default: today in the firm's time zone), as remit serve
does after each day's billing run: every sent proposal not yet answered gets its next reminder
when it is due by the firm's proposal settings (days after sending; default 3, 7 and 14), emailed
by the outbox to each signatory who has not signed, and a proposal whose expiry date has come
(its own, else the firm's default after sending) is expired. One reminder per proposal per run.
Running it again for the same date does nothing new. It reads the read models (DATA/readmodels.db,
or --read-models), applying what they miss of the log first.
Exits 0 when every proposal due went through, 1 when some failed (listed), 2 on bad usage.`,
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
				return usageErr("set up the firm before running the proposals job")
			}
			if date.IsZero() {
				date = domain.DateOf(time.Now(), idx.Location())
			}
			svc := billing.New(billing.Config{Store: s, Now: time.Now, NewID: uuid.New})
			rep, err := reminders.Run(ctx, reminders.Config{Billing: svc, Models: idx.Models(), Actor: "cli:proposals"}, date)
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			fmt.Fprintf(out, "proposals job for %s: %d proposals due: %d reminders sent, %d expired, %d already done\n",
				date, rep.Due, rep.Reminded, rep.Expired, rep.Already)
			for _, e := range rep.Errors {
				fmt.Fprintln(out, "  failed:", e.Error())
			}
			// Leave the read models up to date with what the job appended.
			if err := idx.Update(ctx); err != nil {
				return err
			}
			if len(rep.Errors) > 0 {
				return problemErr("%d proposals failed (listed above); run again to retry them", len(rep.Errors))
			}
			return nil
		},
	}
	storeFlags(c, env, &so)
	readModelsFlag(c, env, &so)
	c.Flags().StringVar(&asOf, "as-of", "", "run as of this date (YYYY-MM-DD; default today in the firm's time zone)")
	return c
}
