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
func (a *App) proposalsJob(store eventstore.Store) billingrun.Job {
	return func(ctx context.Context, asOf domain.Date) ([]billingrun.Done, error) {
		rep, err := reminders.Run(ctx, reminders.Config{
			Billing: a.Billing, Models: a.Models, UpToDate: billingrun.WaitFor(store, a.Runner), Logger: a.log,
		}, asOf)
		for _, e := range rep.Errors {
			a.log.Warn("proposals job", "as_of", asOf, "err", e)
		}
		did := billingrun.Count(nil, rep.Reminded, "proposal reminder sent", "proposal reminders sent")
		did = billingrun.Count(did, rep.Expired, "proposal expired", "proposals expired")
		return billingrun.Failures(did, len(rep.Errors)), err
	}
}

// dunningJob is the daily dunning job the scheduler runs after the billing
// run and collection, for the run's date: reminders, the final action when
// retries ran out, write-offs (processes/dunning). An invoice it could not
// act on is logged, not an error of the run: the next day's run tries again.
func (a *App) dunningJob(store eventstore.Store) billingrun.Job {
	return func(ctx context.Context, asOf domain.Date) ([]billingrun.Done, error) {
		rep, err := dunning.Run(ctx, dunning.Config{
			Billing: a.Billing, Models: a.Models, UpToDate: billingrun.WaitFor(store, a.Runner), Logger: a.log,
		}, asOf)
		for _, e := range rep.Errors {
			a.log.Warn("dunning job", "as_of", asOf, "err", e)
		}
		return dunningDone(rep), err
	}
}

// dunningDone is what a dunning run did, for the billing run's summary.
func dunningDone(rep dunning.Report) []billingrun.Done {
	did := billingrun.Count(nil, rep.Reminded, "payment reminder sent", "payment reminders sent")
	did = billingrun.Count(did, rep.Exhausted, "final action taken (retries ran out)", "final actions taken (retries ran out)")
	did = billingrun.Count(did, rep.Switched, "service switched to manual", "services switched to manual")
	did = billingrun.Count(did, rep.WrittenOff, "invoice written off", "invoices written off")
	did = billingrun.Count(did, rep.Digest, "daily digest emailed to staff", "daily digests emailed to staff")
	return billingrun.Failures(did, len(rep.Errors))
}
