package ui

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"remit/auth"
	"remit/domain"
	"remit/domain/user"
)

// The users page (/settings/users, owners only) and the set-password page
// an invited user opens (/set-password/<token>). Gate serves both: they
// need the Authenticator, which the rest of the UI does not.

const usersPath = "/settings/users"

var usersPage = template.Must(template.New("users").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Users · Remit</title>
<link rel="stylesheet" href="/static/remit.css">
</head>
<body>
<main id="main">
<p><a href="/clients">← Clients</a></p>
<h1>Users</h1>
{{if .Error}}<div class="flash err" role="alert">{{.Error}}</div>{{end}}
{{if .Link}}<div class="flash ok" role="status">Send this one-time link to {{.LinkFor}} (it works once, until {{.LinkExpires}}): <code>{{.Link}}</code></div>{{end}}
<table>
<thead><tr><th>Email</th><th>Name</th><th>Role</th><th>Status</th><th>Actions</th></tr></thead>
<tbody>
{{range .Users}}<tr>
<td>{{.Email}}</td><td>{{.Name}}</td><td>{{.Role}}</td><td>{{if .Disabled}}deactivated{{else}}active{{end}}</td>
<td>{{if not .Disabled}}
<form method="post" action="/settings/users/{{.ID}}/role"><input type="hidden" name="csrf_token" value="{{$.CSRF}}">
<label class="visually-hidden" for="role-{{.ID}}">Role of {{.Email}}</label>
<select id="role-{{.ID}}" name="role">{{$r := .Role}}{{range $.Roles}}<option value="{{.}}"{{if eq . $r}} selected{{end}}>{{.}}</option>{{end}}</select>
<button type="submit">Change role</button></form>
<form method="post" action="/settings/users/{{.ID}}/password-link"><input type="hidden" name="csrf_token" value="{{$.CSRF}}"><button type="submit">New set-password link</button></form>
<form method="post" action="/settings/users/{{.ID}}/deactivate"><input type="hidden" name="csrf_token" value="{{$.CSRF}}"><button type="submit">Deactivate</button></form>
{{end}}</td>
</tr>{{end}}
</tbody>
</table>
<h2>Invite a user</h2>
<form method="post" action="/settings/users">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<p><label for="email">Email</label><br><input id="email" name="email" type="email" required></p>
<p><label for="name">Name</label><br><input id="name" name="name"></p>
<p><label for="role">Role</label><br><select id="role" name="role">{{range .Roles}}<option value="{{.}}"{{if eq . "staff"}} selected{{end}}>{{.}}</option>{{end}}</select></p>
<p><button type="submit">Invite</button></p>
</form>
</main>
</body>
</html>
`))

type usersData struct {
	Users                      []user.State
	Roles                      []user.Role
	CSRF                       string
	Error                      string
	Link, LinkFor, LinkExpires string
}

// serveUsers answers /settings/users and its actions, for owners.
func serveUsers(w http.ResponseWriter, r *http.Request, a *auth.Authenticator, p auth.Principal) {
	w.Header().Set("Cache-Control", "no-store")
	if err := auth.Allow(p, auth.OwnerOnly); err != nil {
		http.Error(w, "Only an owner can manage users.", http.StatusForbidden)
		return
	}
	data := usersData{Roles: user.Roles(), CSRF: p.CSRFToken}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		status = usersAction(r, a, p, &data)
	} else if r.URL.Path != usersPath {
		http.NotFound(w, r)
		return
	}
	us, err := a.Users(r.Context())
	if err != nil {
		http.Error(w, "The users cannot be read; see the server log.", http.StatusInternalServerError)
		return
	}
	data.Users = us
	w.WriteHeader(status)
	usersPage.Execute(w, data)
}

// usersAction runs the posted action and returns the page's status.
func usersAction(r *http.Request, a *auth.Authenticator, p auth.Principal, data *usersData) int {
	ctx := r.Context()
	fail := func(err error) int {
		switch domain.ErrorCode(err) {
		case domain.EINVALID:
			data.Error = domain.ErrorMessage(err)
			return http.StatusUnprocessableEntity
		case domain.ECONFLICT:
			data.Error = domain.ErrorMessage(err)
			return http.StatusConflict
		case domain.ENOTFOUND:
			data.Error = domain.ErrorMessage(err)
			return http.StatusNotFound
		}
		data.Error = "That did not work; see the server log."
		return http.StatusInternalServerError
	}
	showLink := func(email string, l auth.PasswordLink) {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		data.Link = scheme + "://" + r.Host + auth.PasswordLinkPath(l.Token)
		data.LinkFor, data.LinkExpires = email, l.Expires.UTC().Format("2 Jan 2006 15:04 UTC")
	}
	if r.URL.Path == usersPath {
		in := auth.Invite{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: user.Role(r.PostFormValue("role"))}
		_, l, err := a.InviteUser(ctx, in, p.Actor())
		if err != nil {
			return fail(err)
		}
		showLink(user.NormalizeEmail(in.Email), l)
		return http.StatusOK
	}
	rest := strings.TrimPrefix(r.URL.Path, usersPath+"/")
	idStr, action, _ := strings.Cut(rest, "/")
	id, err := uuid.Parse(idStr)
	if err != nil {
		return fail(domain.NotFound("There is no such user."))
	}
	switch action {
	case "role":
		err = a.ChangeRole(ctx, id, user.Role(r.PostFormValue("role")), p.Actor())
	case "deactivate":
		err = a.DeactivateUser(ctx, id, "", p.Actor())
	case "password-link":
		var l auth.PasswordLink
		if l, err = a.NewPasswordLink(ctx, id); err == nil {
			u, _ := a.User(ctx, id)
			showLink(u.Email, l)
		}
	default:
		err = domain.NotFound("There is no such action.")
	}
	if err != nil {
		return fail(err)
	}
	return http.StatusOK
}

var setPasswordPage = template.Must(template.New("set-password").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>Choose a password · Remit</title>
<link rel="stylesheet" href="/static/remit.css">
</head>
<body>
<main id="main" class="login">
<h1>Choose your password</h1>
<p>For {{.Email}}.</p>
{{if .Error}}<div class="flash err" role="alert">{{.Error}}</div>{{end}}
<form method="post">
<p><label for="password">Password (at least 12 characters)</label><br><input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required></p>
<p><label for="password2">Password again</label><br><input id="password2" name="password2" type="password" autocomplete="new-password" minlength="12" required></p>
<p><button type="submit">Set the password and sign in</button></p>
</form>
</main>
</body>
</html>
`))

const setPasswordPrefix = "/set-password/"

// serveSetPassword answers a set-password link: the form, then the new
// password, which signs the user in. A dead link is a 404.
func serveSetPassword(w http.ResponseWriter, r *http.Request, a *auth.Authenticator) {
	w.Header().Set("Cache-Control", "no-store")
	token := strings.TrimPrefix(r.URL.Path, setPasswordPrefix)
	u, ok := a.PasswordLinkUser(r.Context(), token)
	if !ok {
		http.NotFound(w, r)
		return
	}
	data := struct{ Email, Error string }{Email: u.Email}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		setPasswordPage.Execute(w, data)
		return
	case http.MethodPost:
	default:
		http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
		return
	}
	if !auth.SameOrigin(r) {
		http.Error(w, "Choose your password on Remit's own page.", http.StatusForbidden)
		return
	}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password2") {
		data.Error = "The two passwords differ."
		w.WriteHeader(http.StatusUnprocessableEntity)
		setPasswordPage.Execute(w, data)
		return
	}
	a.Logout(r) // whatever session the browser had ends here
	sess, err := a.SetPasswordWithLink(r.Context(), token, pw)
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			http.NotFound(w, r)
			return
		}
		if domain.ErrorCode(err) == domain.EINVALID {
			data.Error = domain.ErrorMessage(err)
			w.WriteHeader(http.StatusUnprocessableEntity)
			setPasswordPage.Execute(w, data)
			return
		}
		http.Error(w, "The password could not be set; see the server log.", http.StatusInternalServerError)
		return
	}
	a.SetSessionCookie(w, r, sess)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
