package app

import (
	"context"

	"remit/domain"
	"remit/eventstore"
	"remit/processes/billingrun"
	"remit/processes/priceincreases"
)

// priceIncreases is the configuration of the price increase planner and
// its daily job, over the app's billing service and read models.
func (a *App) priceIncreases(store eventstore.Store) priceincreases.Config {
	return priceincreases.Config{Billing: a.Billing, Models: a.Models, UpToDate: billingrun.WaitFor(store, a.Runner), Logger: a.log}
}

// priceIncreasesJob is the daily price increases job (processes/
// priceincreases): it sends the notices due, after the billing run.
func (a *App) priceIncreasesJob(store eventstore.Store) billingrun.Job {
	return func(ctx context.Context, asOf domain.Date) ([]billingrun.Done, error) {
		rep, err := priceincreases.Run(ctx, a.priceIncreases(store), asOf)
		for _, e := range rep.Errors {
			a.log.Warn("price increases job", "as_of", asOf, "err", e)
		}
		did := billingrun.Count(nil, rep.Sent, "price increase notice sent", "price increase notices sent")
		return billingrun.Failures(did, len(rep.Errors)), err
	}
}
