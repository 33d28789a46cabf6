package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"sort"
	"time"

	"remit/domain/invoice"
	"remit/internal/metrics"
	"remit/internal/sqlitemem"
	"remit/processes/billingrun"
	"remit/web/api"
)

// readiness is GET /readyz's checks: the store answers its head; every read
// model is within cfg.ReadyMaxLag events of it and its runner has not
// failed; the outbox and ledger sync, when configured, run on this node
// with their loops turning, or stand by while another node holds their
// lease (named); and who holds the scheduler's lease. Each is a lookup in
// memory or one small query: no scan of the log.
func (a *App) readiness(cfg Config) func(ctx context.Context) []api.ReadyCheck {
	return func(ctx context.Context) []api.ReadyCheck {
		var checks []api.ReadyCheck
		head, err := a.Store.Head(ctx)
		if err != nil {
			a.log.WarnContext(ctx, "readiness: the store does not answer", "err", err)
			return append(checks, api.ReadyCheck{Name: "store", Detail: "the event store does not answer"})
		}
		checks = append(checks, api.ReadyCheck{Name: "store", OK: true})
		if a.Runner != nil {
			if err := a.Runner.Err(); err != nil {
				checks = append(checks, api.ReadyCheck{Name: "read_models", Detail: "the read models stopped: " + err.Error()})
			}
			cps := a.Runner.Checkpoints()
			names := make([]string, 0, len(cps))
			for n := range cps {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				lag := head - min(cps[n], head)
				c := api.ReadyCheck{Name: "projection:" + n, OK: lag <= cfg.ReadyMaxLag}
				if !c.OK {
					c.Detail = fmt.Sprintf("%d events behind the head (at most %d)", lag, cfg.ReadyMaxLag)
				}
				checks = append(checks, c)
			}
		}
		if !cfg.NoOutbox {
			c := api.ReadyCheck{Name: "outbox", Detail: "the email outbox is not running"}
			if a.Outbox != nil {
				st, _ := a.Outbox.Stats(ctx)
				c = a.workerCheck(ctx, "outbox", "the email outbox", st.Running, st.LastBeat, st.TickInterval)
			}
			checks = append(checks, c)
		}
		if !cfg.NoLedgerSync {
			c := api.ReadyCheck{Name: "ledger_sync", Detail: "ledger sync is not running"}
			if a.Ledger != nil {
				st := a.Ledger.Stats()
				c = a.workerCheck(ctx, "ledger_sync", "ledger sync", st.Running, st.LastBeat, st.TickInterval)
			}
			checks = append(checks, c)
		}
		checks = append(checks, a.leaseChecks(ctx)...)
		return checks
	}
}

// watch registers the series read at each scrape: the log's head, each
// read model's lag, the outbox and ledger sync.
func (a *App) watch() {
	src := metrics.Sources{Head: a.Store.Head, SQLiteMemory: sqlitemem.Used}
	if a.Runner != nil {
		src.Checkpoints = a.Runner.Checkpoints
	}
	if a.Models != nil {
		src.QueryCache = func() (uint64, uint64, int) {
			st := a.Models.QueryCacheStats()
			return st.Hits, st.Misses, st.Bytes
		}
	}
	if a.Outbox != nil {
		src.Outbox = func(ctx context.Context) (int, uint64, error) {
			st, err := a.Outbox.Stats(ctx)
			return st.Queued, st.Failures, err
		}
	}
	if a.Ledger != nil {
		src.Ledger = func() (int, uint64) {
			st := a.Ledger.Stats()
			return st.Waiting, st.Failures
		}
	}
	a.Metrics.Watch(src)
}

// observeRun counts a billing run (scheduled or on demand).
func (a *App) observeRun(r billingrun.RunResult) {
	failed := r.Err != nil || len(r.Billing.Errors)+len(r.Collect.Errors) > 0
	a.Metrics.BillingRun(r.Took, r.Billing.Issued, r.Collect.Succeeded, r.Collect.Rejected, failed)
}

// countedNow counts in the payments metrics what a charge made on the spot
// came to (staff's "Retry now", a client paying today on their link).
func (a *App) countedNow(out billingrun.NowOutcome, err error) (billingrun.NowOutcome, error) {
	switch {
	case err != nil || !out.Attempted || out.Pending:
	case out.Status == invoice.StatusPaid:
		a.Metrics.Collected(1, 0)
	case out.Status == invoice.StatusPaymentRejected:
		a.Metrics.Collected(0, 1)
	}
	return out, err
}

// openMetrics serves GET /metrics (and the Go runtime's profiles under
// /debug/pprof/) on cfg.MetricsAddr, an address of its own: Prometheus
// scrapes it from inside the operator's network, and the public listener,
// which clients' links reach, never shows it.
func (a *App) openMetrics(cfg Config) error {
	if cfg.MetricsAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (metrics): %w", cfg.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics.Handler())
	// The Go runtime's profiles, for an operator finding where memory or
	// CPU time goes under a real load: sizes, counts and stacks of code,
	// never data. Not /debug/pprof/cmdline: the command line can hold a
	// database URL with its password.
	for _, name := range []string{"heap", "allocs", "goroutine"} {
		mux.Handle("GET /debug/pprof/"+name, pprof.Handler(name))
	}
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	a.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute}
	a.metricsURL = "http://" + ln.Addr().String()
	go func() {
		if err := a.metricsSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("metrics server stopped", "err", err)
		}
	}()
	return nil
}

// MetricsURL is where GET /metrics is served ("" without
// Config.MetricsAddr), e.g. "http://127.0.0.1:9090".
func (a *App) MetricsURL() string { return a.metricsURL }
