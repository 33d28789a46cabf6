package cli

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"remit/billing"
	"remit/domain"
	"remit/integrations/payments/gateways"
	"remit/processes/billingrun"
	"remit/projections"
)

func newBillCmd(env Env) *cobra.Command {
	var so storeOpts
	var asOf string
	var collect, dryRun bool
	var po gatewayOpts
	c := &cobra.Command{
		Use:   "bill",
		Short: "Run billing now: invoice due schedule items (and collect payments with --collect)",
		Long: `Run the billing run for a date (default: today in the firm's time zone): every automatic
schedule item dated on or before it, and every manual item scheduled to be issued by then, is
invoiced, one invoice per client, date and payment method; collection is scheduled on the
firm's collection date. An item whose date has passed (a catch-up) is invoiced on the run's
date, or recorded as skipped when the firm skips missed billings. Every date the run computes
(issue, due, collection and retry dates) counts from --as-of, not from today. With --collect, every invoice whose collection or retry date has come
is then charged through the payment gateway (--gateway: the sandbox, whose charges are kept
in the data folder, or Stripe), and rejected payments are retried by the firm's policy.
Running it again for the same date does nothing new.
The run decides from the read models (DATA/readmodels.db, or --read-models): it first applies
what they miss of the log (or, when a remit serve is running, waits for it to), and before
exiting applies what it appended, so they show what it did.
With --dry-run it writes nothing (the log's head is unchanged) and prints what the run
as of the date would do, decided by the run's own code: each invoice it would issue
(client, lines with quantity, price and tax, totals, payment method, collection date; no
number: numbers are given when issued) and each payment collection would then take,
including invoices already issued whose collection or retry falls due by then.
Exits 0 when everything went through, 1 when some invoices or collections failed (listed),
2 on bad usage.`,
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
			if dryRun && collect {
				return usageErr("--dry-run writes and charges nothing: drop --collect (the dry run lists the payments collection would take)")
			}
			if err := po.config(so.dir).Validate(); err != nil {
				return usageErr("%v", err)
			}
			// This process does one run and exits: see BulkGC.
			defer billingrun.BulkGC()()
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
			svc := billing.New(billing.Config{Store: s, Now: time.Now, NewID: uuid.New})
			// The run reads the read models: this process applies what they
			// miss, or waits for a running remit serve (which holds their
			// lease) to.
			rmBar := newProgress(env.Stderr, "read models")
			idx, err := billingrun.OpenIndexOn(ctx, s, db, projections.RunnerOptions{
				Logger:   slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
				Progress: func(_ string, pos, head uint64) { rmBar.Update(int(pos), int(head)) },
			})
			if err != nil {
				return err
			}
			defer idx.Close()
			err = idx.Update(ctx)
			rmBar.Finish()
			if err != nil {
				return err
			}
			if !idx.Firm().SetUp {
				return usageErr("set up the firm before running billing")
			}
			if date.IsZero() {
				date = domain.DateOf(time.Now(), idx.Location())
			}
			out := c.OutOrStdout()
			if dryRun {
				rep, err := billingrun.Run(ctx, s, svc, date, billingrun.Options{Index: idx, Actor: "cli:bill", DryRun: true})
				if err != nil {
					return err
				}
				printPreview(out, rep)
				if len(rep.Errors) > 0 {
					return problemErr("%d invoices would fail (listed above)", len(rep.Errors))
				}
				return nil
			}
			bar := newProgress(env.Stderr, "bill")
			rep, err := billingrun.Run(ctx, s, svc, date, billingrun.Options{Index: idx, Actor: "cli:bill", Progress: func(p billingrun.Progress) { bar.Update(p.Done, p.Total) }})
			bar.Finish()
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "billing run for %s: %d due items in %d invoices: %d issued, %d already issued, %d completed after an interruption; %d collections scheduled\n",
				date, rep.Items, rep.Groups, rep.Issued, rep.AlreadyIssued, rep.Interrupted, rep.CollectionsScheduled)
			if rep.NumbersVoided > 0 {
				what := "numbers"
				if rep.NumbersVoided == 1 {
					what = "number"
				}
				fmt.Fprintf(out, "  %d stranded invoice %s voided (reserved by requests that stopped before issuing their invoice)\n", rep.NumbersVoided, what)
			}
			if rep.Skipped > 0 {
				fmt.Fprintf(out, "%d missed billings skipped (the firm skips missed billings)\n", rep.Skipped)
			}
			failed := len(rep.Errors)
			for _, e := range rep.Errors {
				fmt.Fprintln(out, "  failed:", e.Error())
			}
			if collect {
				gw, _, err := gateways.Open(po.config(so.dir))
				if err != nil {
					return err
				}
				if c, ok := gw.(io.Closer); ok {
					defer c.Close()
				}
				bar := newProgress(env.Stderr, "collect")
				crep, err := billingrun.Collect(ctx, s, svc, gw, date, billingrun.CollectOptions{Index: idx, Actor: "cli:bill", Progress: func(p billingrun.Progress) { bar.Update(p.Done, p.Total) }})
				bar.Finish()
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "collection for %s: %d due: %d paid, %d rejected, %d pending (bank debits not settled yet); %d retries scheduled, %d left for staff after the last retry\n",
					date, crep.Due, crep.Succeeded, crep.Rejected, crep.Pending, crep.RetriesScheduled, crep.GaveUp)
				failed += len(crep.Errors)
				for _, e := range crep.Errors {
					fmt.Fprintln(out, "  failed:", e.Error())
				}
			}
			// Leave the read models up to date with what the run appended,
			// so that the next command (or a serve started later) does not
			// apply it first.
			if err := idx.Update(ctx); err != nil {
				return err
			}
			if failed > 0 {
				return problemErr("%d invoices or collections failed (listed above); run again to retry them", failed)
			}
			return nil
		},
	}
	storeFlags(c, env, &so)
	readModelsFlag(c, env, &so)
	c.Flags().StringVar(&asOf, "as-of", "", "bill as of this date (YYYY-MM-DD; default today in the firm's time zone)")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "write nothing: print the invoices the run would issue and the payments collection would take")
	c.Flags().BoolVar(&collect, "collect", false, "also collect due payments through the payment gateway and schedule retries")
	gatewayFlags(c, env, &po)
	return c
}

// printPreview prints a dry run: each invoice with its lines and totals,
// then each payment collection would take.
func printPreview(out io.Writer, rep billingrun.Report) {
	p := rep.Preview
	if p == nil {
		p = &billingrun.Preview{AsOf: rep.AsOf}
	}
	fmt.Fprintf(out, "dry run of the billing run for %s: nothing was written; invoice numbers are given when issued\n", rep.AsOf)
	fmt.Fprintf(out, "%d invoices would be issued:\n", len(p.Invoices))
	for _, pi := range p.Invoices {
		st := pi.Invoice
		method, collect := "no payment method", ""
		if pi.PaymentMethod != "" {
			method = pi.PaymentMethod
		}
		if !st.Collection.Date.IsZero() {
			collect = ", collected " + st.Collection.Date.String()
		}
		fmt.Fprintf(out, "  %s: issued %s, due %s, %s%s\n", pi.ClientName, st.IssueDate, st.DueDate, method, collect)
		for _, l := range st.Lines {
			fmt.Fprintf(out, "    %s: %s x %s, tax %s%% = %s\n", l.Description, l.Quantity, l.UnitPrice, l.TaxRate, l.Amounts.Gross)
		}
		fmt.Fprintf(out, "    total %s (net %s, tax %s)\n", st.Totals.Gross, st.Totals.Net, st.Totals.Tax)
	}
	if rep.Skipped > 0 {
		fmt.Fprintf(out, "%d missed billings would be skipped (the firm skips missed billings)\n", rep.Skipped)
	}
	fmt.Fprintf(out, "%d payments would be collected:\n", len(p.Collections))
	for _, c := range p.Collections {
		what := "the new invoice"
		if c.Issued {
			what = "invoice " + c.Number
		}
		retry := ""
		if c.Retry {
			retry = " (a retry)"
		}
		fmt.Fprintf(out, "  %s: %s, %s from %s on %s%s\n", c.ClientName, what, c.Amount, c.PaymentMethod, c.Date, retry)
	}
	for _, e := range rep.Errors {
		fmt.Fprintln(out, "  would fail:", e.Error())
	}
}
