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
// first owner chooses their email, name and password. Gate serves it; once
// an owner exists, or the link was used or expired, it answers 404.

type setupData struct {
	Error, Email, Name string
}

// deadSetupLink is what a used, expired or wrong setup link says.
const deadSetupLink = "This setup link is not valid: it was used, it expired, or Remit has an owner already. Sign in, or ask whoever runs Remit for a new link."

// setupPrefix starts the path of the setup link.
const setupPrefix = "/setup/"

// serveSetup answers /setup/<token>: the form (GET) and the first owner's
// creation (POST), which signs them in.
func serveSetup(w http.ResponseWriter, r *http.Request, a *auth.Authenticator, pr pageRenderer) {
	token := strings.TrimPrefix(r.URL.Path, setupPrefix)
	if !a.SetupOpen(r.Context(), token) {
		gateMessage(pr, w, r, http.StatusNotFound, "Link not valid", deadSetupLink)
		return
	}
	var data setupData
	show := func(status int) {
		pr.render(w, r, status, "setup", &view{Title: "Set up Remit", Bare: true, D: data})
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		show(http.StatusOK)
		return
	case http.MethodPost:
	default:
		gateMessage(pr, w, r, http.StatusMethodNotAllowed, "Not allowed", r.Method+" is not allowed here.")
		return
	}
	if !auth.SameOrigin(r) {
		gateMessage(pr, w, r, http.StatusForbidden, "Not allowed", "Set Remit up from its own page.")
		return
	}
	data = setupData{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name"))}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password2") {
		data.Error = "The two passwords differ."
		show(http.StatusUnprocessableEntity)
		return
	}
	sess, err := a.CompleteSetup(r.Context(), token, auth.NewUser{Email: data.Email, Name: data.Name, Password: pw})
	if err != nil {
		switch domain.ErrorCode(err) {
		case domain.ENOTFOUND:
			gateMessage(pr, w, r, http.StatusNotFound, "Link not valid", deadSetupLink)
			return
		case domain.EINVALID, domain.ECONFLICT:
			data.Error = domain.ErrorMessage(err)
			show(http.StatusUnprocessableEntity)
			return
		}
		gateMessage(pr, w, r, http.StatusInternalServerError, "Something went wrong", "The owner could not be made; see the server log.")
		return
	}
	a.SetSessionCookie(w, r, sess)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// AnnounceSetup starts the first-run setup of a store with no users: it
// makes the one-time link's token and, once the server's address is known
// (publicURL, else what listenURL returns once it is not nil), logs
// the link as a warning and prints it on standard output, where the person
// who started `remit serve` sees it. It returns at once. A store that has
// users already gets nothing.
func AnnounceSetup(ctx context.Context, a *auth.Authenticator, log *slog.Logger, publicURL string, listenURL func() *string) {
	tok, err := a.StartSetup(ctx, auth.SetupTTL)
	if err != nil {
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
