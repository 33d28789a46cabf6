package ui

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"remit/web/auth"
)

type loginData struct {
	Error, Email, Next string
}

// Gate puts sign-in in front of the UI: /login shows and checks the sign-in
// form (a new session, with a fresh id, on success), /logout ends the session,
// and every other page needs a signed-in person: a browser without a session
// is sent to /login and back afterwards. Unsafe requests need the session's
// CSRF token (the pages carry it in every form) and a role that may change
// things (auditors read only). Static assets and the client-link pages
// under /c/ (guarded by their signed tokens instead) are public, as are the
// first-run setup link (/setup/<token>) and an invited user's set-password
// link (/set-password/<token>), which carry their own one-time tokens. The
// users page (/settings/users) is the owners'. The principal is put
// in the request's context, where Config.CSRFToken and Config.Actor find it.
//
// Every answer is a page in the app's layout: Gate renders through next
// when next is the UI (New), else with the layout alone.
func Gate(next http.Handler, a *auth.Authenticator) http.Handler {
	pr, ok := next.(pageRenderer)
	if !ok {
		pr = layoutPages{pages: mustParsePages(), log: slog.New(slog.DiscardHandler)}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/static/"):
			next.ServeHTTP(w, r)
			return
		case strings.HasPrefix(r.URL.Path, "/c/"):
			// Client links: no staff session; the signed token in the path
			// is the only authority, checked by the page itself.
			next.ServeHTTP(w, r)
			return
		case r.URL.Path == "/login":
			login(w, r, a, pr)
			return
		case strings.HasPrefix(r.URL.Path, setupPrefix):
			serveSetup(w, r, a, pr) // the first-run link: its token is the authority
			return
		case strings.HasPrefix(r.URL.Path, setPasswordPrefix):
			serveSetPassword(w, r, a, pr) // an invitation: its token is the authority
			return
		case r.URL.Path == "/logout" && r.Method == http.MethodPost:
			if p, err := a.Authenticate(r); err == nil && auth.CheckCSRF(r, p) {
				a.Logout(r)
			}
			a.ClearSessionCookie(w, r)
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		p, err := a.Authenticate(r)
		if err != nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			gateMessage(pr, w, r, http.StatusUnauthorized, "Signed out", "You are signed out, so nothing was changed: sign in and try again.")
			return
		}
		r = r.WithContext(auth.WithPrincipal(r.Context(), p))
		if r.ContentLength > maxFormBytes {
			// Said before the CSRF check, which cannot read such a form.
			gateMessage(pr, w, r, http.StatusRequestEntityTooLarge, "Too much to send", "What was sent is too large (at most 1 MB); nothing was saved.")
			return
		}
		if !auth.CheckCSRF(r, p) {
			gateMessage(pr, w, r, http.StatusForbidden, "This form has expired", "Nothing was changed: go back, reload the page and try again.")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := auth.Allow(p, auth.Write); err != nil {
				gateMessage(pr, w, r, http.StatusForbidden, "Not allowed", "Your role may only look, not change anything; nothing was changed.")
				return
			}
		}
		if r.URL.Path == usersPath || strings.HasPrefix(r.URL.Path, usersPath+"/") {
			serveUsers(w, r, a, p, pr) // owners only
			return
		}
		next.ServeHTTP(w, r)
	})
}

// localPath keeps a redirect inside Remit: only a path of its own, starting
// with one slash, with no control character or backslash anywhere: browsers
// and URL parsers drop tabs and newlines and read a backslash as a slash, so
// "/<TAB>/evil.example" would be //evil.example to them. Anything else
// leads to /.
func localPath(next string) string {
	if len(next) == 0 || next[0] != '/' || strings.HasPrefix(next, "//") {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" {
		return "/"
	}
	return next
}

func login(w http.ResponseWriter, r *http.Request, a *auth.Authenticator, pr pageRenderer) {
	data := loginData{Next: localPath(r.URL.Query().Get("next"))}
	show := func(status int) {
		pr.render(w, r, status, "login", &view{Title: "Sign in", Bare: true, D: data})
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		show(http.StatusOK)
		return
	}
	if r.Method != http.MethodPost {
		gateMessage(pr, w, r, http.StatusMethodNotAllowed, "Not allowed", r.Method+" is not allowed here.")
		return
	}
	// Login CSRF: a cross-site form post carries another Origin.
	if !auth.SameOrigin(r) {
		gateMessage(pr, w, r, http.StatusForbidden, "Not signed in", "Sign in from Remit's own page.")
		return
	}
	data.Email, data.Next = r.PostFormValue("email"), localPath(r.PostFormValue("next"))
	a.Logout(r) // whatever session the browser had ends here
	sess, err := a.Login(r.Context(), data.Email, r.PostFormValue("password"), r.RemoteAddr)
	if err != nil {
		status := http.StatusUnauthorized
		data.Error = "That email and password do not match, or the account is locked for a while."
		if errors.Is(err, auth.ErrRateLimited) {
			status, data.Error = http.StatusTooManyRequests, "Too many attempts: wait a minute and try again."
		}
		show(status)
		return
	}
	a.SetSessionCookie(w, r, sess)
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
}
