package ui

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/user"
	"remit/web/auth"
)

// The users page (/settings/users, owners only) and the set-password page
// an invited user opens (/set-password/<token>). Gate serves both: they
// need the Authenticator, which the rest of the UI does not.

const usersPath = "/settings/users"

type usersData struct {
	Users                      []user.State
	Roles                      []user.Role
	Error                      string
	Link, LinkFor, LinkExpires string
}

// serveUsers answers /settings/users and its actions, for owners.
func serveUsers(w http.ResponseWriter, r *http.Request, a *auth.Authenticator, p auth.Principal, pr pageRenderer) {
	if err := auth.Allow(p, auth.OwnerOnly); err != nil {
		gateMessage(pr, w, r, http.StatusForbidden, "Owners only", "Only an owner can manage users.")
		return
	}
	data := usersData{Roles: user.Roles()}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		status = usersAction(r, a, p, &data)
	} else if r.URL.Path != usersPath {
		gateMessage(pr, w, r, http.StatusNotFound, "Not found", "There is no page at "+r.URL.Path+".")
		return
	}
	us, err := a.Users(r.Context())
	if err != nil {
		gateMessage(pr, w, r, http.StatusInternalServerError, "Something went wrong", "The users cannot be read; see the server log.")
		return
	}
	data.Users = us
	pr.render(w, r, status, "users", &view{Title: "Users", Section: "users", CSRF: p.CSRFToken, D: data})
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

// deadPasswordLink is what a used, expired or replaced link says.
const deadPasswordLink = "This link is not valid: it was used, it expired, or a newer one was made. Ask an owner of your firm for a new link."

const setPasswordPrefix = "/set-password/"

// serveSetPassword answers a set-password link: the form, then the new
// password, which signs the user in. A dead link is a 404.
func serveSetPassword(w http.ResponseWriter, r *http.Request, a *auth.Authenticator, pr pageRenderer) {
	token := strings.TrimPrefix(r.URL.Path, setPasswordPrefix)
	u, ok := a.PasswordLinkUser(r.Context(), token)
	if !ok {
		gateMessage(pr, w, r, http.StatusNotFound, "Link not valid", deadPasswordLink)
		return
	}
	data := struct{ Email, Error string }{Email: u.Email}
	show := func(status int) {
		pr.render(w, r, status, "set_password", &view{Title: "Choose a password", Bare: true, D: data})
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
		gateMessage(pr, w, r, http.StatusForbidden, "Not allowed", "Choose your password on Remit's own page.")
		return
	}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password2") {
		data.Error = "The two passwords differ."
		show(http.StatusUnprocessableEntity)
		return
	}
	a.Logout(r) // whatever session the browser had ends here
	sess, err := a.SetPasswordWithLink(r.Context(), token, pw)
	if err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			gateMessage(pr, w, r, http.StatusNotFound, "Link not valid", deadPasswordLink)
			return
		}
		if domain.ErrorCode(err) == domain.EINVALID {
			data.Error = domain.ErrorMessage(err)
			show(http.StatusUnprocessableEntity)
			return
		}
		gateMessage(pr, w, r, http.StatusInternalServerError, "Something went wrong", "The password could not be set; see the server log.")
		return
	}
	a.SetSessionCookie(w, r, sess)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
