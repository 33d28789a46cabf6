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
func serveUntilDone(ctx context.Context, env Env, so storeOpts, addr string) error {
	logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := app.Open(ctx, app.Config{DataDir: so.dir, StoreURL: so.url, Addr: addr, Logger: logger})
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
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run Remit: the JSON API (and later the web UI) on the event store",
		Long: `Run Remit on the event store: the embedded store in --data (default ./remit-data), or
PostgreSQL / KurrentDB with --store. Read models are restored from DATA/projections and
caught up with the log before the server starts. SIGINT or SIGTERM stops it gracefully:
requests in flight finish and nothing accepted is lost.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return serveUntilDone(c.Context(), env, so, addr)
		},
	}
	storeFlags(c, env, &so)
	addrFlag(c, env, &addr)
	return c
}
