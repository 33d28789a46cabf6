package ui

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"remit/auth"
)

// loginPage is the sign-in form: a page of its own (no layout, no client
// data), styled by the same stylesheet, with no script.
var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Remit</title>
<link rel="stylesheet" href="/static/remit.css">
</head>
<body>
<main id="main" class="login">
<h1>Sign in to Remit</h1>
{{if .Error}}<div class="flash err" role="alert">{{.Error}}</div>{{end}}
<form method="post" action="/login">
<input type="hidden" name="next" value="{{.Next}}">
<p><label for="email">Email</label><br><input id="email" name="email" type="email" autocomplete="username" required value="{{.Email}}"></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form>
</main>
</body>
</html>
`))

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
func Gate(next http.Handler, a *auth.Authenticator) http.Handler {
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
			login(w, r, a)
			return
		case strings.HasPrefix(r.URL.Path, setupPrefix):
			serveSetup(w, r, a) // the first-run link: its token is the authority
			return
		case strings.HasPrefix(r.URL.Path, setPasswordPrefix):
			serveSetPassword(w, r, a) // an invitation: its token is the authority
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
			http.Error(w, "Sign in first.", http.StatusUnauthorized)
			return
		}
		if !auth.CheckCSRF(r, p) {
			http.Error(w, "This form has expired: reload the page and try again.", http.StatusForbidden)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := auth.Allow(p, auth.Write); err != nil {
				http.Error(w, "Your role may only look, not change anything.", http.StatusForbidden)
				return
			}
		}
		if r.URL.Path == usersPath || strings.HasPrefix(r.URL.Path, usersPath+"/") {
			serveUsers(w, r, a, p) // owners only
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
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

func login(w http.ResponseWriter, r *http.Request, a *auth.Authenticator) {
	w.Header().Set("Cache-Control", "no-store")
	data := loginData{Next: localPath(r.URL.Query().Get("next"))}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		loginPage.Execute(w, data)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
		return
	}
	// Login CSRF: a cross-site form post carries another Origin.
	if !auth.SameOrigin(r) {
		http.Error(w, "Sign in from Remit's own page.", http.StatusForbidden)
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
		w.WriteHeader(status)
		loginPage.Execute(w, data)
		return
	}
	a.SetSessionCookie(w, r, sess)
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
}
