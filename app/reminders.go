package app

import (
	"context"

	"remit/domain"
	"remit/eventstore"
	"remit/processes/billingrun"
	"remit/processes/dunning"
	"remit/processes/reminders"
)

// proposalsJob is the daily proposals job the scheduler runs after the
// billing run, for the run's date: reminders due and proposals expired
// (processes/reminders). A proposal it could not act on is logged, not an
// error of the run: the next day's run tries it again.
func (a *App) proposalsJob(store eventstore.Store) func(context.Context, domain.Date) error {
	return func(ctx context.Context, asOf domain.Date) error {
		rep, err := reminders.Run(ctx, reminders.Config{
			Billing: a.Billing, Models: a.Models, UpToDate: billingrun.WaitFor(store, a.Runner), Logger: a.log,
		}, asOf)
		for _, e := range rep.Errors {
			a.log.Warn("proposals job", "as_of", asOf, "err", e)
		}
		return err
	}
}

// dunningJob is the daily dunning job the scheduler runs after the billing
// run and collection, for the run's date: reminders, the final action when
// retries ran out, write-offs (processes/dunning). An invoice it could not
// act on is logged, not an error of the run: the next day's run tries again.
func (a *App) dunningJob(store eventstore.Store) func(context.Context, domain.Date) error {
	return func(ctx context.Context, asOf domain.Date) error {
		rep, err := dunning.Run(ctx, dunning.Config{
			Billing: a.Billing, Models: a.Models, UpToDate: billingrun.WaitFor(store, a.Runner), Logger: a.log,
		}, asOf)
		for _, e := range rep.Errors {
			a.log.Warn("dunning job", "as_of", asOf, "err", e)
		}
		return err
	}
}
