package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"remit/domain"
	"remit/web/auth"
)

type loginData struct {
	Error, Email, Next string
}

// Sign-in (with Config.Auth set): /login shows and checks the sign-in form
// (a new session, with a fresh id, on success), /logout ends the session,
// and every other page needs a signed-in person (handler.signedIn): a
// browser without a session is sent to /login and back afterwards. Unsafe
// requests need the session's CSRF token (the pages carry it in every form)
// and a role that may change things (auditors read only). Static assets and
// the client-link pages under /c/ (guarded by their signed tokens instead)
// are public, as are the first-run setup link (/setup/{token}, setup.go)
// and an invited user's set-password link (/set-password/{token},
// users.go), which carry their own one-time tokens. The users page
// (/settings/users) is the owners'. The principal is put in the request's
// context, where the pages find who is asking and their CSRF token.

// registerSignInRoutes registers sign-in, sign-out and the one-time links
// that sign people in; none without sign-in.
func (h *handler) registerSignInRoutes(rt routes) {
	if h.cfg.Auth == nil {
		return
	}
	pub := rt.public()
	pub.get("/login", h.handleLoginForm)
	pub.post("/login", h.handleLogin)
	pub.post("/logout", h.handleLogout)
	pub.get(setupPrefix+"{token}", h.handleSetupForm)
	pub.post(setupPrefix+"{token}", h.handleSetup)
	pub.get(setPasswordPrefix+"{token}", h.handleSetPasswordForm)
	pub.post(setPasswordPrefix+"{token}", h.handleSetPassword)
}

// signedIn lets r through to a route needing need when a signed-in person
// may use it, and returns r carrying that person; else it answers (a
// browser not signed in is sent to sign in) and returns false.
func (h *handler) signedIn(w http.ResponseWriter, r *http.Request, need auth.Access) (*http.Request, bool) {
	p, ok := auth.PrincipalFrom(r.Context()) // the server's auth middleware found who is asking
	var err error
	if !ok {
		p, err = h.cfg.Auth.Authenticate(r)
	}
	if err != nil {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return r, false
		}
		gateMessage(h, w, r, http.StatusUnauthorized, "Signed out", "You are signed out, so nothing was changed: sign in and try again.")
		return r, false
	}
	r = r.WithContext(auth.WithPrincipal(r.Context(), p))
	if r.ContentLength > maxFormBytes {
		// Said before the CSRF check, which cannot read such a form.
		gateMessage(h, w, r, http.StatusRequestEntityTooLarge, "Too much to send", "What was sent is too large (at most 1 MB); nothing was saved.")
		return r, false
	}
	if !auth.CheckCSRF(r, p) {
		gateMessage(h, w, r, http.StatusForbidden, "This form has expired", "Nothing was changed: go back, reload the page and try again.")
		return r, false
	}
	if err := auth.Allow(p, need); err != nil {
		if need == auth.Write {
			err = domain.Forbidden("Your role may only look, not change anything; nothing was changed.")
		}
		h.fail(w, r, err)
		return r, false
	}
	return r, true
}

func (h *handler) handleLogout(w http.ResponseWriter, r *http.Request) {
	a := h.cfg.Auth
	// Not shown as signed out unless the session ended (or there is none):
	// its cookie would still get in.
	p, err := a.Authenticate(r)
	switch {
	case err != nil && !errors.Is(err, auth.ErrUnauthenticated):
		h.fail(w, r, err) // the sign-in state cannot be read
		return
	case err == nil && auth.CheckCSRF(r, p):
		if err := a.Logout(r); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	a.ClearSessionCookie(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
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

// showLogin renders the sign-in form with status.
func (h *handler) showLogin(w http.ResponseWriter, r *http.Request, status int, data loginData) {
	h.render(w, r, status, "login", &view{Title: "Sign in", Bare: true, D: data})
}

func (h *handler) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	h.showLogin(w, r, http.StatusOK, loginData{Next: localPath(r.URL.Query().Get("next"))})
}

// handleLogin checks the credentials; a wrong password and too many
// attempts re-render the form with their status (401, 429).
func (h *handler) handleLogin(w http.ResponseWriter, r *http.Request) {
	a := h.cfg.Auth
	// Login CSRF: a cross-site form post carries another Origin.
	if !auth.SameOrigin(r) {
		gateMessage(h, w, r, http.StatusForbidden, "Not signed in", "Sign in from Remit's own page.")
		return
	}
	data := loginData{Email: r.PostFormValue("email"), Next: localPath(r.PostFormValue("next"))}
	a.Logout(r) // whatever session the browser had ends here
	sess, err := a.Login(r.Context(), data.Email, r.PostFormValue("password"), r.RemoteAddr)
	if err != nil {
		status := statusOf(err)
		switch status {
		case http.StatusUnauthorized:
			data.Error = "That email and password do not match, or the account is locked for a while."
		case http.StatusTooManyRequests:
			data.Error = "Too many attempts: wait a minute and try again."
		default:
			data.Error = h.userMessage(r, err)
		}
		h.showLogin(w, r, status, data)
		return
	}
	a.SetSessionCookie(w, r, sess)
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
}
