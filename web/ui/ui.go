package ui

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"remit/billing"
	"remit/domain"
	"remit/domain/catalog"
	"remit/domain/firm"
	"remit/eventstore"
	"remit/projections"
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
	// the csrf_token field; nil renders no such field.
	CSRFToken func(*http.Request) string
	// Actor names who is asking, recorded on every event; nil means "ui".
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
	// "stripe"): methods clients add through a link are on file with it, and
	// staff's method form starts with it. "" is the sandbox.
	Gateway string
	// BillingRun runs billing and collection now and returns what it did
	// (a billingrun.RunResult); nil hides the "Run billing now" action.
	BillingRun func(context.Context) (any, error)
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
}

// handler is the UI: a ServeMux with one method per page or action.
type handler struct {
	cfg   Config
	mux   *http.ServeMux
	pages map[string]*pageTemplate
	// linkPages are the client-facing pages reached by a signed link.
	linkPages map[string]*pageTemplate
	log       *slog.Logger
	cat       *catalog.Catalog

	firmMu  sync.Mutex
	firm    firm.State
	firmRev uint64
	firmHas bool
	firmLoc *time.Location

	tokens  tokenLocks
	lastRun lastRun

	oauthFlows pendingFlows
	csp        string
}

// New returns the UI as an http.Handler serving everything outside /api/.
func New(cfg Config) http.Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.WaitTimeout <= 0 {
		cfg.WaitTimeout = 5 * time.Second
	}
	h := &handler{cfg: cfg, mux: http.NewServeMux(), log: cfg.Logger, cat: catalog.New(), firmLoc: time.UTC}
	h.csp = "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action " +
		strings.Join(append([]string{"'self'"}, cfg.LedgerOAuth.formActionSources()...), " ") + "; frame-ancestors 'none'"
	h.pages = mustParsePages()
	h.linkPages = mustParseLinkPages()
	static, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // the embedded folder is part of the binary
	}
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	h.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/clients", http.StatusSeeOther)
	})
	h.registerClientRoutes()
	h.registerClientPageRoutes()
	h.registerPaymentMethodRoutes()
	h.registerServiceRoutes()
	h.registerScheduleRoutes()
	h.registerInvoiceRoutes()
	h.registerLedgerRoutes()
	h.registerLedgerConnectRoutes()
	h.registerProposalRoutes()
	h.registerClientLinkRoutes()
	h.registerBillingRunRoutes()
	h.registerFirmRoutes()
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.notFound(w, r, "There is no page at "+r.URL.Path+".")
	})
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", h.csp)
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
	h.mux.ServeHTTP(w, r)
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

func (h *handler) actor(r *http.Request) string {
	if h.cfg.Actor != nil {
		if a := h.cfg.Actor(r); a != "" {
			return a
		}
	}
	return "ui"
}

func (h *handler) csrf(r *http.Request) string {
	if h.cfg.CSRFToken == nil {
		return ""
	}
	return h.cfg.CSRFToken(r)
}

// firmNow returns the firm's settings and time zone. The read models have no
// firm projection, so the firm stream is folded here, incrementally: each
// call reads only events after the last one it saw.
func (h *handler) firmNow(ctx context.Context) (firm.State, *time.Location, error) {
	h.firmMu.Lock()
	defer h.firmMu.Unlock()
	from := uint64(0)
	if h.firmHas {
		from = h.firmRev + 1
	}
	recs, err := h.cfg.Store.ReadStream(ctx, firm.StreamName(), from, eventstore.Forward, 0)
	if err != nil {
		return firm.State{}, nil, fmt.Errorf("read firm: %w", err)
	}
	for _, rec := range recs {
		e, err := h.cat.Decode(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			return firm.State{}, nil, fmt.Errorf("decode firm@%d: %w", rec.Revision, err)
		}
		h.firm = firm.Evolve(h.firm, e)
		h.firmRev, h.firmHas = rec.Revision, true
	}
	if len(recs) > 0 {
		h.firmLoc = time.UTC
		if tz := h.firm.TimeZone; tz != "" {
			if l, err := time.LoadLocation(tz); err == nil {
				h.firmLoc = l
			}
		}
	}
	return h.firm, h.firmLoc, nil
}

// today is the firm's calendar date now.
func (h *handler) today(ctx context.Context) (domain.Date, *time.Location, error) {
	_, loc, err := h.firmNow(ctx)
	if err != nil {
		return domain.Date{}, nil, err
	}
	return domain.DateOf(h.cfg.Now(), loc), loc, nil
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
	res, err := do(r.Context(), meta)
	if err != nil {
		return res, err
	}
	if h.cfg.Runner != nil {
		ctx, cancel := context.WithTimeout(r.Context(), h.cfg.WaitTimeout)
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

// userMessage is what a person is told of an error: the domain's message,
// or a generic one for anything internal (logged instead).
func (h *handler) userMessage(r *http.Request, err error) string {
	switch domain.ErrorCode(err) {
	case domain.EINTERNAL, "":
		h.log.Error("ui request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		return "Something went wrong on our side; nothing was changed. Please try again."
	}
	var v *domain.ValidationError
	if errors.As(err, &v) {
		parts := make([]string, 0, len(v.Problems))
		for _, p := range v.Problems {
			parts = append(parts, p.Message)
		}
		return strings.Join(parts, "; ")
	}
	return domain.ErrorMessage(err)
}

// statusOf is the HTTP status of a failed form submission.
func statusOf(err error) int {
	switch domain.ErrorCode(err) {
	case domain.EINVALID:
		return http.StatusUnprocessableEntity
	case domain.ENOTFOUND:
		return http.StatusNotFound
	case domain.ECONFLICT:
		return http.StatusConflict
	case domain.EFORBIDDEN:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

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
