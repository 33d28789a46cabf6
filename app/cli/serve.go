package cli

import (
	"context"
	"fmt"
	"net/mail"
	"time"

	"remit/app"
	"remit/integrations/payments/gateways"
	"remit/web/api"

	"github.com/spf13/cobra"
)

// DefaultAddr is where remit serve listens unless --addr or REMIT_ADDR says
// otherwise.
const DefaultAddr = "127.0.0.1:8080"

func addrFlag(c *cobra.Command, env Env, addr *string) {
	def := env.Getenv("REMIT_ADDR")
	if def == "" {
		def = DefaultAddr
	}
	c.Flags().StringVar(addr, "addr", def, "HTTP listen address (env REMIT_ADDR)")
}

// serveUntilDone runs Remit until ctx is done (SIGINT or SIGTERM), then shuts
// it down gracefully: requests in flight finish, every accepted append is on
// disk (the read models keep their checkpoints with their rows, so there is
// nothing of theirs left to write).
func serveUntilDone(ctx context.Context, env Env, so storeOpts, addr string, mo mailOpts, oo opsOpts, pc gateways.Config, ao anchorOpts) error {
	if mo.staff != "" {
		if _, err := mail.ParseAddress(mo.staff); err != nil {
			return usageErr("--staff-email %q: give an email address (%v)", mo.staff, err)
		}
	}
	logger, err := newLogger(env.Stderr, oo.logFormat)
	if err != nil {
		return err
	}
	jobs, err := ao.startup(ctx, so, mo)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, app.Config{DataDir: so.dir, StoreURL: so.url, ReadModelsURL: so.readModels, KeysDir: so.keys, Addr: addr, Logger: logger, SMTPURL: mo.smtp, MailFrom: mo.from, StaffEmail: mo.staff,
		NoAuth: mo.noAuth, SecureCookies: mo.secureCookies, PublicURL: mo.publicURL, Payments: pc,
		MetricsAddr: oo.metricsAddr, ReadyMaxLag: oo.readyMaxLag, Limits: api.Limits{ClientIPHeader: oo.clientIPHeader}, Jobs: jobs, NodeName: oo.nodeName,
		MemoryLimit: oo.memoryLimitMiB << 20, SQLiteMemoryLimit: oo.sqliteLimitMiB << 20})
	if err != nil {
		if ue := asUsage(err); ue != nil {
			return ue
		}
		return err
	}
	fmt.Fprintf(env.Stdout, "Remit is serving %s on %s\n(API under /api/, its OpenAPI document at /api/openapi.json; Ctrl-C or SIGTERM stops it)\n", so.describe(), a.URL())
	if u := a.MetricsURL(); u != "" {
		fmt.Fprintf(env.Stdout, "Prometheus metrics at %s/metrics\n", u)
	}
	<-ctx.Done()
	logger.Info("shutting down")
	start := time.Now()
	if err := a.Close(); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	logger.Info("stopped", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func newServeCmd(env Env) *cobra.Command {
	var so storeOpts
	var addr string
	var mo mailOpts
	var oo opsOpts
	var po gatewayOpts
	var ao anchorOpts
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run Remit: the web UI and the JSON API on the event store",
		Long: `Run Remit on the event store: the embedded store in --data (default ./remit-data), or
PostgreSQL / KurrentDB with --store. The read models live in DATA/readmodels.db, or in
PostgreSQL (tables rm_*: the store's database, or --read-models); they are caught up with
the log from their checkpoints before the server starts. SIGINT or SIGTERM stops it
gracefully: requests in flight finish and nothing accepted is lost.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := so.checkReadModels(); err != nil {
				return err
			}
			pc := po.config(so.dir)
			if err := pc.Validate(); err != nil {
				return usageErr("%v", err)
			}
			return serveUntilDone(c.Context(), env, so, addr, mo, oo, pc, ao)
		},
	}
	storeFlags(c, env, &so)
	readModelsFlag(c, env, &so)
	addrFlag(c, env, &addr)
	mailFlags(c, env, &mo)
	opsFlags(c, env, &oo)
	gatewayFlags(c, env, &po)
	anchorFlags(c, env, &ao)
	return c
}

// gatewayOpts say which payment gateway collects payments.
type gatewayOpts struct {
	gateway, stripeKey, stripeWebhookSecret, stripeURL string
}

func gatewayFlags(c *cobra.Command, env Env, o *gatewayOpts) {
	gw := env.Getenv("REMIT_GATEWAY")
	if gw == "" {
		gw = gateways.Sandbox
	}
	c.Flags().StringVar(&o.gateway, "gateway", gw, "payment gateway: sandbox (test cards and accounts, charges kept in DATA) or stripe (env REMIT_GATEWAY)")
	c.Flags().StringVar(&o.stripeKey, "stripe-key", env.Getenv("REMIT_STRIPE_KEY"), "Stripe secret API key, sk_…; prefer the environment, which other users cannot list (env REMIT_STRIPE_KEY)")
	c.Flags().StringVar(&o.stripeWebhookSecret, "stripe-webhook-secret", env.Getenv("REMIT_STRIPE_WEBHOOK_SECRET"), "signing secret of the Stripe webhook endpoint at /api/webhooks/stripe, whsec_… (env REMIT_STRIPE_WEBHOOK_SECRET)")
	c.Flags().StringVar(&o.stripeURL, "stripe-url", env.Getenv("REMIT_STRIPE_URL"), "Stripe API base URL, for stripe-mock (env REMIT_STRIPE_URL; default Stripe's own)")
}

// config is the gateway configuration the flags say, for the data folder dir.
func (o gatewayOpts) config(dir string) gateways.Config {
	return gateways.Config{Gateway: o.gateway, DataDir: dir, StripeKey: o.stripeKey, StripeWebhookSecret: o.stripeWebhookSecret, StripeURL: o.stripeURL}
}

// mailOpts say where emails go, and how the server lets people in.
type mailOpts struct {
	smtp          string
	from          string
	staff         string
	noAuth        bool
	secureCookies bool
	publicURL     string
}

func mailFlags(c *cobra.Command, env Env, o *mailOpts) {
	c.Flags().StringVar(&o.smtp, "smtp", env.Getenv("REMIT_SMTP_URL"), "SMTP server for emails, smtp://[user:pass@]host[:port][?starttls=false]; empty writes .eml files to DATA/outbox (env REMIT_SMTP_URL)")
	from := env.Getenv("REMIT_MAIL_FROM")
	if from == "" {
		from = "remit@localhost"
	}
	c.Flags().StringVar(&o.from, "mail-from", from, "the firm's sending address (env REMIT_MAIL_FROM)")
	c.Flags().StringVar(&o.staff, "staff-email", env.Getenv("REMIT_STAFF_EMAIL"), "where emails for the firm's staff go, e.g. a disputed payment (env REMIT_STAFF_EMAIL; default the sending address)")
	c.Flags().StringVar(&o.publicURL, "public-url", env.Getenv("REMIT_PUBLIC_URL"), "where clients reach Remit, for the links in emails, e.g. https://billing.example.com (env REMIT_PUBLIC_URL; default the listen address)")
	c.Flags().BoolVar(&o.noAuth, "no-auth", env.Getenv("REMIT_NO_AUTH") == "1", "serve without users, sessions or tokens (local development only; env REMIT_NO_AUTH=1)")
	c.Flags().BoolVar(&o.secureCookies, "secure-cookies", env.Getenv("REMIT_SECURE_COOKIES") == "1", "mark session cookies Secure (behind a TLS proxy; env REMIT_SECURE_COOKIES=1)")
}
