package ui

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/firm"
	"remit/eventstore"
	"remit/integrations/payments/gateways"
	"remit/processes/billingrun"
	"remit/processes/refunds"
	"remit/projections"
	"remit/web/api"
	"remit/web/auth"
)

//go:embed templates static
var assets embed.FS

// Waiter is what the UI needs of the projections runner: read-your-writes
// after a command (projections.Runner has it).
type Waiter interface {
	WaitFor(ctx context.Context, pos uint64) error
}

// Config is what the UI is built on.
type Config struct {
	// Billing runs every command.
	Billing *billing.Service
	// Models answers every page's queries.
	Models *projections.Models
	// TimeTravel answers the pages with as_of when the UI is served alone
	// (served with the API, the API server's does); nil refuses as_of.
	TimeTravel *projections.TimeTravel
	// Runner is waited on after a command so the page redirected to shows
	// its effect.
	Runner Waiter
	// Store is read for what the read models lack: the firm's settings, a
	// proposal's lines, when a client's links were last revoked (folded
	// from their streams). The one command written to it directly is
	// "Revoke client links" (auth.RevokeClientLinks).
	Store eventstore.Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives internal errors (never shown to the user); nil
	// discards.
	Logger *slog.Logger
	// CSRFToken returns the request's CSRF token, sent back by every form in
	// the csrf_token field; nil means the signed-in person's (none without
	// sign-in: no such field).
	CSRFToken func(*http.Request) string
	// Actor names who is asking, recorded on every event; nil means the
	// signed-in person, or "ui" without sign-in.
	Actor func(*http.Request) string
	// WaitTimeout bounds the wait for the read models after a command;
	// zero means 5 seconds.
	WaitTimeout time.Duration
	// Links signs and checks the client links (proposal acceptance, payment
	// method) served under /c/; nil turns client links off.
	Links *auth.LinkSigner
	// SellerEmail is the firm's electronic address in e-invoices (Peppol
	// scheme EM); empty leaves it out.
	SellerEmail string
	// Gateway names the payment gateway Remit collects with ("sandbox",
	// "stripe"). "" is the sandbox.
	Gateway string
	// Checkout captures payment methods on the gateway's hosted page: every
	// "Add a card or bank account" button (client links, staff's Payment
	// methods tab) opens it; nil: no method can be added through the UI.
	Checkout *gateways.Checkout
	// SendsEmail: emails go out through an SMTP server (serve --smtp);
	// false: they are written to the data folder's outbox. The Dashboard's
	// Getting started checklist says which.
	SendsEmail bool
	// PasswordLinks emails a user the set-password link an owner makes on
	// the Users page (an invitation, or a new link); nil: the page only
	// shows the link, for the owner to send.
	PasswordLinks *PasswordLinkMailer
	// Refunds refunds payments through the gateway (the invoice page's
	// Refund action); nil: the action answers that the gateway cannot.
	Refunds *refunds.Refunder
	// BillingRun runs billing and collection now and returns what it did
	// (a billingrun.RunResult); nil hides the "Run billing now" action.
	BillingRun func(context.Context) (any, error)
	// BillingDryRun answers what the billing run as of a date (zero:
	// today) would do, writing nothing; nil hides the billing run preview.
	BillingDryRun func(ctx context.Context, asOf domain.Date) (billingrun.Report, error)
	// LedgerOAuth lets an owner connect Xero or QuickBooks Online from the
	// Ledger page (OAuth 2.0 authorization code with PKCE); nil hides the
	// Connect buttons.
	LedgerOAuth *LedgerOAuth
	// LogoDir keeps the firm's uploaded logo, named by its SHA-256 (the
	// firm's setting records only the hash); "" turns logo uploads off.
	LogoDir string
	// Users names the people in activity and audit trails; nil names them
	// "a user who is no longer on file".
	Users UserDirectory
	// Auth, when set, puts sign-in in front of the UI: /login and /logout,
	// the first-run setup link, invited users' set-password links and the
	// owners' users page are served, and every other page but the static
	// files and the client links needs a signed-in person (see
	// handler.signedIn). Nil serves every page to anyone (--no-auth).
	Auth *auth.Authenticator
	// CollectNow charges one invoice on the spot through the collection
	// path (billingrun.CollectNow: the retry scheduled for today under the
	// form's command id, the attempt made with its idempotency key) and
	// answers the outcome; nil makes "Retry now" a link to the retry form.
	CollectNow func(ctx context.Context, invoiceID, methodID uuid.UUID, meta billing.Meta) (billingrun.NowOutcome, error)
	// AttemptDueNow makes the attempt of an invoice's collection scheduled
	// for today on the spot (billingrun.AttemptDueNow) and answers the
	// outcome: a client who asks on their link for the charge today is
	// charged then, not at the next daily run. Nil leaves it to that run.
	AttemptDueNow func(ctx context.Context, invoiceID uuid.UUID, actor string) (billingrun.NowOutcome, error)
	// PayNow opens the gateway's hosted page for a pay-now link
	// (/c/i/{token}) and records what was paid; nil shows the invoice with
	// no "Pay now".
	PayNow *gateways.PayNow
}

// UI is the server-rendered web UI. The one HTTP server (api.Server, given
// the UI as api.Config.UI) registers the UI's routes on its router
// (RegisterRoutes) and answers every error on the UI's paths with the UI's
// error page (RenderProblem). ServeHTTP serves the UI alone, on a router of
// its own with the same routes: for tests, and for a UI without the API.
type UI struct {
	h     *handler
	alone *mux.Router
}

// handler is the UI's pages and actions: one method per page or action,
// registered per resource file by a registerXRoutes method.
type handler struct {
	cfg   Config
	pages map[string]*pageTemplate
	// linkPages are the client-facing pages reached by a signed link.
	linkPages map[string]*pageTemplate
	log       *slog.Logger
	cat       *catalog.Catalog

	firm *projections.FirmView

	tokens  tokenLocks
	lastRun lastRun

	oauthFlows pendingFlows
	csp        string

	// forms knows which pages are forms, so a page as of a moment can
	// disable the links to them.
	forms *formPaths
}

// New returns the UI built on cfg.
func New(cfg Config) *UI {
	h := newHandler(cfg)
	u := &UI{h: h, alone: mux.NewRouter()}
	h.handleRouterErrors(u.alone)
	u.alone.Use(api.AsOfResolver{TimeTravel: cfg.TimeTravel, Live: cfg.Models, Fail: h.fail,
		Zone: func(ctx context.Context) (*time.Location, error) { _, loc, err := h.firmNow(ctx); return loc, err }}.Middleware)
	h.registerRoutes(u.alone)
	return u
}

func newHandler(cfg Config) *handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.WaitTimeout <= 0 {
		cfg.WaitTimeout = 5 * time.Second
	}
	h := &handler{cfg: cfg, log: cfg.Logger, cat: catalog.New(), forms: newFormPaths()}
	h.firm = projections.NewFirmView(cfg.Store, h.cat)
	h.csp = "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action " +
		strings.Join(append([]string{"'self'"}, cfg.LedgerOAuth.formActionSources()...), " ") + "; frame-ancestors 'none'"
	h.pages = mustParsePages()
	h.linkPages = mustParseLinkPages()
	return h
}

// RegisterRoutes registers every page and action of the UI on r (the
// server's router).
func (u *UI) RegisterRoutes(r *mux.Router) { u.h.registerRoutes(r) }

// RenderProblem answers p as the UI's error page.
func (u *UI) RenderProblem(w http.ResponseWriter, r *http.Request, p api.Problem) {
	u.h.renderProblem(w, r, p)
}

// ServeHTTP serves the UI alone, without the API.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) { u.alone.ServeHTTP(w, r) }

// handleRouterErrors answers requests r has no route or method for with the
// UI's error page, as api.Server does for the UI's paths.
func (h *handler) handleRouterErrors(r *mux.Router) {
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.fail(w, r, api.ErrNoRoute(r)) })
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.fail(w, r, api.ErrMethodNotAllowed(r)) })
}

// registerRoutes registers the UI on r, one registerXRoutes per resource
// file. Routes are matched in this order, so a literal path ("/clients/new")
// comes before the pattern it would also match ("/clients/{id}").
func (h *handler) registerRoutes(r *mux.Router) {
	rt := routes{r: r, h: h, need: staffAccess}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // the embedded folder is part of the binary
	}
	rt.public().prefix("/static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))).ServeHTTP, http.MethodGet, http.MethodHead)
	rt.get("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/clients", http.StatusSeeOther)
	})
	h.registerSignInRoutes(rt)
	h.registerGettingStartedRoutes(rt)
	h.registerUserRoutes(rt)
	h.registerTokenRoutes(rt)
	h.registerPaymentDetailsRoutes(rt)
	h.registerPayNowRoutes(rt)
	h.registerClientImportRoutes(rt)
	h.registerClientRoutes(rt)
	h.registerClientPageRoutes(rt)
	h.registerPaymentMethodRoutes(rt)
	h.registerServiceRoutes(rt)
	h.registerScheduleRoutes(rt)
	h.registerInvoiceRoutes(rt)
	h.registerLedgerRoutes(rt)
	h.registerPayoutRoutes(rt)
	h.registerCollectionsRoutes(rt)
	h.registerDashboardRoutes(rt)
	h.registerLedgerConnectRoutes(rt)
	h.registerProposalRoutes(rt)
	h.registerProposalEditRoutes(rt)
	h.registerProposalTemplateRoutes(rt)
	h.registerClientLinkRoutes(rt)
	h.registerBillingRunRoutes(rt)
	h.registerFirmRoutes(rt)
	h.registerLibraryRoutes(rt)
	h.registerRenewalRoutes(rt)
	h.registerPriceIncreaseRoutes(rt)
	h.registerChangesRoutes(rt)
}

// routes registers UI routes on the router, each behind the UI's front
// door (handler.front) with the access need says (nil: public).
type routes struct {
	r    *mux.Router
	h    *handler
	need func(*http.Request) auth.Access
}

// staffAccess is what a staff page or action needs: a signed-in person for
// a page, one who may change things for an action.
func staffAccess(r *http.Request) auth.Access {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return auth.Read
	}
	return auth.Write
}

// public is rt for routes that need nobody signed in: the static files,
// sign-in, and the links whose token is their authority.
func (rt routes) public() routes { rt.need = nil; return rt }

// owners is rt for routes only owners may use, to read as well.
func (rt routes) owners() routes {
	rt.need = func(*http.Request) auth.Access { return auth.OwnerOnly }
	return rt
}

// get registers a page (GET, and HEAD).
func (rt routes) get(path string, f http.HandlerFunc) {
	rt.h.forms.add(http.MethodGet, path)
	rt.r.Handle(path, rt.h.front(rt.need, f)).Methods(http.MethodGet, http.MethodHead)
}

// post registers an action.
func (rt routes) post(path string, f http.HandlerFunc) {
	rt.h.forms.add(http.MethodPost, path)
	rt.r.Handle(path, rt.h.front(rt.need, f)).Methods(http.MethodPost)
}

// prefix registers f for every path under prefix, with methods (all when
// none).
func (rt routes) prefix(prefix string, f http.HandlerFunc, methods ...string) {
	route := rt.r.PathPrefix(prefix).Handler(rt.h.front(rt.need, f))
	if len(methods) > 0 {
		route.Methods(methods...)
	}
}

// front is every UI route's front door: the UI's security headers and body
// limit; then, for a route that is not public and when sign-in is on
// (Config.Auth), the signed-in person with the route's access; then the
// posted form, read once here so a form too large or unreadable gets its
// page. The router's path variables are set as the request's path values,
// which the handlers read (r.PathValue).
func (h *handler) front(need func(*http.Request) auth.Access, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range mux.Vars(r) {
			r.SetPathValue(k, v)
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		}
		h.setHeaders(w)
		if need != nil && h.cfg.Auth != nil {
			var ok bool
			if r, ok = h.signedIn(w, r, need(r)); !ok {
				return
			}
		}
		if r.Method == http.MethodPost && !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			say := func(status int, title, text string) {
				if strings.HasPrefix(r.URL.Path, "/c/") { // a client's page: none of the staff's navigation
					h.renderLink(w, r, status, "invalid", &view{Title: title, D: text})
					return
				}
				message(h, w, r, status, title, text)
			}
			if err := r.ParseForm(); err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					say(http.StatusRequestEntityTooLarge, "Too much to send", "What was sent is too large; nothing was saved.")
					return
				}
				say(http.StatusBadRequest, "Not understood", "The form could not be read; nothing was saved. Go back and try again.")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// setHeaders sets the UI's security headers: its own CSP (forms may post to
// the ledger's sign-in when ledger OAuth is on), no sniffing, no framing.
func (h *handler) setHeaders(w http.ResponseWriter) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", h.csp)
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// actor names who is asking: Config.Actor's answer, else the signed-in
// person, else "ui".
func (h *handler) actor(r *http.Request) string {
	if h.cfg.Actor != nil {
		if a := h.cfg.Actor(r); a != "" {
			return a
		}
	}
	if p, ok := auth.PrincipalFrom(r.Context()); ok {
		return p.Actor()
	}
	return "ui"
}

// csrf is the request's CSRF token: Config.CSRFToken's, else the signed-in
// person's.
func (h *handler) csrf(r *http.Request) string {
	if h.cfg.CSRFToken != nil {
		return h.cfg.CSRFToken(r)
	}
	p, _ := auth.PrincipalFrom(r.Context())
	return p.CSRFToken
}

// firmNow returns the firm's settings and time zone (projections.FirmView:
// no store read unless the read models moved).
func (h *handler) firmNow(ctx context.Context) (firm.State, *time.Location, error) {
	if a, ok := api.AsOfFrom(ctx); ok {
		f, _, loc, err := projections.FirmAt(ctx, h.cfg.Store, h.cat, a.Moment.Position)
		return f, loc, err
	}
	var pos uint64 // without read models: read the firm stream every time
	if h.cfg.Models != nil {
		pos = h.cfg.Models.Position()
	}
	f, _, loc, err := h.firm.At(ctx, pos)
	return f, loc, err
}

// today is the firm's calendar date now.
func (h *handler) today(ctx context.Context) (domain.Date, *time.Location, error) {
	_, loc, err := h.firmNow(ctx)
	if err != nil {
		return domain.Date{}, nil, err
	}
	return domain.DateOf(api.AsOfNow(ctx, h.cfg.Now), loc), loc, nil
}

// models returns the read models the request reads: as of its as_of, or
// live.
func (h *handler) models(ctx context.Context) *projections.Models {
	return api.ReadModels(ctx, h.cfg.Models)
}

// tokenLocks serialises requests carrying the same form token, so a
// double-clicked submit runs its command once and the second request finds
// it already applied.
type tokenLocks struct {
	stripes [64]sync.Mutex
}

func (l *tokenLocks) lock(token string) func() {
	h := uint32(2166136261)
	for i := 0; i < len(token); i++ {
		h = (h ^ uint32(token[i])) * 16777619
	}
	m := &l.stripes[h%uint32(len(l.stripes))]
	m.Lock()
	return m.Unlock
}

// meta builds the command's metadata from the form's one-time token: the
// token is the command id, so the same form submitted twice appends once.
func (h *handler) meta(r *http.Request) billing.Meta {
	m := billing.Meta{Actor: h.actor(r)}
	if t, err := uuid.Parse(r.PostFormValue(tokenField)); err == nil {
		m.CommandID = "ui:" + t.String()
	} else {
		m.CommandID = "ui:" + uuid.NewString() // a form without its token: run once
	}
	return m
}

// run runs a command under its form token's lock and waits for the read
// models to show its effect.
func (h *handler) run(r *http.Request, do func(ctx context.Context, meta billing.Meta) (billing.Result, error)) (billing.Result, error) {
	meta := h.meta(r)
	defer h.tokens.lock(meta.CommandID)()
	// A submitted form is accepted: finish it even if the browser goes away,
	// as the API does.
	ctx := context.WithoutCancel(r.Context())
	res, err := do(ctx, meta)
	if err != nil {
		return res, err
	}
	if h.cfg.Runner != nil {
		ctx, cancel := context.WithTimeout(ctx, h.cfg.WaitTimeout)
		defer cancel()
		if err := h.cfg.Runner.WaitFor(ctx, res.Position); err != nil {
			h.log.Warn("read models did not catch up after a command", "position", res.Position, "err", err)
		}
	}
	return res, nil
}

const flashCookie = "remit_flash"

// maxFormBytes bounds a submitted form.
const maxFormBytes = 1 << 20

// redirect answers a successful POST: 303 to the page to show, with a
// confirmation carried in a short-lived cookie (post/redirect/get).
func redirect(w http.ResponseWriter, r *http.Request, to, flash string) {
	if flash != "" {
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(flash), Path: "/", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// redirectError is redirect with an error message instead of a
// confirmation, for one-button actions whose page has no form to re-render.
func redirectError(w http.ResponseWriter, r *http.Request, to, msg string) {
	redirect(w, r, to, "!"+msg)
}

// takeFlash reads and clears the flash cookie.
func takeFlash(w http.ResponseWriter, r *http.Request) (ok, bad string) {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return "", ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	v, err := url.QueryUnescape(c.Value)
	if err != nil {
		return "", ""
	}
	if msg, found := strings.CutPrefix(v, "!"); found {
		return "", msg
	}
	return v, ""
}

// userMessage is what a person is told of an error: what the error page
// would say (problemText of api.ProblemOf): the domain's messages, or a
// generic one for anything internal (logged instead).
func (h *handler) userMessage(r *http.Request, err error) string {
	p := api.ProblemOf(err)
	if p.Status == http.StatusInternalServerError {
		h.log.Error("ui request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	return problemText(p)
}

// statusOf is the HTTP status of a failed form submission, from the one
// mapping of errors to statuses (api.StatusOf).
func statusOf(err error) int { return api.StatusOf(err) }

// idParam parses the path value name as a UUID; a malformed one names
// nothing, so it is answered 404 like an unknown one.
func (h *handler) idParam(w http.ResponseWriter, r *http.Request, name string) (uuid.UUID, bool) {
	id, err := uuid.Parse(r.PathValue(name))
	if err != nil {
		h.notFound(w, r, "There is nothing with that id.")
		return uuid.Nil, false
	}
	return id, true
}
