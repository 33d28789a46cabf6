// Package metrics keeps Remit's Prometheus metrics in a registry the
// program owns (never the client library's global default registry): what
// the HTTP server, the command handler, the store's appends and the billing
// run count as they happen, and what the read models, the email outbox and
// ledger sync report when Prometheus scrapes (Sources). Its one job is to
// name and shape the series; docs/operations.md lists them and
// docs/grafana/remit.json draws them.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace starts the name of every series Remit exports.
const Namespace = "remit"

// Metrics holds the series and the registry they are exported from. The
// zero value is not usable; a nil *Metrics ignores every observation, so
// code that runs without metrics (one-shot commands, tests) needs no check.
type Metrics struct {
	// Registry is where every series is registered; Handler serves it.
	Registry *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpLimited  *prometheus.CounterVec
	commands     *prometheus.CounterVec
	appendTime   prometheus.Histogram
	appendEvents prometheus.Histogram
	runs         *prometheus.CounterVec
	runTime      prometheus.Histogram
	runInvoices  prometheus.Counter
	runCollected prometheus.Counter
	runRejected  prometheus.Counter
	leases       *prometheus.GaugeVec
}

// New returns metrics with a fresh registry, holding also the Go runtime's
// and the process's standard series.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "http_requests_total",
			Help: "HTTP requests answered, by route template, method and status code."}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by route template and method.", Buckets: prometheus.DefBuckets}, []string{"route", "method"}),
		httpLimited: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "http_requests_limited_total",
			Help: "Requests to unauthenticated routes refused with 429 because their client address had too many in flight, by route template."}, []string{"route"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "commands_total",
			Help: "Commands handled, by command type and outcome (ok, already_applied, or the error code: invalid, conflict, not_found, forbidden, internal…)."}, []string{"command", "outcome"}),
		appendTime: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "store_append_duration_seconds",
			Help: "Time of one append to the event store (a durable commit).", Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}),
		appendEvents: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "store_append_events",
			Help: "Events written by one append (its batch size).", Buckets: []float64{1, 2, 3, 5, 10, 25, 50, 100, 250, 1000}}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "billing_runs_total",
			Help: "Billing runs finished, by result (ok, or failed when the run or one of its invoices or charges failed)."}, []string{"result"}),
		runTime: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "billing_run_duration_seconds",
			Help: "Time of one billing run with its collection.", Buckets: []float64{.05, .1, .5, 1, 5, 10, 30, 60, 300, 900, 3600}}),
		runInvoices: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "billing_invoices_issued_total",
			Help: "Invoices issued by billing runs."}),
		runCollected: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "billing_payments_collected_total",
			Help: "Payments collected by billing runs."}),
		runRejected: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "billing_payments_rejected_total",
			Help: "Payments the gateway rejected during billing runs."}),
		leases: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: "lease_held",
			Help: "1 while this node holds the lease of a background job (scheduler, outbox, ledger_sync) and runs it, else 0; across a cluster each lease's series sum to 1."}, []string{"lease"}),
	}
	reg.MustRegister(m.httpRequests, m.httpDuration, m.httpLimited, m.commands, m.appendTime, m.appendEvents,
		m.runs, m.runTime, m.runInvoices, m.runCollected, m.runRejected, m.leases)
	return m
}

// Handler serves the registry in the Prometheus text format (or
// OpenMetrics, when the scraper asks for it).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry, EnableOpenMetrics: true})
}

// HTTPRequest counts one answered request. route is the route's template
// (/api/clients/{id}), never the path, so ids do not make new series.
func (m *Metrics) HTTPRequest(route, method string, status int, took time.Duration) {
	if m == nil {
		return
	}
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(took.Seconds())
}

// Limited counts a request refused for too many in flight from its address.
func (m *Metrics) Limited(route string) {
	if m == nil {
		return
	}
	m.httpLimited.WithLabelValues(route).Inc()
}

// CommandHandled counts one command by its type and outcome.
func (m *Metrics) CommandHandled(command, outcome string) {
	if m == nil {
		return
	}
	m.commands.WithLabelValues(command, outcome).Inc()
}

// Appended records one append to the store: how many events, how long.
func (m *Metrics) Appended(events int, took time.Duration) {
	if m == nil {
		return
	}
	m.appendTime.Observe(took.Seconds())
	m.appendEvents.Observe(float64(events))
}

// BillingRun records one finished billing run.
func (m *Metrics) BillingRun(took time.Duration, issued, collected, rejected int, failed bool) {
	if m == nil {
		return
	}
	result := "ok"
	if failed {
		result = "failed"
	}
	m.runs.WithLabelValues(result).Inc()
	m.runTime.Observe(took.Seconds())
	m.runInvoices.Add(float64(issued))
	m.runCollected.Add(float64(collected))
	m.runRejected.Add(float64(rejected))
}

// Collected counts payments taken and declined outside a billing run (the
// collections between daily runs, charges made on the spot): payments,
// not runs.
func (m *Metrics) Collected(collected, rejected int) {
	if m == nil {
		return
	}
	m.runCollected.Add(float64(collected))
	m.runRejected.Add(float64(rejected))
}

// Lease records whether this node holds the named job's lease.
func (m *Metrics) Lease(name string, held bool) {
	if m == nil {
		return
	}
	v := 0.0
	if held {
		v = 1
	}
	m.leases.WithLabelValues(name).Set(v)
}

// Sources are read when Prometheus scrapes, so what they report is as of
// the scrape. A nil function leaves its series out.
type Sources struct {
	// Head is the log's last global position (the number of events on
	// the embedded and PostgreSQL stores).
	Head func(ctx context.Context) (uint64, error)
	// Checkpoints are the read models' checkpoints by projection name.
	Checkpoints func() map[string]uint64
	// Outbox reports the email outbox: emails queued and not sent yet,
	// and the failures (temporary and permanent) since start.
	Outbox func(ctx context.Context) (queued int, failures uint64, err error)
	// Ledger reports ledger sync: pushes waiting, and pushes failed
	// (temporary and permanent) since start.
	Ledger func() (waiting int, failed uint64)
	// QueryCache reports the read models' query cache: answers given
	// from it and read from the tables since start, and its estimated
	// size in bytes.
	QueryCache func() (hits, misses uint64, bytes int)
	// SQLiteMemory is the memory SQLite holds in the process in bytes
	// (page caches, schemas, statements): the part of the resident set
	// outside the Go runtime's own figures.
	SQLiteMemory func() int64
}

// Watch registers the series read from s at each scrape.
func (m *Metrics) Watch(s Sources) {
	m.Registry.MustRegister(&scraped{s: s})
}

var (
	headDesc     = prometheus.NewDesc(Namespace+"_events", "Events in the log: its head position.", nil, nil)
	lagDesc      = prometheus.NewDesc(Namespace+"_projection_lag_events", "Events a read model is behind the head of the log, by projection.", []string{"projection"}, nil)
	queuedDesc   = prometheus.NewDesc(Namespace+"_outbox_queued_emails", "Emails queued in the outbox and not yet sent or failed.", nil, nil)
	mailFailDesc = prometheus.NewDesc(Namespace+"_outbox_failures_total", "Email deliveries that failed since the process started (temporary ones are retried).", nil, nil)
	waitingDesc  = prometheus.NewDesc(Namespace+"_ledger_pushes_waiting", "Pushes to connected ledgers waiting to be made or retried.", nil, nil)
	ledgerFail   = prometheus.NewDesc(Namespace+"_ledger_push_failures_total", "Pushes to connected ledgers that failed since the process started (temporary ones are retried).", nil, nil)
	cacheHits    = prometheus.NewDesc(Namespace+"_query_cache_hits_total", "Read-model queries answered from the query cache since the process started.", nil, nil)
	cacheMisses  = prometheus.NewDesc(Namespace+"_query_cache_misses_total", "Read-model queries read from the tables (not in the query cache, or the read models moved) since the process started.", nil, nil)
	cacheBytes   = prometheus.NewDesc(Namespace+"_query_cache_bytes", "Estimated size of the answers the query cache keeps.", nil, nil)
	sqliteBytes  = prometheus.NewDesc(Namespace+"_sqlite_memory_bytes", "Memory SQLite holds in this process (page caches, schemas, statements of every SQLite database), outside the Go heap.", nil, nil)
	scrapeErr    = prometheus.NewDesc(Namespace+"_scrape_errors", "Sources that could not be read at this scrape (store, outbox).", []string{"source"}, nil)
)

// scraped is the collector of Sources. Describe sends nothing, which makes
// it an unchecked collector: the projections it reports are known only
// when scraped.
type scraped struct{ s Sources }

func (c *scraped) Describe(chan<- *prometheus.Desc) {}

func (c *scraped) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c.s.Head != nil {
		head, err := c.s.Head(ctx)
		if err != nil {
			ch <- prometheus.MustNewConstMetric(scrapeErr, prometheus.GaugeValue, 1, "store")
		} else {
			ch <- prometheus.MustNewConstMetric(headDesc, prometheus.GaugeValue, float64(head))
			if c.s.Checkpoints != nil {
				for name, cp := range c.s.Checkpoints() {
					ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, float64(head-min(cp, head)), name)
				}
			}
		}
	}
	if c.s.Outbox != nil {
		q, f, err := c.s.Outbox(ctx)
		if err != nil {
			ch <- prometheus.MustNewConstMetric(scrapeErr, prometheus.GaugeValue, 1, "outbox")
		} else {
			ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(q))
			ch <- prometheus.MustNewConstMetric(mailFailDesc, prometheus.CounterValue, float64(f))
		}
	}
	if c.s.Ledger != nil {
		w, f := c.s.Ledger()
		ch <- prometheus.MustNewConstMetric(waitingDesc, prometheus.GaugeValue, float64(w))
		ch <- prometheus.MustNewConstMetric(ledgerFail, prometheus.CounterValue, float64(f))
	}
	if c.s.QueryCache != nil {
		h, miss, b := c.s.QueryCache()
		ch <- prometheus.MustNewConstMetric(cacheHits, prometheus.CounterValue, float64(h))
		ch <- prometheus.MustNewConstMetric(cacheMisses, prometheus.CounterValue, float64(miss))
		ch <- prometheus.MustNewConstMetric(cacheBytes, prometheus.GaugeValue, float64(b))
	}
	if c.s.SQLiteMemory != nil {
		ch <- prometheus.MustNewConstMetric(sqliteBytes, prometheus.GaugeValue, float64(c.s.SQLiteMemory()))
	}
}
