package app

import (
	"context"
	"errors"
	"time"

	"remit/eventstore"
	"remit/integrations/payments"
	"remit/processes/billingrun"
	"remit/processes/payouts"
)

// payoutSync is the daily payout sync the scheduler runs after collection:
// the gateway's payouts since the last one recorded, each recorded once
// (package processes/payouts). A gateway without payouts skips it.
func (a *App) payoutSync(store eventstore.Store, gw payments.Gateway, cfg Config) func(context.Context, time.Time) ([]billingrun.Done, error) {
	if _, ok := gw.(payments.PayoutSource); !ok {
		return nil
	}
	return func(ctx context.Context, _ time.Time) ([]billingrun.Done, error) {
		rep, err := payouts.Sync(ctx, payouts.Config{Store: store, Gateway: gw, Now: cfg.Now, Logger: cfg.Logger})
		if errors.Is(err, payouts.ErrNoPayouts) {
			return nil, nil
		}
		a.log.Info("payout sync", "listed", rep.Listed, "recorded", rep.Recorded, "failed", rep.Failed, "err", err)
		return billingrun.Count(nil, rep.Recorded, "payout recorded", "payouts recorded"), err
	}
}
