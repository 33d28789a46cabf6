package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"remit/billing"
	"remit/domain"
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
	}
	return dailyJob{name: "dunning", what: "steps", run: func(ctx context.Context, svc *billing.Service, m *projections.Models, upToDate func(context.Context) error, date domain.Date, out io.Writer) ([]error, error) {
		rep, err := dunning.Run(ctx, dunning.Config{Billing: svc, Models: m, UpToDate: upToDate, Actor: "cli:dunning"}, date)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "dunning job for %s: %d invoices open: %d reminders sent, %d retries ran out, %d services switched to manual, %d written off, %d paused, %d already done\n",
			date, rep.Open, rep.Reminded, rep.Exhausted, rep.Switched, rep.WrittenOff, rep.Paused, rep.Already)
		return rep.Errors, nil
	}}.command(env, c)
}
