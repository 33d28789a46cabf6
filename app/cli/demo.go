package cli

import (
	"context"
	"fmt"
	"remit/integrations/payments/gateways"
	"time"

	"remit/app/demo"
	"remit/domain"
	"remit/domain/user"
	"remit/eventstore"
	"remit/web/auth"

	"github.com/spf13/cobra"
)

// DemoOwnerEmail is the demo firm's owner, who signs in to the demo.
const DemoOwnerEmail = "owner@harbour.example"

// demoOwner adds the demo's owner (password from REMIT_PASSWORD, or a random
// one) and a write token, and prints both once, with a request to addr (where
// the demo serves) that uses the token.
func demoOwner(ctx context.Context, env Env, s eventstore.Store, addr string) error {
	a, err := auth.New(auth.Config{Store: s})
	if err != nil {
		return err
	}
	pw := env.Getenv("REMIT_PASSWORD")
	if pw == "" {
		pw = randomPassword()
	}
	id, err := a.AddUser(ctx, auth.NewUser{Email: DemoOwnerEmail, Name: "Demo Owner", Role: user.RoleOwner, Password: pw}, "cli:demo")
	if err != nil {
		return fmt.Errorf("add the demo owner: %w", err)
	}
	tok, err := a.CreateToken(ctx, id, "demo", user.ScopeWrite, nil, "cli:demo")
	if err != nil {
		return fmt.Errorf("make the demo token: %w", err)
	}
	fmt.Fprintf(env.Stdout, "\nSign in as %s with password %s (shown once)\nAPI token (write, shown once): %s\n  e.g. curl -H 'Authorization: Bearer %s' http://%s/api/clients\n\n", DemoOwnerEmail, pw, tok.Token, tok.Token, addr)
	return nil
}

func newDemoCmd(env Env) *cobra.Command {
	var so storeOpts
	var addr string
	var mo mailOpts
	var oo opsOpts
	var loadOnly bool
	var clients int
	var seed uint64
	c := &cobra.Command{
		Use:   "demo",
		Short: "Load a realistic demo firm (about 50 clients, a year of history) and serve it",
		Long: `Load a realistic demo firm into the data folder and serve it: about 50 clients with
contacts and payment methods, proposals, services of every billing rule, and a year of
history ending today with paid, partly paid, overdue, rejected, written-off and voided
invoices. Everything is loaded through the same commands staff use, so the log is real.
When the data folder already holds events, nothing is loaded and its data is served.
--load-only loads and exits (refused when the folder is not empty).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			// Loading records each event at its simulated moment (capped
			// at the real time); serving afterwards records real time.
			clk := demo.NewClock(nil)
			loading := so
			loading.clock = clk.Recorded
			s, err := loading.open(ctx, false)
			if err != nil {
				return err
			}
			head, err := s.Head(ctx)
			if err != nil {
				s.Close()
				return err
			}
			out := c.OutOrStdout()
			switch {
			case head > 0 && loadOnly:
				s.Close()
				return usageErr("%s already holds %d events: load the demo into an empty data folder (--data)", so.describe(), head)
			case head > 0:
				fmt.Fprintf(out, "%s already holds %d events: serving them as they are\n", so.describe(), head)
			default:
				loc, err := time.LoadLocation(demo.FirmTimeZone)
				if err != nil {
					s.Close()
					return fmt.Errorf("load the demo firm's time zone: %w", err)
				}
				bar := newProgress(env.Stderr, "demo: simulating days")
				start := time.Now()
				sum, err := demo.Load(ctx, s, demo.Options{Today: domain.DateOf(time.Now(), loc), Seed: seed, Clients: clients, Progress: bar.Update, Clock: clk})
				bar.Finish()
				if err != nil {
					s.Close()
					return err
				}
				fmt.Fprintf(out, "loaded in %s:\n%s", time.Since(start).Round(time.Millisecond), sum)
				if err := demoOwner(ctx, env, s, addr); err != nil {
					s.Close()
					return err
				}
			}
			if err := s.Close(); err != nil {
				return err
			}
			if loadOnly {
				return nil
			}
			return serveUntilDone(ctx, env, so, addr, mo, oo, gateways.Config{}, anchorOpts{})
		},
	}
	storeFlags(c, env, &so)
	addrFlag(c, env, &addr)
	mailFlags(c, env, &mo)
	opsFlags(c, env, &oo)
	c.Flags().BoolVar(&loadOnly, "load-only", false, "load the demo and exit without serving")
	c.Flags().IntVar(&clients, "clients", 0, fmt.Sprintf("how many clients (default %d, at least %d)", demo.DefaultClients, demo.MinClients))
	c.Flags().Uint64Var(&seed, "seed", 1, "the demo's random seed: the same seed loads the same data")
	return c
}
