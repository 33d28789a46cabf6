package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"remit/billing"
	"remit/domain"
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
	}
	return dailyJob{name: "proposals", what: "proposals", run: func(ctx context.Context, svc *billing.Service, m *projections.Models, upToDate func(context.Context) error, date domain.Date, out io.Writer) ([]error, error) {
		rep, err := reminders.Run(ctx, reminders.Config{Billing: svc, Models: m, UpToDate: upToDate, Actor: "cli:proposals"}, date)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "proposals job for %s: %d proposals due: %d reminders sent, %d expired, %d already done\n",
			date, rep.Due, rep.Reminded, rep.Expired, rep.Already)
		return rep.Errors, nil
	}}.command(env, c)
}
