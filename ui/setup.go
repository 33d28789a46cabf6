package ui

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"remit/auth"
	"remit/domain"
)

// The first-run setup link: on a store with no users, `remit serve` prints
// a one-time link /setup/<token> (valid an hour, held in memory) where the
// first owner chooses their email, name and password. Gate serves it; once
// an owner exists, or the link was used or expired, it answers 404.

var setupPage = template.Must(template.New("setup").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>Set up Remit</title>
<link rel="stylesheet" href="/static/remit.css">
</head>
<body>
<main id="main" class="login">
<h1>Set up Remit</h1>
<p>Make the first owner: they can do everything, and add the other users.</p>
{{if .Error}}<div class="flash err" role="alert">{{.Error}}</div>{{end}}
<form method="post">
<p><label for="email">Email</label><br><input id="email" name="email" type="email" autocomplete="username" required value="{{.Email}}"></p>
<p><label for="name">Name</label><br><input id="name" name="name" autocomplete="name" value="{{.Name}}"></p>
<p><label for="password">Password (at least 12 characters)</label><br><input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required></p>
<p><label for="password2">Password again</label><br><input id="password2" name="password2" type="password" autocomplete="new-password" minlength="12" required></p>
<p><button type="submit">Create the owner and sign in</button></p>
</form>
</main>
</body>
</html>
`))

type setupData struct {
	Error, Email, Name string
}

// setupPrefix starts the path of the setup link.
const setupPrefix = "/setup/"

// serveSetup answers /setup/<token>: the form (GET) and the first owner's
// creation (POST), which signs them in.
func serveSetup(w http.ResponseWriter, r *http.Request, a *auth.Authenticator) {
	w.Header().Set("Cache-Control", "no-store")
	token := strings.TrimPrefix(r.URL.Path, setupPrefix)
	if !a.SetupOpen(r.Context(), token) {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		setupPage.Execute(w, setupData{})
		return
	case http.MethodPost:
	default:
		http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
		return
	}
	if !auth.SameOrigin(r) {
		http.Error(w, "Set Remit up from its own page.", http.StatusForbidden)
		return
	}
	data := setupData{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name"))}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password2") {
		data.Error = "The two passwords differ."
		w.WriteHeader(http.StatusUnprocessableEntity)
		setupPage.Execute(w, data)
		return
	}
	sess, err := a.CompleteSetup(r.Context(), token, auth.NewUser{Email: data.Email, Name: data.Name, Password: pw})
	if err != nil {
		switch domain.ErrorCode(err) {
		case domain.ENOTFOUND:
			http.NotFound(w, r)
			return
		case domain.EINVALID, domain.ECONFLICT:
			data.Error = domain.ErrorMessage(err)
			w.WriteHeader(http.StatusUnprocessableEntity)
			setupPage.Execute(w, data)
			return
		}
		http.Error(w, "The owner could not be made; see the server log.", http.StatusInternalServerError)
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
