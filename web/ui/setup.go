package ui

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"remit/domain"
	"remit/web/auth"
)

// The first-run setup link: on a store with no users, `remit serve` prints
// a one-time link /setup/<token> (valid an hour, held in memory) where the
// first owner chooses their email, name and password. Once
// an owner exists, or the link was used or expired, it answers 404.
// Its routes are registered with sign-in's (registerSignInRoutes).

// deadSetupLink is what a used, expired or wrong setup link says.
const deadSetupLink = "This setup link is not valid: it was used, it expired, or Remit has an owner already. Sign in, or ask whoever runs Remit for a new link."

// setupPrefix starts the path of the setup link.
const setupPrefix = "/setup/"

// showSetup renders the setup form with status: what was typed (never
// the passwords) and each error beside its input.
func (h *handler) showSetup(w http.ResponseWriter, r *http.Request, status int, f *form) {
	h.render(w, r, status, "setup", &view{Title: "Set up Remit", Bare: true, Form: f})
}

// authForm is a sign-in style form as submitted, without the passwords, so
// a refused form keeps what was typed except what must be typed again.
func authForm(r *http.Request, keep ...string) *form {
	f := newForm()
	for _, k := range keep {
		f.set(k, strings.TrimSpace(r.PostFormValue(k)))
	}
	return f
}

// failAuthForm puts err on f: problems with a field beside its input, the
// rest above the form.
func (h *handler) failAuthForm(r *http.Request, f *form, err error) {
	f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
}

// passwordsDiffer marks the second password when the two differ.
func passwordsDiffer(r *http.Request, f *form) bool {
	if r.PostFormValue("password") == r.PostFormValue("password2") {
		return false
	}
	f.Errors["password2"] = "The two passwords differ: type the same password twice."
	return true
}

// setupOpen reports whether the path's setup link is still good, and
// answers 404 when it is not.
func (h *handler) setupOpen(w http.ResponseWriter, r *http.Request) bool {
	if !h.cfg.Auth.SetupOpen(r.Context(), r.PathValue("token")) {
		gateMessage(h, w, r, http.StatusNotFound, "Link not valid", deadSetupLink)
		return false
	}
	return true
}

// handleSetupForm shows the setup link's form.
func (h *handler) handleSetupForm(w http.ResponseWriter, r *http.Request) {
	if h.setupOpen(w, r) {
		h.showSetup(w, r, http.StatusOK, newForm())
	}
}

// handleSetup makes the first owner and signs them in.
func (h *handler) handleSetup(w http.ResponseWriter, r *http.Request) {
	if !h.setupOpen(w, r) {
		return
	}
	if !auth.SameOrigin(r) {
		gateMessage(h, w, r, http.StatusForbidden, "Not allowed", "Set Remit up from its own page.")
		return
	}
	f := authForm(r, "email", "name")
	if passwordsDiffer(r, f) {
		h.showSetup(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	sess, err := h.cfg.Auth.CompleteSetup(r.Context(), r.PathValue("token"), auth.NewUser{Email: f.Value("email"), Name: f.Value("name"), Password: r.PostFormValue("password")})
	switch {
	case domain.ErrorCode(err) == domain.ENOTFOUND: // used or expired meanwhile
		gateMessage(h, w, r, http.StatusNotFound, "Link not valid", deadSetupLink)
		return
	case err != nil:
		h.failAuthForm(r, f, err)
		h.showSetup(w, r, statusOf(err), f)
		return
	}
	h.cfg.Auth.SetSessionCookie(w, r, sess)
	// The firm has no name, currency or time zone yet: nothing can be
	// billed before it does, so the owner sets it up first.
	http.Redirect(w, r, "/settings/firm", http.StatusSeeOther)
}

// AnnounceSetup starts the first-run setup of a store with no users: it
// makes the one-time link's token (as node; see auth.StartSetupOn) and, once the server's address is known
// (publicURL, else what listenURL returns once it is not nil), logs
// the link as a warning and prints it on standard output, where the person
// who started `remit serve` sees it. It returns at once. A store that has
// users already gets nothing. When another node of the store printed a
// setup link that is still good, this one makes none and says so: which
// node, until when, and how to get another.
func AnnounceSetup(ctx context.Context, a *auth.Authenticator, log *slog.Logger, node, publicURL string, listenURL func() *string) {
	tok, held, err := a.StartSetupOn(ctx, auth.SetupTTL, node)
	if err != nil {
		if domain.ErrorCode(err) != domain.ECONFLICT { // a conflict: users exist
			log.Error("first-run setup link not made", "err", err)
		}
		return
	}
	if held != nil {
		until := held.Until.UTC().Format(time.RFC3339)
		log.Warn("no users yet: another node printed the one-time setup link; open it, or stop Remit and run `remit user add EMAIL --role owner`, or restart a node after the link expires for a new one", "node", held.Node, "until", until)
		fmt.Fprintf(os.Stdout, "Remit has no users yet. A setup link was already made by node %q, valid until %s: it is in that node's output.\nFor another, run `remit user add EMAIL --role owner`, or restart a node after %s.\n", held.Node, until, until)
		return
	}
	announce := func(base string) {
		link := strings.TrimRight(base, "/") + setupPrefix + tok
		log.Warn("no users yet: open the one-time setup link to make the first owner (valid 1 hour), or stop Remit and run `remit user add EMAIL --role owner`", "url", link)
		fmt.Fprintf(os.Stdout, "Remit has no users yet. Make the first owner at (valid 1 hour, once):\n  %s\n", link)
	}
	if publicURL != "" || listenURL == nil {
		announce(publicURL)
		return
	}
	go func() {
		// The server listens a moment after this is called.
		for range 600 {
			if u := listenURL(); u != nil && *u != "" {
				announce(*u)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
}
