package cli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"remit/app"

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
// it down gracefully: requests in flight finish, read-model snapshots are
// written, every accepted append is on disk.
func serveUntilDone(ctx context.Context, env Env, so storeOpts, addr string, mo mailOpts) error {
	logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := app.Open(ctx, app.Config{DataDir: so.dir, StoreURL: so.url, Addr: addr, Logger: logger, SMTPURL: mo.smtp, MailFrom: mo.from,
		NoAuth: mo.noAuth, SecureCookies: mo.secureCookies, PublicURL: mo.publicURL})
	if err != nil {
		if ue := asUsage(err); ue != nil {
			return ue
		}
		return err
	}
	fmt.Fprintf(env.Stdout, "Remit is serving %s on %s\n(API under /api/, its OpenAPI document at /api/openapi.json; Ctrl-C or SIGTERM stops it)\n", so.describe(), a.URL())
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
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run Remit: the JSON API (and later the web UI) on the event store",
		Long: `Run Remit on the event store: the embedded store in --data (default ./remit-data), or
PostgreSQL / KurrentDB with --store. Read models are restored from DATA/projections and
caught up with the log before the server starts. SIGINT or SIGTERM stops it gracefully:
requests in flight finish and nothing accepted is lost.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return serveUntilDone(c.Context(), env, so, addr, mo)
		},
	}
	storeFlags(c, env, &so)
	addrFlag(c, env, &addr)
	mailFlags(c, env, &mo)
	return c
}

// mailOpts say where emails go, and how the server lets people in.
type mailOpts struct {
	smtp          string
	from          string
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
	c.Flags().StringVar(&o.publicURL, "public-url", env.Getenv("REMIT_PUBLIC_URL"), "where clients reach Remit, for the links in emails, e.g. https://billing.example.com (env REMIT_PUBLIC_URL; default the listen address)")
	c.Flags().BoolVar(&o.noAuth, "no-auth", env.Getenv("REMIT_NO_AUTH") == "1", "serve without users, sessions or tokens (local development only; env REMIT_NO_AUTH=1)")
	c.Flags().BoolVar(&o.secureCookies, "secure-cookies", env.Getenv("REMIT_SECURE_COOKIES") == "1", "mark session cookies Secure (behind a TLS proxy; env REMIT_SECURE_COOKIES=1)")
}
