// Package app wires Remit together: the event store, the read models and
// their runner, the command side and the HTTP server. `remit serve` and the
// end-to-end tests both run it, so what the tests drive is the real program.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"remit/billing"
	"remit/domain"
	"remit/eventstore"
	"remit/eventstore/idempotency"
	"remit/eventstore/storeurl"
	"remit/integrations/accounting"
	"remit/integrations/accounting/qbo"
	"remit/integrations/accounting/xero"
	"remit/integrations/mail"
	"remit/integrations/payments"
	"remit/integrations/payments/gateways"
	"remit/internal/lease"
	"remit/internal/metrics"
	"remit/internal/sqlitemem"
	"remit/processes/billingrun"
	"remit/processes/emailer"
	"remit/processes/ledgersync"
	"remit/processes/refunds"
	"remit/processes/signeddoc"
	"remit/projections"
	"remit/projections/rmdb"
	"remit/web/api"
	"remit/web/auth"
	"remit/web/auth/authdb"
	"remit/web/ui"

	"github.com/google/uuid"
)

// Config says where Remit keeps its data and where it listens.
type Config struct {
	// DataDir is the data folder of the embedded store; the read models
	// live beside it in DataDir/readmodels.db unless they are kept in
	// PostgreSQL.
	DataDir string
	// StoreURL names another event store (postgres://…, kurrentdb://…);
	// "" is the embedded store in DataDir.
	StoreURL string
	// ReadModelsURL is a postgres:// URL to keep the read models in; ""
	// keeps them in the store's PostgreSQL database when the store is
	// PostgreSQL, else in DataDir/readmodels.db.
	ReadModelsURL string
	// Addr is the HTTP listen address, e.g. "127.0.0.1:8080" (":0" for any
	// free port).
	Addr string
	// Logger receives operational logs; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Jobs are more daily jobs for the scheduler, run after its own (the
	// audit anchor of remit serve --anchor-key); each must be idempotent.
	Jobs []billingrun.Job
	// SMTPURL is where emails go (smtp://[user:pass@]host[:port]); ""
	// writes them as .eml files into DataDir/outbox.
	SMTPURL string
	// MailFrom is the firm's sending address (default remit@localhost).
	MailFrom string
	// StaffEmail is where emails for the firm's staff go (a disputed
	// payment); empty: the sending address.
	StaffEmail string
	// PublicURL is where clients reach Remit, for the links in emails
	// (default: the address the server listens on).
	PublicURL string
	// NoOutbox turns the email outbox off (one-shot commands, tests).
	NoOutbox bool
	// Payments is the payment gateway (zero: the sandbox in DataDir); its
	// DataDir, Now, Store, Billing and Logger are filled in here.
	Payments gateways.Config
	// NoBillingRun turns the scheduled billing run and collection off.
	NoBillingRun bool
	// NoLedgerSync turns pushing to connected ledgers (Xero, QuickBooks
	// Online) off; with no ledger connected the sync only follows the log.
	NoLedgerSync bool
	// NoAuth serves the API without users, sessions or tokens, the actor
	// taken from the X-Remit-Actor header: for local development only.
	NoAuth bool
	// SecureCookies marks session cookies Secure behind a TLS-terminating
	// proxy (a request over TLS always gets a Secure cookie).
	SecureCookies bool
	// IdempotencyTTL is how long the answer to a request sent with an
	// Idempotency-Key is kept for its retries (0: idempotency.DefaultTTL,
	// 24 hours).
	IdempotencyTTL time.Duration
	// KeysDir is the folder of clients' personal-data keys on the embedded
	// store (and KurrentDB); "" keeps them in DataDir/keys. Kept elsewhere,
	// a copy of the data folder alone reveals no personal data.
	KeysDir string
	// MetricsAddr, when set, is where GET /metrics (Prometheus) listens:
	// an address of its own, unauthenticated, for the scraper only.
	MetricsAddr string
	// ReadyMaxLag is how many events a read model may be behind the log's
	// head while GET /readyz still answers ready (0: DefaultReadyMaxLag).
	ReadyMaxLag uint64
	// Limits bound slow, idle and unauthenticated HTTP clients (zero
	// fields: api's defaults).
	Limits api.Limits
	// NodeName names this process to the other nodes of a cluster (in
	// the leases, /readyz and the logs); "" is NodeName(): host and pid.
	NodeName string
	// LeaseEvery is how often a node tries for a job's lease and its
	// holder checks it still holds it (0: lease.DefaultEvery).
	LeaseEvery time.Duration
	// MemoryLimit, when above 0, is the Go runtime's soft memory limit in
	// bytes (debug.SetMemoryLimit) while the app runs; Close puts back the
	// limit it found. 0 leaves the runtime's (GOMEMLIMIT, or none).
	MemoryLimit int64
	// SQLiteMemoryLimit, when above 0, is SQLite's soft heap limit in
	// bytes while the app runs (internal/sqlitemem): the page caches of
	// every SQLite database of the process (store, read models, sign-in)
	// stop growing together near it. Close puts back the limit it found.
	// 0 leaves SQLite's (none unless set).
	SQLiteMemoryLimit int64
}

// DefaultReadyMaxLag is Config.ReadyMaxLag's default.
const DefaultReadyMaxLag = 1000

// App is a running Remit.
type App struct {
	Store eventstore.Store
	// ReadModels is the database the read models are kept in.
	ReadModels *rmdb.DB
	Models     *projections.Models
	// TimeTravel answers the API's and the UI's reads with as_of.
	TimeTravel *projections.TimeTravel
	Runner     *projections.Runner
	Billing    *billing.Service
	Web        *api.Server
	Outbox     *emailer.Outbox
	Auth       *auth.Authenticator // nil with Config.NoAuth
	Sched      *billingrun.Scheduler
	// billDryRun answers what the billing run as of a date would do,
	// writing nothing (nil when the billing run is off).
	billDryRun func(ctx context.Context, asOf domain.Date) (billingrun.Report, error)
	Ledger     *ledgersync.Sync // nil with Config.NoLedgerSync
	// StripeWebhook takes Stripe's webhook deliveries (nil unless Stripe
	// is the gateway with a webhook secret).
	StripeWebhook http.Handler
	// Payments is the payment gateway with its webhook, hosted page (the
	// sandbox's) and the capture of payment methods on it.
	Payments gateways.Opened
	// Refunds refunds payments through the gateway and records its
	// disputes (nil without a gateway).
	Refunds *refunds.Refunder
	// Idempotency keeps the answers of requests sent with an
	// Idempotency-Key, beside the store.
	Idempotency idempotency.Store
	// SignIn keeps sessions, the login limiter, single-use links and
	// pending ledger OAuth flows, beside the store: every node on a shared
	// store shares them.
	SignIn *authdb.DB
	// linkSigner signs and checks client links (nil when its key cannot
	// be read: linkSignerErr says why).
	linkSigner    *auth.LinkSigner
	linkSignerErr error
	// Metrics is the app's own Prometheus registry and series.
	Metrics    *metrics.Metrics
	metricsSrv *http.Server
	metricsURL string
	gateway    io.Closer // the payment gateway, when it holds files open
	// stopWebhooks stops the sandbox's webhook deliveries.
	stopWebhooks context.CancelFunc
	// SignedDocs files the signed PDF of each proposal accepted by
	// signature (processes/signeddoc); stopSigned stops it and waits.
	SignedDocs *signeddoc.Filer
	stopSigned func()
	log        *slog.Logger
	baseURL    atomic.Pointer[string] // where the server listens, once it does
	// mailer and mailFrom are the outbox's mail transport and sending
	// address (startOutbox), which the Users page's emails share.
	mailer   mail.Mailer
	mailFrom string
	// leases run the scheduler, the outbox and ledger sync on one node
	// of those sharing the read models' database (nodes.go).
	leases   leases
	nodeName string
	// memoryLimit is the runtime's soft memory limit before Open set
	// Config.MemoryLimit (-1: Open set none).
	memoryLimit int64
	// sqliteLimit is SQLite's soft heap limit before Open set
	// Config.SQLiteMemoryLimit (-1: Open set none).
	sqliteLimit int64
}

// Open starts Remit: it opens the store (refusing a folder another process
// holds) and the read-model database, catches the read models up with the
// log from their checkpoints, then starts serving HTTP.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ReadyMaxLag == 0 {
		cfg.ReadyMaxLag = DefaultReadyMaxLag
	}
	if cfg.NodeName == "" {
		cfg.NodeName = NodeName()
	}
	store, err := storeurl.Open(ctx, cfg.StoreURL, storeurl.Options{DataDir: cfg.DataDir, KeysDir: cfg.KeysDir, Clock: cfg.Now})
	if err != nil {
		return nil, err
	}
	a := &App{Store: store, log: cfg.Logger, Metrics: metrics.New(), nodeName: cfg.NodeName, memoryLimit: -1, sqliteLimit: -1}
	if cfg.MemoryLimit > 0 {
		a.memoryLimit = debug.SetMemoryLimit(cfg.MemoryLimit)
		cfg.Logger.Info("soft memory limit", "MiB", cfg.MemoryLimit>>20)
	}
	if cfg.SQLiteMemoryLimit > 0 {
		prev, err := sqlitemem.SetSoftLimit(cfg.SQLiteMemoryLimit)
		if err != nil {
			return nil, errors.Join(err, a.Close())
		}
		a.sqliteLimit = prev
		cfg.Logger.Info("SQLite soft heap limit", "MiB", cfg.SQLiteMemoryLimit>>20)
	}
	// Every command the app's processes run is counted: they all start
	// from this context.
	ctx = billing.WithObserver(ctx, a.Metrics)
	a.Idempotency, err = storeurl.OpenIdempotency(ctx, cfg.StoreURL, storeurl.Options{DataDir: cfg.DataDir, Clock: cfg.Now}, cfg.IdempotencyTTL)
	if err != nil {
		return nil, errors.Join(err, a.Close())
	}
	if err := a.start(ctx, cfg, store); err != nil {
		return nil, errors.Join(err, a.Close())
	}
	return a, nil
}

func (a *App) start(ctx context.Context, cfg Config, store eventstore.Store) error {
	removeOldSnapshots(cfg, a.log)
	db, err := storeurl.OpenReadModels(ctx, cfg.StoreURL, cfg.ReadModelsURL, storeurl.Options{DataDir: cfg.DataDir, Clock: cfg.Now})
	if err != nil {
		return err
	}
	a.ReadModels = db
	a.Models = projections.NewModels(db)
	r, err := projections.NewRunner(ctx, store, a.Models, projections.RunnerOptions{Logger: cfg.Logger})
	if err != nil {
		return fmt.Errorf("read models: %w", err)
	}
	a.Runner = r
	if err := r.CatchUp(ctx); err != nil {
		return fmt.Errorf("catch up read models: %w", err)
	}
	if err := r.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start read models: %w", err)
	}
	// Sessions, the login limiter, single-use links and pending OAuth
	// flows: beside the store, shared by every node on it.
	signIn, err := storeurl.OpenSignIn(ctx, cfg.StoreURL, storeurl.Options{DataDir: cfg.DataDir, Clock: cfg.Now})
	if err != nil {
		return err
	}
	a.SignIn = signIn
	a.loadLinkSigner(ctx, cfg)
	bcfg := billing.Config{Store: store, Now: cfg.Now, NewID: uuid.New, Services: a.Models}
	if ks, ok := store.(interface{ NewClientID() (uuid.UUID, bool) }); ok {
		bcfg.NewClientID = ks.NewClientID // clients named with their keys made ahead
	}
	a.Billing = billing.New(bcfg)
	if err := a.startSignedDocs(ctx, cfg, store); err != nil {
		return err
	}
	if !cfg.NoOutbox {
		if err := a.startOutbox(ctx, cfg, store); err != nil {
			return err
		}
	}
	if !cfg.NoAuth {
		authn, err := auth.New(auth.Config{Store: store, Now: cfg.Now, SecureCookies: cfg.SecureCookies, DB: signIn})
		if err != nil {
			return fmt.Errorf("auth: %w", err)
		}
		a.Auth = authn
		if us, err := authn.Users(ctx); err == nil && len(us) == 0 {
			// The embedded store has one process per data folder: a live
			// setup link is one a stopped process printed (its node name has
			// another pid), so this one replaces it ("": the only node).
			node := cfg.NodeName
			if kind, err := storeurl.KindOf(cfg.StoreURL); err == nil && kind == storeurl.Embedded {
				node = ""
			}
			ui.AnnounceSetup(ctx, authn, a.log, node, cfg.PublicURL, a.baseURL.Load) // the one-time /setup/<token> link
		}
	}
	if !cfg.NoLedgerSync {
		if err := a.startLedgerSync(ctx, cfg, store); err != nil {
			return err
		}
	}
	if err := a.openPayments(cfg, store); err != nil {
		return err
	}
	var billNow func(context.Context) (any, error)
	if !cfg.NoBillingRun {
		if billNow, err = a.startBillingRun(ctx, cfg, store); err != nil {
			return err
		}
	}
	a.TimeTravel = projections.NewTimeTravel(store, a.Models, 0)
	a.Web = api.NewServer(api.Config{
		TimeTravel: a.TimeTravel, Addr: cfg.Addr, Store: store, Idempotency: a.Idempotency, Billing: a.Billing, Models: a.Models, Runner: r, Logger: cfg.Logger, Now: cfg.Now,
		Auth: a.Auth, UI: a.ui(cfg, store, r, billNow), BillingRun: billNow, BillingDryRun: a.billDryRun, SellerEmail: sellerEmail(cfg), StripeWebhook: a.StripeWebhook,
		SandboxWebhook: a.sandboxWebhook(), GatewayPages: a.Payments.Pages, Checkout: a.Payments.Checkout, Refunds: a.Refunds,
		Links: a.links(cfg), Metrics: a.Metrics, Ready: a.readiness(cfg), Limits: cfg.Limits,
	})
	a.watch()
	if err := a.Web.Open(); err != nil {
		return err
	}
	if err := a.openMetrics(cfg); err != nil {
		return err
	}
	u := a.Web.URL()
	a.baseURL.Store(&u)
	if a.Payments.Sandbox != nil && a.Payments.Webhook != nil {
		// The sandbox posts its webhook events to this server, as Stripe
		// would to the firm's public address.
		ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		a.stopWebhooks = cancel
		a.Payments.Sandbox.StartWebhooks(ctx, u+a.Payments.WebhookPath, 0, a.log)
	}
	a.log.Info("remit serving", "url", a.Web.URL(), "data", cfg.DataDir)
	return nil
}

// removeOldSnapshots deletes the folder of JSON snapshots the read models
// were restored from before they moved into a database: nothing reads it
// any more, and it can be large.
func removeOldSnapshots(cfg Config, log *slog.Logger) {
	if cfg.DataDir == "" {
		return
	}
	dir := filepath.Join(cfg.DataDir, "projections")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return
	}
	log.Info("removing old read-model snapshots; read models now live in readmodels.db", "dir", dir)
	if err := os.RemoveAll(dir); err != nil {
		log.Warn("could not remove the old read-model snapshots", "dir", dir, "err", err)
	}
}

// startSignedDocs files the signed PDFs not filed yet, then files each
// new one as its proposal is accepted, until Close.
func (a *App) startSignedDocs(ctx context.Context, cfg Config, store eventstore.Store) error {
	a.SignedDocs = &signeddoc.Filer{Billing: a.Billing, Store: store, DataDir: cfg.DataDir, Logger: cfg.Logger}
	if err := a.SignedDocs.CatchUp(ctx); err != nil {
		return fmt.Errorf("signed proposals: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.SignedDocs.Run(runCtx); err != nil && runCtx.Err() == nil {
			a.log.Error("filing signed proposals stopped", "err", err)
		}
	}()
	a.stopSigned = func() { cancel(); <-done }
	return nil
}

// startOutbox starts the email process manager: emails for issued invoices,
// receipts, rejections, expiring cards and upcoming charges, each sent once.
func (a *App) startOutbox(ctx context.Context, cfg Config, store eventstore.Store) error {
	from := cfg.MailFrom
	if from == "" {
		from = "remit@localhost"
	}
	mailer, err := emailer.MailerFor(cfg.SMTPURL, cfg.DataDir)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	ob, err := emailer.New(emailer.Config{Store: store, Mailer: mailer, From: from, StaffTo: cfg.StaffEmail, Now: cfg.Now, Logger: cfg.Logger, SkipHistory: true,
		LinkFor: a.emailLinks(cfg), SignLinkFor: a.signatoryLinks(cfg), State: a.ReadModels, Collections: a.Models.Collections})
	if err != nil {
		return err
	}
	a.Outbox, a.mailer, a.mailFrom = ob, mailer, from
	// Before any request or job: what is appended from here on is emailed
	// (SkipHistory), even while the first start's load still runs.
	if err := ob.MarkHistory(ctx); err != nil {
		return err
	}
	// Of several nodes, the one holding the outbox's lease sends: two
	// outboxes could both send an email they both found queued and unsent.
	a.runLeased(cfg, lease.Outbox, func(ctx context.Context) {
		if err := ob.Start(ctx); err != nil {
			a.log.Error("start the outbox", "err", err)
		}
		<-ctx.Done()
		if err := ob.Close(); err != nil {
			a.log.Warn("stop the outbox", "err", err)
		}
	})
	return nil
}

// sellerEmail is the firm's electronic address in e-invoices: its sending
// address, when the operator set one (remit@localhost says nothing).
func sellerEmail(cfg Config) string {
	if cfg.MailFrom == "" || strings.HasSuffix(cfg.MailFrom, "@localhost") {
		return ""
	}
	return cfg.MailFrom
}

// startLedgerSync starts the ledger process manager: what happens to
// invoices is pushed to each connected ledger (remit ledger connect) exactly
// once, retried with backoff, and reconciled daily.
func (a *App) startLedgerSync(ctx context.Context, cfg Config, store eventstore.Store) error {
	ls, err := ledgersync.Open(ledgersync.Config{Store: store, DataDir: cfg.DataDir, Now: cfg.Now, Logger: cfg.Logger,
		Factory: func(provider string, st ledgersync.Settings, _ ledgersync.Secrets) (accounting.Ledger, error) {
			switch provider {
			case "xero":
				return xero.Open(cfg.DataDir, nil)
			case "qbo":
				return qbo.Open(cfg.DataDir, st.TenantID, qbo.Options{})
			}
			return nil, fmt.Errorf("no ledger adapter for %q", provider)
		}})
	if err != nil {
		return fmt.Errorf("ledger sync: %w", err)
	}
	a.Ledger = ls
	// Of several nodes, the one holding ledger sync's lease pushes and
	// reconciles: each push is recorded once whoever makes it, but two
	// nodes would call the ledger twice for it.
	a.runLeased(cfg, lease.LedgerSync, func(ctx context.Context) {
		if err := ls.Start(ctx); err != nil {
			a.log.Error("start ledger sync", "err", err)
		}
		<-ctx.Done()
		if err := ls.Close(); err != nil {
			a.log.Warn("stop ledger sync", "err", err)
		}
	})
	return nil
}

// startBillingRun starts the scheduled billing run and collection (at
// start, then daily just after midnight in the firm's time zone) with the
// configured gateway (Config.Payments: the sandbox by default, or Stripe),
// and returns the on-demand run the API offers. The scheduled run runs on
// the node holding the scheduler's lease; runs in several processes at once
// (an on-demand run beside it, remit bill) are safe all the same: every
// invoice, charge and retry has a deterministic id.
func (a *App) startBillingRun(ctx context.Context, cfg Config, store eventstore.Store) (func(context.Context) (any, error), error) {
	gw := a.Payments.Gateway
	// A gateway without webhooks (the sandbox) lists its disputes: each run
	// records the new ones and their outcomes.
	lister, _ := gw.(payments.DisputeLister)
	syncDisputes := func(ctx context.Context) {
		if lister == nil || a.Refunds == nil {
			return
		}
		n, err := a.Refunds.SyncDisputes(ctx, lister)
		if err != nil {
			a.log.Warn("disputes", "listed", n, "err", err)
		}
	}
	// The runs read the app's read models, waiting for its Runner to apply
	// the log's head before each step; scheduled and on-demand runs share
	// them (on-demand runs take turns; one overlapping the scheduled run
	// is safe, as runs in two processes are).
	idx := billingrun.NewIndex(store, a.Models, billingrun.WaitFor(store, a.Runner))
	a.Sched = &billingrun.Scheduler{Store: store, Billing: a.Billing, Index: idx, Gateway: gw, Now: cfg.Now, Logger: cfg.Logger,
		OnRun: func(r billingrun.RunResult) {
			a.observeRun(r)
			if r.AsOf.IsZero() && r.Err == nil {
				a.log.Info("billing run skipped: the firm is not set up yet")
				return
			}
			syncDisputes(context.WithoutCancel(ctx))
			a.log.Info("billing run", "as_of", r.AsOf, "issued", r.Billing.Issued, "already", r.Billing.AlreadyIssued,
				"errors", len(r.Billing.Errors)+len(r.Collect.Errors), "collected", r.Collect.Succeeded, "rejected", r.Collect.Rejected,
				"pending", r.Collect.Pending, "retries", r.Collect.RetriesScheduled, "err", r.Err)
		},
		// Between daily runs collection runs again every ten minutes, for
		// the collections scheduled for today since; logged when it did
		// something.
		OnCollect: func(asOf domain.Date, r billingrun.CollectReport, err error) {
			a.Metrics.Collected(r.Succeeded, r.Rejected)
			if err != nil || r.Succeeded+r.Rejected+r.Pending+len(r.Errors) > 0 {
				a.log.Info("collection", "as_of", asOf, "collected", r.Succeeded, "rejected", r.Rejected,
					"pending", r.Pending, "retries", r.RetriesScheduled, "errors", len(r.Errors), "err", err)
			}
		}}
	a.Sched.Daily = a.payoutSync(store, gw, cfg)
	a.Sched.Jobs = append(a.Sched.Jobs, a.proposalsJob(store), a.dunningJob(store), a.priceIncreasesJob(store))
	a.Sched.Jobs = append(a.Sched.Jobs, cfg.Jobs...)
	// Of several nodes, the one holding the scheduler's lease runs the
	// day's work; the on-demand run below runs wherever it is asked for.
	a.Sched.Lease = a.keeper(cfg, lease.Scheduler)
	a.Sched.Start(context.WithoutCancel(ctx))
	// A dry run decides as the run does and appends nothing, so it needs
	// no turn: it may overlap a run (it then shows what is still to do).
	a.billDryRun = func(ctx context.Context, asOf domain.Date) (billingrun.Report, error) {
		if err := idx.Update(ctx); err != nil {
			return billingrun.Report{}, err
		}
		if asOf.IsZero() {
			asOf = domain.DateOf(cfg.Now(), idx.Location())
		}
		return billingrun.Run(ctx, store, a.Billing, asOf, billingrun.Options{Index: idx, DryRun: true})
	}
	var mu sync.Mutex
	return func(ctx context.Context) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		res := a.Sched.RunOnce(ctx, idx, cfg.Now())
		a.observeRun(res)
		syncDisputes(ctx)
		// What the run and the disputes recorded is on the pages the
		// caller reads next.
		if head, err := store.Head(ctx); err == nil {
			if err := a.Runner.WaitFor(ctx, head); err != nil {
				a.log.Warn("billing run: read models not caught up", "err", err)
			}
		}
		return res, res.Err
	}, nil
}

// openPayments opens the configured gateway (Config.Payments: the sandbox
// by default, or Stripe) with its webhook, the sandbox's hosted page and the
// capture of payment methods.
func (a *App) openPayments(cfg Config, store eventstore.Store) error {
	pc := cfg.Payments
	if cfg.DataDir == "" && pc.Gateway != gateways.Stripe {
		return nil // no folder to keep the sandbox's charges in
	}
	pc.DataDir, pc.Now, pc.Store, pc.Billing, pc.Logger = cfg.DataDir, cfg.Now, store, a.Billing, cfg.Logger
	o, err := gateways.Start(pc)
	if err != nil {
		return fmt.Errorf("payment gateway: %w", err)
	}
	a.Payments = o
	a.Refunds = &refunds.Refunder{Billing: a.Billing, Store: store, Logger: cfg.Logger}
	if rf, ok := o.Gateway.(payments.Refunder); ok {
		a.Refunds.Gateway = rf
	}
	if o.WebhookPath == gateways.WebhookPath {
		a.StripeWebhook = o.Webhook
	}
	if c, ok := o.Gateway.(io.Closer); ok {
		a.gateway = c
	}
	return nil
}

// sandboxWebhook is the sandbox's webhook handler (nil with Stripe).
func (a *App) sandboxWebhook() http.Handler {
	if a.Payments.Sandbox == nil {
		return nil
	}
	return a.Payments.Webhook
}

// ui builds the web UI, served by the API's server on its router: behind
// sign-in unless auth is off.
func (a *App) ui(cfg Config, store eventstore.Store, r *projections.Runner, billNow func(context.Context) (any, error)) *ui.UI {
	uc := ui.Config{TimeTravel: a.TimeTravel, Billing: a.Billing, Models: a.Models, Runner: r, Store: store, Now: cfg.Now, Logger: cfg.Logger, BillingRun: billNow, BillingDryRun: a.billDryRun,
		SellerEmail: sellerEmail(cfg), Gateway: cfg.Payments.Gateway, SendsEmail: cfg.SMTPURL != "", Checkout: a.Payments.Checkout, PayNow: a.Payments.PayNow, LogoDir: filepath.Join(cfg.DataDir, "logos"),
		Refunds: a.Refunds}
	if gw := a.Payments.Gateway; gw != nil {
		// "Retry now" on the Collections page charges through the same
		// gateway and collection path as the daily collection.
		uc.CollectNow = func(ctx context.Context, invoiceID, methodID uuid.UUID, meta billing.Meta) (billingrun.NowOutcome, error) {
			return a.countedNow(billingrun.CollectNow(ctx, a.Billing, gw, invoiceID, methodID, meta))
		}
		// A client paying "today" from their link is charged then too.
		uc.AttemptDueNow = func(ctx context.Context, invoiceID uuid.UUID, actor string) (billingrun.NowOutcome, error) {
			return a.countedNow(billingrun.AttemptDueNow(ctx, a.Billing, gw, invoiceID, actor))
		}
	}
	// Owners connect Xero or QuickBooks Online from the Ledger page (OAuth 2.0).
	uc.LedgerOAuth = &ui.LedgerOAuth{DataDir: cfg.DataDir, PublicURL: cfg.PublicURL, Flows: a.SignIn}
	if a.linkSigner != nil {
		uc.Links = a.linkSigner
	} else {
		a.log.Warn("client links are off: the link key cannot be read", "err", a.linkSignerErr)
	}
	if a.Auth != nil {
		uc.Auth, uc.Users = a.Auth, a.Auth
	}
	// With an SMTP server, an owner's invitations and new set-password
	// links are emailed (never through the outbox: the link opens an
	// account, and the log keeps only its hash).
	if cfg.SMTPURL != "" && a.mailer != nil {
		uc.PasswordLinks = &ui.PasswordLinkMailer{Mailer: a.mailer, From: a.mailFrom, PublicURL: func() string { return a.linkBase(cfg) }}
	}
	return ui.New(uc)
}

// links is the client-link signer the API signs pay-now links with (nil,
// and that route off, when the link key cannot be read).
func (a *App) links(Config) *auth.LinkSigner {
	return a.linkSigner
}

// ClientLinks is the signer of client links (nil when the link key cannot
// be read).
func (a *App) ClientLinks() *auth.LinkSigner { return a.linkSigner }

// loadLinkSigner loads the client-link key: on PostgreSQL the one every
// node shares, kept in the sign-in tables (DATA/link.key moved into them
// by the first node to start); else DATA/link.key.
func (a *App) loadLinkSigner(ctx context.Context, cfg Config) {
	if kind, err := storeurl.KindOf(cfg.StoreURL); err == nil && kind == storeurl.Postgres {
		a.linkSigner, a.linkSignerErr = auth.LoadSharedLinkSigner(ctx, a.SignIn, cfg.DataDir)
	} else {
		a.linkSigner, a.linkSignerErr = auth.LoadLinkSigner(cfg.DataDir)
	}
	if a.linkSignerErr != nil {
		a.linkSigner = nil
	}
}

// emailLinks makes the signed client links that emails carry (retry a
// rejected payment, add or switch a payment method, accept a proposal, pay
// an invoice now),
// valid for 30 days; nil
// (placeholders) when the link key cannot be read.
func (a *App) emailLinks(cfg Config) func(purpose string, clientID, invoiceID uuid.UUID) string {
	signer := a.linkSigner
	if signer == nil {
		a.log.Warn("emails carry no client links: the link key cannot be read", "err", a.linkSignerErr)
		return nil
	}
	return func(purpose string, clientID, resource uuid.UUID) string {
		l := auth.Link{ClientID: clientID, Purpose: auth.PurposePaymentMethod, Expires: cfg.Now().Add(ui.ClientLinkTTL)}
		path := "/c/m/"
		switch purpose {
		case emailer.LinkRetryPayment:
			l.Resource = resource
		case emailer.LinkAccept:
			l.Purpose, l.Resource, l.Issued, path = auth.PurposeAcceptProposal, resource, cfg.Now(), "/c/p/"
		case emailer.LinkPayInvoice:
			l.Purpose, l.Resource, l.Issued, path = auth.PurposePayInvoice, resource, cfg.Now(), "/c/i/"
		}
		base := a.linkBase(cfg)
		if purpose == emailer.LinkCollections { // staff's page: signed in, no signed link
			return strings.TrimRight(base, "/") + "/collections"
		}
		return strings.TrimRight(base, "/") + path + signer.Sign(l)
	}
}

// signatoryLinks makes a proposal signatory's own signing link (the
// signatory signed into it), valid as long as the other client links; nil
// when the link key cannot be read.
func (a *App) signatoryLinks(cfg Config) func(clientID, proposalID, signatoryID uuid.UUID) string {
	signer := a.linkSigner
	if signer == nil {
		return nil
	}
	return func(clientID, proposalID, signatoryID uuid.UUID) string {
		l := auth.Link{ClientID: clientID, Purpose: auth.PurposeAcceptProposal, Resource: proposalID, Signatory: signatoryID,
			Issued: cfg.Now(), Expires: cfg.Now().Add(ui.ClientLinkTTL)}
		return strings.TrimRight(a.linkBase(cfg), "/") + "/c/p/" + signer.Sign(l)
	}
}

// linkBase is the start of every client link: the public URL, else where
// the server listens.
func (a *App) linkBase(cfg Config) string {
	if cfg.PublicURL != "" {
		return cfg.PublicURL
	}
	if u := a.baseURL.Load(); u != nil {
		return *u
	}
	return "http://" + cfg.Addr
}

// URL is where the HTTP server listens.
func (a *App) URL() string {
	if a.Web == nil {
		return ""
	}
	return a.Web.URL()
}

// Close shuts Remit down gracefully: it stops taking requests and lets those
// in flight finish (their appends complete), stops the processes and the
// read models' runner (each batch it applied is committed with its
// checkpoint), closes the read-model database, and closes the store after
// every queued append is written.
func (a *App) Close() error {
	var errs []error
	if a.memoryLimit >= 0 {
		defer debug.SetMemoryLimit(a.memoryLimit)
	}
	if a.sqliteLimit >= 0 {
		defer func() {
			if _, err := sqlitemem.SetSoftLimit(a.sqliteLimit); err != nil {
				a.log.Warn("put back SQLite's soft heap limit", "err", err)
			}
		}()
	}
	if a.Web != nil {
		errs = append(errs, a.Web.Close())
	}
	if a.metricsSrv != nil {
		errs = append(errs, a.metricsSrv.Close())
	}
	if a.Sched != nil {
		errs = append(errs, a.Sched.Close())
	}
	a.stopLeased() // the outbox and ledger sync stop, and give their leases up
	if a.TimeTravel != nil {
		a.TimeTravel.Close()
	}
	if a.stopWebhooks != nil {
		a.stopWebhooks()
	}
	if a.stopSigned != nil {
		a.stopSigned()
	}
	if a.gateway != nil {
		errs = append(errs, a.gateway.Close())
	}
	if a.Outbox != nil {
		errs = append(errs, a.Outbox.Close())
	}
	if a.Ledger != nil {
		errs = append(errs, a.Ledger.Close())
	}
	if a.Runner != nil {
		errs = append(errs, a.Runner.Close())
	}
	if a.ReadModels != nil {
		errs = append(errs, a.ReadModels.Close())
	}
	if a.Auth != nil {
		errs = append(errs, a.Auth.Close())
	}
	if a.Idempotency != nil {
		errs = append(errs, a.Idempotency.Close())
	}
	if a.SignIn != nil {
		errs = append(errs, a.SignIn.Close())
	}
	if a.Store != nil {
		errs = append(errs, a.Store.Close())
	}
	return errors.Join(errs...)
}
