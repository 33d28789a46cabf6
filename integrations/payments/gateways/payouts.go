package gateways

import (
	"context"
	"time"

	"remit/integrations/payments"
	"remit/processes/payouts"
)

// syncPayouts is what Stripe's payout.paid and payout.failed webhooks do:
// run the payout sync (package processes/payouts), which records the payout
// (or its failure) once, however often Stripe sends the event.
func syncPayouts(cfg Config, gw payments.Gateway) func(ctx context.Context, eventID, payoutID string) error {
	return func(ctx context.Context, eventID, payoutID string) error {
		now := cfg.Now
		if now == nil {
			now = time.Now
		}
		rep, err := payouts.Sync(ctx, payouts.Config{Store: cfg.Store, Gateway: gw, Now: now, Logger: cfg.Logger})
		if cfg.Logger != nil {
			cfg.Logger.Info("stripe webhook: payout sync", "event", eventID, "payout", payoutID, "recorded", rep.Recorded, "failed", rep.Failed, "err", err)
		}
		return err
	}
}
