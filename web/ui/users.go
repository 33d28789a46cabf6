package ui

import (
	"cmp"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"remit/domain"
	"remit/domain/user"
	"remit/integrations/mail"
	"remit/processes/emailer"
	"remit/web/auth"
)

// The users page (/settings/users, owners only) and the set-password page
// an invited user opens (/set-password/{token}). Both are served with
// sign-in (Config.Auth), which they need.

const usersPath = "/settings/users"

type usersData struct {
	Users                      []user.State
	Roles                      []user.Role
	Error                      string
	Link, LinkFor, LinkExpires string
	// Emailed: the link was emailed to LinkFor; MailFailed: sending failed.
	Emailed, MailFailed bool
}

// linkMailTimeout is how long the Users page waits for the mail server.
const linkMailTimeout = 10 * time.Second

// PasswordLinkMailer sends set-password links by email: through Mailer,
// from From (the firm's sending address), as links to PublicURL() (where
// users reach Remit).
type PasswordLinkMailer struct {
	Mailer    mail.Mailer
	From      string
	PublicURL func() string
}

// registerUserRoutes registers the users page and its actions, for owners.
func (h *handler) registerUserRoutes(rt routes) {
	if h.cfg.Auth == nil {
		return
	}
	own := rt.owners()
	own.get(usersPath, h.handleUsers)
	own.post(usersPath, h.handleUserInvite)
	own.post(usersPath+"/{uid}/role", h.handleUserAction(func(r *http.Request, id uuid.UUID, _ *usersData) error {
		return h.cfg.Auth.ChangeRole(r.Context(), id, user.Role(r.PostFormValue("role")), h.actor(r))
	}))
	own.get(usersPath+"/{uid}/deactivate", h.handleUserDeactivateConfirm)
	own.post(usersPath+"/{uid}/deactivate", h.handleUserAction(func(r *http.Request, id uuid.UUID, _ *usersData) error {
		return h.cfg.Auth.DeactivateUser(r.Context(), id, "", h.actor(r))
	}))
	own.post(usersPath+"/{uid}/password-link", h.handleUserAction(func(r *http.Request, id uuid.UUID, data *usersData) error {
		l, err := h.cfg.Auth.NewPasswordLink(r.Context(), id)
		if err != nil {
			return err
		}
		u, _ := h.cfg.Auth.User(r.Context(), id)
		h.sendLink(r, data, u, l, false)
		return nil
	}))
}

func (h *handler) handleUsers(w http.ResponseWriter, r *http.Request) {
	h.showUsers(w, r, usersData{}, nil)
}

// handleUserInvite invites a user and shows the one-time link to send them.
func (h *handler) handleUserInvite(w http.ResponseWriter, r *http.Request) {
	var data usersData
	in := auth.Invite{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: user.Role(r.PostFormValue("role"))}
	id, l, err := h.cfg.Auth.InviteUser(r.Context(), in, h.actor(r))
	if err != nil {
		// Beside its field, with what was typed kept.
		f := formFrom(r)
		f.fail(err, func(e error) string { return h.userMessage(r, e) }, nil)
		h.renderUsers(w, r, statusOf(err), data, f)
		return
	}
	u, _ := h.cfg.Auth.User(r.Context(), id)
	h.sendLink(r, &data, u, l, true)
	h.showUsers(w, r, data, nil)
}

// handleUserAction runs do on the user in the path and shows the page.
func (h *handler) handleUserAction(do func(r *http.Request, id uuid.UUID, data *usersData) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var data usersData
		id, err := uuid.Parse(r.PathValue("uid"))
		if err != nil {
			err = domain.NotFound("There is no such user.")
		} else {
			err = do(r, id, &data)
		}
		h.showUsers(w, r, data, err)
	}
}

// showUsers renders the users page after an action: with its error, if
// any, and the error's status (api.StatusOf, as every error's).
func (h *handler) showUsers(w http.ResponseWriter, r *http.Request, data usersData, err error) {
	status := http.StatusOK
	if err != nil {
		status, data.Error = statusOf(err), h.userMessage(r, err)
	}
	f := newForm()
	f.set("role", string(user.RoleStaff))
	h.renderUsers(w, r, status, data, f)
}

// renderUsers renders the users page with the invite form f.
func (h *handler) renderUsers(w http.ResponseWriter, r *http.Request, status int, data usersData, f *form) {
	us, err := h.cfg.Auth.Users(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data.Users, data.Roles = us, user.Roles()
	h.render(w, r, status, "users", &view{Title: "Users", Section: "users", D: data, Form: f})
}

// sendLink emails u their set-password link l (invited: as an invitation)
// when Remit sends email, and puts the link on the page either way, so the
// owner can send it themselves if the email does not arrive.
func (h *handler) sendLink(r *http.Request, d *usersData, u user.State, l auth.PasswordLink, invited bool) {
	ctx := r.Context()
	f, loc, err := h.firmNow(ctx)
	if err != nil || loc == nil {
		loc = time.UTC
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	d.Link = scheme + "://" + r.Host + auth.PasswordLinkPath(l.Token)
	d.LinkFor, d.LinkExpires = u.Email, l.Expires.In(loc).Format("2 Jan 2006 15:04 MST")
	m := h.cfg.PasswordLinks
	if m == nil {
		return
	}
	by := ""
	if p, ok := auth.PrincipalFrom(ctx); ok {
		if me, err := h.cfg.Auth.User(ctx, p.UserID); err == nil {
			by = cmp.Or(me.Name, me.Email)
		}
	}
	msg := emailer.PasswordLink{From: m.From, Firm: f.Name, To: mail.Address{Name: u.Name, Email: u.Email}, By: by,
		Link: strings.TrimRight(m.PublicURL(), "/") + auth.PasswordLinkPath(l.Token), Expires: d.LinkExpires, Invited: invited, Now: h.cfg.Now()}.Message()
	// The owner waits for this page: a mail server that does not answer
	// (or keeps refusing for now) is given up on after a while, and the
	// page gives the link instead.
	sendCtx, cancel := context.WithTimeout(ctx, linkMailTimeout)
	defer cancel()
	if err := m.Mailer.Send(sendCtx, msg); err != nil {
		h.log.Warn("set-password link not emailed", "user", u.ID, "err", err)
		d.MailFailed = true
		return
	}
	d.Emailed = true
}

// deadPasswordLink is what a used, expired or replaced link says.
const deadPasswordLink = "This link is not valid: it was used, it expired, or a newer one was made. Ask an owner of your firm for a new link."

const setPasswordPrefix = "/set-password/"

// passwordLinkUser is the user of the path's set-password link; a dead
// link is answered 404.
func (h *handler) passwordLinkUser(w http.ResponseWriter, r *http.Request) (user.State, bool) {
	u, ok := h.cfg.Auth.PasswordLinkUser(r.Context(), r.PathValue("token"))
	if !ok {
		gateMessage(h, w, r, http.StatusNotFound, "Link not valid", deadPasswordLink)
	}
	return u, ok
}

// showSetPassword renders the set-password form with status.
func (h *handler) showSetPassword(w http.ResponseWriter, r *http.Request, status int, email string, f *form) {
	data := struct{ Email string }{Email: email}
	h.render(w, r, status, "set_password", &view{Title: "Choose a password", Bare: true, D: data, Form: f})
}

// handleSetPasswordForm shows a set-password link's form.
func (h *handler) handleSetPasswordForm(w http.ResponseWriter, r *http.Request) {
	if u, ok := h.passwordLinkUser(w, r); ok {
		h.showSetPassword(w, r, http.StatusOK, u.Email, newForm())
	}
}

// handleSetPassword sets the new password, which signs the user in.
func (h *handler) handleSetPassword(w http.ResponseWriter, r *http.Request) {
	u, ok := h.passwordLinkUser(w, r)
	if !ok {
		return
	}
	if !auth.SameOrigin(r) {
		gateMessage(h, w, r, http.StatusForbidden, "Not allowed", "Choose your password on Remit's own page.")
		return
	}
	pw := r.PostFormValue("password")
	f := newForm()
	if passwordsDiffer(r, f) {
		h.showSetPassword(w, r, http.StatusUnprocessableEntity, u.Email, f)
		return
	}
	a := h.cfg.Auth
	a.Logout(r) // whatever session the browser had ends here
	sess, err := a.SetPasswordWithLink(r.Context(), r.PathValue("token"), pw)
	switch {
	case domain.ErrorCode(err) == domain.ENOTFOUND: // used or replaced meanwhile
		gateMessage(h, w, r, http.StatusNotFound, "Link not valid", deadPasswordLink)
		return
	case err != nil:
		h.failAuthForm(r, f, err)
		h.showSetPassword(w, r, statusOf(err), u.Email, f)
		return
	}
	a.SetSessionCookie(w, r, sess)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
