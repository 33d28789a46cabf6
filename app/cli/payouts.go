package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"remit/integrations/payments/gateways"
	"remit/processes/payouts"
)

func newPayoutsCmd(env Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "payouts",
		Short: "The payment gateway's payouts to the firm's bank account, with their fees",
		Args:  cobra.NoArgs,
	}
	c.AddCommand(newPayoutsSyncCmd(env))
	return c
}

func newPayoutsSyncCmd(env Env) *cobra.Command {
	var so storeOpts
	var po gatewayOpts
	c := &cobra.Command{
		Use:   "sync",
		Short: "Record the payouts the payment gateway made since the last one recorded",
		Long: `Ask the payment gateway (--gateway: the sandbox, or Stripe) for its payouts since a week
before the last one recorded, and record each payout not yet recorded, with every charge,
refund, dispute and fee it settles (PayoutRecorded), and each recorded payout the gateway
reports failed (PayoutFailed). remit serve does this every day after the billing run; running
it again, or beside remit serve, records nothing twice. Exits 0 on success, 1 when the gateway
answered a payout whose lines do not add up (listed, and not recorded), 2 on bad usage.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			cfg := po.config(so.dir)
			if err := cfg.Validate(); err != nil {
				return usageErr("%v", err)
			}
			s, err := so.open(ctx, false)
			if err != nil {
				return err
			}
			defer s.Close()
			gw, _, err := gateways.Open(cfg)
			if err != nil {
				return err
			}
			if cl, ok := gw.(io.Closer); ok {
				defer cl.Close()
			}
			rep, err := payouts.Sync(ctx, payouts.Config{Store: s, Gateway: gw, Now: time.Now})
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			fmt.Fprintf(out, "%s: %d payouts listed, %d recorded, %d recorded as failed\n", gw.Name(), rep.Listed, rep.Recorded, rep.Failed)
			for _, r := range rep.Refused {
				fmt.Fprintln(out, "  refused:", r)
			}
			if len(rep.Refused) > 0 {
				return problemErr("%d payouts refused", len(rep.Refused))
			}
			return nil
		},
	}
	storeFlags(c, env, &so)
	gatewayFlags(c, env, &po)
	return c
}
