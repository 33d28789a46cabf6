package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/eventstore"
	"remit/eventstore/idempotency"
	"remit/integrations/payments/gateways"
	"remit/internal/metrics"
	"remit/processes/billingrun"
	"remit/processes/refunds"
	"remit/projections"
	"remit/web/auth"
)

// Defaults of Config.
const (
	DefaultWaitTimeout  = 5 * time.Second
	DefaultMaxBodyBytes = 1 << 20
	shutdownTimeout     = 10 * time.Second
)

// Waiter is what the server needs of the projections runner: to wait until
// every read model has applied a global position (read-your-writes).
type Waiter interface {
	WaitFor(ctx context.Context, pos uint64) error
}

// Config is what a Server is built from.
type Config struct {
	// Addr is the address Open listens on, e.g. "127.0.0.1:0".
	Addr string
	// Store is the event store: If-Match is checked against its streams, and
	// the firm's settings and proposals are folded from it.
	Store eventstore.Store
	// Idempotency keeps the answers of requests sent with an
	// Idempotency-Key for their retries. Nil keeps none: the key still
	// makes the command idempotent (it is the command id), but a retry is
	// answered with the resource as it is now, not replayed.
	Idempotency idempotency.Store
	// Billing runs the commands.
	Billing *billing.Service
	// Models answers the queries; Runner feeds them.
	Models *projections.Models
	Runner Waiter
	// TimeTravel answers reads with as_of (AsOfResolver); nil refuses
	// as_of.
	TimeTravel *projections.TimeTravel
	// Logger receives internal errors (never shown to clients); nil
	// discards.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil); "today" is its date in the
	// firm's time zone.
	Now func() time.Time
	// WaitTimeout bounds the wait for read models after a command
	// (DefaultWaitTimeout when 0).
	WaitTimeout time.Duration
	// BillingRun, when set, runs billing and collection now (POST
	// /api/billing-runs); nil answers that route 404.
	BillingRun func(context.Context) (any, error)
	// BillingDryRun, when set, answers what the billing run as of a date
	// (zero: today in the firm's time zone) would do, appending nothing
	// (POST /api/billing-runs with "dry_run": true): a billingrun.Report
	// with its Preview.
	BillingDryRun func(ctx context.Context, asOf domain.Date) (billingrun.Report, error)
	// UI, when set, is the server-rendered web UI: its routes (every path
	// outside /api/) are registered on the server's router, and errors on
	// its paths are answered with its HTML error page.
	UI UI
	// MaxBodyBytes bounds request bodies (DefaultMaxBodyBytes when 0).
	MaxBodyBytes int64
	// StripeWebhook, when set, takes Stripe's signed webhook deliveries at
	// StripeWebhookPath (public: the handler checks the signature); nil
	// answers that route 404.
	StripeWebhook http.Handler
	// SandboxWebhook, when set, takes the sandbox gateway's webhook
	// deliveries (signed as Stripe signs) at SandboxWebhookPath.
	SandboxWebhook http.Handler
	// GatewayPages, when set, is the sandbox gateway's hosted checkout
	// page, served under sandbox.CheckoutPath outside sign-in (it is the
	// gateway's page, not Remit's).
	GatewayPages http.Handler
	// Checkout opens hosted sessions that capture a client's payment method
	// (POST /api/clients/{id}/payment-method-sessions); nil answers 404.
	Checkout *gateways.Checkout
	// Links signs the pay-now links POST /api/invoices/{id}/payment-link
	// answers (the key the UI checks them with); nil answers that route 404.
	Links *auth.LinkSigner
	// SellerEmail is the firm's electronic address in e-invoices (Peppol
	// scheme EM); empty leaves it out.
	SellerEmail string
	// Auth, when set, requires every request but login and the OpenAPI
	// document to carry a session or an API token, checks CSRF tokens and
	// each route's role, and records the signed-in user or token as the
	// actor. Nil keeps the X-Remit-Actor header (tests, local use).
	Auth *auth.Authenticator
	// Refunds refunds payments through the gateway (POST
	// /api/invoices/{id}/refunds); nil answers that the gateway cannot.
	Refunds *refunds.Refunder
	// Metrics, when set, counts every request and every command a request
	// runs; nil counts nothing.
	Metrics *metrics.Metrics
	// Ready runs the readiness checks of GET /readyz (nil: ready while
	// the server answers).
	Ready func(ctx context.Context) []ReadyCheck
	// Limits bound slow, idle and unauthenticated clients.
	Limits Limits
}

// UI is what the server needs of the web UI (package ui) to serve it beside
// the API.
type UI interface {
	// RegisterRoutes registers the UI's pages and actions on the server's
	// router; none is under /api/.
	RegisterRoutes(r *mux.Router)
	// RenderProblem answers p as the UI's HTML error page.
	RenderProblem(w http.ResponseWriter, r *http.Request, p Problem)
}

// Server is Remit's one HTTP server: the JSON API and, when Config.UI is
// set, the web UI, on one router.
type Server struct {
	ln     net.Listener
	server *http.Server
	router *mux.Router

	cfg     Config
	cat     *catalog.Catalog
	log     *slog.Logger
	firm    *projections.FirmView
	closeMu sync.Mutex
	openapi func() ([]byte, error)
	limits  Limits
	public  *inFlight
}

// NewServer returns a Server with every route registered; Open starts it.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.WaitTimeout <= 0 {
		cfg.WaitTimeout = DefaultWaitTimeout
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	s := &Server{router: mux.NewRouter(), cfg: cfg, log: cfg.Logger, cat: catalog.New(), limits: cfg.Limits.withDefaults()}
	s.public = &inFlight{max: s.limits.PublicPerClient, n: map[string]int{}}
	s.firm = projections.NewFirmView(cfg.Store, s.cat)
	s.openapi = sync.OnceValues(OpenAPI)
	s.server = &http.Server{Handler: s.observe(auth.SecurityHeaders(s.router)),
		ReadHeaderTimeout: s.limits.ReadHeaderTimeout, ReadTimeout: s.limits.ReadTimeout, WriteTimeout: s.limits.WriteTimeout,
		IdleTimeout: s.limits.IdleTimeout, MaxHeaderBytes: s.limits.MaxHeaderBytes,
		ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn)}

	s.router.NotFoundHandler = http.HandlerFunc(s.handleNotFound)
	s.router.MethodNotAllowedHandler = http.HandlerFunc(s.handleMethodNotAllowed)

	// One router, no subrouter: gorilla/mux answers 405 only for routes of
	// the router itself.
	api := s.router
	api.Use(s.limitBody, s.guard, s.track, AsOfResolver{TimeTravel: cfg.TimeTravel, Live: cfg.Models, Fail: s.Error,
		Zone: func(ctx context.Context) (*time.Location, error) {
			_, _, loc, err := s.firmAndZone(ctx)
			return loc, err
		}}.Middleware)
	s.registerHealthRoutes(api)
	s.registerAuthRoutes(api)
	s.registerUserRoutes(api)
	s.registerOpenAPIRoutes(api)
	s.registerFirmRoutes(api)
	s.registerClientRoutes(api)
	s.registerPaymentDetailsRoutes(api)
	s.registerPaymentLinkRoutes(api)
	s.registerForgetRoutes(api)
	s.registerContactRoutes(api)
	s.registerPaymentMethodRoutes(api)
	s.registerRenewalRoutes(api)
	s.registerProposalRoutes(api)
	s.registerProposalTemplateRoutes(api)
	s.registerServiceRoutes(api)
	s.registerScheduleItemRoutes(api)
	s.registerInvoiceRoutes(api)
	s.registerRefundRoutes(api)
	s.registerLedgerRoutes(api)
	s.registerPayoutRoutes(api)
	s.registerCollectionsRoutes(api)
	s.registerReportRoutes(api)
	s.registerLibraryRoutes(api)
	s.registerPriceIncreaseRoutes(api)
	s.registerEInvoiceRoutes(api)
	s.registerPDFRoutes(api)
	s.registerPaymentRoutes(api)
	s.registerActivityRoutes(api)
	s.registerChangesRoutes(api)
	s.registerEvidenceRoutes(api)
	s.registerImportRoutes(api)
	s.registerBillingRunRoutes(api)
	s.registerWebhookRoutes(api)
	s.registerCheckoutRoutes(api)
	if cfg.UI != nil {
		// Everything outside /api/ is the UI's; it signs people in itself
		// (routeAccess treats its paths as public).
		cfg.UI.RegisterRoutes(api)
	}
	return s
}

// Router returns the server's router (tests walk it).
func (s *Server) Router() *mux.Router { return s.router }

// ServeHTTP serves a request through the router, without a listener.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.server.Handler.ServeHTTP(w, r) }

// Open listens on Config.Addr and serves in a goroutine until Close.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	go func() {
		if err := s.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// Addr returns the address the server listens on (after Open).
func (s *Server) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// URL returns the server's base URL, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// Close stops accepting connections and waits (up to 10 s) for requests in
// flight to finish, so no accepted command is cut off half-answered.
func (s *Server) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	return s.server.Shutdown(ctx)
}

// limitBody caps every request body at MaxBodyBytes.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.Error(w, r, ErrNoRoute(r))
}

func (s *Server) handleMethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	s.Error(w, r, ErrMethodNotAllowed(r))
}

// actor is who is asking: the signed-in user or API token ("user:<id>",
// "token:<id>") when Config.Auth is set, else the X-Remit-Actor header, or
// "api".
func actor(r *http.Request) string {
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		return p.Actor()
	}
	if a := r.Header.Get("X-Remit-Actor"); a != "" {
		return a
	}
	return "api"
}

// today is the firm's calendar date now (UTC before the firm is set up).
func (s *Server) today(ctx context.Context) (domain.Date, error) {
	_, _, loc, err := s.firmAndZone(ctx)
	if err != nil {
		return domain.Date{}, err
	}
	return domain.DateOf(AsOfNow(ctx, s.cfg.Now), loc), nil
}
